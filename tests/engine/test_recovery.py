"""A run killed between a target's commit and the state write is finished by the next run,
without --force, and the state stays in step with the target.

The kill is a real SIGKILL of a real `mailconf apply` process, sent by a wrapper around the
sqlite driver right after the target committed a batch: the worst moment for the state."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import yaml

from tests.engine.conftest import SECRET, account

ROTATED = "rotated-Secret-value-2"

_KILLED_AFTER_COMMIT = textwrap.dedent("""
    import os, signal, sys
    from mailconf_providers.sqlite import SqliteDriver
    from mailconf.cli import main

    commit = SqliteDriver.apply
    def apply_then_die(self, changes):
        results = commit(self, changes)
        os.kill(os.getpid(), signal.SIGKILL)  # the target committed; the state never hears of it
    SqliteDriver.apply = apply_then_die
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


def _mailconf(root: Path, *argv: str, password: str = SECRET, killed: bool = False) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MC_TEST_PASSWORD": password, "NO_COLOR": "1"}
    command = [sys.executable, "-c", _KILLED_AFTER_COMMIT] if killed else [sys.executable, "-m", "mailconf"]
    return subprocess.run([*command, argv[0], str(root), *argv[1:]], capture_output=True, text=True, env=env, timeout=120)


def _passwords(root: Path) -> set[str]:
    with sqlite3.connect(root / "live.db") as db:
        return {p for (p,) in db.execute("SELECT password FROM account_password")}


def test_rotated_passwords_killed_after_commit_finish_without_force(tmp_path: Path) -> None:
    (tmp_path / "mailconf.yaml").write_text(yaml.safe_dump(_manifest(40)))
    assert _mailconf(tmp_path, "apply", "--auto-approve").returncode == 0
    # every password rotates: 40 of 41 resources change, so this apply needs --force
    killed = _mailconf(tmp_path, "apply", "--auto-approve", "--force", password=ROTATED, killed=True)
    assert killed.returncode == -9
    assert _passwords(tmp_path) == {ROTATED}  # the target has them; the state does not know
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
    assert _mailconf(tmp_path, "apply", "--auto-approve", killed=True).returncode == -9
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


def test_a_change_killed_before_it_reached_the_target_is_made_by_the_rerun(tmp_path: Path) -> None:
    (tmp_path / "mailconf.yaml").write_text(yaml.safe_dump(_manifest(3)))
    assert _mailconf(tmp_path, "apply", "--auto-approve").returncode == 0
    with sqlite3.connect(tmp_path / ".mailconf" / "state.db") as db:  # what a kill right after the write-ahead leaves
        db.execute("INSERT INTO pending SELECT target, address, protect, '{\"password\": \"hmac-sha256:00\"}' FROM managed WHERE address = 'account/a1'")
    plan = _mailconf(tmp_path, "plan")
    assert "~ account/a1" in plan.stdout and "password: (sensitive) -> (changed)" in plan.stdout
    assert _mailconf(tmp_path, "apply", "--auto-approve").returncode == 0
    assert _mailconf(tmp_path, "plan", "--detailed-exitcode").returncode == 0
