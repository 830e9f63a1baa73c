"""Capabilities in the engine: `read` kinds become steps the next plan checks by reading, `manual`
kinds are never read and are compared with confirmations, fields a target has no place for are
dropped. Driven through `plan_target`/`apply_target` with a driver that records what it is given."""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Sequence
from pathlib import Path

import pytest

from mailconf.driver import Action, Capability, Change, ChangeResult, Driver, DriverContext, DriverSettings, ManualStep, Resource
from mailconf.engine.apply import apply_target
from mailconf.engine.manual import confirm, confirmable, fingerprint
from mailconf.engine.plan import TargetPlan, plan_target
from mailconf.engine.state import SCHEMA_VERSION, SqliteStateStore, lock_holder
from mailconf.errors import UsageError
from mailconf.model import Target
from mailconf.secrets import Secret

KINDS = frozenset({"account", "team_inbox", "employee"})


class Recording(Driver):
    """account: write; team_inbox: read (like HubSpot inboxes); employee: manual. Holds no `sender_name`."""

    kinds = KINDS
    capabilities = {"team_inbox": Capability.READ, "employee": Capability.MANUAL}
    fields = {"team_inbox": frozenset({"account", "members"})}

    def __init__(self) -> None:
        super().__init__(DriverSettings(), DriverContext(Path("."), "t"))
        self.live: dict[str, Resource] = {}
        self.read_kinds: list[frozenset[str]] = []
        self.applied: list[str] = []

    def read(self, kinds: Collection[str]) -> list[Resource]:
        self.read_kinds.append(frozenset(kinds))
        return [r for r in self.live.values() if r.kind in kinds]

    def apply(self, changes: Sequence[Change]) -> list[ChangeResult]:
        for change in changes:
            self.applied.append(change.address)
            if change.desired is not None:
                self.live[change.address] = change.desired
        return [ChangeResult(c, True) for c in changes]

    def manual_steps(self, change: Change) -> ManualStep:
        return ManualStep(f"{change.action.value} {change.address}", (f"Do {change.key}.",), "checked")


def _desired(inbox_members: list[str], employee_name: str = "Ann", sender_name: str | None = "Help desk") -> list[Resource]:
    return [
        Resource("account", "a1", {"address": "a1@acme.example"}),
        Resource("team_inbox", "help", {"account": "a1", "members": inbox_members, "sender_name": sender_name}),
        Resource("employee", "E1", {"name": employee_name, "mailbox": "a1"}),
    ]


@pytest.fixture
def state(tmp_path: Path) -> SqliteStateStore:
    store = SqliteStateStore(tmp_path / "state.db")
    store.acquire("t", lock_holder())
    return store


def _plan(driver: Recording, state: SqliteStateStore, desired: list[Resource], target: Target | None = None) -> TargetPlan:
    return plan_target("t", target or Target(driver="recording"), driver, KINDS, desired, state, lambda: None)  # type: ignore[arg-type,return-value]


def _apply(plan: TargetPlan, driver: Recording, state: SqliteStateStore) -> list[ChangeResult]:
    return apply_target(plan, driver, state, lambda result: None)


def test_read_kinds_become_pending_steps_that_the_next_plan_checks_by_reading(state: SqliteStateStore) -> None:
    driver = Recording()
    plan = _plan(driver, state, _desired(["E1"]))
    assert plan.manual["team_inbox/help"].capability is Capability.READ
    assert plan.manual["team_inbox/help"].step.title == "create team_inbox/help"
    results = {r.change.address: r.status for r in _apply(plan, driver, state)}
    assert results == {"account/a1": "ok", "team_inbox/help": "pending", "employee/E1": "pending"}
    assert driver.applied == ["account/a1"]  # never a step's change
    # a person creates the inbox by hand: the next plan reads it, no confirmation asked
    driver.live["team_inbox/help"] = Resource("team_inbox", "help", {"account": "a1", "members": ["E1"]})
    again = _plan(driver, state, _desired(["E1"]))
    assert [c.address for c in again.changes] == ["employee/E1"]
    driver.live["team_inbox/help"] = Resource("team_inbox", "help", {"account": "a1", "members": []})  # done wrongly
    assert [c.address for c in _plan(driver, state, _desired(["E1"])).changes] == ["employee/E1", "team_inbox/help"]


