"""SPF terms the grammar accepts but DNS or mailconf cannot use: unresolvable domain-specs,
pieces of a whole record pasted into the list, and YAML nulls."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailconf.validate import validate_path

from conftest import CLEAN

HEAD = CLEAN + "spf:\n  acme.example:\n"


def _found(tmp_path: Path, spf_block: str) -> list[tuple[str, str, int, int]]:
    path = tmp_path / "m.yaml"
    path.write_text(HEAD + spf_block)
    return [(d.code, d.severity.value, d.line, d.column) for d in validate_path(path).diagnostics]


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
