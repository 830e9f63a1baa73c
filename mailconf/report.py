"""Renderers of validation diagnostics: text for people, JSON for machines, GitHub annotations for CI.

The JSON shape (version 1)::

    {"version": 1,
     "diagnostics": [{"code": str, "severity": "error" | "warning", "message": str,
                      "file": str, "line": int, "column": int, "path": [str | int, ...]}],
     "summary": {"errors": int, "warnings": int, "files": int}}
"""

from __future__ import annotations

import json
from itertools import groupby

from mailconf.diagnostics import Diagnostic, Severity
from mailconf.terminal import Painter
from mailconf.validate import Report

JSON_VERSION = 1


def _ordered(report: Report) -> list[Diagnostic]:
    return sorted(report.diagnostics, key=lambda d: (d.file, d.line, d.column, d.code))


def _summary(report: Report) -> str:
    errors, warnings = report.count(Severity.ERROR), report.count(Severity.WARNING)
    return f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)} in {report.files} file{'s' * (report.files != 1)}"


def text(report: Report, paint: Painter) -> str:
    lines = []
    for file, items in groupby(_ordered(report), key=lambda d: d.file):
        lines.append(paint(file, "bold"))
        for d in items:
            colour = "red" if d.severity is Severity.ERROR else "yellow"
            lines.append(f"  {d.line}:{d.column}".ljust(10) + f" {paint(d.severity.value.ljust(7), colour)} {d.message}  {paint(f'[{d.code}]', 'dim')}")
        lines.append("")
    ok = report.count(Severity.ERROR) == 0
    lines.append(paint(_summary(report), "green" if ok and not report.diagnostics else ("yellow" if ok else "red")))
    return "\n".join(lines)


def as_json(report: Report) -> str:
    return json.dumps(
        {
            "version": JSON_VERSION,
            "diagnostics": [
                {"code": d.code, "severity": d.severity.value, "message": d.message, "file": d.file, "line": d.line, "column": d.column, "path": list(d.path)}
                for d in _ordered(report)
            ],
            "summary": {"errors": report.count(Severity.ERROR), "warnings": report.count(Severity.WARNING), "files": report.files},
        },
        indent=2,
    )


def _escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


def github(report: Report) -> str:
    """GitHub Actions workflow commands: one annotation per diagnostic, shown on the PR's diff."""
    lines = [
        f"::{d.severity.value} file={_escape_property(d.file)},line={d.line},col={d.column},title={_escape_property(d.code)}::{_escape_data(d.message)}"
        for d in _ordered(report)
    ]
    lines.append(_summary(report))
    return "\n".join(lines)
