"""`mailconf plan`: what apply would change on each target, without changing anything."""

from __future__ import annotations

import argparse
import sys

from mailconf.commands._engine import add_manifest_options, add_planning_options, open_workspace


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "plan",
        help="show what apply would change",
        description="Read each target's live state, diff it against the manifest and print the changes. "
        "Secrets show as (sensitive) or (changed), never their value. Exit 1 when the plan is blocked "
        "(a protected resource no longer declared, a threshold needing --force) or on error; otherwise 0, "
        "or with --detailed-exitcode 0 no changes, 2 changes (a protect flag to record included).",
    )
    add_manifest_options(parser)
    add_planning_options(parser)
    parser.add_argument("--format", choices=("text", "markdown", "json"), default="text", help="text (default), markdown (PR comment), json (versioned)")
    parser.add_argument("--out", metavar="FILE", help="save the plan (JSON, no secrets) for `mailconf apply FILE`")
    parser.add_argument("--detailed-exitcode", action="store_true", help="exit 2 when there are changes")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from mailconf.engine import render, savedplan
    from mailconf.engine.review import review
    from mailconf.terminal import Painter, use_colour

    workspace = open_workspace(args.path, args.state, args.nameserver, args.no_color)
    try:
        reviewed = review(workspace.plan(args.target), workspace.state, saved=bool(args.out))
    finally:
        workspace.close()
    if args.format == "json":
        print(render.as_json(reviewed))
    elif args.format == "markdown":
        print(render.markdown(reviewed))
    else:
        print(render.text(reviewed, Painter(use_colour(sys.stdout, args.no_color))))
    if args.out:
        savedplan.save(reviewed, Path(args.out))
        print(f"Saved the plan to {args.out}; apply it with `mailconf apply {args.out}`.", file=sys.stderr)
    if reviewed.blockers:
        return 1
    # a protect flag to record is a change: a CI job that applies only on 2 must not skip it
    return 2 if args.detailed_exitcode and (reviewed.plan.has_changes or reviewed.has_protect_changes) else 0
