"""The SPF rules of validate: grammar, all-last, ptr, the static look-up limit, sender authorisation."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailconf.validate import validate_path

HEAD = """version: 1
accounts:
  billing: {address: billing@acme.example, preset: microsoft365, default_outgoing: true, default_incoming: true}
primary_sender: billing
spf:
  acme.example:
"""


def _found(tmp_path: Path, spf_block: str) -> list[tuple[str, str, int, int]]:
    path = tmp_path / "m.yaml"
    path.write_text(HEAD + spf_block)
    return [(d.code, d.severity.value, d.line, d.column) for d in validate_path(path).diagnostics]


def test_clean_record_passes(tmp_path: Path) -> None:
    assert _found(tmp_path, "    mechanisms: [include:spf.protection.outlook.com, include:my.billit.be, ip4:192.0.2.0/24]\n    all: fail\n") == []


@pytest.mark.parametrize(
    ("mechanism", "code", "severity"),
    [
        ("ip4:192.0.2.0/33", "spf-syntax", "error"),
        ("include:", "spf-syntax", "error"),
        ("foo:bar", "spf-syntax", "error"),
        ("~all", "spf-syntax", "error"),
        ("redirect=_spf.acme.example", "spf-syntax", "error"),
        ("include:exämple.com", "spf-syntax", "error"),
        ("ptr", "spf-ptr", "warning"),
        ("include:spf.protection.outlook.com", "spf-syntax", "warning"),  # a duplicate
    ],
)
def test_bad_mechanism_is_located(tmp_path: Path, mechanism: str, code: str, severity: str) -> None:
    found = _found(tmp_path, f"    mechanisms:\n      - include:spf.protection.outlook.com\n      - \"{mechanism}\"\n")
    assert (code, severity, 9, 9) in found


def test_more_than_ten_lookups_is_an_error_at_the_eleventh(tmp_path: Path) -> None:
    terms = ["include:spf.protection.outlook.com"] + [f"include:s{i}.example" for i in range(10)] + ["ip4:192.0.2.1"]
    block = "    mechanisms:\n" + "".join(f"      - {t}\n" for t in terms)
    assert ("spf-lookup-limit", "error", 18, 9) in _found(tmp_path, block)
    assert not any(code == "spf-lookup-limit" for code, *_ in _found(tmp_path, block + "    flatten: true\n"))


def test_ten_lookups_pass(tmp_path: Path) -> None:
    terms = ["include:spf.protection.outlook.com"] + [f"include:s{i}.example" for i in range(9)]
    assert _found(tmp_path, "    mechanisms:\n" + "".join(f"      - {t}\n" for t in terms)) == []


def test_sender_not_authorised_names_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(HEAD + "    mechanisms: [include:my.billit.be]\n")
    [diagnostic] = validate_path(path).diagnostics
    assert (diagnostic.code, diagnostic.line, diagnostic.column) == ("spf-sender-unauthorised", 3, 22)
    assert "add include:spf.protection.outlook.com" in diagnostic.message


def test_own_smtp_host_of_a_known_service_counts_as_that_service(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(HEAD.replace("preset: microsoft365", "outgoing: {host: smtp.gmail.com, port: 465}, incoming: {host: imap.gmail.com, port: 993}") + "    mechanisms: [include:my.billit.be]\n")
    [diagnostic] = validate_path(path).diagnostics
    assert "include:_spf.google.com" in diagnostic.message


def test_all_tilde_unquoted_is_null_and_warned(tmp_path: Path) -> None:
    assert ("spf-syntax", "warning", 8, 10) in _found(tmp_path, "    mechanisms: [include:spf.protection.outlook.com]\n    all: ~\n")
    assert _found(tmp_path, '    mechanisms: [include:spf.protection.outlook.com]\n    all: "~"\n') == []
