"""A password sent over `security: none`: anyone on the path reads it.

A login (IMAP and POP3 always log in; SMTP unless `auth: false`) over an unencrypted
connection exposes the password; an unauthenticated relay on port 25 is fine.

Passing::

    accounts:
      relay: {address: relay@acme.example, outgoing: {host: relay.acme.example, port: 25, security: none, auth: false}}

Failing (a warning)::

    accounts:
      relay: {address: relay@acme.example, password: "${env:PW}", outgoing: {host: relay.acme.example, port: 25, security: none}}
"""

from __future__ import annotations

from collections.abc import Iterator

from mailconf import endpoints
from mailconf.diagnostics import Severity
from mailconf.model import Account, Incoming, Manifest, Outgoing
from mailconf.rules import Problem

ID = "plaintext-password"
SEVERITY = Severity.WARNING


def check(manifest: Manifest) -> Iterator[Problem]:
    for name, account in manifest.accounts.items():
        if account.password is None:
            continue
        for block in ("outgoing", "incoming"):
            own: Outgoing | Incoming | None = getattr(account, block)
            logs_in = not isinstance(own, Outgoing) or own.auth
            if logs_in and _security(account, block) == "none":
                where = (block, "security") if own is not None and own.security is not None else (block,) if own is not None else ("preset",)
                yield Problem(
                    ("accounts", name, *where),
                    f"the password goes over an unencrypted {block} connection: use security: tls or starttls"
                    + (", or auth: false if this relay does not need a login" if block == "outgoing" else ""),
                )


def _security(account: Account, block: str) -> str | None:
    """The effective security of one of the account's servers, None when it has none."""
    try:
        if block == "outgoing":
            endpoint = endpoints.smtp(account)
        else:
            received = endpoints.incoming(account)
            endpoint = received and received[1]
    except endpoints.EndpointError:
        return None  # the endpoint rule reports it
    return endpoint.security if endpoint else None
