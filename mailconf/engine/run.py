"""Applying a plan in one call: the rules of `mailconf apply`, for a library user or a fleet runner too.

In order: the plan is reviewed (and, when it is a saved plan, checked against the one saved: any
moved fingerprint refuses it); `show` sees the review; a blocked plan (a protected resource no
longer declared, a threshold without `force`) stops there; a plan with changes that was not saved
needs `confirm` to say yes (a saved plan was reviewed when it was saved); then each target is
applied in turn, every result going to `report` as it completes. Nothing is printed here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING

from mailconf.driver import ChangeResult
from mailconf.engine import savedplan
from mailconf.engine.apply import DEFAULT_CONCURRENCY, Reporter, apply_target
from mailconf.engine.plan import Plan
from mailconf.engine.review import Review, review

if TYPE_CHECKING:
    from mailconf.engine.workspace import Workspace


class Outcome(str, Enum):
    BLOCKED = "blocked"  #: refused: `Review.blockers` says why; nothing was changed
    CANCELLED = "cancelled"  #: `confirm` said no; nothing was changed
    APPLIED = "applied"  #: every target's changes went out: see the results


@dataclass
class ApplyOutcome:
    review: Review
    outcome: Outcome
    results: list[ChangeResult] = field(default_factory=list)

    def count(self, status: str) -> int:
        """Results with this `ChangeResult.status`: "ok", "failed" or "pending"."""
        return sum(1 for r in self.results if r.status == status)

    @property
    def failed(self) -> int:
        return self.count("failed")


def apply_plan(
    workspace: Workspace,
    plan: Plan,
    *,
    force: bool,
    confirm: Callable[[Review], bool],
    report: Reporter,
    show: Callable[[Review], None] = lambda review: None,
    concurrency: int = DEFAULT_CONCURRENCY,
    saved: savedplan.SavedPlan | None = None,
) -> ApplyOutcome:
    """Apply `plan` (made by `workspace.plan(..., lock=True)`), or refuse it; `saved`: the saved
    plan it must match. Raises StateError when a saved plan no longer matches."""
    reviewed = review(plan, workspace.state, force, saved=saved is not None)
    if saved is not None:
        savedplan.verify(saved, reviewed)
    show(reviewed)
    if reviewed.blockers:
        return ApplyOutcome(reviewed, Outcome.BLOCKED)
    if _writes(plan) and saved is None and not confirm(reviewed):
        return ApplyOutcome(reviewed, Outcome.CANCELLED)
    results: list[ChangeResult] = []
    for target_plan in plan.targets:
        results += apply_target(target_plan, workspace.target(target_plan.target).driver, workspace.state, report, concurrency)
    return ApplyOutcome(reviewed, Outcome.APPLIED, results)


def _writes(plan: Plan) -> bool:
    """Whether a change goes to a driver: steps for a person are only printed, so they need no "yes"."""
    return any(change.address not in target.manual for target in plan.targets for change in target.changes)
