"""Whitespace at either end of an address, username, host or secret reference, or inside a reference.

A pasted trailing space is the most common cause of a failed login, and invisible in a UI;
`${env:NAME }` names a variable that cannot exist.

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
from mailconf.secrets import Form, diagnose, secret_fields

ID = "whitespace"
SEVERITY = Severity.ERROR


def check(manifest: Manifest) -> Iterator[Problem]:
    for name, account in manifest.accounts.items():
        base = ("accounts", name)
        fields = {
            ("address",): account.address,
            ("username",): account.username,
            ("reply_to",): account.reply_to,
            ("outgoing", "host"): account.outgoing and account.outgoing.host,
            ("incoming", "host"): account.incoming and account.incoming.host,
            ("notify_if_unreplied", "recipient"): account.notify_if_unreplied and account.notify_if_unreplied.recipient,
        }
        for path, value in fields.items():
            if value and value != value.strip():
                yield Problem((*base, *path), f"{'.'.join(path)} {value!r} has whitespace at an end: remove it")
    for path, text in secret_fields(manifest):
        if text != text.strip():  # the value is never echoed: it may be a password written literally
            yield Problem(path, f"{path[-1]} has whitespace at an end: remove it")
        elif (found := diagnose(text)).form is Form.WHITESPACE:
            yield Problem(path, f"{path[-1]}: {found.message}")
