"""A username different from the address: most providers need them equal.

Passing::

    accounts:
      sales: {address: sales@acme.example, username: sales@acme.example}

Failing (a warning)::

    accounts:
      sales: {address: sales@acme.example, username: sales}
"""

from __future__ import annotations

from collections.abc import Iterator

from mailconf.diagnostics import Severity
from mailconf.model import Manifest
from mailconf.rules import Problem

ID = "username-differs"
SEVERITY = Severity.WARNING


def check(manifest: Manifest) -> Iterator[Problem]:
    for name, account in manifest.accounts.items():
        if account.username is not None and account.username.strip().lower() != account.address.strip().lower():
            yield Problem(
                ("accounts", name, "username"),
                f"username {account.username!r} differs from the address {account.address!r}: most providers need them equal; remove username unless yours does not",
            )
