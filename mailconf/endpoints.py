"""Effective server endpoints: the account's own fields over its preset, with ports and security
derived from each other by the IANA conventions when only one is given."""

from __future__ import annotations

from typing import Literal

from mailconf.errors import MailconfError
from mailconf.model import Account, Incoming, Outgoing
from mailconf.presets import Endpoint, get_preset

Protocol = Literal["smtp", "imap", "pop3"]

# Which security each well-known port implies (the first is the default), per protocol.
PORT_SECURITY: dict[Protocol, dict[int, tuple[str, ...]]] = {
    "smtp": {465: ("tls",), 587: ("starttls",), 25: ("starttls", "none")},
    "imap": {993: ("tls",), 143: ("starttls", "none")},
    "pop3": {995: ("tls",), 110: ("starttls", "none")},
}
# Ports a protocol is found on without a registered security (RFC 8314 leaves them out), and
# what most servers there speak: named in the error that asks for `security:`, never assumed.
UNREGISTERED_PORTS: dict[Protocol, dict[int, str]] = {"smtp": {2525: "starttls"}, "imap": {}, "pop3": {}}
# Every port known to belong to a protocol: a client of another protocol there fails.
PROTOCOL_PORTS: dict[Protocol, frozenset[int]] = {
    protocol: frozenset(PORT_SECURITY[protocol]) | frozenset(UNREGISTERED_PORTS[protocol]) for protocol in PORT_SECURITY
}
# Which port each security implies, per protocol.
SECURITY_PORT: dict[Protocol, dict[str, int]] = {
    "smtp": {"tls": 465, "starttls": 587, "none": 25},
    "imap": {"tls": 993, "starttls": 143, "none": 143},
    "pop3": {"tls": 995, "starttls": 110, "none": 110},
}


class EndpointError(MailconfError):
    """An endpoint the manifest does not define completely enough to connect to."""


class IncompleteEndpoint(EndpointError):
    """An endpoint lacks a host, or both port and security, and no preset supplies them."""

    def __init__(self, missing: list[str], preset: str | None) -> None:
        fix = f"the preset {preset!r} does not supply it: set it" if preset else "set it, or use a preset"
        super().__init__(f"missing {' and '.join(missing)}: {fix}")
        self.missing = missing


class UnknownPortSecurity(EndpointError):
    """A port whose security no convention gives, and no `security:` says it.

    Guessing is how a client ends up waiting for a TLS handshake a STARTTLS server never
    starts (or the reverse), so the manifest must say it."""

    def __init__(self, protocol: Protocol, port: int) -> None:
        usual = UNREGISTERED_PORTS[protocol].get(port)
        if usual:
            seen = f"{protocol.upper()} port {port} has no registered security; most servers there use {usual}"
            fix = f"set security: {usual} (or {', '.join(s for s in ('tls', 'starttls', 'none') if s != usual)})"
        else:
            seen = f"{protocol.upper()} port {port} has no standard security, so none is assumed (not even tls)"
            fix = "set security: tls, starttls or none"
        super().__init__(f"{seen}: {fix}")
        self.protocol, self.port = protocol, port


def port_owner(port: int) -> Protocol | None:
    """The protocol a well-known port belongs to, if any."""
    return next((protocol for protocol, ports in PROTOCOL_PORTS.items() if port in ports), None)


def _effective(protocol: Protocol, own: Outgoing | Incoming, preset_name: str | None) -> Endpoint:
    host, port, security = own.host, own.port, own.security
    if preset_name is not None and (host is None or port is None or security is None):
        base = getattr(get_preset(preset_name), protocol)
        if base is not None:
            host = host or base.host
            if port is None and security is None:
                port, security = base.port, base.security
    if port is None and security is not None:
        port = SECURITY_PORT[protocol][security]
    if security is None and port is not None:
        if port not in PORT_SECURITY[protocol]:
            raise UnknownPortSecurity(protocol, port)
        security = PORT_SECURITY[protocol][port][0]
    missing = [name for name, value in (("host", host), ("port or security", port)) if value is None]
    if missing:
        raise IncompleteEndpoint(missing, preset_name)
    assert host is not None and port is not None and security is not None
    return Endpoint(host, port, security)  # type: ignore[arg-type]


def _own(account: Account, field: str) -> Outgoing | Incoming | None:
    """The account's block, or an empty one when a preset implies it; `field: null` switches it off."""
    value = getattr(account, field)
    if value is None and account.preset is not None and field not in account.model_fields_set:
        return Outgoing() if field == "outgoing" else Incoming()
    return value


def smtp(account: Account) -> Endpoint | None:
    """Where the account sends, or None when it does not send."""
    own = _own(account, "outgoing")
    return None if own is None else _effective("smtp", own, account.preset)


def incoming(account: Account) -> tuple[Incoming, Endpoint] | None:
    """The account's incoming settings and where it receives (IMAP or POP3), or None when it does not receive."""
    own = _own(account, "incoming")
    if not isinstance(own, Incoming):
        return None
    return own, _effective(own.protocol, own, account.preset)


def sends(account: Account) -> bool:
    """Whether the account can send, without resolving its endpoint."""
    return _own(account, "outgoing") is not None


def receives(account: Account) -> bool:
    """Whether the account can receive, without resolving its endpoint."""
    return _own(account, "incoming") is not None
