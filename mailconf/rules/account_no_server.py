"""An account that can neither send nor receive: no outgoing, no incoming, no preset giving one.

Such an account is created in every target and does nothing; most often a preset was
forgotten, or both servers were switched off with `null`.

Passing::

    accounts:
      archive: {address: archive@acme.example, preset: gmail, outgoing: null}

Failing::

    accounts:
      archive: {address: archive@acme.example}
"""

from __future__ import annotations

from collections.abc import Iterator

from mailconf.diagnostics import Severity
from mailconf.endpoints import receives, sends
from mailconf.model import Manifest
from mailconf.rules import Problem

ID = "account-no-server"
SEVERITY = Severity.ERROR


def check(manifest: Manifest) -> Iterator[Problem]:
    for name, account in manifest.accounts.items():
        if account.outgoing is None and account.incoming is None and not sends(account) and not receives(account):
            yield Problem(
                ("accounts", name),
                f"account {name!r} can neither send nor receive: add a preset, or an outgoing or incoming server",
                key=True,
            )
