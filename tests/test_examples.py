"""The examples: the realistic ones validate clean; each broken one produces exactly what it declares.

A broken example declares its diagnostics in its first lines: `# expect: <code> <line>:<column>`.
A directory under examples/broken/ is one manifest; each of its files declares its own.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mailconf import rules
from mailconf.validate import validate

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
BROKEN = sorted((EXAMPLES / "broken").iterdir())
CLEAN = [EXAMPLES / "acme", EXAMPLES / "erpnext", *sorted((EXAMPLES / "consultant" / "customers").iterdir())]
_EXPECT = re.compile(r"^# expect: (?P<code>[a-z0-9-]+) (?P<line>\d+):(?P<column>\d+)$")


def expected(path: Path) -> list[tuple[str, str, int, int]]:
    """(file, code, line, column) declared by the leading `# expect:` lines of each file of `path`."""
    found = []
    for file in sorted(path.rglob("*.yaml")) if path.is_dir() else [path]:
        lines = file.read_bytes().decode("utf-8-sig", errors="replace").splitlines()
        for line in lines:
            match = _EXPECT.match(line)
            if not match:
                break
            found.append((str(file), match["code"], int(match["line"]), int(match["column"])))
    return sorted(found)


@pytest.mark.parametrize("path", BROKEN, ids=lambda p: p.name)
def test_broken_example_produces_exactly_what_it_declares(path):
    declared = expected(path)
    assert declared, f"{path.name} declares no `# expect:` line"
    assert sorted((d.file, d.code, d.line, d.column) for d in validate([path]).diagnostics) == declared


@pytest.mark.parametrize("path", CLEAN, ids=lambda p: p.name)
def test_realistic_example_validates_clean(path):
    result = validate([path])
    assert result.diagnostics == [] and result.results[0].manifest is not None
    assert result.files >= 2  # each is a directory manifest split over files


def test_every_rule_and_bad_input_has_a_broken_example():
    covered = {code for path in BROKEN for _, code, _, _ in expected(path)}
    rule_ids = {rule.ID for rule in rules.all_rules() if not rule.__name__.rsplit(".", 1)[-1].startswith("spf_")}
    bad_input = {"schema", "duplicate-key", "duplicate-resource", "yaml-tag", "yaml-limits", "yaml-syntax", "yaml-multi-document", "encoding"}
    assert rule_ids | bad_input <= covered


def test_examples_declare_the_schema_for_editors():
    for file in [*EXAMPLES.rglob("*.yaml")]:
        lines = file.read_bytes().decode("utf-8-sig", errors="replace").splitlines()
        header = next(line for line in lines if not _EXPECT.match(line))
        target = header.removeprefix("# yaml-language-server: $schema=")
        assert target != header, f"{file}: first line after the expectations must name the schema"
        assert (file.parent / target).resolve() == EXAMPLES.parent / "schemas" / "manifest.schema.json"
