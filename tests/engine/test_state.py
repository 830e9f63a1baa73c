"""The state store as a user meets it: only a missing state is created new, a broken one is an
error with the way out, its files are private, and its fingerprint key may live outside it."""

from __future__ import annotations

import hashlib
import hmac
import os
import sqlite3
import stat
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path

import pytest

from mailconf.engine.state import SCHEMA_VERSION
from tests.engine.conftest import SECRET, Workspace, manifest

STATE = Path(".mailconf") / "state.db"


def _truncate(path: Path) -> None:
    path.write_bytes(b"")


def _empty_rows(path: Path) -> None:
    with closing(sqlite3.connect(path)) as db, db:
        for table in ("meta", "managed", "fingerprints", "locks"):
            db.execute(f"DELETE FROM {table}")


def _drop_tables(path: Path) -> None:
    with closing(sqlite3.connect(path)) as db, db:
        for table in ("meta", "managed", "fingerprints", "pending", "locks"):
            db.execute(f"DROP TABLE {table}")


def _other_database(path: Path) -> None:
    path.unlink()
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("CREATE TABLE notes (text TEXT)")


def _not_sqlite(path: Path) -> None:
    path.write_text("state: {}\n")


def _damaged_page(path: Path) -> None:
    with open(path, "r+b") as file:
        file.seek(3 * 4096 + 100)  # a b-tree page of the fingerprints, past the schema
        file.write(bytes(range(256)) * 8)


BREAKAGES: dict[str, Callable[[Path], None]] = {
    "zero-length": _truncate,
    "emptied": _empty_rows,
    "table-less": _drop_tables,
    "another database": _other_database,
    "not sqlite": _not_sqlite,
    "damaged page": _damaged_page,
}


@pytest.fixture
def applied(ws: Workspace) -> Iterator[Workspace]:
    """A workspace whose 60 accounts were applied; a2 is protected."""
    data = manifest(accounts=60)
    data["accounts"]["a2"]["protect"] = True
    ws.write(data)
    assert ws.cli("apply", "--auto-approve")[0] == 0
    yield ws


@pytest.mark.parametrize("breakage", BREAKAGES, ids=list(BREAKAGES))
def test_a_broken_state_is_an_error_not_a_new_state(applied: Workspace, breakage: str) -> None:
    state = applied.root / STATE
    BREAKAGES[breakage](state)
    before = state.read_bytes()
    data = manifest(accounts=2)
    data["targets"]["embedded"]["prune"] = True
    applied.write(data)  # a2 is protected: a state taken as new would forget that, and prune would delete it
    for verb in ("plan", "apply"):
        code, out, err = applied.cli(verb, "--auto-approve") if verb == "apply" else applied.cli(verb)
        assert code == 1, out
        assert "is not a valid mailconf state" in err and "restore it from a backup" in err and "--state" in err
        assert "Traceback" not in err + out
    assert state.read_bytes() == before  # left as found, for the user to restore
    with sqlite3.connect(applied.root / "live.db") as db:
        assert db.execute("SELECT count(*) FROM email_account").fetchone() == (60,)


def test_a_missing_state_is_created_and_a_new_one_can_be_chosen(applied: Workspace) -> None:
    _truncate(applied.root / STATE)
    fresh = applied.root / "fresh" / "state.db"
    code, out, _ = applied.cli("plan", "--state", str(fresh))
    # the known price of a new state: every password is written once, which a plan of 60 accounts blocks on the threshold
    assert code == 1 and fresh.exists() and "password: null -> (changed)" in out and "Blocked:" in out


def test_a_state_from_mailconf_0_1_is_upgraded_in_place(ws: Workspace) -> None:
    ws.write(manifest())
    assert ws.cli("apply", "--auto-approve")[0] == 0
    with sqlite3.connect(ws.root / STATE) as db:  # what 0.1 wrote: no version, no pending table
        db.execute("DELETE FROM meta WHERE name != 'hmac_key'")
        db.execute("DROP TABLE pending")
    assert ws.cli("plan", "--detailed-exitcode")[0] == 0
    with sqlite3.connect(ws.root / STATE) as db:
        assert db.execute("SELECT value FROM meta WHERE name = 'schema_version'").fetchone() == (SCHEMA_VERSION,)


