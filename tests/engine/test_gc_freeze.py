"""gc.freeze pins whatever garbage exists when it runs: a process that plans many times (a fleet
runner, a test suite) must freeze once, not once per plan, target or workspace."""

from __future__ import annotations

import gc

import pytest

from mailconf.engine import workspace
from tests.engine.conftest import Workspace, manifest


def test_freeze_runs_once_per_process_however_many_plans_and_applies(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[None] = []
    monkeypatch.setattr(workspace, "_frozen", False)  # as in a fresh process
    monkeypatch.setattr(gc, "freeze", lambda: calls.append(None))
    data = manifest(accounts=3)
    data["targets"]["second"] = {"driver": "sqlite", "settings": {"path": "second.db"}}
    ws.write(data)
    for argv in (("plan",), ("apply", "--auto-approve"), ("plan",), ("apply", "--auto-approve")):
        assert ws.cli(*argv)[0] == 0
    assert len(calls) == 1
