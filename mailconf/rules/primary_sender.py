"""Exactly one primary sender, naming an account that can send.

Invoices and order confirmations go out from it unless a project says otherwise.

Passing::

    accounts: {billing: {address: billing@acme.example, preset: microsoft365}}
    primary_sender: billing

Failing::

    accounts: {billing: {address: billing@acme.example, preset: microsoft365}}
"""

from __future__ import annotations

from collections.abc import Iterator

from mailconf.diagnostics import Severity
from mailconf.endpoints import sends
from mailconf.model import Manifest
from mailconf.rules import Problem

ID = "primary-sender"
SEVERITY = Severity.ERROR


def check(manifest: Manifest) -> Iterator[Problem]:
    name = manifest.primary_sender
    if name is None:
        if any(sends(a) for a in manifest.accounts.values()):
            yield Problem(("accounts",), "no primary_sender: add `primary_sender: <account>` naming the account that sends invoices and order confirmations", key=True)
        return
    account = manifest.accounts.get(name)
    if account is None:
        yield Problem(("primary_sender",), f"primary_sender names {name!r}, which is not an account: use one of {_names(manifest)}")
    elif not sends(account):
        yield Problem(("primary_sender",), f"primary_sender {name!r} cannot send: give it an outgoing server or a preset")


def _names(manifest: Manifest) -> str:
    names = sorted(manifest.accounts)
    return ", ".join(names[:10]) + (", ..." if len(names) > 10 else "") if names else "(no accounts declared)"
