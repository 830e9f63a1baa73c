"""A run killed around a target's commit is finished by the next run, without --force, and
the state stays in step with the target.

The kill is a real SIGKILL of a real `mailconf apply` process, sent by a wrapper around the
sqlite driver just before the first batch reaches the target, or right after the target
committed it and before the state heard of it: the two moments the state cannot tell apart."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.engine.conftest import SECRET, account

ROTATED = "rotated-Secret-value-2"

_KILLED = textwrap.dedent("""
    import os, signal, sys
    from mailconf_providers.sqlite import SqliteDriver
    from mailconf.cli import main

    commit, when = SqliteDriver.apply, sys.argv.pop(1)
    def apply_and_die(self, changes):
        if when == "after":
            commit(self, changes)  # the target committed; the state never hears of it
        os.kill(os.getpid(), signal.SIGKILL)
    SqliteDriver.apply = apply_and_die
    sys.exit(main(sys.argv[1:]))
""")


def _manifest(accounts: int) -> dict[str, Any]:
    data: dict[str, Any] = {
        "version": 1,
        "targets": {"embedded": {"driver": "sqlite", "settings": {"path": "live.db"}}},
        "accounts": {f"a{i}": account(f"a{i}@acme.example") for i in range(accounts)},
        "primary_sender": "a0",
    }
    data["accounts"]["a0"].update(default_outgoing=True, default_incoming=True)
    return data


def _mailconf(root: Path, *argv: str, password: str = SECRET, killed: str = "") -> subprocess.CompletedProcess[str]:
    """Run mailconf; `killed` "before"/"after": SIGKILLed before/after the target commits the first batch."""
    env = {**os.environ, "MC_TEST_PASSWORD": password, "NO_COLOR": "1"}
    command = [sys.executable, "-c", _KILLED, killed] if killed else [sys.executable, "-m", "mailconf"]
    return subprocess.run([*command, argv[0], str(root), *argv[1:]], capture_output=True, text=True, env=env, timeout=120)


def _passwords(root: Path) -> set[str]:
    with sqlite3.connect(root / "live.db") as db:
        return {p for (p,) in db.execute("SELECT password FROM account_password")}


@pytest.mark.parametrize("when", ["before", "after"])
def test_rotated_passwords_killed_around_the_commit_finish_without_force(tmp_path: Path, when: str) -> None:
    (tmp_path / "mailconf.yaml").write_text(yaml.safe_dump(_manifest(40)))
    assert _mailconf(tmp_path, "apply", "--auto-approve").returncode == 0
    # every password rotates: 40 of 41 resources change, so this apply needs --force
    killed = _mailconf(tmp_path, "apply", "--auto-approve", "--force", password=ROTATED, killed=when)
    assert killed.returncode == -9
    assert _passwords(tmp_path) == {ROTATED if when == "after" else SECRET}  # either way, the state cannot tell
    plan = _mailconf(tmp_path, "plan", password=ROTATED)
    assert plan.returncode == 0 and "--force" not in plan.stdout
    rerun = _mailconf(tmp_path, "apply", "--auto-approve", password=ROTATED)
    assert rerun.returncode == 0, rerun.stdout[-1500:] + rerun.stderr
    assert "40 succeeded, 0 failed" in rerun.stdout  # each secret written once more, to be sure
    assert _mailconf(tmp_path, "plan", "--detailed-exitcode", password=ROTATED).returncode == 0
    assert _passwords(tmp_path) == {ROTATED}


def test_creates_killed_after_commit_are_managed_and_protected_after_the_rerun(tmp_path: Path) -> None:
    data = _manifest(12)
    data["accounts"]["a5"]["protect"] = True
    data["targets"]["embedded"]["update_threshold"] = 0  # any update that is not a recovery would need --force
    (tmp_path / "mailconf.yaml").write_text(yaml.safe_dump(data))
    assert _mailconf(tmp_path, "apply", "--auto-approve", killed="after").returncode == -9
    rerun = _mailconf(tmp_path, "apply", "--auto-approve")
    assert rerun.returncode == 0, rerun.stdout[-1500:] + rerun.stderr
    assert _mailconf(tmp_path, "plan", "--detailed-exitcode").returncode == 0
    # the state knows it applied them: a2 removed from the manifest is deleted, a5 stays protected
    del data["accounts"]["a2"], data["accounts"]["a5"]
    (tmp_path / "mailconf.yaml").write_text(yaml.safe_dump(data))
    plan = _mailconf(tmp_path, "plan")
    assert plan.returncode == 1 and "- account/a2" in plan.stdout and "account/a5 is protected" in plan.stdout
    with sqlite3.connect(tmp_path / ".mailconf" / "state.db") as db:
        assert db.execute("SELECT count(*) FROM pending").fetchone() == (0,)
