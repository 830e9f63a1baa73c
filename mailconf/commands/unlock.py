"""`mailconf unlock TARGET`: drop a stale lock left by an apply that died on another machine."""

from __future__ import annotations

import argparse

from mailconf.commands._engine import add_manifest_options


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "unlock",
        help="release a target's stale lock",
        description="Release the lock of TARGET. Only for a lock whose apply is known to be dead: "
        "a lock left by a dead process on this host is released automatically.",
    )
    parser.add_argument("target", metavar="TARGET")
    add_manifest_options(parser, "the manifest that declares TARGET (default: .)", positional=False)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from mailconf.commands._engine import open_workspace

    workspace = open_workspace(args.path, args.state, no_color=args.no_color)
    [name] = workspace.target_names([args.target])
    lock = workspace.state.lock_of(name)
    if lock is None:
        print(f"target {name} is not locked")
        return 0
    workspace.state.release(name)
    print(f"released the lock of target {name} (held by {lock.holder})")
    return 0
