"""`mailconf confirm TARGET [ADDRESS ...]`: record that a person carried out the pending manual steps."""

from __future__ import annotations

import argparse
import sys

from mailconf.commands._engine import add_manifest_options


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "confirm",
        help="record that the pending manual steps of a target were carried out",
        description="Plan TARGET under its lock, show the pending steps of its `manual` kinds (all, or those of "
        "ADDRESS ...), and record in the state who carried them out, when, and a fingerprint of the desired values "
        "(secrets by HMAC): the next plan treats them as done until the manifest changes. Steps of `read` kinds need "
        "no confirmation: the next plan reads the system. Exit 0 when recorded, 1 when a named address has no "
        "pending step, there is nothing to confirm, or the answer is not yes.",
    )
    parser.add_argument("target", metavar="TARGET")
    parser.add_argument("addresses", nargs="*", metavar="ADDRESS", help="only these steps (e.g. account/invoices)")
    add_manifest_options(parser, "the manifest that declares TARGET (default: .)", positional=False)
    parser.add_argument("--by", metavar="NAME", help="who carried them out (default: user@host)")
    parser.add_argument("--yes", action="store_true", help="record without asking (required when stdin is not a terminal)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from mailconf.commands._engine import open_workspace
    from mailconf.engine.manual import confirm, confirmable
    from mailconf.engine.render import step_lines
    from mailconf.engine.state import person
    from mailconf.errors import UsageError

    if not args.yes and not sys.stdin.isatty():
        raise UsageError("stdin is not a terminal, so confirm cannot ask: pass --yes")
    who = (args.by or person()).strip()
    if not who:
        raise UsageError("--by names who carried out the steps: it cannot be empty")
    workspace = open_workspace(args.path, args.state, no_color=args.no_color)
    try:
        [name] = workspace.target_names([args.target])
        [plan] = workspace.plan([name], lock=True).targets
        found = confirmable(plan, args.addresses)
        if found.read:
            print(f"Not recorded (the next plan reads {name} to check them): {', '.join(found.read)}")
        if not found.steps:
            print(f"Nothing to confirm on {name}: no manual step is pending.")
            return 1
        print(f"Pending steps on {name}:")
        for change, pending in found.steps:
            print(f"  {change.address}: {pending.step.title}")
            print("\n".join(step_lines(pending.step, "      ")))
        if not args.yes and not _asked(len(found.steps), who):
            print("Nothing recorded.")
            return 1
        confirm(workspace.state, name, found.steps, who)
    finally:
        workspace.close()
    print(f"Recorded {len(found.steps)} step(s) on {name} as carried out by {who}.")
    return 0


def _asked(count: int, who: str) -> bool:
    """Only 'yes' records; end of input (Ctrl-D) is a no."""
    try:
        answer = input(f"Were these {count} step(s) carried out (recorded as by {who})? Only 'yes' will be accepted: ")
    except EOFError:
        print()
        return False
    return answer.strip() == "yes"
