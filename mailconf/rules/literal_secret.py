"""A literal password, token or key instead of a secret reference.

Manifests live in git; secrets must not. Use `${env:NAME}` or `${file:PATH}`.

Passing::

    accounts:
      sales: {address: sales@acme.example, password: "${env:SALES_PASSWORD}"}

Failing::

    accounts:
      sales: {address: sales@acme.example, password: hunter2}
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from mailconf.diagnostics import Severity
from mailconf.model import Manifest
from mailconf.rules import Problem
from mailconf.secrets import SECRET_NAME, Form, diagnose, secret_fields
from mailconf.yamlsource import Path_

ID = "literal-secret"
SEVERITY = Severity.ERROR
_FIX = "is a literal secret: use ${env:NAME} or ${file:PATH} and keep the value out of git"


def check(manifest: Manifest) -> Iterator[Problem]:
    for path, text in secret_fields(manifest):
        if diagnose(text).form is Form.LITERAL:
            yield Problem(path, f"{path[-1]} {_FIX}")
    for name, target in manifest.targets.items():
        yield from _numbers(("targets", name, "settings"), target.settings)


def _numbers(path: Path_, settings: dict[str, Any]) -> Iterator[Problem]:
    """A PIN or numeric token is a secret too (strings are covered by `secret_fields`)."""
    for key, value in settings.items():
        if isinstance(value, dict):
            yield from _numbers((*path, key), value)
        elif SECRET_NAME.search(str(key)) and _number(value):
            yield Problem((*path, key), f"{key} {_FIX}")


def is_literal_secret(key: object, value: Any) -> bool:
    """Whether a setting named `key` holds something other than a well-formed reference (the
    target-settings rule leaves these to this rule, secret-reference and whitespace, so each is
    reported once, with the advice that fits)."""
    if not SECRET_NAME.search(str(key)):
        return False
    return diagnose(value).form is not Form.REFERENCE if isinstance(value, str) else _number(value)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
