"""One module per CLI verb, each with `register(subparsers)`; heavy imports stay inside handlers."""
