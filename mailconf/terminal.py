"""Colour on a terminal, never in a pipe, never when NO_COLOR is set (https://no-color.org)
or `--no-color` is given."""

from __future__ import annotations

import argparse
import os
from typing import TextIO

CODES = {"red": "31", "yellow": "33", "green": "32", "cyan": "36", "bold": "1", "dim": "2"}


def add_colour_option(parser: argparse.ArgumentParser) -> None:
    """`--no-color` on a verb that colours its output."""
    parser.add_argument("--no-color", dest="no_color", action="store_true", help="never colour the output (as NO_COLOR=1 does)")


def use_colour(stream: TextIO, no_color: bool = False) -> bool:
    # no-color.org: NO_COLOR "present and not an empty string" turns colour off
    return not no_color and not os.environ.get("NO_COLOR") and hasattr(stream, "isatty") and stream.isatty()


class Painter:
    """Wraps text in ANSI colours when enabled, and is a no-op otherwise."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __call__(self, text: str, colour: str) -> str:
        return f"\033[{CODES[colour]}m{text}\033[0m" if self.enabled else text
