"""Validation: load -> schema (pydantic, the model the JSON Schemas are generated from) -> rules.

Each stage turns what it finds into located diagnostics; nothing here raises for bad input.
"""

from __future__ import annotations

import datetime
import difflib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from mailconf import rules
from mailconf.diagnostics import Diagnostic, Severity
from mailconf.errors import UsageError
from mailconf.secrets import SECRET_NAME
from mailconf.model import EMAIL_PATTERN, HOST_PATTERN, NAME_PATTERN, DOMAIN_PATTERN, Manifest
from mailconf.sources import ManifestSource, collection, manifest_roots, read_manifest

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
    """Validate one manifest (file or directory) against the schema and every rule.

    A collection of manifests is refused: plan and apply work on one manifest at a time.
    """
    held = collection(root)
    if held:
        names = ", ".join(p.name for p in held[:5]) + (", ..." if len(held) > 5 else "")
        raise UsageError(f"{root} holds {len(held)} manifests ({names}): plan or apply one of them, e.g. {held[0]}")
    return _validate_manifest(root)


def _validate_manifest(root: Path) -> Validated:
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
    """Validate each manifest a path names (a collection names several, each validated on its own);
    with `check_secrets`, also resolve every secret reference; with an `online` resolver, also
    analyse the SPF records an apply would publish."""
    results = [_validate_manifest(root) for path in paths for root in manifest_roots(path)]
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


def _host_fault(value: str) -> str | None:
    """Which RFC 1123 rule a host name breaks, in words (the pattern alone only says that it does)."""
    labels = value.strip().removesuffix(".").split(".")
    if "_" in value:
        return "host names cannot hold '_' (RFC 1123); did you mean '-'?"
    if any(not label for label in labels):
        return "it has an empty label (two dots in a row, or a leading dot)"
    if long := next((label for label in labels if len(label) > 63), None):
        return f"the label {long[:20]}... is {len(long)} characters long, over the 63 DNS allows"
    if bad := next((label for label in labels if label.startswith("-") or label.endswith("-")), None):
        return f"the label {bad!r} starts or ends with '-'"
    if bad := next((c for c in value.strip() if not (c.isascii() and (c.isalnum() or c in ".-"))), None):
        return f"{bad!r} is not allowed: letters, digits, '-' and '.' only (an internationalised name is written in its xn-- form)"
    return None


def _message(error: Any, path: tuple[Any, ...]) -> str:
    kind = error["type"]
    name = _name(path)
    if kind == "missing":
        if path == ("version",):
            return f"version is required: this mailconf reads {_versions()}; add `version: {_VERSIONS[-1]}` at the top"
        return f"{name} is required"
    if kind == "extra_forbidden":
        return f"unknown key {path[-1]!r}{_suggest(str(path[-1]), path[:-1])}"
    if kind == "string_pattern_mismatch":
        pattern = error.get("ctx", {}).get("pattern")
        meaning = _PATTERN_MEANING.get(pattern, "has the wrong form")
        why = _host_fault(error["input"]) if pattern == HOST_PATTERN else None
        return f"{name}: {error['input']!r} {meaning}" + (f": {why}" if why else "")
    if kind == "literal_error" and path == ("version",):
        return f"version: {error['input']!r} is not supported; this mailconf reads {_versions()}"
    expected = _EXPECTED.get(kind)
    found = error.get("input")
    if expected and (isinstance(found, dict | list | datetime.date) or kind in ("model_type", "dict_type", "list_type")):
        if any(isinstance(part, str) and SECRET_NAME.search(part) for part in path):  # what is written there may be the password
            return f"{name}: expected {expected}, found {_kind(found)} (not shown: it may be a secret): write a reference, ${{env:NAME}} or ${{file:PATH}}"
        return f"{name}: {_wrong_shape(expected, found, path)}"
    return f"{name}: {error['msg'][0].lower()}{error['msg'][1:]}"


# What a value of the wrong shape was expected to be, by pydantic error type.
_EXPECTED = {
    "string_type": "a string",
    "int_type": "an integer",
    "float_type": "a number",
    "bool_type": "a boolean (true or false)",
    "model_type": "a mapping",
    "dict_type": "a mapping",
    "list_type": "a list",
}
_VERSIONS: tuple[int, ...] = typing.get_args(Manifest.model_fields["version"].annotation)


def _versions() -> str:
    return f"version{'s' * (len(_VERSIONS) > 1)} {', '.join(map(str, _VERSIONS))}"


def _name(path: tuple[Any, ...]) -> str:
    """The name a user sees for the value at `path`: its key, or `mechanisms[0]` for a list item."""
    if not path:
        return "manifest"
    if isinstance(path[-1], int) and len(path) > 1:
        return f"{path[-2]}[{path[-1]}]"
    return str(path[-1])


