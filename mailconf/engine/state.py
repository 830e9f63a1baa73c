"""The state store: what mailconf manages per target, keyed fingerprints of write-only secrets,
the changes in flight, locks.

The state never holds a secret: a write-only field is kept as HMAC-SHA256 under a key,
enough to tell "changed" from "unchanged" and nothing more. The key is random and kept in
the state by default; given as `MAILCONF_STATE_KEY` it stays out of the state, so a copy of
the state alone does not allow guessing short passwords offline (the store keeps only a
check value, to say so when it is opened with another key).

Before a batch of changes goes to a target, the store records what each resource will be
if the change succeeds (pending); after the batch, the ones that succeeded become managed.
A run killed in between leaves the pending entries, so the next plan knows which changes
may already have happened. `StateStore` is the interface; `SqliteStateStore` the default
(`.mailconf/state.db` beside the manifest).
"""

from __future__ import annotations

import getpass
import hashlib
import hmac
import json
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
from mailconf.private import create_private
from mailconf.secrets import Secret


@dataclass(frozen=True)
class Managed:
    """A resource mailconf applied to a target: whether it is protected, and its secret fingerprints."""

    protect: bool
    fingerprints: dict[str, str]


@dataclass(frozen=True)
class Confirmation:
    """A person's word that they carried out the manual step of a resource: the fingerprint of the
    desired values they entered (secrets by HMAC), who said so and when (epoch seconds)."""

    fingerprint: str
    who: str
    at: float


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