def test_manual_kinds_are_never_read_and_follow_confirmations(state: SqliteStateStore) -> None:
    driver = Recording()
    plan = _plan(driver, state, _desired(["E1"]))
    assert all("employee" not in kinds for kinds in driver.read_kinds)
    [change] = [c for c in plan.changes if c.kind == "employee"]
    assert (change.action, plan.manual[change.address].capability) == (Action.CREATE, Capability.MANUAL)
    confirm(state, "t", confirmable(plan, ["employee/E1"]).steps, "Ann")
    assert state.confirmations("t")["employee/E1"].who == "Ann"
    assert "employee/E1" not in {c.address for c in _plan(driver, state, _desired(["E1"])).changes}
    updated = _plan(driver, state, _desired(["E1"], employee_name="Ann B."))
    [change] = [c for c in updated.changes if c.kind == "employee"]
    assert change.action is Action.UPDATE and change.live is None  # the live values are never known
    removed = _plan(driver, state, _desired(["E1"])[:2])
    [change] = [c for c in removed.changes if c.kind == "employee"]
    assert change.action is Action.DELETE and removed.manual[change.address].fingerprint is None
    confirm(state, "t", confirmable(removed).steps, "Ann")
    assert "employee/E1" not in state.confirmations("t")


@pytest.mark.parametrize("addresses", [["team_inbox/help"], ["employee/E1", "team_inbox/help"]])
def test_confirming_a_read_kind_is_refused(state: SqliteStateStore, addresses: list[str]) -> None:
    plan = _plan(Recording(), state, _desired(["E1"]))
    with pytest.raises(UsageError, match="team_inbox/help needs no confirmation: .* the next plan checks"):
        confirmable(plan, addresses)
    found = confirmable(plan)  # all: the read kind is left to the next plan
    assert [c.address for c, _ in found.steps] == ["employee/E1"] and found.read == ["team_inbox/help"]


@pytest.mark.parametrize("sender_name, ignored", [("Help desk", {"team_inbox": ["sender_name"]}), (None, {}), ("", {})])
def test_fields_the_target_has_no_place_for_are_dropped_and_named_once(state: SqliteStateStore, sender_name: str | None, ignored: dict[str, list[str]]) -> None:
    driver = Recording()
    driver.live["team_inbox/help"] = Resource("team_inbox", "help", {"account": "a1", "members": ["E1"]})
    plan = _plan(driver, state, _desired(["E1"], sender_name=sender_name))
    assert "team_inbox/help" not in {c.address for c in plan.changes}  # no change forever
    assert plan.ignored == ignored


def test_steps_do_not_count_toward_the_thresholds(state: SqliteStateStore) -> None:
    driver = Recording()
    inboxes = [Resource("team_inbox", f"i{n}", {"account": "a1", "members": []}) for n in range(12)]
    driver.live = {r.address: r for r in inboxes}
    wanted = [Resource("team_inbox", r.key, {"account": "a1", "members": ["E1"]}) for r in inboxes]
    plan = _plan(driver, state, wanted, Target(driver="recording", update_threshold=10))
    assert plan.count(Action.UPDATE) == 12 and plan.needs_force == []


def test_the_fingerprint_ignores_key_order_and_follows_secrets_by_hmac(state: SqliteStateStore) -> None:
    one = fingerprint({"a": 1, "b": {"x": Secret("pw-one-value"), "y": [1, 2]}}, state.fingerprint)
    assert one == fingerprint({"b": {"y": [1, 2], "x": Secret("pw-one-value")}, "a": 1}, state.fingerprint)
    assert one != fingerprint({"a": 1, "b": {"x": Secret("pw-two-value"), "y": [1, 2]}}, state.fingerprint)
    assert one != fingerprint({"a": 1, "b": {"x": Secret("pw-one-value"), "y": [2, 1]}}, state.fingerprint)


def test_a_version_2_state_gains_the_confirmations_table(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    SqliteStateStore(path).close()
    with sqlite3.connect(path) as db:  # what the previous version wrote
        db.execute("DROP TABLE confirmations")
        db.execute("UPDATE meta SET value = 2 WHERE name = 'schema_version'")
    store = SqliteStateStore(path)
    store.confirm("t", [("employee/E1", "sha256:x")], "Ann")
    assert store.confirmations("t")["employee/E1"].fingerprint == "sha256:x"
    store.close()
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT value FROM meta WHERE name = 'schema_version'").fetchone() == (SCHEMA_VERSION,) == (3,)
