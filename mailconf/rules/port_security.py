"""Port and security that do not fit the IANA conventions.

SMTP 465 is implicit TLS, 587 STARTTLS, 25 plain or STARTTLS; IMAP 993 TLS, 143 STARTTLS;
POP3 995 TLS, 110 STARTTLS. A mix-up makes the client hang or fail its handshake.

Passing::

    outgoing: {host: smtp.acme.example, port: 465, security: tls}

Failing::

    outgoing: {host: smtp.acme.example, port: 465, security: starttls}
"""

from __future__ import annotations

from collections.abc import Iterator

from mailconf.diagnostics import Severity
from mailconf.endpoints import PORT_SECURITY, SECURITY_PORT, Protocol
from mailconf.model import Incoming, Manifest, Outgoing
from mailconf.rules import Problem
from mailconf.yamlsource import Path_

ID = "port-security"
SEVERITY = Severity.ERROR


def check(manifest: Manifest) -> Iterator[Problem]:
    for name, account in manifest.accounts.items():
        if account.outgoing is not None:
            yield from _check("smtp", account.outgoing, ("accounts", name, "outgoing"))
        if account.incoming is not None:
            yield from _check(account.incoming.protocol, account.incoming, ("accounts", name, "incoming"))


def _check(protocol: Protocol, block: Outgoing | Incoming, path: Path_) -> Iterator[Problem]:
    if block.port is None or block.security is None:
        return
    allowed = PORT_SECURITY[protocol].get(block.port)
    if allowed is not None and block.security not in allowed:
        usual = SECURITY_PORT[protocol][block.security]
        yield Problem(
            (*path, "security"),
            f"{protocol.upper()} port {block.port} means security {' or '.join(allowed)}, not {block.security}: "
            f"set security: {allowed[0]}, or port: {usual} for {block.security}",
        )
