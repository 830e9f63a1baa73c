"""Command-line entry point (placeholder, replaced by the real CLI)."""

import sys


def main(argv: list[str] | None = None) -> int:
    from mailconf import __version__

    print(f"mailconf {__version__}")
    return 0
