"""Renderers of validation diagnostics: text for people, JSON for machines, GitHub annotations for CI.

Text puts `file:line:column:` at the start of every line of a diagnostic (continuation
lines too), the form compilers use, so terminals and editors jump to it.

The JSON shape (version 1; fields are only ever added)::

    {"version": 1,
     "diagnostics": [{"code": str, "severity": "error" | "warning", "message": str,
                      "file": str, "line": int, "column": int, "path": [str | int, ...]}],
     "summary": {"errors": int, "warnings": int, "files": int},
     "manifests": [{"path": str, "errors": int, "warnings": int, "files": int}]}
"""

from __future__ import annotations

import json

from mailconf.diagnostics import Diagnostic, Severity
from mailconf.terminal import Painter
from mailconf.validate import Report, Validated

JSON_VERSION = 1


def _ordered(report: Report) -> list[Diagnostic]:
    return sorted(report.diagnostics, key=lambda d: (d.file, d.line, d.column, d.code))


def _counts(diagnostics: list[Diagnostic], files: int) -> str:
    errors = sum(1 for d in diagnostics if d.severity is Severity.ERROR)
    warnings = len(diagnostics) - errors
    return f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)} in {files} file{'s' * (files != 1)}"


def _manifests(report: Report) -> list[tuple[Validated, int]]:
    """Each manifest of the run with its number of files."""
    return [(result, max(len(result.source.paths), 1)) for result in report.results]


def text(report: Report, paint: Painter) -> str:
    lines = []
    for d in _ordered(report):
        colour = "red" if d.severity is Severity.ERROR else "yellow"
        where = paint(f"{d.file}:{d.line}:{d.column}:", "bold")
        first, *more = d.message.split("\n")
        lines.append(f"{where} {paint(d.severity.value, colour)}: {first}  {paint(f'[{d.code}]', 'dim')}")
        lines.extend(f"{where}   {line}" for line in more)
    if lines:
        lines.append("")
    lines.extend(_summaries(report, paint))
    return "\n".join(lines)


def _summaries(report: Report, paint: Painter) -> list[str]:
    """One line per manifest when there are several (a collection, several paths), then the total."""
    lines = []
    if len(report.results) > 1:
        for result, files in _manifests(report):
            lines.append(f"{result.source.root}: " + paint(_counts(result.diagnostics, files), _colour(result.diagnostics)))
    lines.append(paint(_counts(report.diagnostics, report.files), _colour(report.diagnostics)))
    return lines


def _colour(diagnostics: list[Diagnostic]) -> str:
    if any(d.severity is Severity.ERROR for d in diagnostics):
        return "red"
    return "yellow" if diagnostics else "green"


def as_json(report: Report) -> str:
    return json.dumps(
        {
            "version": JSON_VERSION,
            "diagnostics": [
                {"code": d.code, "severity": d.severity.value, "message": d.message, "file": d.file, "line": d.line, "column": d.column, "path": list(d.path)}
                for d in _ordered(report)
            ],
            "summary": {"errors": report.count(Severity.ERROR), "warnings": report.count(Severity.WARNING), "files": report.files},
            "manifests": [
                {
                    "path": str(result.source.root),
                    "errors": sum(1 for d in result.diagnostics if d.severity is Severity.ERROR),
                    "warnings": sum(1 for d in result.diagnostics if d.severity is Severity.WARNING),
                    "files": files,
                }
                for result, files in _manifests(report)
            ],
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
    lines.extend(_summaries(report, Painter(False)))
    return "\n".join(lines)
