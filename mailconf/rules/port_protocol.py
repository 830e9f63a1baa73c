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
        outgoing, incoming = account.outgoing, account.incoming
        if outgoing is not None and outgoing.port is not None and outgoing.port not in PROTOCOL_PORTS["smtp"]:
            yield from _foreign("smtp", outgoing.port, ("accounts", name, "outgoing", "port"))
        if incoming is not None and incoming.port is not None and incoming.port not in PROTOCOL_PORTS[incoming.protocol]:
            yield from _foreign(incoming.protocol, incoming.port, ("accounts", name, "incoming", "port"))


def _foreign(protocol: Protocol, port: int, path: Path_) -> Iterator[Problem]:
    """A problem if `port`, not one of `protocol`'s, belongs to another protocol (an unknown port is the endpoint rule's)."""
    owner = port_owner(port)
    if owner is not None:
        usual = SECURITY_PORT[protocol]
        yield Problem(
            path,
            f"port {port} belongs to {owner.upper()}, not {protocol.upper()}: use {usual['tls']} (tls) or {usual['starttls']} (starttls) for {protocol.upper()}",
        )
