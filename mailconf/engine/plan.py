"""The plan: per target, the changes that make live equal desired, and what is kept or blocked.

Match by address; a live resource nothing declares is deleted only when mailconf manages
it (the state says it applied it) or the target says `prune: true`; otherwise it is listed
as unmanaged and kept. `protect` (remembered in the state, so removing a resource from
the manifest cannot bypass it) blocks a delete. A plan that changes or deletes more than a
target's threshold share of its resources needs --force, as octoDNS does.
"""

from __future__ import annotations

import gc
import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mailconf.driver import Action, Change, Driver, Resource
from mailconf.engine.desired import KIND_ORDER, spf_record
from mailconf.engine.diff import compare, secret_fingerprints
from mailconf.engine.state import Managed, StateStore
from mailconf.model import Target

if TYPE_CHECKING:
    from mailconf.spf.resolver import Resolver

# Below this many live resources, thresholds do not apply (a new target changes everything).
MIN_RESOURCES_FOR_THRESHOLD = 10


@dataclass
class TargetPlan:
    """The changes for one target, in apply order, and the facts a reviewer needs beside them."""

    target: str
    driver: str
    changes: list[Change]
    unmanaged: list[Resource]
    blocked: list[str]
    live_count: int
    live_fingerprint: str
    needs_force: list[str] = field(default_factory=list)
    # address -> what the state should remember after a successful apply, where it differs from the state
    managed: dict[str, Managed] = field(default_factory=dict)

    def count(self, action: Action) -> int:
        return sum(1 for c in self.changes if c.action is action)


@dataclass
class Plan:
    manifest: str
    manifest_fingerprint: str
    secrets_fingerprint: str
    targets: list[TargetPlan]

    @property
    def has_changes(self) -> bool:
        return any(t.changes for t in self.targets)

    @property
    def blocked(self) -> list[str]:
        return [reason for t in self.targets for reason in t.blocked]

    @property
    def needs_force(self) -> list[str]:
        return [reason for t in self.targets for reason in t.needs_force]


def live_fingerprint(live: Iterable[Resource]) -> str:
    """A digest of everything read from a target: a saved plan is applied only if it is unchanged.
    `repr` of the plain field values is deterministic for a driver and far cheaper than JSON."""
    digest = hashlib.sha256()
    for resource in sorted(live, key=lambda r: (r.kind, r.key)):
        digest.update(repr((resource.kind, resource.key, resource.fields)).encode() + b"\n")
    return digest.hexdigest()


def _order(change: Change) -> tuple[int, int, str]:
    rank = KIND_ORDER.index(change.kind) if change.kind in KIND_ORDER else len(KIND_ORDER)
    if change.action is Action.DELETE:
        return (1, -rank, change.key)
    return (0, rank, change.key)


def plan_target(
    name: str,
    target: Target,
    driver: Driver,
    kinds: frozenset[str],
    desired: Iterable[Resource],
    state: StateStore,
    resolver: Callable[[], Resolver],
) -> TargetPlan:
    """Read the target and diff it against `desired` (already narrowed to `kinds`).
    `resolver` gives DNS access, only asked for when an SPF record is flattened."""
    live = driver.read(kinds)
    gc.freeze()  # the live state lives to the end of the run: keep the collector from rescanning it
    live_by_address = {r.address: r for r in live}
    applied = state.managed(name)
    changes: list[Change] = []
    remember: dict[str, Managed] = {}
    for wanted in desired:
        current = live_by_address.pop(wanted.address, None)
        if wanted.kind == "spf":
            wanted = spf_record(wanted, current, resolver)
        write_only = driver.write_only.get(wanted.kind, frozenset())
        prints = secret_fingerprints(wanted.fields, write_only, state.fingerprint)
        before = applied.get(wanted.address)
        managed = Managed(wanted.protect, prints)
        if managed != before:
            remember[wanted.address] = managed
        if current is None:
            changes.append(Change(Action.CREATE, wanted.kind, wanted.key, wanted, None))
            continue
        diffs = compare(wanted, current, write_only, prints, before.fingerprints if before else {})
        if diffs:
            changes.append(Change(Action.UPDATE, wanted.kind, wanted.key, wanted, current, diffs))
    unmanaged, blocked = [], []
    for address, current in sorted(live_by_address.items()):
        before = applied.get(address)
        if before is None and not target.prune:
            unmanaged.append(current)
        elif before is not None and before.protect:
            blocked.append(
                f"{name}: {address} is protected and no longer declared: declare it again with protect: false and apply before removing it"
            )
        else:
            changes.append(Change(Action.DELETE, current.kind, current.key, None, current))
    changes.sort(key=_order)
    plan = TargetPlan(name, target.driver, changes, unmanaged, blocked, len(live), live_fingerprint(live), managed=remember)
    plan.needs_force = _thresholds(plan, target)
    return plan


def _thresholds(plan: TargetPlan, target: Target) -> list[str]:
    if plan.live_count < MIN_RESOURCES_FOR_THRESHOLD:
        return []
    reasons = []
    for action, limit in ((Action.UPDATE, target.update_threshold), (Action.DELETE, target.delete_threshold)):
        share = 100.0 * plan.count(action) / plan.live_count
        if share > limit:
            reasons.append(
                f"{plan.target}: {plan.count(action)} of {plan.live_count} resources ({share:.0f}%) would be {action.value}d, "
                f"over the {limit:g}% threshold: review the plan and pass --force"
            )
    return reasons

