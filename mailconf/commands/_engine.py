"""Options and set-up shared by the verbs that open a manifest's targets (plan, apply, import, unlock)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mailconf.engine.workspace import Workspace


def add_manifest_options(parser: argparse.ArgumentParser, path_help: str = "the manifest file or directory (default: .)", positional: bool = True) -> None:
    """PATH as a positional argument, or as `-m/--manifest` for verbs whose positional is a target."""
    if positional:
        parser.add_argument("path", nargs="?", default=".", metavar="PATH", help=path_help)
    else:
        parser.add_argument("-m", "--manifest", dest="path", default=".", metavar="PATH", help=path_help)
    parser.add_argument("--state", metavar="FILE", help="the state store (default: .mailconf/state.db beside the manifest)")


def add_planning_options(parser: argparse.ArgumentParser) -> None:
    """Options of the verbs that make a plan: which targets, and the DNS server SPF flattening asks."""
    parser.add_argument("--target", action="append", metavar="NAME", help="only this target (repeatable)")
    parser.add_argument("--nameserver", metavar="HOST[:PORT]", help="DNS server for SPF flattening (default: the system's)")


def open_workspace(path: str, state: str | None, nameserver: str | None = None) -> Workspace:
    """Open a manifest for planning; an invalid manifest prints its diagnostics and raises."""
    from mailconf import report
    from mailconf.engine.workspace import ManifestInvalid, Workspace
    from mailconf.terminal import Painter, use_colour

    try:
        return Workspace(Path(path), Path(state) if state else None, nameserver)
    except ManifestInvalid as exc:
        print(report.text(exc.report, Painter(use_colour(sys.stderr))), file=sys.stderr)
        raise
