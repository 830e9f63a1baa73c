"""Convergence: for any desired and live state, apply makes live equal desired; and applies killed
at any moment are finished by the next one, without --force, with nothing lost."""

from __future__ import annotations

import fcntl
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailconf.driver import Resource
from mailconf.engine.apply import apply_target
from mailconf.engine.desired import desired_resources, resolve_secrets
from mailconf.engine.workspace import Workspace
from tests.engine.conftest import SECRET, account

NAMES = st.sampled_from([f"n{i}" for i in range(8)])


@st.composite
def manifests(draw: st.DrawFn) -> dict[str, Any]:
    """A valid manifest with random accounts and resources that reference them consistently."""
    keys = sorted(draw(st.sets(NAMES, min_size=1, max_size=6)))
    accounts = {k: account(f"{k}@acme.example", display_name=draw(st.sampled_from([None, "A", "B"])), outgoing={"host": "smtp.acme.example", "port": draw(st.sampled_from([465, 587]))}) for k in keys}
    for k in keys:
        accounts[k] = {f: v for f, v in accounts[k].items() if v is not None}
    accounts[keys[0]].update(default_outgoing=True, default_incoming=True)
    employees = {f"E{e}": {"name": draw(st.sampled_from(["Ann", "Bob"])), "mailbox": k} for e, k in enumerate(draw(st.lists(st.sampled_from(keys), unique=True, max_size=3)))}
    projects = {p: {"senders": draw(st.dictionaries(st.sampled_from(["invoice", "tracking"]), st.sampled_from(keys), max_size=2))} for p in draw(st.sets(st.sampled_from(["shop", "b2b"]), max_size=2))}
    inbox_accounts = [k for k in keys if k not in {e["mailbox"] for e in employees.values()}]
    team = {}
    if inbox_accounts and draw(st.booleans()):
        team = {"help": {"account": inbox_accounts[0], "members": draw(st.lists(st.sampled_from(sorted(employees) or ["E0"]), unique=True, max_size=2)) if employees else []}}
    return {
        "version": 1,
        "targets": {"embedded": {"driver": "sqlite", "settings": {"path": "live.db"}, "delete_threshold": 100, "update_threshold": 100}},
        "accounts": accounts,
        "primary_sender": draw(st.sampled_from(keys)),
        "projects": projects,
        "employees": employees,
        "team_inboxes": team,
    }


def _apply(root: Path) -> None:
    engine = Workspace(root)
    try:
        for plan in engine.plan(lock=True).targets:
            results = apply_target(plan, engine.target(plan.target).driver, engine.state, lambda r: None)
            assert all(r.ok for r in results), [r.message for r in results if not r.ok]
    finally:
        engine.close()


def _live_and_desired(root: Path) -> tuple[dict[str, Resource], dict[str, Any]]:
    engine = Workspace(root)
    try:
        target = engine.target("embedded")
        live = {r.address: r.fields for r in target.driver.read(target.kinds)}
        desired = {r.address: {k: v for k, v in r.fields.items() if k != "password"} for r in desired_resources(engine.manifest, resolve_secrets(engine.source, engine.manifest), target.kinds)}
        return live, desired  # type: ignore[return-value]
    finally:
        engine.close()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=manifests(), second=manifests())
def test_apply_makes_live_equal_desired_and_a_second_plan_is_empty(first: dict[str, Any], second: dict[str, Any], tmp_path_factory: Any) -> None:
    os.environ["MC_TEST_PASSWORD"] = SECRET
    root = tmp_path_factory.mktemp("prop")
    manifest = root / "mailconf.yaml"
    manifest.write_text(yaml.safe_dump(first))
    _apply(root)  # the live state: whatever the first manifest made
    manifest.write_text(yaml.safe_dump(second))
    _apply(root)
    live, desired = _live_and_desired(root)
    assert live == desired
    engine = Workspace(root)
    try:
        assert not engine.plan().has_changes
    finally:
        engine.close()


ROTATED = "rotated-Secret-value-3"


