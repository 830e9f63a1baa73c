"""A port that belongs to another mail protocol: IMAP on 587, POP3 on 993, SMTP on 143, ...

The server there speaks the other protocol, so the client fails with a confusing greeting
error. SMTP is 25, 465, 587 (and 2525 at relays); IMAP 143, 993; POP3 110, 995.

Passing::

    accounts:
      b: {address: b@acme.example, outgoing: {host: mail.acme.example, port: 587}, incoming: {host: mail.acme.example, port: 993}}

Failing::

    accounts:
      b: {address: b@acme.example, outgoing: {host: mail.acme.example, port: 993}, incoming: {host: mail.acme.example, port: 587}}
"""

from __future__ import annotations

from collections.abc import Iterator

from mailconf.diagnostics import Severity
from mailconf.endpoints import PROTOCOL_PORTS, SECURITY_PORT, Protocol, port_owner
from mailconf.model import Manifest
from mailconf.rules import Problem
from mailconf.yamlsource import Path_

ID = "port-protocol"
SEVERITY = Severity.ERROR


def check(manifest: Manifest) -> Iterator[Problem]:
    for name, account in manifest.accounts.items():
        if account.outgoing is not None:
            yield from _check("smtp", account.outgoing.port, ("accounts", name, "outgoing", "port"))
        if account.incoming is not None:
            yield from _check(account.incoming.protocol, account.incoming.port, ("accounts", name, "incoming", "port"))


def _check(protocol: Protocol, port: int | None, path: Path_) -> Iterator[Problem]:
    if port is None or port in PROTOCOL_PORTS[protocol]:
        return
    owner = port_owner(port)
    if owner is not None:
        usual = SECURITY_PORT[protocol]
        yield Problem(
            path,
            f"port {port} belongs to {owner.upper()}, not {protocol.upper()}: use {usual['tls']} (tls) or {usual['starttls']} (starttls) for {protocol.upper()}",
        )
