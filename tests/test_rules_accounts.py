"""Accounts: one that can do nothing, and two for one address."""

from __future__ import annotations

import pytest

from mailconf.validate import validate

from conftest import CLEAN, marked


def _found(write, accounts: str, code: str):
    text, spots = marked(CLEAN + accounts)
    return [(d.line, d.column, d.severity.value) for d in validate([write(text)]).diagnostics if d.code == code], spots


@pytest.mark.parametrize(
    "account",
    [
        "^b: {address: b@acme.example}",
        "^b: {address: b@acme.example, outgoing: null, incoming: null}",
        "^b: {address: b@acme.example, preset: gmail, outgoing: null, incoming: null}",
        '^b: {address: b@acme.example, password: "${env:B}", display_name: B}',
    ],
)
def test_account_that_can_neither_send_nor_receive(write, account):
    found, spots = _found(write, f"  {account}\n", "account-no-server")
    assert found == [(*spot, "error") for spot in spots]


@pytest.mark.parametrize(
    "account",
    [
        "b: {address: b@acme.example, preset: gmail}",
        "b: {address: b@acme.example, preset: gmail, outgoing: null}",
        "b: {address: b@acme.example, preset: gmail, incoming: null}",
        "b: {address: b@acme.example, outgoing: {host: s.acme.example, port: 587}}",
        "b: {address: b@acme.example, incoming: {host: i.acme.example, port: 993}}",
    ],
)
def test_account_that_sends_or_receives_passes(write, account):
    assert _found(write, f"  {account}\n", "account-no-server")[0] == []


@pytest.mark.parametrize("spelling", ["Office@acme.example", "office@ACME.EXAMPLE", "office@acme.example.", "OFFICE@Acme.Example."])
def test_same_address_twice_is_a_warning_naming_the_first(write, spelling):
    found, spots = _found(write, f"  b: {{address: ^{spelling}, preset: gmail}}\n", "duplicate-address")
    assert found == [(*spots[0], "warning")]
    [diagnostic] = [d for d in validate([write(CLEAN + f"  b: {{address: {spelling}, preset: gmail}}\n")]).diagnostics]
    assert "'office'" in diagnostic.message


def test_same_address_in_two_files_is_found(write, tmp_path):
    write(CLEAN, "m/a.yaml")
    second = write("accounts:\n  b: {address: office@acme.example, preset: gmail}\n", "m/b.yaml")
    [diagnostic] = validate([tmp_path / "m"]).diagnostics
    assert (diagnostic.code, diagnostic.file, diagnostic.line) == ("duplicate-address", str(second), 2)


def test_different_addresses_pass(write):
    assert _found(write, "  b: {address: office@acme2.example, preset: gmail}\n  c: {address: office2@acme.example, preset: gmail}\n", "duplicate-address")[0] == []
