"""The three output formats of validate: text (grouped by file, colour only when asked), json, github."""

from __future__ import annotations

import io
import json

import pytest

from mailconf import report
from mailconf.terminal import Painter, use_colour
from mailconf.validate import validate

from conftest import CLEAN, marked

BROKEN, [(LINE, USER), (_, PASSWORD)] = marked(CLEAN + "  b: {address: b@acme.example, preset: gmail, username: ^bee, password: ^hunter2}\n")


@pytest.fixture
def two_files(write):
    """A report over two files: one with an error and a warning, one with a YAML problem."""
    broken = write(BROKEN, "a/broken.yaml")
    dup = write("version: 1\nversion: 1\n", "b/dup.yaml")
    return validate([broken, dup]), str(broken), str(dup)


def test_text_puts_file_line_column_on_every_line(two_files):
    result, broken, dup = two_files
    out = report.text(result, Painter(False))
    assert "\033[" not in out
    lines = out.splitlines()
    assert lines[0].startswith(f"{broken}:{LINE}:{USER}: warning: username 'bee'") and lines[0].endswith("  [username-differs]")
    assert lines[1].startswith(f"{broken}:{LINE}:{PASSWORD}: error: ") and lines[1].endswith("[literal-secret]")
    assert lines[2].startswith(f"{dup}:2:1: error: ") and lines[2].endswith("[duplicate-key]")
    assert lines[3:] == ["", f"{broken}: 1 error, 1 warning in 1 file", f"{dup}: 1 error, 0 warnings in 1 file", "2 errors, 1 warning in 2 files"]


def test_text_continuation_lines_carry_the_location_too(tmp_path):
    from mailconf.diagnostics import Diagnostic, Severity
    from mailconf.sources import ManifestSource
    from mailconf.validate import Report, Validated

    d = Diagnostic("x", Severity.ERROR, "first line\nsecond line\nthird", "m.yaml", 3, 7, ())
    lines = report.text(Report([Validated(ManifestSource(tmp_path), None, [d])]), Painter(False)).splitlines()
    assert lines[:3] == ["m.yaml:3:7: error: first line  [x]", "m.yaml:3:7:   second line", "m.yaml:3:7:   third"]


def test_text_of_one_clean_manifest_is_its_summary(write):
    assert report.text(validate([write(CLEAN)]), Painter(False)) == "0 errors, 0 warnings in 1 file"


def test_text_colour_only_when_enabled(two_files):
    result, *_ = two_files
    coloured = report.text(result, Painter(True))
    assert "\033[31merror\033[0m" in coloured and "\033[33mwarning\033[0m" in coloured
    assert "\033[31m2 errors, 1 warning in 2 files\033[0m" in coloured


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("stream", "no_color", "expected"),
    [
        (_Tty(), None, True),
        (io.StringIO(), None, False),  # a pipe or file: never
        (_Tty(), "1", False),
        (_Tty(), "", True),  # bug: an empty NO_COLOR turned colour off; no-color.org says present *and not empty*
    ],
)
def test_use_colour(monkeypatch, stream, no_color, expected):
    monkeypatch.delenv("NO_COLOR", raising=False)
    if no_color is not None:
        monkeypatch.setenv("NO_COLOR", no_color)
    assert use_colour(stream) is expected


def test_json_shape(two_files):
    result, broken, dup = two_files
    data = json.loads(report.as_json(result))
    assert set(data) == {"version", "diagnostics", "summary", "manifests"} and data["version"] == 1
    assert data["summary"] == {"errors": 2, "warnings": 1, "files": 2}
    assert data["manifests"] == [{"path": broken, "errors": 1, "warnings": 1, "files": 1}, {"path": dup, "errors": 1, "warnings": 0, "files": 1}]
    keys = {"code", "severity", "message", "file", "line", "column", "path"}
    assert all(set(d) == keys for d in data["diagnostics"])
    assert [(d["code"], d["severity"], d["file"], d["line"], d["column"], d["path"]) for d in data["diagnostics"]] == [
        ("username-differs", "warning", broken, LINE, USER, ["accounts", "b", "username"]),
        ("literal-secret", "error", broken, LINE, PASSWORD, ["accounts", "b", "password"]),
        ("duplicate-key", "error", dup, 2, 1, ["version"]),
    ]


def test_github_annotations(two_files):
    result, broken, dup = two_files
    lines = report.github(result).splitlines()
    escaped = broken.replace(":", "%3A").replace(",", "%2C")
    assert lines[0].startswith(f"::warning file={escaped},line={LINE},col={USER},title=username-differs::username 'bee' differs")
    assert lines[1].startswith(f"::error file={escaped},line={LINE},col={PASSWORD},title=literal-secret::password is a literal secret")
    assert lines[2].startswith("::error file=") and ",line=2,col=1," in lines[2]
    assert lines[3:] == [f"{broken}: 1 error, 1 warning in 1 file", f"{dup}: 1 error, 0 warnings in 1 file", "2 errors, 1 warning in 2 files"]


def test_github_escapes_newlines_and_property_separators(tmp_path):
    from mailconf.diagnostics import Diagnostic, Severity
    from mailconf.sources import ManifestSource
    from mailconf.validate import Report, Validated

    d = Diagnostic("x", Severity.ERROR, "50% done\nnext line", "a,b:c.yaml", 1, 2, ())
    [line, _] = report.github(Report([Validated(ManifestSource(tmp_path), None, [d])])).splitlines()
    assert line == "::error file=a%2Cb%3Ac.yaml,line=1,col=2,title=x::50%25 done%0Anext line"


def test_files_counts_files_that_failed_to_load(write):
    # Bug: the summary counted only files that loaded; a directory of two with one non-UTF-8 said "1 file".
    root = write(CLEAN, "m/good.yaml").parent
    (root / "bad.yaml").write_bytes(b"version: 1\nx: \xff\n")
    assert validate([root]).files == 2
