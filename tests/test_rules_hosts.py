"""Host names follow RFC 1123: what DNS cannot hold as a host is refused by the schema, located."""

from __future__ import annotations

import pytest

from mailconf.validate import validate

from conftest import CLEAN, marked


def _found(write, host: str):
    text, spots = marked(CLEAN + f'  b: {{address: b@acme.example, outgoing: {{host: ^"{host}", port: 587}}, incoming: null}}\n')
    return [(d.code, d.line, d.column) for d in validate([write(text)]).diagnostics], spots


@pytest.mark.parametrize(
    "host",
    [
        "smtp_1.acme.example",  # underscore
        "_smtp.acme.example",
        "smtp..acme.example",  # empty label
        ".acme.example",
        "smtp.acme.example..",
        "-smtp.acme.example",  # hyphen at a label's end
        "smtp-.acme.example",
        "x" * 64 + ".acme.example",  # a label over 63
        ".".join(["abcdefghi"] * 26),  # a name over 253
        "smtp acme.example",
    ],
)
def test_host_outside_rfc_1123_is_a_schema_error(write, host):
    found, spots = _found(write, host)
    assert found == [("schema", *spots[0])]


@pytest.mark.parametrize(
    "host",
    ["smtp.acme.example", "smtp.acme.example.", "SMTP.Acme.Example", "x" * 63 + ".acme.example", "xn--mnchen-3ya.example", "mail-1.acme.example", "localhost", "192.0.2.25"],
)
def test_host_inside_rfc_1123_passes(write, host):
    assert _found(write, host)[0] == []


def test_message_says_what_is_wrong(write):
    text, _ = marked(CLEAN + "  b: {address: b@acme.example, outgoing: {host: smtp_1.acme.example, port: 587}}\n")
    [diagnostic] = validate([write(text)]).diagnostics
    assert "'smtp_1.acme.example' is not a host name" in diagnostic.message


@pytest.mark.parametrize(
    ("host", "reason"),
    [
        ("smtp_1.acme.example", "cannot hold '_'"),
        ("_smtp.acme.example", "cannot hold '_'"),
        ("smtp..acme.example", "empty label"),
        (".acme.example", "empty label"),
        ("-smtp.acme.example", "starts or ends with '-'"),
        ("smtp-.acme.example", "starts or ends with '-'"),
        ("x" * 64 + ".acme.example", "64 characters long"),
        ("smtp acme.example", "' ' is not allowed"),
        ("mäil.acme.example", "xn-- form"),
    ],
)
def test_the_message_says_which_rule_a_host_name_breaks(write, host, reason):
    text, _ = marked(CLEAN + f'  b: {{address: b@acme.example, outgoing: {{host: "{host}", port: 587}}, incoming: null}}\n')
    (diagnostic,) = validate([write(text)]).diagnostics
    assert "is not a host name: " in diagnostic.message and reason in diagnostic.message
