"""Secret references: `${env:NAME}` and `${file:PATH}`, resolved only when a value is needed.

Validation never needs the values (CI validates without secrets); plan and apply resolve
them and wrap them in `Secret`, whose repr and str never show the value. Every value ever
resolved is remembered for the process, so `redact` can blank it from any message (a
driver's error, an unexpected exception) before it is printed.
"""

from __future__ import annotations

import os
import re
import stat
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from mailconf.diagnostics import Diagnostic, Severity
from mailconf.errors import SecretError

if TYPE_CHECKING:
    from mailconf.model import Manifest
    from mailconf.sources import ManifestSource
    from mailconf.yamlsource import Path_

#: The longest secret mailconf reads, in bytes of UTF-8.
MAX_SECRET = 64 * 1024
_BOM = b"\xef\xbb\xbf"
#: Shorter values are not redacted from messages: blanking every "a" would garble them and hide nothing.
MIN_REDACTED = 6
SENSITIVE = "(sensitive)"

_REFERENCE = re.compile(r"^\$\{(?:(?P<source>env):(?P<name>[^}\s]+)|(?P<file>file):(?P<path>[^}\s](?:[^}]*[^}\s])?))\}$")
# Shapes of a reference written wrongly; each is explained by `Diagnosis`.
_BRACED = re.compile(r"^\$\{(?P<source>[^:}]*):(?P<name>[^}]*)\}$")
_NO_SOURCE = re.compile(r"^\$\{(?P<name>[^:}]*)\}$")
_UNCLOSED = re.compile(r"^\$\{(?:(?P<source>[^:}]*):)?(?P<name>[^}]*)$")
_NO_BRACES = re.compile(r"^\$(?P<source>env|file):(?P<name>\S+)$", re.IGNORECASE)
_NO_DOLLAR = re.compile(r"^\{(?P<source>env|file):(?P<name>[^}]*)\}$", re.IGNORECASE)
_SHELL = re.compile(r"^\$(?P<name>[A-Z_][A-Z0-9_]*)$")
# Without an explicit source, only a conventional variable name is echoed in a suggestion:
# anything else written after a bare `$` or inside `${...}` might be the password itself.
_ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")
_SHAPES = "${env:NAME} or ${file:PATH}"


@dataclass(frozen=True, repr=False)
class Secret:
    """A resolved secret value; printing it shows a mask, `reveal()` gives the value to a driver.
    `reference` says where it is found (`${env:NAME}`), so a manual step can name it instead of the value."""

    _value: str
    reference: str = field(default="", compare=False)

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret('{SENSITIVE}')"

    __str__ = __repr__


class SecretValueError(SecretError):
    """A secret was found, but its value cannot be used (empty, a line break, not UTF-8, too long)."""


class Form(Enum):
    """What a string in a secret's place is."""

    REFERENCE = "reference"
    WHITESPACE = "whitespace"  # a reference with whitespace inside its braces
    MALFORMED = "malformed"  # meant as a reference, written wrongly
    LITERAL = "literal"  # the secret itself


@dataclass(frozen=True)
class Diagnosis:
    """What `diagnose` found; `message` says what is wrong and what to write instead."""

    form: Form
    message: str = ""


def is_reference(text: str) -> bool:
    return _REFERENCE.match(text) is not None


def diagnose(text: str) -> Diagnosis:
    """Whether `text` (without its surrounding whitespace, which the whitespace rule reports) is a
    well-formed reference, a reference written wrongly (with what to write instead), or a literal.
    A message only ever quotes what is shaped like a reference, never what may be a password."""
    text = text.strip()
    if _REFERENCE.match(text):
        return Diagnosis(Form.REFERENCE)
    if match := _BRACED.match(text):
        return _braced(text, match["source"], match["name"])
    if match := _NO_SOURCE.match(text):
        name = match["name"].strip()
        if not name:
            return Diagnosis(Form.MALFORMED, f"{text} names nothing: write {_SHAPES}")
        return Diagnosis(Form.MALFORMED, f"a reference needs its source: {_did_you_mean('env', name)}")
    if match := _UNCLOSED.match(text):
        source, name = (match["source"] or "env").strip().lower(), match["name"].strip()
        shown = f"{text}: " if match["source"] is not None else ""
        fix = _did_you_mean(source, name) if source in ("env", "file") else f"write {_SHAPES}"
        return Diagnosis(Form.MALFORMED, f"{shown}the reference is not closed with }}: {fix}")
    if match := _NO_BRACES.match(text) or _NO_DOLLAR.match(text):
        return Diagnosis(Form.MALFORMED, f"{text} is not a reference: did you mean ${{{match['source'].lower()}:{match['name'].strip()}}}?")
    if match := _SHELL.match(text):
        return Diagnosis(Form.MALFORMED, f"{text} is shell syntax, not expanded here: did you mean ${{env:{match['name']}}}?")
    if text.startswith("${"):
        return Diagnosis(Form.MALFORMED, f"not a well-formed reference: write {_SHAPES}")
    return Diagnosis(Form.LITERAL)


