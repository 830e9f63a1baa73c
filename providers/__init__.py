"""Provider drivers, installed as `mailconf_providers` and found via the `mailconf.providers` entry points."""
