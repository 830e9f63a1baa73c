"""`mailconf spf` commands: `eval` runs check_host() for one connection, `check` analyses domains.

This module loads at every start of the command line, so it imports only argparse at module
level; the engine and dnspython load inside the handlers, when a command runs.

`mailconf spf eval --format json` prints (version 1):

    {"version": 1,
     "result": "pass" | "fail" | "softfail" | "neutral" | "none" | "permerror" | "temperror",
     "explanation": str | null,   # the exp= text, only for "fail"
     "mechanism": str | null,     # the term that decided, as written in the record
     "dns_lookups": int,          # DNS-querying terms evaluated (limit 10)
     "void_lookups": int}         # look-ups that found nothing (limit 2)

`mailconf spf check --format json` prints (version 1):

    {"version": 1,
     "domains": [{"domain": str, "valid": bool, "record": str | null,
                  "dns_lookups": int, "void_lookups": int,
                  "errors": [{"code": str, "message": str, "domain": str}],
                  "warnings": [{"code": str, "message": str, "domain": str}],
                  "tree": {"domain": str, "via": str | null, "record": str | null,
                           "dns_lookups": int, "void_lookups": int, "children": [tree, ...]}}]}

`eval` exits 0 whenever an evaluation ran, whatever its result; `check` exits 0 when every
domain is valid (no errors; warnings allowed); both exit 1 on usage errors.
"""

from __future__ import annotations

import argparse

JSON_VERSION = 1


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `spf` and its subcommands to the main parser's subcommands."""
    spf = subparsers.add_parser("spf", help="evaluate and analyse SPF records (RFC 7208)")
    commands = spf.add_subparsers(dest="spf_command", metavar="COMMAND", required=True)

    evaluate = commands.add_parser(
        "eval", help="check_host(): may IP send mail as SENDER?",
        description="Run the RFC 7208 check_host() evaluation for one SMTP connection.",
    )
    evaluate.add_argument("--ip", required=True, help="SMTP client address (IPv4 or IPv6)")
    evaluate.add_argument(
        "--sender", required=True, metavar="ADDR",
        help="MAIL FROM address; an empty one is checked as postmaster@HELO (RFC 7208 2.4)",
    )
    evaluate.add_argument("--helo", metavar="NAME", help="HELO/EHLO name (for %%{h} and an empty sender)")
    _add_common(evaluate)
    evaluate.set_defaults(handler=_run_eval)

    check = commands.add_parser(
        "check", help="analyse the SPF records of domains",
        description="Walk each domain's SPF record with its includes and redirects: look-up counts, "
        "void look-ups, errors and warnings. Exit 1 if any domain has errors.",
    )
    check.add_argument("domains", nargs="+", metavar="DOMAIN")
    _add_common(check)
    check.set_defaults(handler=_run_check)


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--nameserver", metavar="HOST[:PORT]",
        help="ask this server instead of the system's resolvers ([IPv6]:PORT with a port)",
    )
    parser.add_argument("--timeout", type=_seconds, metavar="SECONDS", help="limit per DNS query (default: 2)")
    parser.add_argument("--format", choices=("text", "json"), default="text")


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number of seconds")
    return value


def run(argv: list[str]) -> int:
    """Parse `argv` (starting with "spf") with a parser of its own and run the command.

    The main CLI does the same through register(); this keeps `spf` usable and testable alone.
    Usage errors and other `MailconfError`s are printed without a traceback and give exit code 1.
    """
    import sys

    from mailconf.errors import MailconfError

    parser = _Parser(prog="mailconf")
    register(parser.add_subparsers(dest="command", metavar="COMMAND", required=True))
    try:
        args = parser.parse_args(argv)
        return args.handler(args)
    except MailconfError as error:
        print(f"mailconf: error: {error}", file=sys.stderr)
        return 1


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are `UsageError`s (exit 1) rather than exit 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        from mailconf.errors import UsageError

        raise UsageError(f"{self.prog}: {message}")


def _run_eval(args: argparse.Namespace) -> int:
    from mailconf.spf.evaluate import check_host, mail_from_identity
    from mailconf.spf.resolver import DnsResolver

    sender, domain = mail_from_identity(args.sender, args.helo)
    resolver = DnsResolver(args.nameserver, args.timeout)
    outcome = check_host(args.ip, domain, sender, helo=args.helo, resolver=resolver)
    if args.format == "json":
        _print_json(
            {
                "version": JSON_VERSION,
                "result": outcome.result,
                "explanation": outcome.explanation,
                "mechanism": outcome.mechanism,
                "dns_lookups": outcome.dns_lookups,
                "void_lookups": outcome.void_lookups,
            }
        )
        return 0
    print(f"{outcome.result} for {args.ip} sending as {sender}")
    for label, value in (
        ("mechanism", outcome.mechanism),
        ("explanation", outcome.explanation),
        ("reason", outcome.reason),
    ):
        if value is not None:
            print(f"  {label}: {value}")
    print(f"  DNS look-ups: {outcome.dns_lookups}/10, void look-ups: {outcome.void_lookups}/2")
    return 0


def _run_check(args: argparse.Namespace) -> int:
    from mailconf.spf.analyze import analyze_domains
    from mailconf.spf.resolver import DnsResolver

    reports = analyze_domains(args.domains, DnsResolver(args.nameserver, args.timeout))
    if args.format == "json":
        _print_json({"version": JSON_VERSION, "domains": [report.to_dict() for report in reports]})
    else:
        for report in reports:
            state = "valid" if report.valid else "INVALID"
            print(f"{report.domain}: {state}, {report.tree.dns_lookups}/10 DNS look-ups, "
                  f"{report.tree.void_lookups}/2 void")
            _print_branch(report.tree, "  ")
            for finding in report.findings:
                print(f"  {finding.severity} {finding.code} [{finding.domain}]: {finding.message}")
    return 0 if all(report.valid for report in reports) else 1


def _print_branch(branch: object, indent: str) -> None:
    via = f"{branch.via} -> " if branch.via else ""  # type: ignore[attr-defined]
    record = branch.record or "(no SPF record)"  # type: ignore[attr-defined]
    print(f"{indent}{via}{branch.domain} [{branch.dns_lookups}]: {record}")  # type: ignore[attr-defined]
    for child in branch.children:  # type: ignore[attr-defined]
        _print_branch(child, indent + "  ")


def _print_json(data: dict) -> None:
    import json

    print(json.dumps(data, indent=2))
