"""`mailconf apply`: make each target match the manifest, or apply a saved plan."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from mailconf.commands._engine import add_manifest_options, add_planning_options, open_workspace

if TYPE_CHECKING:
    from mailconf.driver import ChangeResult
    from mailconf.engine.plan import Plan
    from mailconf.terminal import Painter

# One refusal for every reason a plan is blocked (protected resources, thresholds): scripts match one line.
REFUSAL = "Refusing to apply: the plan is blocked (see \"Blocked:\" above); resolve each reason, or review the plan and pass --force where it says so."


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "apply",
        help="apply the changes a plan shows",
        description="Plan, confirm, then apply the changes through each target's driver, in dependency order. "
        "PATH may be a plan saved with `plan --out`; it is refused, naming what moved, if the manifest, a target's "
        "live state, mailconf's state or a secret moved since. A blocked plan is refused. Changes a target's software "
        "cannot make are printed as steps for a person and reported pending. Exit 0 when no change failed (pending "
        "ones included), 1 otherwise.",
    )
    add_manifest_options(parser, "the manifest file or directory, or a saved plan file (default: .)")
    add_planning_options(parser)
    parser.add_argument("--auto-approve", action="store_true", help="apply without asking (required when stdin is not a terminal)")
    parser.add_argument("--force", action="store_true", help="allow a plan over a target's update/delete threshold")
    parser.add_argument("--concurrency", type=int, default=4, metavar="N", help="change batches in flight per target (default 4; never more than the target's driver allows)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from mailconf.engine import render, savedplan
    from mailconf.engine.run import Outcome, apply_plan
    from mailconf.errors import UsageError
    from mailconf.terminal import Painter, use_colour

    if args.concurrency < 1:
        raise UsageError("--concurrency must be at least 1")
    path = Path(args.path)
    saved = savedplan.load(path) if savedplan.is_saved_plan(path) else None
    if saved is not None and args.target:
        raise UsageError("a saved plan already fixes its targets: drop --target")
    if saved is None and not args.auto_approve and not sys.stdin.isatty():
        raise UsageError("stdin is not a terminal, so apply cannot ask for confirmation: pass --auto-approve")
    paint = Painter(use_colour(sys.stdout, args.no_color))
    manifest = savedplan.manifest_path(saved, path) if saved else path
    workspace = open_workspace(str(manifest), args.state, args.nameserver, args.no_color)
    try:
        plan = workspace.plan([t.target for t in saved.targets] if saved else args.target, lock=True)
        total = sum(len(t.changes) for t in plan.targets)
        outcome = apply_plan(
            workspace, plan, force=args.force, saved=saved, concurrency=args.concurrency,
            show=lambda reviewed: print(render.text(reviewed, paint)),
            confirm=lambda reviewed: args.auto_approve or _confirmed(),
            report=_Progress(total, paint),
        )  # fmt: skip
    finally:
        workspace.close()
    if outcome.outcome is Outcome.BLOCKED:
        print(REFUSAL, file=sys.stderr)
        return 1
    if outcome.outcome is Outcome.CANCELLED:
        print("Apply cancelled.")
        return 1
    failed = outcome.failed
    if plan.has_changes:
        print("\n".join(_summary(plan, outcome.results)))
    return 1 if failed else 0


def _summary(plan: Plan, results: list[ChangeResult]) -> list[str]:
    """The closing lines: counts of each outcome, and what to do about failed and pending changes."""
    from mailconf.driver import Capability

    count = {status: sum(1 for r in results if r.status == status) for status in ("ok", "failed", "pending")}
    lines = [
        f"Apply finished: {count['ok']} succeeded, {count['failed']} failed, {count['pending']} pending."
        + (" Run apply again after fixing the failures." if count["failed"] else "")
    ]
    for target in plan.targets:
        own = {id(change) for change in target.changes}
        capabilities = {target.manual[r.change.address].capability for r in results if r.status == "pending" and id(r.change) in own}
        if Capability.MANUAL in capabilities:
            lines.append(f"Carry out the pending steps, then run: mailconf confirm {target.target}")
        elif capabilities:
            lines.append(f"Carry out the pending steps of {target.target}; the next plan reads it to check them.")
    return lines


def _confirmed() -> bool:
    """Only 'yes' applies; end of input (Ctrl-D) is a no."""
    try:
        answer = input("Apply these changes? Only 'yes' will be accepted: ")
    except EOFError:
        print()
        return False
    return answer.strip() == "yes"


class _Progress:
    """Prints each change as it completes; with a [n/total] counter on a terminal."""

    def __init__(self, total: int, paint: Painter) -> None:
        self.total, self.done, self.paint = total, 0, paint
        self.tty = sys.stdout.isatty()

    def __call__(self, result: ChangeResult) -> None:
        self.done += 1
        counter = f"[{self.done}/{self.total}] " if self.tty else ""
        change = result.change
        if result.ok:
            print(f"{counter}{change.address}: {change.action.value}d", flush=True)
        elif result.step is not None:  # a person makes this change: how, step by step
            from mailconf.engine.render import step_lines

            print("\n".join([self.paint(f"{counter}{change.address}: pending: {result.step.title}", "yellow"), *step_lines(result.step, "    ")]), flush=True)
        else:
            print(self.paint(f"{counter}{change.address}: {change.action.value} FAILED: {result.message}", "red"), flush=True)
