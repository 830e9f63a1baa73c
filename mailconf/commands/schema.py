"""`mailconf schema`: print the manifest JSON Schema, or write/check the copies in schemas/."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "schema",
        help="print the manifest JSON Schema",
        description="Print the JSON Schema (2020-12) of manifests. Editors use it through a first line "
        "`# yaml-language-server: $schema=<path>/schemas/manifest.schema.json`.",
    )
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--write", metavar="DIR", help="write every schema file into DIR (regenerates schemas/)")
    action.add_argument("--check", metavar="DIR", help="exit 1 when the schema files in DIR are stale")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from mailconf import schema

    if args.write:
        for path in schema.write(Path(args.write)):
            print(f"wrote {path}")
        return 0
    if args.check:
        stale = schema.stale(Path(args.check))
        for name in stale:
            print(f"{name} is stale: run `mailconf schema --write {args.check}`")
        return 1 if stale else 0
    print(schema.dump(schema.manifest_schema()), end="")
    return 0
