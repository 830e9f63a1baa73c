"""Schema errors: each located at the offending value (or key), with a message that says what is wrong."""

from __future__ import annotations

import pytest

from mailconf.validate import validate

from conftest import CLEAN, marked


@pytest.mark.parametrize(
    ("addition", "message"),
    [
        ("  b: {address: ^not-an-address}\n", "is not an e-mail address"),
        ("  b: {address: b@acme.example, outgoing: {host: ^'bad host', port: 587}}\n", "is not a host name"),
        ("  b: {address: b@acme.example, outgoing: {host: s.acme.example, port: ^70000}}\n", "less than or equal to 65535"),
        ("  b: {address: b@acme.example, outgoing: {host: s.acme.example, ^securty: tls}}\n", "did you mean 'security'?"),
        ("  b: {address: b@acme.example, outgoing: {host: s.acme.example, security: ^ssl}}\n", "'tls', 'starttls' or 'none'"),
        ("  b: ^{display_name: B}\n", "address is required"),
        ("  ^'bad name!': {address: x@acme.example}\n", "is not a valid name"),
        # strict types, as the JSON Schema: quoted numbers and booleans are strings (bug: they passed)
        ("  b: {address: b@acme.example, outgoing: {host: s.acme.example, port: ^'465'}}\n", "valid integer"),
        ("  b: {address: b@acme.example, preset: gmail, default_incoming: ^'true'}\n", "valid boolean"),
        ("  b: {address: b@acme.example, password: ^12345}\n", "valid string"),
        ("employees: ^[E1, E2]\n", "must be a mapping"),
        ("spf:\n  ^notadomain: {mechanisms: []}\n", "is not a domain name"),
        ("spf:\n  acme.example: {all: ^maybe}\n", "'softfail'"),
        ("targets:\n  t: {driver: sqlite, kinds: [spf, ^accountz]}\n", "'team_inbox' or 'spf'"),
        ("^colour: blue\n", "unknown key 'colour'; allowed here: version"),
    ],
)
def test_schema_error_located(write, addition, message):
    text, [(line, column)] = marked(CLEAN + addition)
    [d] = validate([write(text)]).diagnostics
    assert (d.code, d.line, d.column) == ("schema", line, column)
    assert message in d.message


def test_version_is_required_and_checked(write):
    [missing] = validate([write(CLEAN.replace("version: 1\n", ""))]).diagnostics
    [wrong] = validate([write(CLEAN.replace("version: 1", "version: 2"))]).diagnostics
    assert (missing.code, missing.message) == ("schema", "version is required: this mailconf reads version 1; add `version: 1` at the top")
    assert (wrong.line, wrong.column, wrong.code) == (1, 10, "schema") and "reads version 1" in wrong.message


def test_rules_wait_for_a_valid_schema(write):
    # A manifest that fails the schema is not given to the rules (they trust types and shapes).
    text = CLEAN.replace("primary_sender: office", "primary_sender: nobody") + "  b: {address: b@acme.example, password: hunter2, outgoing: {port: x}}\n"
    assert {d.code for d in validate([write(text)]).diagnostics} == {"schema"}
