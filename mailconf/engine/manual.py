"""Changes a person makes: capabilities per kind, the fields a target holds, confirmations.

A driver declares per kind what software can do with it (`Capability`):
- `write` kinds are read, diffed and applied as always;
- `read` kinds are read and diffed, but each change becomes the driver's `ManualStep` and never
  goes to `Driver.apply`; the next plan reads the system again and sees whether the person did
  it, so nothing is confirmed;
- `manual` kinds are never read: the desired resource is compared with what a person last
  confirmed (`mailconf confirm`), through a fingerprint of its desired values (secrets by their
  HMAC, so the state holds no secret). Confirmed and unchanged: nothing to do; never confirmed:
  a create step; confirmed with other values: an update step showing the desired values (the
  live ones are unknown); confirmed and no longer declared: a delete step.

A desired field the target has no place for (`Driver.fields`) is dropped before the diff, so
it never shows as a change forever; the plan says once per target which ones the manifest sets.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from mailconf.driver import Action, Capability, Change, ChangeResult, Driver, Fields, ManualStep, Resource
from mailconf.errors import UsageError
from mailconf.secrets import Secret

if TYPE_CHECKING:
    from mailconf.engine.plan import TargetPlan
    from mailconf.engine.state import StateStore


@dataclass(frozen=True)
class Pending:
    """A change a person makes: what software can do with its kind, the driver's step and, for a
    `manual` kind, the fingerprint `confirm` records (None for a removal: it forgets the address)."""

    capability: Capability
    step: ManualStep
    fingerprint: str | None = None


def fingerprint(fields: Fields, hmac: Callable[[str], str]) -> str:
    """A digest of desired values, independent of key order; each secret enters as its keyed HMAC."""

    def plain(value: Any) -> Any:
        if isinstance(value, Secret):
            return hmac(value.reveal())
        if isinstance(value, dict):
            return {str(k): plain(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [plain(v) for v in value]
        return value

    canonical = json.dumps(plain(fields), sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


def readable(driver: Driver, kinds: Collection[str]) -> frozenset[str]:
    """The kinds a driver is asked to read (plan, import): never a `manual` one."""
    return frozenset(k for k in kinds if driver.capability(k) is not Capability.MANUAL)


def _is_default(value: Any) -> bool:
    """Unset, or set to what leaving it out means: not worth saying the target ignores it."""
    return value is None or value is False or value in ("", [], {})


class ByHand:
    """One target's plan, seen from what a person does: fields the target ignores, the resources
    of `manual` kinds (compared with confirmations), and the step of every change software cannot make."""

    def __init__(self, target: str, driver: Driver, state: StateStore) -> None:
        self.target, self.driver, self.state = target, driver, state
        self.ignored: dict[str, list[str]] = {}
        self._declared: dict[str, Resource] = {}
        self._prints: dict[str, str] = {}

    def narrow(self, resource: Resource) -> Resource:
        """`resource` (finished) without the fields the target has no place for; those the manifest
        sets are recorded in `ignored`."""
        held = self.driver.fields.get(resource.kind)
        if held is None or resource.fields.keys() <= held:
            return resource
        dropped = [name for name, value in resource.fields.items() if name not in held and not _is_default(value)]
        known = self.ignored.get(resource.kind, [])
        if not set(dropped) <= set(known):
            self.ignored[resource.kind] = sorted(set(known).union(dropped))
        return replace(resource, fields={k: v for k, v in resource.fields.items() if k in held})

    def take(self, resource: Resource) -> bool:
        """Keep a desired resource of a `manual` kind for `changes` (True); others are diffed as usual."""
        if self.driver.capability(resource.kind) is not Capability.MANUAL:
            return False
        self._declared[resource.address] = resource
        return True

    def changes(self, kinds: Collection[str]) -> list[Change]:
        """The changes of `manual` kinds: each declared resource against its confirmation, and a
        removal for each confirmed one no longer declared."""
        manual = {k for k in kinds if self.driver.capability(k) is Capability.MANUAL}
        if not manual:
            return []
        confirmed = self.state.confirmations(self.target)
        changes = []
        for address, resource in self._declared.items():
            self._prints[address] = digest = fingerprint(resource.fields, self.state.fingerprint)
            before = confirmed.get(address)
            if before is None:
                changes.append(Change(Action.CREATE, resource.kind, resource.key, resource, None))
            elif before.fingerprint != digest:
                changes.append(Change(Action.UPDATE, resource.kind, resource.key, resource, None))
        for address in sorted(confirmed.keys() - self._declared.keys()):
            kind, _, key = address.partition("/")
            if kind in manual:  # the live side is unknown: all a removal knows is the address
                changes.append(Change(Action.DELETE, kind, key, None, Resource(kind, key, {})))
        return changes

    def pending(self, changes: Iterable[Change]) -> dict[str, Pending]:
        """Address -> the step of each change of a `read` or `manual` kind."""
        steps = {}
        for change in changes:
            capability = self.driver.capability(change.kind)
            if capability is not Capability.WRITE:
                digest = self._prints.get(change.address) if change.action is not Action.DELETE else None
                steps[change.address] = Pending(capability, self.driver.manual_steps(change), digest)
        return steps


def pending_results(plan: TargetPlan) -> list[ChangeResult]:
    """What apply reports for the changes a person makes: pending, never failed, never given to the driver."""
    return [ChangeResult(c, False, step=plan.manual[c.address].step) for c in plan.changes if c.address in plan.manual]


def automatic(plan: TargetPlan) -> list[Change]:
    """The changes software makes, in the plan's order."""
    return [c for c in plan.changes if c.address not in plan.manual]


@dataclass
class Confirmable:
    """The steps `confirm` would record for a target, and the `read` ones it leaves to the next plan."""

    steps: list[tuple[Change, Pending]] = field(default_factory=list)
    read: list[str] = field(default_factory=list)


def confirmable(plan: TargetPlan, addresses: Sequence[str] = ()) -> Confirmable:
    """The pending manual steps of `plan`, all of them or those of `addresses`. UsageError for a named
    address with no pending step, or whose kind the next plan checks by reading."""
    found = Confirmable()
    by_address = {c.address: c for c in plan.changes}
    for address in addresses:
        pending = plan.manual.get(address)
        if pending is None:
            raise UsageError(f"target {plan.target}: {address} has no pending manual step (plan shows what is pending)")
        if pending.capability is Capability.READ:
            raise UsageError(
                f"target {plan.target}: {address} needs no confirmation: its system can be read, so the next plan checks whether it was done"
            )
    for address, pending in plan.manual.items():
        if addresses and address not in addresses:
            continue
        if pending.capability is Capability.READ:
            found.read.append(address)
        else:
            found.steps.append((by_address[address], pending))
    return found


def confirm(state: StateStore, target: str, steps: Iterable[tuple[Change, Pending]], who: str) -> None:
    """Record that `who` carried out these steps: the next plan treats them as done until the desired values change."""
    state.confirm(target, [(change.address, pending.fingerprint) for change, pending in steps], who)
