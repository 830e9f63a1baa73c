"""Shared helpers for the validate tests: write manifests, validate them, compare diagnostics."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

# Session fixtures defined once for every module (imported into each module, pytest would start
# the mail servers once per module).
pytest_plugins = ["support.mailservers", "support.frappe"]

from mailconf.validate import validate

# A manifest that passes every rule; tests add to it or break one thing.
CLEAN = """\
version: 1
primary_sender: office
accounts:
  office: {address: office@acme.example, preset: microsoft365, password: "${env:OFFICE_PW}", default_outgoing: true, default_incoming: true}
"""


def marked(text: str) -> tuple[str, list[tuple[int, int]]]:
    """`text` without its `^` marks, and the 1-based (line, column) of each mark (`^^`: two diagnostics there)."""
    spots, lines = [], []
    for number, line in enumerate(text.split("\n"), 1):
        while "^" in line:
            column = line.index("^") + 1
            spots.append((number, column))
            line = line[: column - 1] + line[column:]
        lines.append(line)
    return "\n".join(lines), spots


@pytest.fixture
def write(tmp_path: Path):
    """write(text, name="m.yaml") -> path of a file under tmp_path holding dedented `text`."""

    def _write(text: str, name: str = "m.yaml") -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return _write


@pytest.fixture
def found():
    """found(*paths, **kwargs) -> sorted (code, line, column) of every diagnostic of validating `paths`."""

    def _found(*paths: Path, **kwargs) -> list[tuple[str, int, int]]:
        return sorted((d.code, d.line, d.column) for d in validate(list(paths), **kwargs).diagnostics)

    return _found


@pytest.fixture
def clean() -> str:
    return CLEAN
