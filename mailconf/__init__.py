"""mailconf: business e-mail configuration as code.

Kept import-free so that `mailconf --version` starts as fast as bare Python.
"""

__version__ = "0.1.0"
