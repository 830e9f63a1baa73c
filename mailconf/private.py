"""Files that hold secrets (a state store, the embedded target's database) are created private.

SQLite creates a database's `-wal`, `-shm` and journal files with the permissions of the
database file itself, so creating that file 0600 before SQLite opens it keeps all of them
private whatever the umask, without touching the process-wide umask (apply runs threads).
"""

from __future__ import annotations

import os
from pathlib import Path


def create_private(path: Path) -> bool:
    """Create `path` empty with mode 0600 unless it exists; True when this call created it."""
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        return False
    return True
