"""Ports: no security is guessed for a port without one; a port of another protocol; a password in the clear."""

from __future__ import annotations

import pytest

from mailconf.validate import validate

from conftest import CLEAN, marked


def _diagnostics(write, account: str, code: str):
    text, spots = marked(CLEAN + f"  b: {account}\n")
    found = [d for d in validate([write(text)]).diagnostics if d.code == code]
    return found, spots


@pytest.mark.parametrize(
    ("block", "usual"),
    [
        ("outgoing: {host: smtp.relay.example, port: ^2525}, incoming: null", "starttls"),
        ("outgoing: {host: smtp.relay.example, port: ^8025}, incoming: null", None),
        ("outgoing: null, incoming: {host: imap.acme.example, port: ^1143}", None),
        ("outgoing: null, incoming: {protocol: pop3, host: pop.acme.example, port: ^10110}", None),
        ("preset: gmail, outgoing: {port: ^2526}", None),  # a port over a preset's: the preset's security no longer fits
    ],
)
def test_unknown_port_without_security_is_an_error_asking_for_it(write, block, usual):
    found, [spot] = _diagnostics(write, f"{{address: b@acme.example, {block}}}", "endpoint")
    assert [(d.line, d.column, d.severity.value) for d in found] == [(*spot, "error")]
    assert f"set security: {usual or 'tls, starttls or none'}" in found[0].message


@pytest.mark.parametrize("port", [2525, 8025, 1143])
@pytest.mark.parametrize("security", ["tls", "starttls"])
def test_unknown_port_with_security_passes(write, port, security):
    found, _ = _diagnostics(write, f"{{address: b@acme.example, outgoing: {{host: m.acme.example, port: {port}, security: {security}}}, incoming: null}}", "endpoint")
    assert found == []


@pytest.mark.parametrize(
    ("protocol", "port"),
    [("imap", p) for p in (25, 465, 587, 2525, 110, 995)]
    + [("pop3", p) for p in (25, 465, 587, 2525, 143, 993)]
    + [("smtp", p) for p in (143, 993, 110, 995)],
)
def test_port_of_another_protocol_is_one_error_there(write, protocol, port):
    block = (
        f"outgoing: {{host: m.acme.example, port: ^{port}}}, incoming: null"
        if protocol == "smtp"
        else f"outgoing: null, incoming: {{protocol: {protocol}, host: m.acme.example, port: ^{port}}}"
    )
    text, [spot] = marked(CLEAN + f"  b: {{address: b@acme.example, {block}}}\n")
    found = validate([write(text)]).diagnostics
    assert [(d.code, d.line, d.column) for d in found] == [("port-protocol", *spot)]  # not also a guessing `endpoint` error
    assert protocol.upper() in found[0].message


@pytest.mark.parametrize(("protocol", "port"), [("smtp", 25), ("smtp", 2525), ("imap", 143), ("pop3", 110), ("pop3", 995)])
def test_port_of_its_own_protocol_passes(write, protocol, port):
    block = (
        f"outgoing: {{host: m.acme.example, port: {port}, security: starttls}}, incoming: null"
        if protocol == "smtp"
        else f"outgoing: null, incoming: {{protocol: {protocol}, host: m.acme.example, port: {port}}}"
    )
    assert validate([write(CLEAN + f"  b: {{address: b@acme.example, {block}}}\n")]).diagnostics == []


@pytest.mark.parametrize(
    "account",
    [
        '{address: b@acme.example, password: "${env:B}", outgoing: {host: r.acme.example, port: 25, security: ^none}, incoming: null}',
        '{address: b@acme.example, password: "${env:B}", outgoing: {host: r.acme.example, port: 587, security: ^none, auth: true}, incoming: null}',
        '{address: b@acme.example, password: "${env:B}", outgoing: null, incoming: {host: i.acme.example, port: 143, security: ^none}}',
        '{address: b@acme.example, password: "${env:B}", preset: gmail, outgoing: null, incoming: {protocol: pop3, security: ^none}}',
    ],
)
def test_password_over_no_encryption_is_a_warning(write, account):
    found, [spot] = _diagnostics(write, account, "plaintext-password")
    assert [(d.line, d.column, d.severity.value) for d in found] == [(*spot, "warning")]
    assert "${env:B}" not in found[0].message


@pytest.mark.parametrize(
    "account",
    [
        '{address: b@acme.example, password: "${env:B}", outgoing: {host: r.acme.example, port: 25, security: none, auth: false}, incoming: null}',
        "{address: b@acme.example, outgoing: {host: r.acme.example, port: 25, security: none}, incoming: null}",  # no password to leak
        '{address: b@acme.example, password: "${env:B}", outgoing: {host: r.acme.example, port: 25, security: starttls}, incoming: null}',
    ],
)
def test_no_password_in_the_clear_passes(write, account):
    found, _ = _diagnostics(write, account, "plaintext-password")
    assert found == []


def test_no_preset_uses_security_none():
    # plaintext-password checks only a written `security: none`: a preset with none would escape it
    from mailconf.presets import presets

    assert [p.name for p in presets().values() for e in (p.smtp, p.imap, p.pop3) if e and e.security == "none"] == []
