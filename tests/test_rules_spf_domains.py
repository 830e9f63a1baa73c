"""SPF domains: one DNS name however it is spelt (case, trailing dot), and a domain nobody sends from."""

from __future__ import annotations

import pytest

from mailconf.validate import validate

from conftest import marked

HEAD = """\
version: 1
primary_sender: billing
accounts:
  billing: {address: billing@acme.example, preset: microsoft365, default_outgoing: true, default_incoming: true}
spf:
"""
RECORD = "{mechanisms: [include:spf.protection.outlook.com]}"


def _diagnostics(write, text: str, name: str = "m.yaml"):
    return validate([write(text, name)]).diagnostics


@pytest.mark.parametrize("second", ["acme.example.", "ACME.example", "Acme.Example."])
def test_one_name_spelt_twice_in_a_file_is_a_duplicate_naming_the_first(write, second):
    text, [spot] = marked(HEAD + f"  acme.example: {RECORD}\n  ^{second}: {RECORD}\n")
    diagnostics = _diagnostics(write, text)
    assert [(d.code, d.severity.value, d.line, d.column) for d in diagnostics] == [("duplicate-resource", "error", *spot)]
    assert f"{diagnostics[0].file}:6:3" in diagnostics[0].message


@pytest.mark.parametrize("second", ["acme.example.", "ACME.EXAMPLE"])
def test_one_name_spelt_twice_in_two_files_names_both_places(write, tmp_path, second):
    first = write(HEAD + f"  acme.example: {RECORD}\n", "m/a.yaml")
    other = write(f"spf:\n  {second}: {RECORD}\n", "m/b.yaml")
    [diagnostic] = validate([tmp_path / "m"]).diagnostics
    assert (diagnostic.code, diagnostic.file, diagnostic.line, diagnostic.column) == ("duplicate-resource", str(other), 2, 3)
    assert f"{first}:6:3" in diagnostic.message and "acme.example" in diagnostic.message


@pytest.mark.parametrize(
    ("address", "domain", "include"),
    [
        ("billing@acme.example", "acme.example.", "include:spf.protection.outlook.com"),
        ("billing@ACME.Example", "acme.example", "include:SPF.Protection.Outlook.com"),
        ("billing@acme.example.", "Acme.Example", "include:spf.protection.outlook.com."),
        ("billing@acme.example", "acme.example", "+include:spf.protection.outlook.com"),
    ],
)
def test_spellings_of_domain_and_include_are_one_for_the_sender_rules(write, address, domain, include):
    text = HEAD.replace("billing@acme.example", address) + f"  {domain}: {{mechanisms: ['{include}']}}\n"
    assert _diagnostics(write, text) == []


@pytest.mark.parametrize("domain", ["acme.example.", "ACME.example"])
def test_sender_not_authorised_whatever_the_spelling(write, domain):
    text = HEAD + f"  {domain}: {{mechanisms: [include:my.billit.be]}}\n"
    assert [d.code for d in _diagnostics(write, text)] == ["spf-sender-unauthorised"]


@pytest.mark.parametrize(("typo", "meant"), [("acme.exmaple", "acme.example"), ("bakery.example", None), ("acmee.example.", "acme.example")])
def test_domain_no_account_sends_from_is_a_warning(write, typo, meant):
    text, [spot] = marked(HEAD + f"  ^{typo}: {RECORD}\n")
    [diagnostic] = _diagnostics(write, text)
    assert (diagnostic.code, diagnostic.severity.value, diagnostic.line, diagnostic.column) == ("spf-domain-unused", "warning", *spot)
    assert (f"did you mean {meant!r}" in diagnostic.message) if meant else ("did you mean" not in diagnostic.message)


def test_a_receiving_only_account_does_not_count_as_sending(write):
    shop = "  shop: {address: shop@shop.example, preset: gmail, %s: null}\nspf:\n"
    text = HEAD + "  shop.example: {mechanisms: [include:_spf.google.com]}\n"
    assert [d.code for d in _diagnostics(write, text.replace("spf:\n", shop % "outgoing"))] == ["spf-domain-unused"]
    assert [d.code for d in _diagnostics(write, text.replace("spf:\n", shop % "incoming"))] == []
