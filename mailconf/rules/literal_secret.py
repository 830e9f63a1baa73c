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

import re
from collections.abc import Iterator
from typing import Any

from mailconf.diagnostics import Severity
from mailconf.model import SECRET_REF_PATTERN, Manifest
from mailconf.rules import Problem
from mailconf.yamlsource import Path_

ID = "literal-secret"
SEVERITY = Severity.ERROR
_REFERENCE = re.compile(SECRET_REF_PATTERN)
# Target settings whose names say they hold a secret.
_SECRET_NAME = re.compile(r"(password|passwd|secret|token|api[_-]?key|tsig[_-]?key)$", re.IGNORECASE)
_FIX = "is a literal secret: use ${env:NAME} or ${file:PATH} and keep the value out of git"


def check(manifest: Manifest) -> Iterator[Problem]:
    for name, account in manifest.accounts.items():
        if account.password is not None and not _REFERENCE.match(account.password.strip()):
            yield Problem(("accounts", name, "password"), f"password {_FIX}")
    for name, target in manifest.targets.items():
        yield from _settings(("targets", name, "settings"), target.settings)


def _settings(path: Path_, settings: dict[str, Any]) -> Iterator[Problem]:
    for key, value in settings.items():
        if isinstance(value, dict):
            yield from _settings((*path, key), value)
        elif is_literal_secret(key, value):
            yield Problem((*path, key), f"{key} {_FIX}")


def is_literal_secret(key: object, value: Any) -> bool:
    """Whether a setting named `key` holds a secret written literally (the target-settings rule
    leaves these to this rule, so each is reported once, with this rule's advice)."""
    return bool(_SECRET_NAME.search(str(key))) and _literal(value)


def _literal(value: Any) -> bool:
    """A string that is not a reference, or a number (a PIN or numeric token is a secret too)."""
    if isinstance(value, str):
        return not _REFERENCE.match(value)
    return isinstance(value, int | float) and not isinstance(value, bool)
