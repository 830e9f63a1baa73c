"""Applying a plan: per target, in dependency phases, with bounded concurrency.

The plan must have been made under the target's lock (`Workspace.plan(lock=True)`), so the
live state it was read from cannot move through another mailconf run before it is applied.
Creates and updates run kind by kind in `mailconf.kinds.order()` (accounts before what
references them), deletes afterwards in reverse. Inside a phase, changes are independent: they
go to the driver in batches, up to `concurrency` batches at once and never more than the
driver's `max_concurrency` (the contract promises a driver no more concurrent `apply` calls).
Before a phase goes out, the state records what each resource will be if its change succeeds
(pending); after each batch, the ones that succeeded are recorded as applied and the batch's
pending entries are dropped. A run killed at any point leaves a state the next plan can finish from.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from itertools import groupby

from mailconf.driver import Action, Change, ChangeResult, Driver
from mailconf.engine.manual import automatic, pending_results
from mailconf.engine.plan import TargetPlan
from mailconf.engine.state import StateStore, lock_holder
from mailconf.errors import StateError

BATCH_SIZE = 100
DEFAULT_CONCURRENCY = 4

Reporter = Callable[[ChangeResult], None]


def _phases(changes: list[Change]) -> Iterator[list[Change]]:
    """Runs of independent changes, in the plan's order (already dependency-sorted)."""
    for _, phase in groupby(changes, key=lambda c: (c.action is Action.DELETE, c.kind)):
        yield list(phase)


def apply_target(plan: TargetPlan, driver: Driver, state: StateStore, report: Reporter, concurrency: int = DEFAULT_CONCURRENCY) -> list[ChangeResult]:
    """Apply one target's changes; returns every result (failed ones included)."""
    lock = state.lock_of(plan.target)
    if lock is None or lock.holder != lock_holder():
        raise StateError(f"target {plan.target!r}: a plan is applied only under the lock it was made under: plan with the lock taken")
    results: list[ChangeResult] = []
    for phase in _phases(automatic(plan)):
        state.intend(plan.target, [(c.address, plan.managed[c.address]) for c in phase if c.address in plan.managed])
        batches = [phase[i : i + BATCH_SIZE] for i in range(0, len(phase), BATCH_SIZE)]
        with ThreadPoolExecutor(max_workers=max(1, min(concurrency, driver.max_concurrency))) as pool:
            pending: set[Future[list[ChangeResult]]] = {pool.submit(_run, driver, b) for b in batches}
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    batch_results = future.result()
                    _remember(plan, state, batch_results)
                    for result in batch_results:
                        report(result)
                    results.extend(batch_results)
    for result in pending_results(plan):  # a person makes these: reported, never given to the driver
        report(result)
        results.append(result)
    _settle(plan, state, results)
    return results


def _run(driver: Driver, batch: list[Change]) -> list[ChangeResult]:
    """A driver that raises fails its whole batch, with its message, instead of the run."""
    try:
        results = driver.apply(batch)
    except Exception as exc:  # noqa: BLE001 - a third-party driver's failure must not abort other batches
        return [ChangeResult(c, False, f"{type(exc).__name__}: {exc}") for c in batch]
    if len(results) != len(batch):
        return [ChangeResult(c, False, "the driver returned no result for this change") for c in batch]
    return results


def _remember(plan: TargetPlan, state: StateStore, results: list[ChangeResult]) -> None:
    """Succeeded changes become applied; the batch's pending entries go, failed ones included."""
    ok = [r.change for r in results if r.ok]
    applied = [(c.address, plan.managed[c.address]) for c in ok if c.action is not Action.DELETE and c.address in plan.managed]
    removed = [c.address for c in ok if c.action is Action.DELETE]
    state.record(plan.target, applied, removed, settled=[r.change.address for r in results])


def _settle(plan: TargetPlan, state: StateStore, results: list[ChangeResult]) -> None:
    """After the changes: resources that needed none are managed from now on (their `protect` flag
    included), managed ones found gone are forgotten, and a killed run's leftovers are settled."""
    touched = {r.change.address for r in results}
    adopt = [(a, m) for a, m in plan.managed.items() if a not in touched]
    if adopt or plan.forget or plan.pending:
        state.record(plan.target, adopt, plan.forget, settled=plan.pending)
