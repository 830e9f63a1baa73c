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
from mailconf.presets import presets
from mailconf.rules import Problem

ID = "plaintext-password"
SEVERITY = Severity.WARNING


def check(manifest: Manifest) -> Iterator[Problem]:
    plain_presets = {name for name, preset in presets().items() if "none" in {e.security for e in (preset.smtp, preset.imap, preset.pop3) if e}}
    for name, account in manifest.accounts.items():
        if account.password is None or not (account.preset in plain_presets or _writes_none(account)):
            continue  # `none` is never derived from a port: it is written, or comes from a preset
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


def _writes_none(account: Account) -> bool:
    outgoing, incoming = account.outgoing, account.incoming
    return (outgoing is not None and outgoing.security == "none") or (incoming is not None and incoming.security == "none")


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
