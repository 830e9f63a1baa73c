"""A password sent over `security: none`: anyone on the path reads it.

A login (IMAP and POP3 always log in; SMTP unless `auth: false`) over an unencrypted
connection exposes the password; an unauthenticated relay on port 25 is fine. `none` is
never derived from a port and no preset uses it, so only a written `security: none` counts.

Passing::

    accounts:
      relay: {address: relay@acme.example, outgoing: {host: relay.acme.example, port: 25, security: none, auth: false}}

Failing (a warning)::

    accounts:
      relay: {address: relay@acme.example, password: "${env:PW}", outgoing: {host: relay.acme.example, port: 25, security: none}}
"""

from __future__ import annotations

from collections.abc import Iterator

from mailconf.diagnostics import Severity
from mailconf.model import Manifest, Outgoing
from mailconf.rules import Problem

ID = "plaintext-password"
SEVERITY = Severity.WARNING


def check(manifest: Manifest) -> Iterator[Problem]:
    for name, account in manifest.accounts.items():
        if account.password is None:
            continue
        for block, own in (("outgoing", account.outgoing), ("incoming", account.incoming)):
            logs_in = not isinstance(own, Outgoing) or own.auth
            if own is not None and own.security == "none" and logs_in:
                yield Problem(
                    ("accounts", name, block, "security"),
                    f"the password goes over an unencrypted {block} connection: use security: tls or starttls"
                    + (", or auth: false if this relay does not need a login" if block == "outgoing" else ""),
                )
