"""A secret reference written wrongly: it would be taken for a literal secret, or never resolve.

Names the mistake and what to write instead. Whitespace inside the braces is the
`whitespace` rule's; a reference that is well formed but unresolvable is reported by
`validate --check-secrets` (`secret-unresolved`).

Passing::

    accounts:
      sales: {address: sales@acme.example, password: "${env:SALES_PASSWORD}"}

Failing::

    accounts:
      sales: {address: sales@acme.example, password: "$SALES_PASSWORD"}   # did you mean ${env:SALES_PASSWORD}?
"""

from __future__ import annotations

from collections.abc import Iterator

from mailconf.diagnostics import Severity
from mailconf.model import Manifest
from mailconf.rules import Problem
from mailconf.secrets import Form, diagnose, secret_fields

ID = "secret-reference"
SEVERITY = Severity.ERROR


def check(manifest: Manifest) -> Iterator[Problem]:
    for path, text in secret_fields(manifest):
        found = diagnose(text)
        if found.form is Form.MALFORMED:
            yield Problem(path, f"{path[-1]}: {found.message}")
