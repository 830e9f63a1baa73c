"""`mailconf validate PATH...`: schema and rule checks with file:line:column locations."""

from __future__ import annotations

import argparse
import sys


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "validate",
        help="check manifests against the schema and the rules",
        description="Check manifests (files or directories of *.yaml) against the JSON Schema and the semantic rules. "
        "Exit 0 when there is no error, 1 when there is (with --strict, warnings count as errors).",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="a manifest file, or a directory whose YAML files form one manifest")
    parser.add_argument("--format", choices=("text", "json", "github"), default="text", help="text (default), json (versioned shape), github (Actions annotations)")
    parser.add_argument("--strict", action="store_true", help="treat warnings as errors")
    parser.add_argument("--check-secrets", action="store_true", help="also resolve every ${env:...}/${file:...} reference and report missing ones")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from mailconf import report
    from mailconf.diagnostics import Severity
    from mailconf.terminal import Painter, use_colour
    from mailconf.validate import validate

    result = validate([Path(p) for p in args.paths], check_secrets=args.check_secrets)
    if args.format == "json":
        print(report.as_json(result))
    elif args.format == "github":
        print(report.github(result))
    else:
        print(report.text(result, Painter(use_colour(sys.stdout))))
    failing = result.count(Severity.ERROR) + (result.count(Severity.WARNING) if args.strict else 0)
    return 1 if failing else 0
