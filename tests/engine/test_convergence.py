"""Convergence: for any desired and live state, apply makes live equal desired; and a killed apply
is finished by the next one with nothing lost."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

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
        for plan in engine.plan().targets:
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


def test_killed_apply_is_finished_by_the_next_run(tmp_path: Path) -> None:
    data = {
        "version": 1,
        "targets": {"embedded": {"driver": "sqlite", "settings": {"path": "live.db"}}},
        "accounts": {f"a{i}": account(f"a{i}@acme.example") for i in range(3000)},
        "primary_sender": "a0",
        "employees": {f"E{i}": {"name": f"Person {i}", "mailbox": f"a{i}"} for i in range(1, 3000)},
    }
    data["accounts"]["a0"].update(default_outgoing=True, default_incoming=True)
    (tmp_path / "mailconf.yaml").write_text(yaml.safe_dump(data))
    env = {**os.environ, "MC_TEST_PASSWORD": SECRET}
    command = [sys.executable, "-m", "mailconf", "apply", str(tmp_path), "--auto-approve", "--concurrency", "1"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)
    assert proc.stdout is not None
    done = 0
    for line in proc.stdout:  # wait until the apply is well under way, then kill it mid-flight
        done += line.endswith("created\n")
        if done >= 1200:
            break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    time.sleep(0.1)
    rerun = subprocess.run(command, capture_output=True, text=True, env=env)
    assert rerun.returncode == 0, rerun.stdout[-2000:] + rerun.stderr
    assert "0 failed" in rerun.stdout and "created" in rerun.stdout
    replan = subprocess.run([sys.executable, "-m", "mailconf", "plan", str(tmp_path), "--detailed-exitcode"], capture_output=True, text=True, env=env)
    assert replan.returncode == 0, replan.stdout[-2000:]
    live, desired = _live_and_desired(tmp_path)
    assert live == desired and len(live) == 6000
