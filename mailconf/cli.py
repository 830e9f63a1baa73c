"""The command line: wires one module per verb; prints domain errors, never tracebacks, never secrets.

Exit codes: 0 success, 1 errors (including usage errors and unexpected ones), 2 only for
`plan --detailed-exitcode` when there are changes, 130 when interrupted. Everything a verb
prints passes through `secrets.redact`, so a secret a driver or a library puts into a
message shows as "(sensitive)". `MAILCONF_DEBUG=1` adds the (redacted) traceback of an
unexpected error.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import IO, Any

from mailconf import __version__


class _Parser(argparse.ArgumentParser):
    """Usage errors exit 1 (not argparse's 2, which `plan --detailed-exitcode` uses for 'changes')."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(1, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    from mailconf.commands import apply, autoconfig, check, confirm, discover, importer, plan, schema, unlock, validate
    from mailconf.spf import cli as spf

    parser = _Parser(
        prog="mailconf",
        description="Business e-mail configuration as code: validate manifests, plan and apply them to targets.",
    )
    parser.add_argument("--version", action="version", version=f"mailconf {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for module in (validate, plan, apply, confirm, importer, unlock, check, discover, autoconfig, spf, schema):
        module.register(sub)
    return parser


class _Redacted:
    """A text stream that blanks every secret resolved so far from what is written through it."""

    def __init__(self, stream: IO[str]) -> None:
        from mailconf.secrets import redact  # imported here: `mailconf --version` stays light

        self._stream, self._redact = stream, redact

    def write(self, text: str) -> int:
        self._stream.write(self._redact(text))
        return len(text)

    def __getattr__(self, name: str) -> Any:  # isatty, fileno, flush, encoding: the real stream's
        return getattr(self._stream, name)


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # --help, --version and usage errors: return, so callers in-process get a code
        return int(exc.code or 0)
    streams = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _Redacted(sys.stdout), _Redacted(sys.stderr)  # type: ignore[assignment]
    try:
        return _run(args)
    finally:
        sys.stdout, sys.stderr = streams


def _run(args: argparse.Namespace) -> int:
    from mailconf.errors import MailconfError

    try:
        return int(args.handler(args))
    except MailconfError as exc:
        _print_report(exc, getattr(args, "no_color", False))
        print(f"mailconf: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("mailconf: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `mailconf ... | head`: the reader left; say nothing more
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except Exception as exc:  # noqa: BLE001 - a bug or a library's surprise: one line, no traceback, no secret
        if os.environ.get("MAILCONF_DEBUG") == "1":
            import traceback

            print("".join(traceback.format_exception(exc)), end="", file=sys.stderr)
        from mailconf.secrets import redact

        message = " ".join(redact(str(exc)).split())  # redacted before it is made one line: a secret may hold a line break
        print(f"mailconf: internal error: {type(exc).__name__}: {message}; please report it", file=sys.stderr)
        return 1


def _print_report(exc: Exception, no_color: bool) -> None:
    """Unusable secrets (found when plan starts): every located diagnostic, before the one-line error.
    An invalid manifest is printed where it is opened (`commands._engine.open_workspace`)."""
    from mailconf import report
    from mailconf.engine.desired import SecretsInvalid
    from mailconf.terminal import Painter, use_colour

    if isinstance(exc, SecretsInvalid):
        print(report.text(exc.report, Painter(use_colour(sys.stderr, no_color))), file=sys.stderr)
