"""Validation never echoes a password, even one written literally (and wrongly) in a manifest."""

from __future__ import annotations

from pathlib import Path

from mailconf.cli import main

LITERAL = "Hunter2-literal-pw "


def test_literal_password_with_whitespace_is_reported_without_its_value(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "m.yaml"
    path.write_text(
        "version: 1\nprimary_sender: a\naccounts:\n  a:\n    address: a@acme.example\n    preset: gmail\n"
        f'    password: "{LITERAL}"\n    default_outgoing: true\n    default_incoming: true\n'
    )
    for fmt in ("text", "json", "github"):
        assert main(["validate", str(path), "--format", fmt]) == 1
        out = capsys.readouterr().out
        assert "literal-secret" in out and "whitespace" in out
        assert LITERAL.strip() not in out