def _braced(text: str, source: str, name: str) -> Diagnosis:
    known = source.strip().lower()
    if known not in ("env", "file"):
        return Diagnosis(Form.MALFORMED, f"{text}: unknown secret source {source.strip()!r}; mailconf reads {_SHAPES}")
    if not name.strip():
        what = "variable" if known == "env" else "file"
        return Diagnosis(Form.MALFORMED, f"{text} names no {what}: write ${{{known}:{'NAME' if known == 'env' else 'PATH'}}}")
    fixed = f"${{{known}:{''.join(name.split()) if known == 'env' else name.strip()}}}"
    if source != source.strip() or name != name.strip() or (known == "env" and re.search(r"\s", name)):
        return Diagnosis(Form.WHITESPACE, f"{text} has whitespace inside the reference: did you mean {fixed}?")
    return Diagnosis(Form.MALFORMED, f"{text}: write the source in lower case: did you mean {fixed}?")


def _did_you_mean(source: str, name: str) -> str:
    if source == "file" or _ENV_NAME.match(name):
        return f"did you mean ${{{source}:{name}}}?"
    return f"write {_SHAPES}"


def resolve(reference: str, base: Path, keep_padding: bool = False) -> Secret:
    """The value a reference points to; `file:` paths are relative to `base` (the manifest's directory).
    SecretError when it is missing or unusable; no message ever shows the value. `keep_padding`
    lets whitespace at an end through, for `check` to try the login with and without it."""
    match = _REFERENCE.match(reference.strip())
    if match is None:
        raise SecretError(f"{reference[:2]}... is not a secret reference: use {_SHAPES}")
    source, name = ("env", match["name"]) if match["source"] else ("file", match["path"])
    reference = match[0]
    if source == "env":
        value = os.environ.get(name)
        if value is None:
            raise SecretError(f"{reference}: environment variable {name} is not set")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # bytes that are not UTF-8 arrive as lone surrogates
            raise SecretValueError(f"{reference}: the value of {name} is not valid UTF-8") from None
    else:
        value = _read_file(reference, (base / name).expanduser())
    _remember(value)
    _remember(value.strip())
    _check(reference, value, keep_padding)
    return Secret(value, reference)


