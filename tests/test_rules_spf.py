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


@pytest.mark.parametrize(
    "mechanism",
    [
        "include:a..b",
        "include:.acme.example",
        "a:mail..acme.example",
        "mx:acme..example./24",
        "exists:%{i}..spf.acme.example",
        "include:%{d}..example",
        "include:" + "x" * 64 + ".example",
        "a:%{l}." + "y" * 64 + ".acme.example",
        "include:" + "z" * 64 + "%{d}.example",  # the literal part alone is over 63
        "include:acme.123",  # the grammar's own rule: a top label is not all digits
        "include:acme.example.42.",
    ],
)
def test_domain_spec_dns_cannot_resolve_is_an_error(tmp_path: Path, mechanism: str) -> None:
    found = _found(tmp_path, f"    mechanisms:\n      - include:spf.protection.outlook.com\n      - \"{mechanism}\"\n")
    assert found == [("spf-syntax", "error", 9, 9)]


@pytest.mark.parametrize("name", [".".join(["abcdefghi"] * 25) + ".example", "x" * 62 + "." + "y" * 62 + "." + "z" * 62 + "." + "w" * 62 + ".example"])
def test_name_over_253_characters_is_refused(tmp_path: Path, name: str) -> None:
    assert len(name) > 253
    assert _found(tmp_path, f"    mechanisms:\n      - include:spf.protection.outlook.com\n      - \"a:{name}\"\n") == [("schema", "error", 9, 9)]


@pytest.mark.parametrize(
    "mechanism",
    [
        "include:_spf.acme.example.",
        "exists:%{i}._spf.%{d}",
        "exists:%{ir}.%{v}._spf.%{d2}",
        "a:" + "x" * 63 + ".example",
        "a:" + ".".join(["abcdefgh"] * 27) + ".example",  # 250 characters
        "mx:Mail.ACME.example/24",
    ],
)
def test_resolvable_domain_spec_passes(tmp_path: Path, mechanism: str) -> None:
    assert _found(tmp_path, f"    mechanisms:\n      - include:spf.protection.outlook.com\n      - \"{mechanism}\"\n") == []


@pytest.mark.parametrize(
    ("mechanism", "advice"),
    [
        ("v=spf1", "mailconf writes it"),
        ("V=SPF1", "mailconf writes it"),
        ("v=spf1 include:my.billit.be ~all", "mailconf writes it"),
        ("~", "all: softfail"),
        ("-", "all: fail"),
        ("?", "all: neutral"),
        ("+", "all: pass"),
        ("include:my.billit.be ip4:192.0.2.1", "one term per list item"),
    ],
)
def test_pieces_of_a_whole_record_say_what_to_write(tmp_path: Path, mechanism: str, advice: str) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(HEAD + f"    mechanisms:\n      - include:spf.protection.outlook.com\n      - \"{mechanism}\"\n")
    [diagnostic] = validate_path(path).diagnostics
    assert (diagnostic.code, diagnostic.severity.value, diagnostic.line, diagnostic.column) == ("spf-syntax", "error", 9, 9)
    assert advice in diagnostic.message


@pytest.mark.parametrize("item", ["~", "", "null"])
def test_unquoted_tilde_or_empty_item_says_to_quote(tmp_path: Path, item: str) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(HEAD + f"    mechanisms:\n      - include:spf.protection.outlook.com\n      - {item}\n".replace("- \n", "-\n"))
    [diagnostic] = validate_path(path).diagnostics
    assert (diagnostic.code, diagnostic.line) == ("schema", 9)
    assert "YAML reads as null" in diagnostic.message and '"~include:' in diagnostic.message
