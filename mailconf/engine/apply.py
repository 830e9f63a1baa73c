"""Applying a plan: per target under its lock, in dependency phases, with bounded concurrency.

Creates and updates run kind by kind in `KIND_ORDER` (accounts before what references
them), deletes afterwards in reverse. Inside a phase, changes are independent: they go
to the driver in batches, up to `concurrency` batches at once. Each result is reported as
it arrives and the state is written after every batch, so a run killed half-way leaves a
consistent state and the next plan shows exactly what is left to do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from itertools import groupby

from mailconf.driver import Action, Change, ChangeResult, Driver
from mailconf.engine.plan import TargetPlan
from mailconf.engine.state import StateStore

BATCH_SIZE = 100
DEFAULT_CONCURRENCY = 4

Reporter = Callable[[ChangeResult], None]


def _phases(changes: list[Change]) -> Iterator[list[Change]]:
    """Runs of independent changes, in the plan's order (already dependency-sorted)."""
    for _, phase in groupby(changes, key=lambda c: (c.action is Action.DELETE, c.kind)):
        yield list(phase)


def apply_target(plan: TargetPlan, driver: Driver, state: StateStore, report: Reporter, concurrency: int = DEFAULT_CONCURRENCY) -> list[ChangeResult]:
    """Apply one target's changes under its lock; returns every result (failed ones included)."""
    results: list[ChangeResult] = []
    with state.locked(plan.target):
        for phase in _phases(plan.changes):
            batches = [phase[i : i + BATCH_SIZE] for i in range(0, len(phase), BATCH_SIZE)]
            with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
                pending: set[Future[list[ChangeResult]]] = {pool.submit(_run, driver, b) for b in batches}
                while pending:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for future in done:
                        batch_results = future.result()
                        _remember(plan, state, batch_results)
                        for result in batch_results:
                            report(result)
                        results.extend(batch_results)
        _adopt_unchanged(plan, state, results)
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
    ok = [r.change for r in results if r.ok]
    applied = [(c.address, plan.managed[c.address]) for c in ok if c.action is not Action.DELETE and c.address in plan.managed]
    removed = [c.address for c in ok if c.action is Action.DELETE]
    if applied or removed:
        state.record(plan.target, applied, removed)


def _adopt_unchanged(plan: TargetPlan, state: StateStore, results: list[ChangeResult]) -> None:
    """Resources that needed no change are managed from now on (their `protect` flag included)."""
    touched = {r.change.address for r in results}
    adopt = [(a, m) for a, m in plan.managed.items() if a not in touched]
    if adopt:
        state.record(plan.target, adopt, [])