def test_a_state_from_a_newer_mailconf_is_refused(applied: Workspace) -> None:
    with sqlite3.connect(applied.root / STATE) as db:
        db.execute("UPDATE meta SET value = 99 WHERE name = 'schema_version'")
    code, _, err = applied.cli("plan")
    assert code == 1 and "schema version 99" in err and "upgrade mailconf" in err


def _modes(directory: Path) -> dict[str, int]:
    return {p.name: stat.S_IMODE(p.stat().st_mode) for p in directory.iterdir() if p.is_file()}


def test_files_holding_secrets_are_private_whatever_the_umask(ws: Workspace) -> None:
    ws.write(manifest())
    previous = os.umask(0o022)
    try:
        assert ws.cli("apply", "--auto-approve")[0] == 0
        # hold both databases open, so their -wal and -shm files stay for inspection
        target, state = sqlite3.connect(ws.root / "live.db"), sqlite3.connect(ws.root / STATE)
        for db in (target, state):
            db.execute("SELECT count(*) FROM sqlite_master").fetchone()
        modes = {**_modes(ws.root / ".mailconf"), **{n: m for n, m in _modes(ws.root).items() if n.startswith("live.db")}}
        target.close()
        state.close()
    finally:
        os.umask(previous)
    assert {"state.db", "state.db-wal", "state.db-shm", "live.db", "live.db-wal", "live.db-shm"} <= modes.keys()
    assert {name: mode for name, mode in modes.items() if mode != 0o600} == {}


def _digests(state: Path) -> list[str]:
    with sqlite3.connect(state) as db:
        return [d.removeprefix("hmac-sha256:") for (d,) in db.execute("SELECT digest FROM fingerprints")]


def test_an_external_key_stays_out_of_the_state(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAILCONF_STATE_KEY", "team-key-from-the-vault")
    ws.write(manifest())
    assert ws.cli("apply", "--auto-approve")[0] == 0
    assert ws.cli("plan", "--detailed-exitcode")[0] == 0
    with sqlite3.connect(ws.root / STATE) as db:
        stored = [bytes(v) if isinstance(v, bytes) else str(v).encode() for (v,) in db.execute("SELECT value FROM meta")]
    # nothing kept in the state reproduces a fingerprint: guessing passwords needs the key
    for candidate in stored:
        assert hmac.new(candidate, SECRET.encode(), hashlib.sha256).hexdigest() not in _digests(ws.root / STATE)
    assert hmac.new(b"team-key-from-the-vault", SECRET.encode(), hashlib.sha256).hexdigest() in _digests(ws.root / STATE)


def test_a_key_given_as_a_file_reference(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    (ws.root / "state.key").write_text("key-in-a-file\n")
    monkeypatch.setenv("MAILCONF_STATE_KEY", "${file:state.key}")
    ws.write(manifest())
    assert ws.cli("apply", "--auto-approve")[0] == 0
    assert hmac.new(b"key-in-a-file", SECRET.encode(), hashlib.sha256).hexdigest() in _digests(ws.root / STATE)


@pytest.mark.parametrize(
    ("made_with", "opened_with", "message"),
    [
        ("key-one", "key-two", "is not the key the state"),
        ("key-one", None, "made with a key of your own: set MAILCONF_STATE_KEY"),
        (None, "key-two", "keeps its own key: unset MAILCONF_STATE_KEY"),
    ],
    ids=["another key", "no key", "a key for a keyless state"],
)
def test_a_state_opened_with_the_wrong_key_says_so(ws: Workspace, monkeypatch: pytest.MonkeyPatch, made_with: str | None, opened_with: str | None, message: str) -> None:
    ws.write(manifest())
    if made_with:
        monkeypatch.setenv("MAILCONF_STATE_KEY", made_with)
    assert ws.cli("apply", "--auto-approve")[0] == 0
    monkeypatch.delenv("MAILCONF_STATE_KEY", raising=False)
    if opened_with:
        monkeypatch.setenv("MAILCONF_STATE_KEY", opened_with)
    for verb in ("plan", "apply"):
        code, out, err = ws.cli(verb, "--auto-approve") if verb == "apply" else ws.cli(verb)
        assert code == 1 and message in err and "(changed)" not in out
