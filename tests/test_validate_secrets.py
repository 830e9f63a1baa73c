"""Secrets: validate needs no values; --check-secrets resolves every reference; literals are errors."""

from __future__ import annotations

import pytest

from mailconf.cli import main
from mailconf.validate import validate

from conftest import CLEAN, marked

TEXT = CLEAN.replace('"${env:OFFICE_PW}"', '^"${env:MAILCONF_TEST_PW}"') + (
    '  b: {address: b@acme.example, preset: gmail, password: ^"${file:secrets/b.txt}"}\n'
    "targets:\n  dns: {driver: rfc2136, settings: {server: 127.0.0.1, zones: [acme.example], tsig: {name: k, secret: ^'${env:MAILCONF_TEST_TSIG}'}}}\n"
)


@pytest.fixture
def manifest(write, monkeypatch):
    monkeypatch.delenv("MAILCONF_TEST_PW", raising=False)
    monkeypatch.delenv("MAILCONF_TEST_TSIG", raising=False)
    text, spots = marked(TEXT)
    return write(text, "m/manifest.yaml"), spots


def test_validate_needs_no_secret_values(manifest):
    path, _ = manifest
    assert validate([path]).diagnostics == []


def test_check_secrets_reports_each_missing_one_at_its_reference(manifest):
    path, spots = manifest
    found = validate([path], check_secrets=True).diagnostics
    assert sorted((d.code, d.line, d.column) for d in found) == [("secret-unresolved", *spot) for spot in spots]
    messages = " | ".join(d.message for d in found)
    assert "MAILCONF_TEST_PW is not set" in messages and "MAILCONF_TEST_TSIG is not set" in messages and "b.txt" in messages


def test_check_secrets_passes_when_all_resolve(manifest, monkeypatch, capsys):
    path, _ = manifest
    monkeypatch.setenv("MAILCONF_TEST_PW", "pw")
    monkeypatch.setenv("MAILCONF_TEST_TSIG", "c2VjcmV0")
    (path.parent / "secrets").mkdir()
    (path.parent / "secrets" / "b.txt").write_text("from-file\n")  # relative to the manifest's directory
    assert main(["validate", "--check-secrets", str(path)]) == 0
    assert "from-file" not in capsys.readouterr().out


def test_secret_value_with_whitespace_is_reported(manifest, monkeypatch):
    path, spots = manifest
    monkeypatch.setenv("MAILCONF_TEST_PW", "pw ")
    monkeypatch.setenv("MAILCONF_TEST_TSIG", "x")
    (path.parent / "secrets").mkdir()
    (path.parent / "secrets" / "b.txt").write_text("ok")
    [d] = validate([path], check_secrets=True).diagnostics
    assert (d.line, d.column) == spots[0] and "whitespace" in d.message and "pw" not in d.message.replace("MAILCONF_TEST_PW", "")


def test_literal_password_is_an_error_with_or_without_check_secrets(write):
    text, [spot] = marked(CLEAN.replace('"${env:OFFICE_PW}"', "^correct-horse"))
    path = write(text)
    for check in (False, True):
        assert [(d.code, d.severity.value, d.line, d.column) for d in validate([path], check_secrets=check).diagnostics] == [
            ("literal-secret", "error", *spot)
        ]
    assert main(["validate", str(path)]) == 1