def _state_rows(root: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(root / ".mailconf" / "state.db") as db:
        return db.execute(sql).fetchall()


def _kill_at_random(command: list[str], rng: random.Random, kills: int, context: str) -> int:
    """Run `command` `kills` times, each SIGKILLed at a random moment; how many died mid-run.
    Every run that was not killed must have succeeded: no refusal, no failed change."""
    killed = 0
    for kill in range(kills):
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert proc.stdout is not None
        fcntl.fcntl(proc.stdout, fcntl.F_SETPIPE_SZ, 4096)  # a reported change was made at most ~150 changes ago
        if kill % 4 == 0:  # somewhere in start-up, opening the state, taking the lock, planning
            time.sleep(rng.uniform(0, 0.9))
        else:  # somewhere while changes are applied: after a random number of them was reported
            reported, wanted = 0, rng.randrange(1, 400)
            for line in proc.stdout:
                reported += line.endswith(("created\n", "updated\n", "deleted\n")) and not line.startswith(" ")
                if reported == wanted:
                    time.sleep(rng.uniform(0, 0.02))
                    break
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            killed += 1
        _, err = proc.communicate()
        assert proc.returncode in (0, -signal.SIGKILL), f"{context}, kill {kill}: {err}"
    return killed


def _converged(root: Path, command: list[str], context: str) -> tuple[dict[str, Any], set[str]]:
    """One more run without --force, then an empty plan; the live resources and what the state manages."""
    rerun = subprocess.run(command, capture_output=True, text=True)
    assert rerun.returncode == 0, f"{context}: " + rerun.stdout[-2000:] + rerun.stderr
    replan = subprocess.run([sys.executable, "-m", "mailconf", "plan", str(root), "--detailed-exitcode"], capture_output=True, text=True)
    assert replan.returncode == 0, f"{context}: " + replan.stdout[-2000:]
    assert _state_rows(root, "SELECT count(*) FROM pending") == [(0,)]
    live, desired = _live_and_desired(root)
    assert live == desired, context
    return live, {a for (a,) in _state_rows(root, "SELECT address FROM managed")}


def test_applies_killed_at_random_moments_converge_without_force(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """20 real applies SIGKILLed at random moments, none with --force: 12 over 2400 creates with
    thresholds at 0% (any update that is not a recovery would be refused), 8 over 1600 password
    rotations and deletes; after each series, one more run converges with nothing lost."""
    data = {
        "version": 1,
        "targets": {"embedded": {"driver": "sqlite", "settings": {"path": "live.db"}, "update_threshold": 0, "delete_threshold": 0}},
        "accounts": {f"a{i}": account(f"a{i}@acme.example") for i in range(1200)},
        "primary_sender": "a0",
        "employees": {f"E{i}": {"name": f"Person {i}", "mailbox": f"a{i}"} for i in range(1, 1200)},
    }
    data["accounts"]["a0"].update(default_outgoing=True, default_incoming=True)
    (tmp_path / "mailconf.yaml").write_text(yaml.safe_dump(data))
    command = [sys.executable, "-m", "mailconf", "apply", str(tmp_path), "--auto-approve"]
    seed = random.randrange(2**32)
    rng = random.Random(seed)

    monkeypatch.setenv("MC_TEST_PASSWORD", SECRET)
    killed = _kill_at_random(command, rng, 12, f"creates, seed {seed}")
    live, managed = _converged(tmp_path, command, f"creates, seed {seed}")
    lost = len(data["accounts"]) + len(data["employees"]) + 1 - len(live.keys() & managed)

    data["targets"]["embedded"].update(update_threshold=100, delete_threshold=100)
    data["employees"] = {k: v for k, v in data["employees"].items() if int(k[1:]) < 800}
    (tmp_path / "mailconf.yaml").write_text(yaml.safe_dump(data))
    monkeypatch.setenv("MC_TEST_PASSWORD", ROTATED)
    killed += _kill_at_random(command, rng, 8, f"rotations and deletes, seed {seed}")
    live, managed = _converged(tmp_path, command, f"rotations and deletes, seed {seed}")
    lost += len(data["accounts"]) + len(data["employees"]) + 1 - len(live.keys() & managed)
    print(f"kills tried 20, landed mid-run {killed}, converged without --force, resources lost {lost} (seed {seed})")
    assert lost == 0 and live.keys() == managed and len(live) == 2000
    with sqlite3.connect(tmp_path / "live.db") as db:
        assert db.execute("SELECT password, count(*) FROM account_password GROUP BY password").fetchall() == [(ROTATED, 1200)]
