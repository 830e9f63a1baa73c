"""`mailconf check`: connect to every account's servers, negotiate TLS, log in, optionally send test mail."""

from __future__ import annotations

import argparse
import sys

from mailconf.terminal import add_colour_option


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "check",
        help="prove each account's servers accept its settings and password",
        description="For each account: resolve, connect, TLS as configured (certificates verified), greeting, "
        "login, and the IMAP folder; a failure says which setting is wrong and, where trying found one, what works. "
        "Exit 0 when every account passes, 1 otherwise.",
    )
    parser.add_argument("path", nargs="?", default=".", metavar="PATH", help="the manifest file or directory (default: .)")
    parser.add_argument("--account", action="append", metavar="NAME", help="only this account (repeatable)")
    parser.add_argument("--send-test-to", metavar="ADDR", help="send a test mail through each account to ADDR")
    parser.add_argument("--roundtrip", action="store_true", help="send a test mail to each account's own address, wait for it in its mailbox, delete it")
    parser.add_argument("--wait", type=float, default=60.0, metavar="S", help="how long --roundtrip waits for the mail to arrive (default 60)")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="text (default) or json (versioned)")
    parser.add_argument("--timeout", type=float, default=10.0, metavar="S", help="limit of each phase's network wait (default 10)")
    parser.add_argument("--concurrency", type=int, default=8, metavar="N", help="accounts checked at once (default 8)")
    parser.add_argument("--ca-file", metavar="FILE", help="trust the CA certificates in FILE instead of the system's")
    add_colour_option(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from mailconf import report
    from mailconf.diagnostics import Severity
    from mailconf.errors import UsageError
    from mailconf.probe import render
    from mailconf.probe.run import Request, check_accounts
    from mailconf.probe.service import Options
    from mailconf.terminal import Painter, use_colour
    from mailconf.validate import Report, validate_path

    if args.concurrency < 1:
        raise UsageError("--concurrency must be at least 1")
    if args.timeout <= 0 or args.wait <= 0:
        raise UsageError("--timeout and --wait must be positive")
    if args.ca_file and not Path(args.ca_file).is_file():
        raise UsageError(f"--ca-file {args.ca_file}: no such file")
    validated = validate_path(Path(args.path))
    if validated.manifest is None or any(d.severity is Severity.ERROR for d in validated.diagnostics):
        print(report.text(Report([validated]), Painter(use_colour(sys.stderr, args.no_color))), file=sys.stderr)
        raise UsageError("the manifest has errors: fix them (see above) before checking its accounts")
    accounts = validated.manifest.accounts
    unknown = [name for name in args.account or [] if name not in accounts]
    if unknown:
        raise UsageError(f"no account named {', '.join(unknown)} (the manifest has: {', '.join(accounts) or 'none'})")
    if args.account:
        accounts = {name: accounts[name] for name in dict.fromkeys(args.account)}
    if not accounts:
        raise UsageError("the manifest declares no account to check")
    request = Request(Options(args.timeout, args.ca_file), args.send_test_to, args.roundtrip, args.wait)
    results = check_accounts(accounts, validated.source.base_dir, request, args.concurrency)
    if args.format == "json":
        print(render.as_json(results))
    else:
        print(render.text(results, Painter(use_colour(sys.stdout, args.no_color))))
    return 0 if all(r.ok for r in results) else 1
