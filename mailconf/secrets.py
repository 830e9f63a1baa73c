"""Secret references: `${env:NAME}` and `${file:PATH}`, resolved only when a value is needed.

Validation never needs the values (CI validates without secrets); plan and apply resolve
them and wrap them in `Secret`, whose repr and str never show the value.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mailconf.errors import SecretError

if TYPE_CHECKING:
    from mailconf.model import Manifest

_REFERENCE = re.compile(r"^\$\{(?P<source>env|file):(?P<name>[^}]+)\}$")


@dataclass(frozen=True, repr=False)
class Secret:
    """A resolved secret value; printing it shows a mask, `reveal()` gives the value to a driver."""

    _value: str

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('(sensitive)')"

    __str__ = __repr__


def is_reference(text: str) -> bool:
    return _REFERENCE.match(text) is not None


def resolve(reference: str, base: Path) -> Secret:
    """The value a reference points to; `file:` paths are relative to `base` (the manifest's directory)."""
    match = _REFERENCE.match(reference.strip())
    if match is None:
        raise SecretError(f"{reference[:2]}... is not a secret reference: use ${{env:NAME}} or ${{file:PATH}}")
    source, name = match["source"], match["name"]
    if source == "env":
        value = os.environ.get(name)
        if value is None:
            raise SecretError(f"environment variable {name} is not set")
    else:
        path = (base / name).expanduser()
        try:
            value = path.read_text(encoding="utf-8").rstrip("\r\n")
        except OSError as exc:
            raise SecretError(f"cannot read secret file {path}: {exc.strerror or exc}") from None
    if value != value.strip():
        raise SecretError(f"the value of {reference} has whitespace at an end: remove it where the secret is stored")
    return Secret(value)


def secret_references(manifest: Manifest) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Every secret reference of a manifest with its key path: account passwords and target settings."""
    for name, account in manifest.accounts.items():
        if account.password is not None:
            yield ("accounts", name, "password"), account.password
    for name, target in manifest.targets.items():
        yield from _references(("targets", name, "settings"), target.settings)


def _references(path: tuple[str | int, ...], value: Any) -> Iterator[tuple[tuple[str | int, ...], str]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _references((*path, key), item)
    elif isinstance(value, str) and is_reference(value.strip()):
        yield path, value
