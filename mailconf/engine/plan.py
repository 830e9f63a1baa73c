"""The plan: per target, the changes that make live equal desired, and what is kept or blocked.

Match by address; a live resource nothing declares is deleted only when mailconf manages
it (the state says it applied it) or the target says `prune: true`; otherwise it is listed
as unmanaged and kept. `protect` (remembered in the state, so removing a resource from
the manifest cannot bypass it) blocks a delete. A plan that changes or deletes more than a
target's threshold share of its resources needs --force, as octoDNS does.

The state is reconciled with what the target holds: a managed resource found gone is
forgotten (re-created if still declared), so it never claims a resource someone later
creates under its name. A change left pending by a run that died may have happened: if the
live resource now matches what is declared, it did, except that its secrets cannot be read
back, so each secret that change was writing is written once more (a recovery, which does
not count against the thresholds).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mailconf.driver import Action, Change, Driver, FieldChange, Resource
from mailconf.engine.diff import CHANGED, SENSITIVE, compare, readable, secret_fingerprints
from mailconf.engine.manual import ByHand, Pending, readable as readable_kinds
from mailconf.engine.state import Managed, StateStore
from mailconf.kinds import KINDS, order
from mailconf.kinds.base import FinishContext, canonical
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
    # managed resources gone from the target and no longer declared: the state forgets them
    forget: list[str] = field(default_factory=list)
    # updates that only re-write secrets a killed run may or may not have written
    recoveries: set[str] = field(default_factory=set)
    # pending entries of a killed run this plan took into account: settled by the apply
    pending: list[str] = field(default_factory=list)
    # address -> the step of each change a person makes (`read` and `manual` kinds: engine/manual.py)
    manual: dict[str, Pending] = field(default_factory=dict)
    # kind -> desired fields the target has no place for, set in the manifest (dropped before the diff)
    ignored: dict[str, list[str]] = field(default_factory=dict)

    def count(self, action: Action) -> int:
        return sum(1 for c in self.changes if c.action is action)

    def risky(self, action: Action) -> int:
        """Changes of this action the thresholds count: recoveries finish an earlier apply, and a person reviews each manual step."""
        return sum(1 for c in self.changes if c.action is action and c.address not in self.recoveries and c.address not in self.manual)


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
    Each kind's canonical form makes it independent of the order an API returns resources,
    mappings and unordered lists in."""
    digest = hashlib.sha256()
    for resource in sorted(live, key=lambda r: (r.kind, r.key)):
        spec = KINDS.get(resource.kind)
        text = spec.canonical(resource.fields) if spec else canonical(resource.fields)
        digest.update(f"{resource.address}\0{text}\n".encode())
    return digest.hexdigest()


def _order(change: Change) -> tuple[int, int, str]:
    kinds = order()
    rank = kinds.index(change.kind) if change.kind in kinds else len(kinds)
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
    `resolver` gives DNS access to the kinds' `finish` hooks, only asked for when one needs it."""
    by_hand = ByHand(name, driver, state)
    live = driver.read(readable_kinds(driver, kinds))
    finishing = FinishContext(resolver)
    live_by_address = {r.address: r for r in live}
    applied = state.managed(name)
    pending = state.pending(name)
    changes: list[Change] = []
    remember: dict[str, Managed] = {}
    recoveries: set[str] = set()
    declared: set[str] = set()
    for wanted in desired:
        declared.add(wanted.address)
        current = live_by_address.pop(wanted.address, None)
        finish = KINDS[wanted.kind].finish
        if finish is not None:
            wanted = finish(wanted, current, finishing)
        wanted = by_hand.narrow(wanted)
        if by_hand.take(wanted):
            continue
        write_only = driver.write_only.get(wanted.kind, frozenset())
        prints = secret_fingerprints(wanted.fields, write_only, state.fingerprint)
        before = applied.get(wanted.address)
        managed = Managed(wanted.protect, prints)
        if managed != before:
            remember[wanted.address] = managed
        if current is None:
            changes.append(Change(Action.CREATE, wanted.kind, wanted.key, wanted, None))
            continue
        unsure: list[FieldChange] = []
        intent = pending.get(wanted.address)
        if intent is not None and readable(wanted.fields, write_only) == readable(current.fields, write_only):
            unsure = _unconfirmed_secrets(intent, before, prints)
            before = intent  # the killed run's change happened: its fingerprints are as good as applied
        diffs = compare(wanted, current, write_only, prints, before.fingerprints if before else {})
        redo = tuple(u for u in unsure if u.path not in {d.path for d in diffs})
        if diffs or redo:
            changes.append(Change(Action.UPDATE, wanted.kind, wanted.key, wanted, current, diffs + redo))
            if not diffs:
                recoveries.add(wanted.address)
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
    forget = sorted(a for a in applied if a not in declared and a not in live_by_address and a.partition("/")[0] in kinds)
    changes += by_hand.changes(kinds)
    changes.sort(key=_order)
    plan = TargetPlan(
        name, target.driver, changes, unmanaged, blocked, len(live), live_fingerprint(live),
        managed=remember, forget=forget, recoveries=recoveries, pending=sorted(pending),
        manual=by_hand.pending(changes), ignored=by_hand.ignored,
    )  # fmt: skip
    plan.needs_force = _thresholds(plan, target)
    return plan


def _unconfirmed_secrets(intent: Managed, before: Managed | None, prints: dict[str, str]) -> list[FieldChange]:
    """The secrets a killed run was writing and may not have: those it changed that are still declared."""
    old = before.fingerprints if before else {}
    return [
        FieldChange(name, SENSITIVE, CHANGED, sensitive=True)
        for name, digest in sorted(intent.fingerprints.items())
        if digest != old.get(name) and prints.get(name) == digest
    ]


def _thresholds(plan: TargetPlan, target: Target) -> list[str]:
    if plan.live_count < MIN_RESOURCES_FOR_THRESHOLD:
        return []
    reasons = []
    for action, limit in ((Action.UPDATE, target.update_threshold), (Action.DELETE, target.delete_threshold)):
        share = 100.0 * plan.risky(action) / plan.live_count
        if share > limit:
            reasons.append(
                f"{plan.target}: {plan.risky(action)} of {plan.live_count} resources ({share:.0f}%) would be {action.value}d, "
                f"over the {limit:g}% threshold: review the plan and pass --force"
            )
    return reasons