def _wrong_shape(expected: str, found: Any, path: tuple[Any, ...]) -> str:
    """`expected a string, found a mapping (include: x): write include:x`, in words a user can act on."""
    fields = _fields_at(path) if expected == "a mapping" else []
    wanted = f"{expected} ({', '.join(fields[:6])}{', ...' if len(fields) > 6 else ''})" if fields else expected
    message = f"expected {wanted}, found {_kind(found)}"
    if found is not None:
        message += f" ({_show(found)})"
    if isinstance(found, dict) and len(found) == 1 and expected == "a string":
        [(key, value)] = found.items()
        if not isinstance(value, dict | list):
            return message + f": {_colon_fix(str(key), value, path)}"
    if isinstance(found, list) and expected == "a mapping" and found and all(isinstance(i, dict) for i in found):
        return message + ": write its keys without the leading '- '"
    if isinstance(found, list) and expected == "a string":
        return message + ": give one value, not a list"
    if isinstance(found, datetime.date) and expected == "a string":  # YAML reads 2024-01-31 as a date
        return message + f": quote it ('{found.isoformat()}') to mean the text"
    return message


def _colon_fix(key: str, value: Any, path: tuple[Any, ...]) -> str:
    """The fix for `key: value` written where a string belongs: an SPF term loses its space, else the value stands alone."""
    from mailconf.spf.record import MECHANISMS

    if key.lstrip("+-~?").lower() in MECHANISMS | {"redirect", "exp"}:
        return f"YAML reads `{key}: {_show(value)}` as a mapping; write `{key}:{_show(value)}` (no space after the colon)"
    return f"write the string itself (`{_name(path)}: {_show(value)}`)"


def _kind(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, datetime.date):
        return "a date"
    return {dict: "a mapping", list: "a list", str: "a string"}.get(type(value), f"a {type(value).__name__}")


def _show(value: Any, limit: int = 40) -> str:
    """A short YAML-like rendering of a value, as the user wrote it (`include: x`, `[a, b]`)."""
    if isinstance(value, dict):
        text = ", ".join(f"{k}: {_show(v, limit)}" for k, v in value.items())
        text = text if len(value) == 1 else f"{{{text}}}"
    elif isinstance(value, list):
        text = f"[{', '.join(_show(v, limit) for v in value)}]"
    elif value is None:
        text = "null"
    elif isinstance(value, bool):
        text = str(value).lower()
    elif isinstance(value, datetime.date):
        text = value.isoformat()
    else:
        text = str(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


# Keys people write from other tools' vocabularies, and the key mailconf uses for each.
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "smtp": ("outgoing",),
    "send": ("outgoing",),
    "sending": ("outgoing",),
    "out": ("outgoing",),
    "imap": ("incoming",),
    "pop": ("incoming",),
    "pop3": ("incoming",),
    "receive": ("incoming",),
    "receiving": ("incoming",),
    "in": ("incoming",),
    "server": ("host", "outgoing", "incoming"),
    "hostname": ("host",),
    "smtp_server": ("host", "outgoing"),
    "imap_server": ("host", "incoming"),
    "ssl": ("security",),
    "tls": ("security",),
    "starttls": ("security",),
    "encryption": ("security",),
    "use_ssl": ("security",),
    "use_tls": ("security",),
    "user": ("username",),
    "login": ("username",),
    "user_name": ("username",),
    "email": ("address",),
    "e_mail": ("address",),
    "mail": ("address",),
    "email_address": ("address",),
    "email_id": ("address",),
    "pass": ("password",),
    "passwd": ("password",),
    "pwd": ("password",),
    "secret": ("password",),
    "name": ("display_name",),
    "from_name": ("display_name", "sender_name"),
    "sender": ("display_name", "sender_name"),
    "authentication": ("auth",),
    "login_required": ("auth",),
    "proto": ("protocol",),
    "type": ("protocol", "driver"),
    "mailbox": ("folder",),
    "provider": ("preset", "driver"),
    "service": ("preset",),
    "options": ("settings",),
    "config": ("settings",),
    "include": ("mechanisms",),
    "includes": ("mechanisms",),
    "record": ("mechanisms",),
    "qualifier": ("all",),
    "policy": ("all",),
}


def _suggest(key: str, parent: tuple[Any, ...]) -> str:
    """`: did you mean 'security'?` for a misspelt key or another tool's word for it, from the fields allowed there;
    or where the key belongs when it is allowed one level down or up."""
    fields = _fields_at(parent)
    if not fields:
        return ""
    normal = key.strip().lower().replace("-", "_").replace(" ", "_")
    meant = [normal, *_SYNONYMS.get(normal, ())]
    here = [c for c in meant if c in fields and c != key]
    if here:
        return f": did you mean {' or '.join(repr(c) for c in dict.fromkeys(here))}?"
    below = [(f, where) for f in fields for where in (f"inside {f!r}", f"inside an entry of {f!r}") if any(c in _fields_at((*parent, f, *(("*",) if "entry" in where else ()))) for c in meant)]
    if below:
        return f": it belongs {' or '.join(dict.fromkeys(where for _, where in below))}"
    above = [c for c in meant if len(parent) > 1 and c in _fields_at(parent[:-1])]
    if above:
        return f": did you mean {above[0]!r}? It belongs one level up, beside {parent[-1]!r}"
    close = difflib.get_close_matches(normal, fields, n=1)
    if close:
        return f": did you mean {close[0]!r}?"
    return f"; allowed here: {', '.join(fields)}"


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