def person() -> str:
    """`user@host`: who runs mailconf here, in words a teammate can act on."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = str(os.getuid())
    return f"{user}@{socket.gethostname()}"


def lock_holder() -> str:
    """Who holds a lock: this process."""
    return f"{person()} pid {os.getpid()}"


class StateStore(ABC):
    """Where mailconf remembers what it manages; one instance per manifest."""

    @abstractmethod
    def fingerprint(self, value: str) -> str:
        """The keyed fingerprint of a secret value (never reversible without the store's key)."""

    @abstractmethod
    def managed(self, target: str) -> dict[str, Managed]:
        """Address -> what mailconf last applied there."""

    @abstractmethod
    def pending(self, target: str) -> dict[str, Managed]:
        """Address -> what it will be once a change in flight succeeds (left by a run that died)."""

    @abstractmethod
    def intend(self, target: str, changes: Iterable[tuple[str, Managed]]) -> None:
        """Record changes about to go to the target, before they do (write-ahead)."""

    @abstractmethod
    def record(self, target: str, applied: Iterable[tuple[str, Managed]], removed: Iterable[str], settled: Iterable[str] = ()) -> None:
        """Remember applied resources, forget removed ones and drop the pending entries of `settled`, atomically."""

    @abstractmethod
    def confirmations(self, target: str) -> dict[str, Confirmation]:
        """Address -> the last confirmed manual step of a resource of a `manual` kind."""

    @abstractmethod
    def confirm(self, target: str, done: Iterable[tuple[str, str | None]], who: str) -> None:
        """Record (address, fingerprint) steps as carried out by `who` now; a None fingerprint
        (a removal a person made) forgets the address. Atomically."""

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


# 1: mailconf 0.1 (no version row, no pending table); 2: no confirmations table. Upgraded on open.
SCHEMA_VERSION = 3

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS managed (
    target TEXT NOT NULL, address TEXT NOT NULL, protect INTEGER NOT NULL,
    PRIMARY KEY (target, address));
CREATE TABLE IF NOT EXISTS fingerprints (
    target TEXT NOT NULL, address TEXT NOT NULL, field TEXT NOT NULL, digest TEXT NOT NULL,
    PRIMARY KEY (target, address, field));
CREATE TABLE IF NOT EXISTS pending (
    target TEXT NOT NULL, address TEXT NOT NULL, protect INTEGER NOT NULL, fingerprints TEXT NOT NULL,
    PRIMARY KEY (target, address));
CREATE TABLE IF NOT EXISTS confirmations (
    target TEXT NOT NULL, address TEXT NOT NULL, fingerprint TEXT NOT NULL, who TEXT NOT NULL, at REAL NOT NULL,
    PRIMARY KEY (target, address));
CREATE TABLE IF NOT EXISTS locks (
    target TEXT PRIMARY KEY, holder TEXT NOT NULL, host TEXT NOT NULL, pid INTEGER NOT NULL, since REAL NOT NULL);
"""
_TABLES = {"meta", "managed", "fingerprints", "locks"}
_KEY_CHECK = b"mailconf state key check"
KEY_VARIABLE = "MAILCONF_STATE_KEY"


def _key_check(key: bytes) -> str:
    return hmac.new(key, _KEY_CHECK, hashlib.sha256).hexdigest()


class SqliteStateStore(StateStore):
    """The default store: one SQLite file (and its -wal/-shm), created 0600, safe across processes.

    Only a missing file is created new: an existing file that is not a mailconf state (empty,
    emptied, another database, corrupted) is an error, because taking it as new would forget
    which resources are managed and protected."""

    def __init__(self, path: Path, key: Secret | None = None) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            if not path.exists():
                self._create(path, key)
            self._db = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        except (OSError, sqlite3.Error) as exc:
            raise StateError(f"cannot open the state store {path}: {exc}") from None
        try:
            self._key = self._check_key(self._open(), key)
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise self._invalid(str(exc)) from None
        except StateError:
            self._db.close()
            raise

    @staticmethod
    def _create(path: Path, key: Secret | None) -> None:
        """Build the new state aside and link it into place, so a crash never leaves a half-made state
        that a later run would refuse, and two runs creating it at once end up with one."""
        draft = path.with_name(f".{path.name}.{os.getpid()}.new")
        draft.unlink(missing_ok=True)
        create_private(draft)
        try:
            db = sqlite3.connect(draft, isolation_level=None)
            try:
                db.executescript(_SCHEMA)
                secret = key.reveal().encode() if key else secrets.token_bytes(32)
                rows = [("schema_version", SCHEMA_VERSION), ("key_check", _key_check(secret))]
                if key is None:
                    rows.append(("hmac_key", secret))
                db.executemany("INSERT INTO meta VALUES (?, ?)", rows)
            finally:
                db.close()
            try:
                os.link(draft, path)
            except FileExistsError:
                pass  # another run created it meanwhile: use theirs
        finally:
            draft.unlink(missing_ok=True)

    def _open(self) -> dict[str, object]:
        """Check the file is a mailconf state of a version this code reads; upgrade a 0.1 one."""
        db = self._db
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not tables:
            raise self._invalid("the file is empty" if self.path.stat().st_size == 0 else "it holds no tables")
        if not _TABLES <= tables:
            raise self._invalid(f"tables missing: {', '.join(sorted(_TABLES - tables))}")
        meta = dict(db.execute("SELECT name, value FROM meta").fetchall())
        version = meta.get("schema_version", 1 if "hmac_key" in meta else None)
        if version is None:
            raise self._invalid("it has no key and no schema version (emptied?)")
        if not isinstance(version, int) or version > SCHEMA_VERSION:
            raise StateError(f"the state store {self.path} has schema version {version}, newer than this mailconf reads ({SCHEMA_VERSION}): upgrade mailconf")
        [problem] = db.execute("PRAGMA quick_check(1)").fetchone()
        if problem != "ok":
            detail = [line for line in problem.splitlines() if not line.startswith("***")]
            raise self._invalid(f"damaged: {detail[0] if detail else problem}")
        db.execute("PRAGMA journal_mode=WAL")
        if version < SCHEMA_VERSION:  # idempotent, so two runs upgrading at once do no harm
            db.executescript(_SCHEMA)
            db.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (SCHEMA_VERSION,))
        return meta

    def _invalid(self, reason: str) -> StateError:
        return StateError(
            f"{self.path} is not a valid mailconf state ({reason}): restore it from a backup, or if it is lost, start a "
            "new state deliberately by deleting it or passing --state NEW_FILE (a new state forgets which resources "
            "mailconf manages and protects, and shows every password as changed once)"
        )

    def _check_key(self, meta: dict[str, object], key: Secret | None) -> bytes:
        stored = meta.get("hmac_key")
        if isinstance(stored, bytes) and key is not None:
            raise StateError(
                f"{KEY_VARIABLE} is set, but the state {self.path} keeps its own key: unset {KEY_VARIABLE}, or start a "
                "new state with --state NEW_FILE (every password then shows as changed once)"
            )
        if isinstance(stored, bytes):
            secret = stored
        elif key is not None:
            secret = key.reveal().encode()
        else:
            raise StateError(f"the state {self.path} was made with a key of your own: set {KEY_VARIABLE} to it")
        if meta.get("key_check", _key_check(secret)) != _key_check(secret):  # a 0.1 state has no check value
            raise StateError(
                f"{KEY_VARIABLE} is not the key the state {self.path} was made with: set the right one; if it is lost, "
                "start a new state with --state NEW_FILE (every password then shows as changed once)"
            )
        return secret

    @contextmanager
    def _guard(self) -> Iterator[sqlite3.Connection]:
        """A state damaged while in use is a StateError naming the file, not a traceback."""
        try:
            yield self._db
        except sqlite3.DatabaseError as exc:
            raise StateError(f"the state store {self.path} failed: {exc}") from None

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._guard() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def fingerprint(self, value: str) -> str:
        return "hmac-sha256:" + hmac.new(self._key, value.encode(), hashlib.sha256).hexdigest()

    def managed(self, target: str) -> dict[str, Managed]:
        with self._guard() as db:
            result = {address: Managed(bool(protect), {}) for address, protect in db.execute("SELECT address, protect FROM managed WHERE target = ?", (target,))}
            for address, field, digest in db.execute("SELECT address, field, digest FROM fingerprints WHERE target = ?", (target,)):
                if address in result:
                    result[address].fingerprints[field] = digest
        return result

    def pending(self, target: str) -> dict[str, Managed]:
        with self._guard() as db:
            rows = db.execute("SELECT address, protect, fingerprints FROM pending WHERE target = ?", (target,)).fetchall()
        return {address: Managed(bool(protect), json.loads(prints)) for address, protect, prints in rows}

    def intend(self, target: str, changes: Iterable[tuple[str, Managed]]) -> None:
        rows = [(target, address, int(m.protect), json.dumps(m.fingerprints)) for address, m in changes]
        if rows:
            with self._transaction() as db:
                db.executemany("INSERT OR REPLACE INTO pending VALUES (?, ?, ?, ?)", rows)

    def record(self, target: str, applied: Iterable[tuple[str, Managed]], removed: Iterable[str], settled: Iterable[str] = ()) -> None:
        with self._transaction() as db:
            for address, managed in applied:
                db.execute("INSERT OR REPLACE INTO managed VALUES (?, ?, ?)", (target, address, int(managed.protect)))
                db.execute("DELETE FROM fingerprints WHERE target = ? AND address = ?", (target, address))
                db.executemany("INSERT INTO fingerprints VALUES (?, ?, ?, ?)", [(target, address, f, d) for f, d in managed.fingerprints.items()])
            for address in removed:
                db.execute("DELETE FROM managed WHERE target = ? AND address = ?", (target, address))
                db.execute("DELETE FROM fingerprints WHERE target = ? AND address = ?", (target, address))
            db.executemany("DELETE FROM pending WHERE target = ? AND address = ?", [(target, a) for a in settled])

    def confirmations(self, target: str) -> dict[str, Confirmation]:
        with self._guard() as db:
            rows = db.execute("SELECT address, fingerprint, who, at FROM confirmations WHERE target = ?", (target,)).fetchall()
        return {address: Confirmation(fingerprint, who, at) for address, fingerprint, who, at in rows}

    def confirm(self, target: str, done: Iterable[tuple[str, str | None]], who: str) -> None:
        now = time.time()
        with self._transaction() as db:
            for address, fingerprint in done:
                if fingerprint is None:
                    db.execute("DELETE FROM confirmations WHERE target = ? AND address = ?", (target, address))
                else:
                    db.execute("INSERT OR REPLACE INTO confirmations VALUES (?, ?, ?, ?, ?)", (target, address, fingerprint, who, now))

    def acquire(self, target: str, holder: str) -> None:
        with self._transaction() as db:
            row = db.execute("SELECT host, pid FROM locks WHERE target = ?", (target,)).fetchone()
            if row is not None and row[0] == socket.gethostname() and not _alive(row[1]):
                db.execute("DELETE FROM locks WHERE target = ?", (target,))  # its holder died on this host
                row = None
            if row is None:
                db.execute("INSERT INTO locks VALUES (?, ?, ?, ?, ?)", (target, holder, socket.gethostname(), os.getpid(), time.time()))
        if row is not None:
            lock = self.lock_of(target)
            since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(lock.since)) if lock else "?"
            raise StateError(
                f"target {target!r} is locked by {lock.holder if lock else '?'} since {since}: wait for that run to finish, "
                f"or if it died, run `mailconf unlock {target}`"
            )

    def release(self, target: str) -> None:
        with self._guard() as db:
            db.execute("DELETE FROM locks WHERE target = ?", (target,))

    def lock_of(self, target: str) -> Lock | None:
        with self._guard() as db:
            row = db.execute("SELECT holder, since FROM locks WHERE target = ?", (target,)).fetchone()
        return Lock(row[0], row[1]) if row else None

    def close(self) -> None:
        self._db.close()
