"""Whitespace at either end of an address, username, host or secret reference.

A pasted trailing space is the most common cause of a failed login, and invisible in a UI.

Passing::

    accounts:
      sales: {address: sales@acme.example}

Failing::

    accounts:
      sales: {address: "sales@acme.example "}
"""

from __future__ import annotations

from collections.abc import Iterator

from mailconf.diagnostics import Severity
from mailconf.model import Manifest
from mailconf.rules import Problem

ID = "whitespace"
SEVERITY = Severity.ERROR


def check(manifest: Manifest) -> Iterator[Problem]:
    for name, account in manifest.accounts.items():
        base = ("accounts", name)
        fields = {
            ("address",): account.address,
            ("username",): account.username,
            ("password",): account.password,
            ("reply_to",): account.reply_to,
            ("outgoing", "host"): account.outgoing and account.outgoing.host,
            ("incoming", "host"): account.incoming and account.incoming.host,
            ("notify_if_unreplied", "recipient"): account.notify_if_unreplied and account.notify_if_unreplied.recipient,
        }
        for path, value in fields.items():
            if value and value != value.strip():
                shown = "" if path == ("password",) else f" {value!r}"  # a password is never echoed, even a wrong one
                yield Problem((*base, *path), f"{'.'.join(path)}{shown} has whitespace at an end: remove it")
