"""Allow `python -m mailconf`."""

import sys

from mailconf.cli import main

sys.exit(main())
