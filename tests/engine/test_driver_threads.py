"""The engine keeps the threading contract with drivers (never more concurrent `apply` calls than
`max_concurrency`), and the live-state fingerprint does not move when an API returns mappings,
unordered lists or resources in another order."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Collection, Iterator, Sequence
from pathlib import Path

import pytest

from mailconf.driver import Change, ChangeResult, Driver, DriverContext, DriverSettings, Resource
from mailconf.engine.apply import apply_target
from mailconf.engine.plan import TargetPlan, plan_target
from mailconf.engine.state import SqliteStateStore, StateStore, lock_holder
from mailconf.model import Target

KINDS = frozenset({"employee", "team_inbox", "project"})


class FakeDriver(Driver):
    """Holds `live`; reads it back reshuffled when `shuffle` is set; counts overlapping applies."""

    kinds = KINDS

    def __init__(self, tmp: Path, live: list[Resource] = [], shuffle: random.Random | None = None) -> None:  # noqa: B006 - never mutated
        super().__init__(DriverSettings(), DriverContext(tmp, "fake"))
        self.live, self.shuffle = live, shuffle
        self.lock = threading.Lock()
        self.running = self.most = self.calls = 0

    def read(self, kinds: Collection[str]) -> list[Resource]:
        if self.shuffle is None:
            return list(self.live)
        rng = self.shuffle
        found = [Resource(r.kind, r.key, _reordered(r.fields, rng)) for r in self.live]
        rng.shuffle(found)
        return found

    def apply(self, changes: Sequence[Change]) -> list[ChangeResult]:
        with self.lock:
            self.running += 1
            self.calls += 1
            self.most = max(self.most, self.running)
        time.sleep(0.005)  # widen the window in which an overlapping call would be seen
        with self.lock:
            self.running -= 1
        return [ChangeResult(c, True) for c in changes]


def _reordered(value: object, rng: random.Random) -> object:
    """The same value as an API might return it: mappings in another key order, every list shuffled."""
    if isinstance(value, dict):
        items = list(value.items())
        rng.shuffle(items)
        return {k: _reordered(v, rng) for k, v in items}
    if isinstance(value, list):
        items = [_reordered(v, rng) for v in value]
        rng.shuffle(items)
        return items
    return value


@pytest.fixture
def state(tmp_path: Path) -> Iterator[StateStore]:
    store = SqliteStateStore(tmp_path / "state.db")
    yield store
    store.close()


def _plan(driver: Driver, state: StateStore, desired: list[Resource] = []) -> TargetPlan:  # noqa: B006 - never mutated
    return plan_target("fake", Target(driver="fake"), driver, KINDS, iter(desired), state, lambda: None)  # type: ignore[arg-type, return-value]


def _team_inbox(key: str, members: list[str]) -> Resource:
    return Resource("team_inbox", key, {"account": "a", "members": members, "sender_name": None})


LIVE = [
    *(_team_inbox(f"t{i}", [f"e{j}" for j in range(i % 7)]) for i in range(20)),
    *(Resource("project", f"p{i}", {"senders": {"invoice": "a", "tracking": "b", "quote": f"c{i}"}}) for i in range(20)),
    *(Resource("employee", f"e{i}", {"name": f"E {i}", "mailbox": None}) for i in range(20)),
]


@pytest.mark.parametrize("seed", range(5))
def test_the_fingerprint_ignores_the_order_an_api_returns_sets_mappings_and_resources_in(tmp_path: Path, state: StateStore, seed: int) -> None:
    ordered = _plan(FakeDriver(tmp_path, LIVE), state).live_fingerprint
    assert _plan(FakeDriver(tmp_path, LIVE, random.Random(seed)), state).live_fingerprint == ordered


@pytest.mark.parametrize(
    "moved",
    [
        _team_inbox("t3", ["e0", "e1"]),  # a member fewer
        _team_inbox("t3", ["e0", "e1", "e9"]),  # another member
        Resource("project", "p1", {"senders": {"invoice": "a", "tracking": "b", "quote": "other"}}),
        Resource("employee", "e1", {"name": "E 1", "mailbox": "a"}),
    ],
    ids=["member-removed", "member-replaced", "sender-changed", "mailbox-set"],
)
def test_the_fingerprint_moves_when_the_live_state_does(tmp_path: Path, state: StateStore, moved: Resource) -> None:
    changed = [moved if r.address == moved.address else r for r in LIVE]
    assert _plan(FakeDriver(tmp_path, changed), state).live_fingerprint != _plan(FakeDriver(tmp_path, LIVE), state).live_fingerprint


@pytest.mark.parametrize("limit", [1, 2])
def test_a_driver_never_gets_more_concurrent_applies_than_it_declares(tmp_path: Path, state: StateStore, limit: int) -> None:
    driver = FakeDriver(tmp_path)
    driver.max_concurrency = limit  # type: ignore[misc]
    desired = [Resource("employee", f"e{i}", {"name": f"E {i}", "mailbox": None}) for i in range(1000)]  # 10 batches
    plan = _plan(driver, state, desired)
    state.acquire("fake", lock_holder())
    results = apply_target(plan, driver, state, lambda result: None, concurrency=8)
    assert len(results) == 1000 and all(r.ok for r in results)
    assert driver.calls == 10 and 1 <= driver.most <= limit
