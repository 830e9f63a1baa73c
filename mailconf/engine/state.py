"""The state store: what mailconf manages per target, keyed fingerprints of write-only secrets, locks.

The state never holds a secret: a write-only field is kept as HMAC-SHA256 under a random
key created with the store, enough to tell "changed" from "unchanged" and nothing more.
`StateStore` is the interface; `SqliteStateStore` the default (`.mailconf/state.db` beside
the manifest). A PostgreSQL store implements the same methods.
"""

from __future__ import annotations

import getpass
import hashlib
import hmac
import os
import secrets
import socket
import sqlite3
import time
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from mailconf.errors import StateError


@dataclass(frozen=True)
class Managed:
    """A resource mailconf applied to a target: whether it is protected, and its secret fingerprints."""

    protect: bool
    fingerprints: dict[str, str]


@dataclass(frozen=True)
class Lock:
    holder: str
    since: float


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def lock_holder() -> str:
    """Who holds a lock, in words a teammate can act on."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = str(os.getuid())
    return f"{user}@{socket.gethostname()} pid {os.getpid()}"


class StateStore(ABC):
    """Where mailconf remembers what it manages; one instance per manifest."""

    @abstractmethod
    def fingerprint(self, value: str) -> str:
        """The keyed fingerprint of a secret value (never reversible without the store's key)."""

    @abstractmethod
    def managed(self, target: str) -> dict[str, Managed]:
        """Address -> what mailconf last applied there."""

    @abstractmethod
    def record(self, target: str, applied: Iterable[tuple[str, Managed]], removed: Iterable[str]) -> None:
        """Remember applied resources and forget removed ones, atomically."""

    @abstractmethod
    def acquire(self, target: str, holder: str) -> None:
        """Take the target's lock or raise StateError naming who holds it since when."""

    @abstractmethod
    def release(self, target: str) -> None:
        """Drop the target's lock (also what `mailconf unlock` does for a stale one)."""

    @abstractmethod
    def lock_of(self, target: str) -> Lock | None: ...

    @abstractmethod
    def close(self) -> None:
        """Release the store's connection."""

    @contextmanager
    def locked(self, target: str) -> Iterator[None]:
        self.acquire(target, lock_holder())
        try:
            yield
        finally:
            self.release(target)


_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS managed (
    target TEXT NOT NULL, address TEXT NOT NULL, protect INTEGER NOT NULL,
    PRIMARY KEY (target, address));
CREATE TABLE IF NOT EXISTS fingerprints (
    target TEXT NOT NULL, address TEXT NOT NULL, field TEXT NOT NULL, digest TEXT NOT NULL,
    PRIMARY KEY (target, address, field));
CREATE TABLE IF NOT EXISTS locks (
    target TEXT PRIMARY KEY, holder TEXT NOT NULL, host TEXT NOT NULL, pid INTEGER NOT NULL, since REAL NOT NULL);
"""


class SqliteStateStore(StateStore):
    """The default store: one SQLite file, created 0600 on first use, safe across processes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fresh = not path.exists()
            self._db = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
            if fresh:
                os.chmod(path, 0o600)
            self._db.executescript("PRAGMA journal_mode=WAL;" + _SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise StateError(f"cannot open the state store {path}: {exc}") from None
        self._key = self._hmac_key()

    def _hmac_key(self) -> bytes:
        row = self._db.execute("SELECT value FROM meta WHERE name = 'hmac_key'").fetchone()
        if row is None:
            self._db.execute("INSERT OR IGNORE INTO meta VALUES ('hmac_key', ?)", (secrets.token_bytes(32),))
            row = self._db.execute("SELECT value FROM meta WHERE name = 'hmac_key'").fetchone()
        return bytes(row[0])

    def fingerprint(self, value: str) -> str:
        return "hmac-sha256:" + hmac.new(self._key, value.encode(), hashlib.sha256).hexdigest()

    def managed(self, target: str) -> dict[str, Managed]:
        result = {address: Managed(bool(protect), {}) for address, protect in self._db.execute("SELECT address, protect FROM managed WHERE target = ?", (target,))}
        for address, field, digest in self._db.execute("SELECT address, field, digest FROM fingerprints WHERE target = ?", (target,)):
            if address in result:
                result[address].fingerprints[field] = digest
        return result

    def record(self, target: str, applied: Iterable[tuple[str, Managed]], removed: Iterable[str]) -> None:
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            for address, managed in applied:
                db.execute("INSERT OR REPLACE INTO managed VALUES (?, ?, ?)", (target, address, int(managed.protect)))
                db.execute("DELETE FROM fingerprints WHERE target = ? AND address = ?", (target, address))
                db.executemany("INSERT INTO fingerprints VALUES (?, ?, ?, ?)", [(target, address, f, d) for f, d in managed.fingerprints.items()])
            for address in removed:
                db.execute("DELETE FROM managed WHERE target = ? AND address = ?", (target, address))
                db.execute("DELETE FROM fingerprints WHERE target = ? AND address = ?", (target, address))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def acquire(self, target: str, holder: str) -> None:
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            row = db.execute("SELECT host, pid FROM locks WHERE target = ?", (target,)).fetchone()
            if row is not None and row[0] == socket.gethostname() and not _alive(row[1]):
                db.execute("DELETE FROM locks WHERE target = ?", (target,))  # its holder died on this host
            db.execute("INSERT INTO locks VALUES (?, ?, ?, ?, ?)", (target, holder, socket.gethostname(), os.getpid(), time.time()))
            db.execute("COMMIT")
        except sqlite3.IntegrityError:
            db.execute("ROLLBACK")
            lock = self.lock_of(target)
            since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(lock.since)) if lock else "?"
            raise StateError(
                f"target {target!r} is locked by {lock.holder if lock else '?'} since {since}: wait for that run to finish, "
                f"or if it died, run `mailconf unlock {target}`"
            ) from None

    def release(self, target: str) -> None:
        self._db.execute("DELETE FROM locks WHERE target = ?", (target,))

    def lock_of(self, target: str) -> Lock | None:
        row = self._db.execute("SELECT holder, since FROM locks WHERE target = ?", (target,)).fetchone()
        return Lock(row[0], row[1]) if row else None

    def close(self) -> None:
        self._db.close()
