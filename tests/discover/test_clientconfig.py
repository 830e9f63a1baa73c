"""The autoconfig format: documents are read back as written, and hostile or broken ones are refused."""

from __future__ import annotations

import pytest

from mailconf.discover.clientconfig import ADDRESS, LOCAL_PART, ClientConfigError, Server, parse, render

SERVERS = [
    Server("imap", "imap.acme.example", 993, "tls", ADDRESS, ("password-cleartext",)),
    Server("pop3", "pop.acme.example", 110, "starttls", LOCAL_PART, ("password-cleartext",)),
    Server("smtp", "smtp.acme.example", 587, "starttls", ADDRESS, ("password-cleartext",)),
    Server("smtp", "relay.acme.example", 25, "none", None, ("none",)),
]


def doc(servers: str, provider: str = 'id="acme.example"') -> bytes:
    return f'<?xml version="1.0"?><clientConfig version="1.1"><emailProvider {provider}>{servers}</emailProvider></clientConfig>'.encode()


def server(tag: str = "incomingServer", kind: str = "imap", host: str = "imap.acme.example", port: str = "993", socket: str = "SSL") -> str:
    return f'<{tag} type="{kind}"><hostname>{host}</hostname><port>{port}</port><socketType>{socket}</socketType></{tag}>'


def test_render_parses_back_to_the_same_servers() -> None:
    assert parse(render("acme.example", SERVERS).encode(), "acme.example") == SERVERS


def test_render_puts_incoming_before_outgoing_keeping_each_order() -> None:
    mixed = [SERVERS[2], SERVERS[0], SERVERS[3], SERVERS[1]]
    assert parse(render("acme.example", mixed).encode(), "acme.example") == [SERVERS[0], SERVERS[1], SERVERS[2], SERVERS[3]]


@pytest.mark.parametrize("spelling, security", [("SSL", "tls"), ("ssl", "tls"), ("STARTTLS", "starttls"), ("StartTLS", "starttls"), ("plain", "none"), ("PLAIN", "none")])
def test_socket_types_in_any_case(spelling: str, security: str) -> None:
    assert parse(doc(server(socket=spelling)), "acme.example")[0].security == security


def test_emaildomain_placeholder_and_unusable_server_types() -> None:
    body = doc(
        '<incomingServer type="exchange"><hostname>x.acme.example</hostname></incomingServer>'
        + server(host="mail.%EMAILDOMAIN%")
        + '<outgoingServer type="jmap"><hostname>j.acme.example</hostname></outgoingServer>'
    )
    assert [(s.protocol, s.host) for s in parse(body, "acme.example")] == [("imap", "mail.acme.example")]


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE clientConfig [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<clientConfig><emailProvider id="x"><displayName>&lol9;</displayName></emailProvider></clientConfig>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE clientConfig [<!ENTITY host SYSTEM "file:///etc/hostname">]>
<clientConfig><emailProvider id="x"><incomingServer type="imap"><hostname>&host;</hostname><port>993</port><socketType>SSL</socketType></incomingServer></emailProvider></clientConfig>"""
EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE clientConfig SYSTEM "http://127.0.0.1:9/evil.dtd">
<clientConfig><emailProvider id="x">""" + server().encode() + b"</emailProvider></clientConfig>"


@pytest.mark.parametrize("body", [BILLION_LAUGHS, EXTERNAL_ENTITY, EXTERNAL_DTD], ids=["billion-laughs", "external-entity", "external-dtd"])
def test_any_dtd_is_refused(body: bytes) -> None:
    with pytest.raises(ClientConfigError, match="DTD"):
        parse(body, "acme.example")


@pytest.mark.parametrize(
    "body, problem",
    [
        (b"", "well-formed"),
        (b"<clientConfig><emailProvider>", "well-formed"),
        (b"<html><body>Not here</body></html>", "<html>"),
        (b"\xff\xfe<clientConfig/>", "well-formed"),
        (b"<clientConfig version='1.1'/>", "emailProvider"),
        (doc(""), "no SMTP, IMAP or POP3"),
        (doc(server(port="99999")), "port"),
        (doc(server(port="-1")), "port"),
        (doc(server(port="")), "<port>"),
        (doc(server(socket="TLS1.3")), "socketType"),
        (doc(server(host="imap acme.example")), "host name"),
        (doc(server(host="imap.acme.example;rm -rf /")), "host name"),
        (doc(server(host="")), "<hostname>"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_broken_documents_are_refused_with_the_reason(body: bytes, problem: str) -> None:
    with pytest.raises(ClientConfigError, match=problem.replace("(", r"\(")):
        parse(body, "acme.example")
