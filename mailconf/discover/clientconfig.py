"""The Thunderbird autoconfig format (`config-v1.1.xml`, "clientConfig"): read it safely, write it.

One module knows the format, so what `mailconf autoconfig` publishes is exactly what
`mailconf discover` reads back. Documents come from the network (a domain's web server, the
ISPDB), so they are untrusted: the parser refuses any DTD (no entity can be declared, so no
billion laughs and no external entity), and the caller bounds the body's size.

Security names map as Thunderbird spells them: tls <-> SSL, starttls <-> STARTTLS, none <-> plain.
"""

from __future__ import annotations

import re
import xml.parsers.expat
from collections.abc import Sequence
from dataclasses import dataclass
from xml.etree import ElementTree as ET

from mailconf.errors import MailconfError
from mailconf.model import HOST_PATTERN

SOCKET_TYPES = {"tls": "SSL", "starttls": "STARTTLS", "none": "plain"}
_SECURITY = {name.lower(): security for security, name in SOCKET_TYPES.items()}
#: How a document says "the user's address" and "the part before the @".
ADDRESS, LOCAL_PART = "%EMAILADDRESS%", "%EMAILLOCALPART%"
_SERVER_TYPES = {"incomingServer": ("imap", "pop3"), "outgoingServer": ("smtp",)}
_HOST = re.compile(HOST_PATTERN)


class ClientConfigError(MailconfError):
    """A document that is not a usable autoconfig document (malformed, a DTD, no servers)."""


@dataclass(frozen=True)
class Server:
    """One server a document offers; `username` is a template (%EMAILADDRESS%, %EMAILLOCALPART%, ...)."""

    protocol: str  # smtp, imap or pop3
    host: str
    port: int
    security: str  # tls, starttls or none
    username: str | None
    authentication: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "protocol": self.protocol, "host": self.host, "port": self.port, "security": self.security,
            "username": self.username, "authentication": list(self.authentication),
        }


def parse(body: bytes, domain: str) -> list[Server]:
    """The servers of the document's first emailProvider, in its order of preference.

    Server types mailconf cannot configure (Exchange, JMAP, ...) are skipped; `%EMAILDOMAIN%` in a
    host name (ISPDB entries of hosting companies use it) becomes `domain`.
    """
    root = _tree(body)
    if root.tag != "clientConfig":
        raise ClientConfigError(f"the root element is <{root.tag}>, not <clientConfig>")
    provider = root.find("emailProvider")
    if provider is None:
        raise ClientConfigError("no <emailProvider> in the document")
    servers = [
        _server(element, protocol, domain)
        for element in provider
        for protocol in [element.get("type", "").lower()]
        if protocol in _SERVER_TYPES.get(element.tag, ())
    ]
    if not servers:
        raise ClientConfigError("the document offers no SMTP, IMAP or POP3 server")
    return servers


def render(domain: str, servers: Sequence[Server]) -> str:
    """`config-v1.1.xml` for `domain` offering `servers` (incoming before outgoing, each in the given order)."""
    root = ET.Element("clientConfig", version="1.1")
    provider = ET.SubElement(root, "emailProvider", id=domain)
    ET.SubElement(provider, "domain").text = domain
    ET.SubElement(provider, "displayName").text = domain
    ET.SubElement(provider, "displayShortName").text = domain
    ordered = [s for s in servers if s.protocol != "smtp"] + [s for s in servers if s.protocol == "smtp"]
    for server in ordered:
        tag = "outgoingServer" if server.protocol == "smtp" else "incomingServer"
        element = ET.SubElement(provider, tag, type=server.protocol)
        ET.SubElement(element, "hostname").text = server.host
        ET.SubElement(element, "port").text = str(server.port)
        ET.SubElement(element, "socketType").text = SOCKET_TYPES[server.security]
        if server.username is not None:
            ET.SubElement(element, "username").text = server.username
        for method in server.authentication:
            ET.SubElement(element, "authentication").text = method
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _tree(body: bytes) -> ET.Element:
    """Parse with expat into an ElementTree, refusing any document type declaration."""
    builder = ET.TreeBuilder()
    parser = xml.parsers.expat.ParserCreate()

    def refuse(*_: object) -> None:
        raise ClientConfigError("the document declares a DTD, which an autoconfig document never needs: refused (entity expansion)")

    def start(tag: str, attributes: dict[str, str]) -> None:
        builder.start(tag, attributes)

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.StartElementHandler = start
    parser.EndElementHandler = builder.end
    parser.CharacterDataHandler = builder.data
    try:
        parser.Parse(body, True)
    except xml.parsers.expat.ExpatError as exc:
        raise ClientConfigError(f"not well-formed XML: {xml.parsers.expat.ErrorString(exc.code)} at line {exc.lineno}") from None
    return builder.close()  # expat saw one complete root element, so the builder holds it


def _server(element: ET.Element, protocol: str, domain: str) -> Server:
    where = f"<{element.tag} type={protocol!r}>"
    host = _text(element, "hostname", where).replace("%EMAILDOMAIN%", domain)
    if not _HOST.fullmatch(host):
        raise ClientConfigError(f"{where}: {host!r} is not a host name")
    port_text = _text(element, "port", where)
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ClientConfigError(f"{where}: port {port_text!r} is not 1-65535")
    socket_type = _text(element, "socketType", where)
    security = _SECURITY.get(socket_type.lower())
    if security is None:
        raise ClientConfigError(f"{where}: socketType {socket_type!r} is none of SSL, STARTTLS, plain")
    username = element.findtext("username")
    methods = tuple((a.text or "").strip() for a in element.findall("authentication") if (a.text or "").strip())
    return Server(protocol, host.rstrip(".").lower(), int(port_text), security, username.strip() if username else None, methods)


def _text(element: ET.Element, tag: str, where: str) -> str:
    text = (element.findtext(tag) or "").strip()
    if not text:
        raise ClientConfigError(f"{where}: no <{tag}>")
    return text