def _read_file(reference: str, path: Path) -> str:
    """A secret file's text, bounded: never blocks on a FIFO, never reads a device or a huge file.
    A final line break and a leading byte-order mark (Notepad writes one) are not part of the secret."""
    bound = MAX_SECRET + len(_BOM) + 2  # the longest secret, a BOM and a final CR LF
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise SecretError(f"{reference}: cannot read secret file {path}: {exc.strerror or exc}") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise SecretError(f"{reference}: {path} is not a regular file (a directory, device or FIFO): point it at a file holding the secret")
        data = b""
        while len(data) <= bound and (chunk := os.read(fd, bound + 1 - len(data))):
            data += chunk
    except OSError as exc:
        raise SecretError(f"{reference}: cannot read secret file {path}: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if len(data) > bound:
        raise SecretValueError(f"{reference}: {path} is larger than {MAX_SECRET // 1024} KiB, the most a secret may be")
    try:
        return data.removeprefix(_BOM).decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError as exc:
        raise SecretValueError(f"{reference}: {path} is not valid UTF-8 (byte offset {exc.start})") from None


def _check(reference: str, value: str, keep_padding: bool = False) -> None:
    """What every use of a secret needs (a password, an HTTP header, a TSIG key): something there,
    nothing a protocol line could split on, and a sane length."""
    if not value.strip():
        what = "only whitespace" if value else "empty"
        raise SecretValueError(f"{reference} is {what}: set the secret where it is stored (a CI system sets a missing secret to \"\")")
    if value != value.strip() and not keep_padding:
        raise SecretValueError(f"the value of {reference} has whitespace at an end: remove it where the secret is stored")
    if len(value.encode("utf-8")) > MAX_SECRET:
        raise SecretValueError(f"the value of {reference} is larger than {MAX_SECRET // 1024} KiB, the most a secret may be")
    control = next((c for c in value if unicodedata.category(c) == "Cc"), None)
    if control is not None:
        what = "a line break" if control in "\r\n" else f"a control character (U+{ord(control):04X})"
        raise SecretValueError(f"the value of {reference} contains {what}, which no password, key or header may hold")


# -- redaction ---------------------------------------------------------------------------

_revealed: set[str] = set()
_pattern: re.Pattern[str] | None = None


def _remember(value: str) -> None:
    """Keep `value`, and the forms a message may quote it in, for `redact`: URL-encoded, and
    escaped by repr()/ascii() once or twice (a KeyError's message is the repr of a repr)."""
    global _pattern
    if len(value) < MIN_REDACTED:
        return
    forms = {value, quote(value, safe="")}
    for _ in range(2):
        forms |= {escaped for form in forms for escaped in (repr(form)[1:-1], form.encode("unicode_escape").decode("ascii"))}
    if not forms <= _revealed:
        _revealed.update(forms)
        _pattern = None


def redact(text: str) -> str:
    """`text` with every secret value resolved in this process replaced by "(sensitive)"."""
    global _pattern
    if not _revealed:
        return text
    if _pattern is None:
        _pattern = re.compile(_trie_regex(sorted(_revealed)))
    return _pattern.sub(SENSITIVE, text)


def _trie_regex(words: list[str]) -> str:
    """One regex matching any of `words`, longest first, shaped as a trie: at each position of the
    text one path is walked instead of every secret being tried (bench/secret_files.py has figures)."""
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def build(node: dict[str, Any]) -> str:
        chain = ""  # a run of single-child nodes is one literal: no recursion per character of a long secret
        while len(node) == 1 and "" not in node:
            [(char, node)] = node.items()
            chain += re.escape(char)
        branches = [re.escape(char) + build(child) for char, child in sorted(node.items()) if char]
        if not branches:
            return chain
        body = branches[0] if len(branches) == 1 else f"(?:{'|'.join(branches)})"
        return chain + (f"(?:{body})?" if "" in node else body)

    return build(trie)


# -- a manifest's secrets ----------------------------------------------------------------

#: Target settings whose names say they hold a secret.
SECRET_NAME = re.compile(r"(password|passwd|secret|token|api[_-]?key|tsig[_-]?key)$", re.IGNORECASE)
#: Of those, the ones an HTTP driver sends as a header value (RFC 9110 5.5: visible ASCII and spaces).
_HEADER_NAME = re.compile(r"(token|api[_-]?(key|secret))$", re.IGNORECASE)  # sent in an HTTP header (erpnext: token key:secret)
_HEADER_SAFE = re.compile(r"^[\x20-\x7e]*$")
_REFERENCE_LIKE = re.compile(r"^\s*(\$\{|\$(env|file):|\{(env|file):)", re.IGNORECASE)


def secret_fields(manifest: Manifest) -> Iterator[tuple[Path_, str]]:
    """Every string of a manifest in a secret's place, reference or not: account passwords, target
    settings named like a secret, and any setting written like a reference."""
    for name, account in manifest.accounts.items():
        if account.password is not None:
            yield ("accounts", name, "password"), account.password
    for name, target in manifest.targets.items():
        yield from _settings(("targets", name, "settings"), target.settings)


def _settings(path: Path_, value: Any) -> Iterator[tuple[Path_, str]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _settings((*path, key), item)
    elif isinstance(value, str) and (SECRET_NAME.search(str(path[-1])) or _REFERENCE_LIKE.match(value)):
        yield path, value


def secret_references(manifest: Manifest) -> Iterator[tuple[Path_, str]]:
    """Every well-formed secret reference of a manifest with its key path."""
    return ((path, text) for path, text in secret_fields(manifest) if is_reference(text.strip()))


@dataclass
class Resolution:
    """Every secret of a manifest resolved: the values by key path, and a diagnostic per unusable one."""

    secrets: dict[Path_, Secret] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)


def resolve_all(source: ManifestSource, manifest: Manifest) -> Resolution:
    """Resolve every reference once (a variable many accounts share is read once); malformed and
    literal ones are left to the rules that report them."""
    found = Resolution()
    by_reference: dict[str, Secret | SecretError] = {}
    for path, text in secret_references(manifest):
        reference = text.strip()
        if reference not in by_reference:
            try:
                by_reference[reference] = resolve(reference, source.base_dir)
            except SecretError as exc:
                by_reference[reference] = exc
        outcome = by_reference[reference]
        if isinstance(outcome, Secret) and _HEADER_NAME.search(str(path[-1])) and not _HEADER_SAFE.match(outcome.reveal()):
            outcome = SecretValueError(f"the value of {reference} has a character outside printable ASCII, which the HTTP header {path[-1]} is sent in cannot carry")
        if isinstance(outcome, Secret):
            found.secrets[path] = outcome
        elif isinstance(outcome, SecretValueError):  # literal codes: the README test reads them from here
            found.diagnostics.append(source.diagnostic("secret-value", Severity.ERROR, str(outcome), path))
        else:
            found.diagnostics.append(source.diagnostic("secret-unresolved", Severity.ERROR, str(outcome), path))
    return found
