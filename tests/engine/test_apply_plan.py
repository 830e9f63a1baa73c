"""`apply_plan`: the rules of `mailconf apply` in one engine call a library user can make, with
nothing printed: blocked plans refused, --force for thresholds, confirmation, every target."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from mailconf.driver import ChangeResult
from mailconf.engine.review import Review
from mailconf.engine.run import ApplyOutcome, Outcome, apply_plan
from mailconf.engine.workspace import Workspace as Engine
from tests.engine.conftest import Workspace, manifest


class Calls:
    def __init__(self, answer: bool = True) -> None:
        self.answer = answer
        self.confirmed: list[Review] = []
        self.shown: list[Review] = []
        self.reported: list[ChangeResult] = []

    def confirm(self, review: Review) -> bool:
        self.confirmed.append(review)
        return self.answer


def _apply(root: Path, calls: Calls, force: bool = False) -> ApplyOutcome:
    engine = Engine(root)
    try:
        plan = engine.plan(lock=True)
        return apply_plan(engine, plan, force=force, confirm=calls.confirm, report=calls.reported.append, show=calls.shown.append)
    finally:
        engine.close()


def _accounts(root: Path) -> int:
    if not (root / "live.db").exists():
        return 0
    with sqlite3.connect(root / "live.db") as db:
        return int(db.execute("SELECT count(*) FROM email_account").fetchone()[0])


def test_a_confirmed_plan_is_applied_and_every_result_reported(ws: Workspace) -> None:
    ws.write(manifest(accounts=3))
    calls = Calls()
    outcome = _apply(ws.root, calls)
    assert outcome.outcome is Outcome.APPLIED and outcome.failed == 0 and outcome.count("ok") == 4
    assert [r.change.address for r in calls.reported] == [r.change.address for r in outcome.results]
    assert len(calls.confirmed) == 1 and calls.shown == calls.confirmed and _accounts(ws.root) == 3


def test_a_refused_confirmation_changes_nothing(ws: Workspace) -> None:
    ws.write(manifest(accounts=3))
    calls = Calls(answer=False)
    outcome = _apply(ws.root, calls)
    assert outcome.outcome is Outcome.CANCELLED and not outcome.results and not calls.reported
    assert _accounts(ws.root) == 0


def test_a_plan_without_changes_asks_nothing(ws: Workspace) -> None:
    ws.write(manifest(accounts=3))
    _apply(ws.root, Calls())
    calls = Calls(answer=False)
    outcome = _apply(ws.root, calls)
    assert outcome.outcome is Outcome.APPLIED and not calls.confirmed and len(calls.shown) == 1


@pytest.mark.parametrize(
    "block",
    [
        lambda data: data["accounts"].pop("a2"),  # a protected account no longer declared
        lambda data: [data["accounts"].pop(f"a{i}") for i in range(3, 12)],  # deletes over the threshold
    ],
    ids=["protected", "threshold"],
)
def test_a_blocked_plan_is_refused_before_anyone_is_asked(ws: Workspace, block: Callable[[dict], object]) -> None:  # type: ignore[type-arg]
    data = manifest(accounts=12)
    data["accounts"]["a2"]["protect"] = True
    data["targets"]["embedded"]["prune"] = True
    ws.write(data)
    _apply(ws.root, Calls())
    block(data)
    ws.write(data)
    calls = Calls()
    outcome = _apply(ws.root, calls)
    assert outcome.outcome is Outcome.BLOCKED and outcome.review.blockers and not calls.confirmed and not outcome.results
    assert len(calls.shown) == 1 and _accounts(ws.root) == 12


def test_force_lets_a_plan_over_the_threshold_through_but_not_a_protected_delete(ws: Workspace) -> None:
    data = manifest(accounts=12)
    data["accounts"]["a2"]["protect"] = True
    ws.write(data)
    _apply(ws.root, Calls())
    for i in range(3, 12):
        del data["accounts"][f"a{i}"]
    ws.write(data)
    assert _apply(ws.root, Calls(), force=True).outcome is Outcome.APPLIED and _accounts(ws.root) == 3
    del data["accounts"]["a2"]
    ws.write(data)
    assert _apply(ws.root, Calls(), force=True).outcome is Outcome.BLOCKED and _accounts(ws.root) == 3
