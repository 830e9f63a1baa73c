"""`mailconf validate PATH...`: schema and rule checks with file:line:column locations."""

from __future__ import annotations

import argparse
import sys

from mailconf.terminal import add_colour_option


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "validate",
        help="check manifests against the schema and the rules",
        description="Check manifests (files or directories of *.yaml) against the JSON Schema and the semantic rules. "
        "A directory without YAML files of its own whose subdirectories are manifests is a collection: each is validated on its own. "
        "Exit 0 when there is no error, 1 when there is (with --strict, warnings count as errors).",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="a manifest file, a directory whose YAML files (not its subdirectories') form one manifest, or a collection of such directories")
    parser.add_argument("--format", choices=("text", "json", "github"), default="text", help="text (default), json (versioned shape), github (Actions annotations)")
    parser.add_argument("--strict", action="store_true", help="treat warnings as errors")
    parser.add_argument("--check-secrets", action="store_true", help="also resolve every ${env:...}/${file:...} reference and report missing ones")
    parser.add_argument("--online", action="store_true", help="also query DNS: analyse the SPF record each domain would get, and check each sending account's SMTP host passes it")
    parser.add_argument("--nameserver", metavar="HOST[:PORT]", help="with --online: ask this DNS server instead of the system's")
    parser.add_argument("--timeout", type=float, default=None, metavar="SECONDS", help="with --online: limit per DNS query (default 2)")
    add_colour_option(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from mailconf import report
    from mailconf.diagnostics import Severity
    from mailconf.terminal import Painter, use_colour
    from mailconf.validate import validate

    online = None
    if args.online:
        from mailconf.spf.resolver import DnsResolver

        online = DnsResolver(args.nameserver, args.timeout)
    elif args.nameserver or args.timeout is not None:
        from mailconf.errors import UsageError

        raise UsageError("--nameserver and --timeout apply to --online only")
    result = validate([Path(p) for p in args.paths], check_secrets=args.check_secrets, online=online)
    if args.format == "json":
        print(report.as_json(result))
    elif args.format == "github":
        print(report.github(result))
    else:
        print(report.text(result, Painter(use_colour(sys.stdout, args.no_color))))
    failing = result.count(Severity.ERROR) + (result.count(Severity.WARNING) if args.strict else 0)
    return 1 if failing else 0
