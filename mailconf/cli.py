"""The command line: wires one module per verb; prints domain errors, never tracebacks.

Exit codes: 0 success, 1 errors (including usage errors), 2 only for `plan --detailed-exitcode`
when there are changes, 130 when interrupted.
"""

from __future__ import annotations

import argparse
import os
import sys

from mailconf import __version__


class _Parser(argparse.ArgumentParser):
    """Usage errors exit 1 (not argparse's 2, which `plan --detailed-exitcode` uses for 'changes')."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(1, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    from mailconf.commands import apply, importer, plan, schema, unlock, validate
    from mailconf.spf import cli as spf

    parser = _Parser(
        prog="mailconf",
        description="Business e-mail configuration as code: validate manifests, plan and apply them to targets.",
    )
    parser.add_argument("--version", action="version", version=f"mailconf {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for module in (validate, plan, apply, importer, unlock, spf, schema):
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    from mailconf.errors import MailconfError

    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # --help, --version and usage errors: return, so callers in-process get a code
        return int(exc.code or 0)
    try:
        return int(args.handler(args))
    except MailconfError as exc:
        print(f"mailconf: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("mailconf: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `mailconf ... | head`: the reader left; say nothing more
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
