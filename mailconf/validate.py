"""Validation: load -> schema (pydantic, the model the JSON Schemas are generated from) -> rules.

Each stage turns what it finds into located diagnostics; nothing here raises for bad input.
"""

from __future__ import annotations

import difflib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from mailconf import rules
from mailconf.diagnostics import Diagnostic, Severity
from mailconf.model import EMAIL_PATTERN, HOST_PATTERN, NAME_PATTERN, DOMAIN_PATTERN, Manifest
from mailconf.sources import ManifestSource, read_manifest

if TYPE_CHECKING:
    from mailconf.spf.resolver import Resolver

_PATTERN_MEANING = {
    EMAIL_PATTERN: "is not an e-mail address (name@domain.example)",
    HOST_PATTERN: "is not a host name",
    NAME_PATTERN: "is not a valid name: start with a letter or digit, then letters, digits, _ . @ -",
    DOMAIN_PATTERN: "is not a domain name",
}


@dataclass
class Validated:
    """The outcome for one manifest path: its source, its model when the schema passed, and diagnostics."""

    source: ManifestSource
    manifest: Manifest | None
    diagnostics: list[Diagnostic] = field(default_factory=list)


@dataclass
class Report:
    """All diagnostics of one validate run."""

    results: list[Validated]

    @property
    def diagnostics(self) -> list[Diagnostic]:
        return [d for r in self.results for d in r.diagnostics]

    @property
    def files(self) -> int:
        return sum(max(len(r.source.paths), 1) for r in self.results)

    def count(self, severity: Severity) -> int:
        return sum(1 for d in self.diagnostics if d.severity is severity)


def validate_path(root: Path) -> Validated:
    """Validate one manifest (file or directory) against the schema and every rule."""
    source = read_manifest(root)
    result = Validated(source, None, list(source.diagnostics))
    if not source.files:
        return result
    try:
        # strict: the JSON Schema says integer, boolean, string; "465" or "true" in quotes must not pass here either
        manifest = Manifest.model_validate(source.value, strict=True)
    except ValidationError as exc:
        result.diagnostics.extend(_schema_diagnostics(source, exc))
        return result
    result.manifest = manifest
    for rule, problem in rules.run(manifest):
        severity = problem.severity or rule.SEVERITY
        result.diagnostics.append(source.diagnostic(rule.ID, severity, problem.message, problem.path, problem.key))
    return result


def validate(paths: list[Path], check_secrets: bool = False, online: Resolver | None = None) -> Report:
    """Validate each manifest path; with `check_secrets`, also resolve every secret reference;
    with an `online` resolver, also analyse the SPF records an apply would publish."""
    results = [validate_path(p) for p in paths]
    for result in results:
        if result.manifest is None:
            continue
        if check_secrets:
            result.diagnostics.extend(_secret_diagnostics(result.source, result.manifest))
        if online is not None:
            from mailconf.online import online_diagnostics

            result.diagnostics.extend(online_diagnostics(result.source, result.manifest, online))
    return Report(results)


def _secret_diagnostics(source: ManifestSource, manifest: Manifest) -> list[Diagnostic]:
    """Resolve every well-formed reference, as plan does; malformed and literal ones are the rules' to report."""
    from mailconf.secrets import resolve_all

    return resolve_all(source, manifest).diagnostics


def _schema_diagnostics(source: ManifestSource, exc: ValidationError) -> list[Diagnostic]:
    found = []
    for error in exc.errors(include_url=False):
        loc = error["loc"]
        on_key = bool(loc) and loc[-1] == "[key]"
        path = tuple(p for p in loc if p != "[key]")
        message = _message(error, path)
        found.append(source.diagnostic("schema", Severity.ERROR, message, path, key=on_key or error["type"] == "extra_forbidden"))
    return found


def _message(error: Any, path: tuple[Any, ...]) -> str:
    kind = error["type"]
    name = str(path[-1]) if path else "manifest"
    if kind == "missing":
        return f"{name} is required"
    if kind == "extra_forbidden":
        return f"unknown key {name!r}{_suggest(name, path[:-1])}"
    if kind == "string_pattern_mismatch":
        meaning = _PATTERN_MEANING.get(error.get("ctx", {}).get("pattern"), "has the wrong form")
        return f"{name}: {error['input']!r} {meaning}"
    if kind == "literal_error" and path == ("version",):
        return f"version: {error['input']!r} is not supported; this mailconf reads version 1"
    return f"{name}: {error['msg'][0].lower()}{error['msg'][1:]}"


def _suggest(key: str, parent: tuple[Any, ...]) -> str:
    """`: did you mean 'security'?` for a misspelt key, from the fields the model allows there."""
    fields = _fields_at(parent)
    close = difflib.get_close_matches(key, fields, n=1)
    if close:
        return f": did you mean {close[0]!r}?"
    return f"; allowed here: {', '.join(fields)}" if fields else ""


def _fields_at(path: tuple[Any, ...]) -> list[str]:
    """The field names of the model found by following `path` from the manifest root."""
    current: Any = Manifest
    for part in path:
        model = _model_of(current)
        if model is not None:
            info = model.model_fields.get(str(part))
            current = info.annotation if info else None
        else:  # a dict or list level: step to its value type
            args = typing.get_args(current)
            current = args[-1] if args else None
    model = _model_of(current)
    return list(model.model_fields) if model else []


def _model_of(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        return next((m for m in map(_model_of, typing.get_args(annotation)) if m), None)
    return None
