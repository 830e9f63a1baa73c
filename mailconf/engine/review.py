"""What a reviewer needs beside a plan's changes, so that its output never misleads.

- `protect` flags that change: they live in the state, not on the target, so a resource whose
  fields are unchanged still shows when it becomes (un)protected.
- Possible renames: a new key is a delete and a create; when both are of the same kind and
  carry the same (or nearly the same) fields, the plan says it may be a rename.
- What blocks the plan: protected resources no longer declared, and thresholds without --force.
- The state each target was planned against, so a saved plan names what moved.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from mailconf.driver import Action, Change
from mailconf.engine.plan import Plan, TargetPlan
from mailconf.engine.state import Managed, StateStore
from mailconf.secrets import Secret

# The field that identifies a resource of a kind better than its key does.
IDENTITY = {"account": "address", "team_inbox": "account", "employee": "mailbox"}
# A delete and a create of the same kind sharing this share of their fields may be a rename.
NEARLY_SAME = 0.75
# Comparing every delete with every create is quadratic: above this many pairs of a kind
# without an identity field, no rename is suggested.
MAX_FUZZY_PAIRS = 10_000


@dataclass
class TargetReview:
    protect: dict[str, bool] = field(default_factory=dict)  # address -> new flag (the old one is its opposite)
    renames: dict[str, str] = field(default_factory=dict)  # address -> the address it may be a rename of/to
    state_fingerprint: str | None = None  # only for saved plans: reading the whole state costs time


@dataclass
class Review:
    plan: Plan
    targets: dict[str, TargetReview]
    force: bool = False

    @property
    def blockers(self) -> list[str]:
        """Why this plan cannot be applied as it is: empty when it can."""
        return self.plan.blocked + ([] if self.force else self.plan.needs_force)

    @property
    def has_protect_changes(self) -> bool:
        return any(t.protect for t in self.targets.values())


def review(plan: Plan, state: StateStore, force: bool = False, saved: bool = False) -> Review:
    """`saved`: the plan is saved or checked against a saved one, so fingerprint the state too."""
    targets = {}
    for target_plan in plan.targets:
        # the state is read only when something may differ from it (a no-change plan skips it)
        before = state.managed(target_plan.target) if saved or target_plan.managed else {}
        targets[target_plan.target] = TargetReview(
            protect=_protect_changes(target_plan, before),
            renames=_renames(target_plan.changes),
            state_fingerprint=state_fingerprint(before) if saved else None,
        )
    return Review(plan, targets, force)


def state_fingerprint(managed: dict[str, Managed]) -> str:
    """A digest of what the state remembers for a target (another apply changes it)."""
    digest = hashlib.sha256()
    for address, entry in sorted(managed.items()):
        digest.update(repr((address, entry.protect, sorted(entry.fingerprints.items()))).encode() + b"\n")
    return digest.hexdigest()


def _protect_changes(plan: TargetPlan, before: dict[str, Managed]) -> dict[str, bool]:
    changes = {}
    for address, managed in plan.managed.items():
        old = before[address].protect if address in before else False
        if managed.protect != old:
            changes[address] = managed.protect
    return changes


def leaves(value: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """(dotted path, value) of every scalar or list in nested fields; an empty mapping is one leaf."""
    if isinstance(value, dict) and value:
        return [leaf for key, item in value.items() for leaf in leaves(item, f"{prefix}.{key}" if prefix else str(key))]
    return [(prefix, value)]


def _comparable(change: Change) -> dict[str, Any]:
    """The set fields of a create's desired or a delete's live resource (secrets cannot be compared)."""
    resource = change.desired if change.action is Action.CREATE else change.live
    assert resource is not None
    return {path: value for path, value in leaves(resource.fields) if value is not None and not isinstance(value, Secret)}


def _similarity(a: dict[str, Any], b: dict[str, Any]) -> float:
    paths = a.keys() | b.keys()
    return sum(1 for p in paths if a.get(p) == b.get(p)) / len(paths) if paths else 1.0


def _pairs(creates: list[Change], deletes: list[Change]) -> Iterator[tuple[Change, Change]]:
    """Candidate (create, delete) pairs of one kind, most likely first. A kind with an identity
    field pairs only on it (two accounts on the same servers are not a rename unless their
    address is the same); others pair on nearly the same fields."""
    fields = {id(c): _comparable(c) for c in creates + deletes}
    identity = IDENTITY.get(creates[0].kind)
    if identity is not None:
        by_identity: dict[Any, list[Change]] = {}
        for d in deletes:
            by_identity.setdefault(fields[id(d)].get(identity), []).append(d)
        for c in creates:
            if (value := fields[id(c)].get(identity)) is not None:
                yield from ((c, d) for d in by_identity.get(value, []))
        return
    if len(creates) * len(deletes) <= MAX_FUZZY_PAIRS:
        scored = [(_similarity(fields[id(c)], fields[id(d)]), i, j) for i, c in enumerate(creates) for j, d in enumerate(deletes)]
        for score, i, j in sorted(scored, key=lambda s: -s[0]):
            if score >= NEARLY_SAME:
                yield creates[i], deletes[j]


def _renames(changes: list[Change]) -> dict[str, str]:
    """One-to-one: each create and delete is paired at most once."""
    by_kind: dict[str, tuple[list[Change], list[Change]]] = {}
    for change in changes:
        if change.action is not Action.UPDATE:
            by_kind.setdefault(change.kind, ([], []))[change.action is Action.DELETE].append(change)
    hints: dict[str, str] = {}
    for creates, deletes in by_kind.values():
        if not (creates and deletes):
            continue
        for create, delete in _pairs(creates, deletes):
            if create.address not in hints and delete.address not in hints:
                hints[create.address], hints[delete.address] = delete.address, create.address
    return hints
