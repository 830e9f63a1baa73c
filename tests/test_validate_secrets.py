"""Secrets: validate needs no values; --check-secrets resolves every reference; literals are errors."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mailconf.cli import main
from mailconf.secrets import resolve
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


# -- a reference written wrongly: its own diagnostic, offline, with what to write instead --------

MALFORMED = [
    ("${env:}", "secret-reference", "write ${env:NAME}"),
    ("${file:}", "secret-reference", "write ${file:PATH}"),
    ("${vault:x}", "secret-reference", "unknown secret source 'vault'"),
    ("${ENV:OFFICE_PW}", "secret-reference", "did you mean ${env:OFFICE_PW}?"),
    ("${File:pw.txt}", "secret-reference", "did you mean ${file:pw.txt}?"),
    ("${OFFICE_PW}", "secret-reference", "did you mean ${env:OFFICE_PW}?"),
    ("$OFFICE_PW", "secret-reference", "did you mean ${env:OFFICE_PW}?"),
    ("$env:OFFICE_PW", "secret-reference", "did you mean ${env:OFFICE_PW}?"),
    ("{env:OFFICE_PW}", "secret-reference", "did you mean ${env:OFFICE_PW}?"),
    ("{file:pw.txt}", "secret-reference", "did you mean ${file:pw.txt}?"),
    ("${env:OFFICE_PW", "secret-reference", "not closed with }: did you mean ${env:OFFICE_PW}?"),
    ("${env:OFFICE_PW}x", "secret-reference", "write ${env:NAME} or ${file:PATH}"),
    ("${env:OFFICE_PW }", "whitespace", "did you mean ${env:OFFICE_PW}?"),
    ("${ env:OFFICE_PW}", "whitespace", "did you mean ${env:OFFICE_PW}?"),
    ("${env: OFFICE_PW}", "whitespace", "did you mean ${env:OFFICE_PW}?"),
    ("${env:OFFICE PW}", "whitespace", "did you mean ${env:OFFICEPW}?"),
    ("${file: pw.txt}", "whitespace", "did you mean ${file:pw.txt}?"),
]


@pytest.mark.parametrize(("written", "code", "advice"), MALFORMED, ids=[m[0] for m in MALFORMED])
@pytest.mark.parametrize("place", ["password", "tsig secret", "api_key"])
def test_malformed_reference_gets_its_own_diagnostic_offline(write, written, code, advice, place):
    quoted = "'" + written + "'"
    if place == "password":
        text = CLEAN.replace('"${env:OFFICE_PW}"', "^" + quoted)
    else:
        setting = (
            "{driver: rfc2136, settings: {server: 127.0.0.1, zones: [acme.example], tsig: {name: k, secret: ^%s}}}"
            if place == "tsig secret"
            else "{driver: powerdns, settings: {url: 'http://127.0.0.1:8081', zones: [acme.example], api_key: ^%s}}"
        )
        text = CLEAN + "targets:\n  dns: " + setting % quoted + "\n"
    text, [spot] = marked(text)
    [d] = validate([write(text)]).diagnostics  # no --check-secrets: no value is needed to see the mistake
    assert (d.code, (d.line, d.column)) == (code, spot)
    assert advice in d.message


@pytest.mark.parametrize("literal", ["hunter2-literal", "$ecretPa55", "${hunter2-literal}", "{hunter2-literal}"])
def test_what_may_be_a_literal_password_is_never_echoed(write, literal):
    text, [spot] = marked(CLEAN.replace('"${env:OFFICE_PW}"', "^'" + literal + "'"))
    [d] = validate([write(text)]).diagnostics
    assert d.code in ("literal-secret", "secret-reference") and (d.line, d.column) == spot
    assert "hunter2" not in d.message and "ecretPa55" not in d.message


# -- the value a reference resolves to must be usable ---------------------------------------------

ONE_SECRET = CLEAN.replace('"${env:OFFICE_PW}"', '^"${env:MAILCONF_TEST_PW}"') + "  b: {address: b@acme.example, preset: gmail, password: ^'${file:pw.txt}'}\n"


def _check_one(write, monkeypatch, env: str | None, file: bytes | None) -> list[tuple[str, tuple[int, int], str]]:
    """(code, spot, message) of each diagnostic of --check-secrets with this env value and pw.txt content."""
    text, spots = marked(ONE_SECRET)
    path = write(text, "m/manifest.yaml")
    if env is None:
        monkeypatch.setenv("MAILCONF_TEST_PW", "fine-password")
    else:
        monkeypatch.setenv("MAILCONF_TEST_PW", env)
    (path.parent / "pw.txt").write_bytes(b"another-fine-one\n" if file is None else file)
    found = validate([path], check_secrets=True).diagnostics
    by_spot = {spot: index for index, spot in enumerate(spots)}
    return sorted((d.code, by_spot[(d.line, d.column)], d.message) for d in found)  # type: ignore[misc]


@pytest.mark.parametrize("value", ["", " ", "   \t", "\n", "\r\n"], ids=repr)
def test_empty_or_blank_variable_is_an_error_naming_the_reference(write, monkeypatch, value):
    [(code, spot, message)] = _check_one(write, monkeypatch, value, None)
    assert (code, spot) == ("secret-value", 0) and "${env:MAILCONF_TEST_PW}" in message
    assert ("empty" if value == "" else "only whitespace") in message


@pytest.mark.parametrize("content", [b"", b"\n", b"\r\n\r\n", b"   \n", b"\t"], ids=repr)
def test_empty_or_blank_file_is_an_error_naming_the_reference(write, monkeypatch, content):
    [(code, spot, message)] = _check_one(write, monkeypatch, None, content)
    assert (code, spot) == ("secret-value", 1) and "${file:pw.txt}" in message


@pytest.mark.parametrize(
    ("env", "file", "needle"),
    [
        ("pass\nword-leaked", None, "a line break"),
        ("pass\rword-leaked", None, "a line break"),
        ("pass\x1bword-leaked", None, "U+001B"),
        ("pass\x7fword-leaked", None, "U+007F"),
        ("pass\x85word-leaked", None, "U+0085"),
        ("pass\tword-leaked", None, "U+0009"),
        ("pass\udcffword-leaked", None, "not valid UTF-8"),  # a byte that is not UTF-8, as Python passes it on
        (None, b"pass\nword-leaked\n", "a line break"),
        (None, b"pass\x00word-leaked", "U+0000"),
        (None, b"pass\xffword-leaked", "not valid UTF-8 (byte offset 4)"),
        (None, b"pass\xc3word-leaked", "not valid UTF-8"),
    ],
    ids=repr,
)
def test_value_no_protocol_can_carry_is_an_error_that_never_shows_it(write, monkeypatch, env, file, needle):
    [(code, spot, message)] = _check_one(write, monkeypatch, env, file)
    assert code == "secret-value" and spot == (0 if env is not None else 1)
    assert needle in message and "word-leaked" not in message and "pass" not in message.replace("password", "")


def test_longest_secret_is_64_kib(write, monkeypatch):
    assert _check_one(write, monkeypatch, "x" * 65536, b"y" * 65536 + b"\n") == []
    found = _check_one(write, monkeypatch, "x" * 65537, b"y" * 65537)
    assert [(code, spot) for code, spot, _ in found] == [("secret-value", 0), ("secret-value", 1)]
    assert all("larger than 64 KiB" in m for _, _, m in found)


@pytest.mark.parametrize("content", [b"fine-secret", b"fine-secret\n", b"fine-secret\r\n", b"\xef\xbb\xbffine-secret\r\n"], ids=repr)
def test_file_may_end_in_a_line_break_and_start_with_a_byte_order_mark(tmp_path, content):
    (tmp_path / "pw.txt").write_bytes(content)
    assert resolve("${file:pw.txt}", tmp_path).reveal() == "fine-secret"


# -- ${file:} reads are bounded: devices, FIFOs and huge files are refused at once -------------------


@pytest.mark.parametrize("kind", ["/dev/zero", "/dev/urandom", "fifo", "directory", "300 MB file", "symlink to /dev/zero"])
def test_file_reference_to_something_that_is_not_a_small_file(write, tmp_path, kind):
    target = tmp_path / "special"
    if kind.startswith("/dev/"):
        target = Path(kind)
    elif kind == "fifo":
        os.mkfifo(target)  # nobody writes: a plain read would block forever
    elif kind == "directory":
        target.mkdir()
    elif kind == "300 MB file":
        with target.open("wb") as f:
            f.truncate(300 * 1024 * 1024)  # sparse: quick to make, as big as a real one to read
    else:
        target.symlink_to("/dev/zero")
    text, [spot] = marked(CLEAN.replace('"${env:OFFICE_PW}"', f"^'${{file:{target}}}'"))
    [d] = validate([write(text)], check_secrets=True).diagnostics
    assert (d.line, d.column) == spot and d.code in ("secret-unresolved", "secret-value")
    expected = "larger than 64 KiB" if kind == "300 MB file" else "not a regular file"
    assert expected in d.message and str(target) in d.message


@pytest.mark.parametrize("key", ["api-key-\u20ac-value", "api-key-\u00e4-value", "api-key-\u200b-value"], ids=["euro", "umlaut", "zero-width space"])
def test_api_key_must_fit_an_http_header_while_a_password_may_be_unicode(write, monkeypatch, key):
    monkeypatch.setenv("MAILCONF_TEST_KEY", key)
    monkeypatch.setenv("MAILCONF_TEST_PW", key)
    text, [spot] = marked(
        CLEAN.replace("${env:OFFICE_PW}", "${env:MAILCONF_TEST_PW}")
        + "targets:\n  dns: {driver: powerdns, settings: {url: 'http://127.0.0.1:8081', zones: [acme.example], api_key: ^'${env:MAILCONF_TEST_KEY}'}}\n"
    )
    [d] = validate([write(text)], check_secrets=True).diagnostics
    assert (d.code, (d.line, d.column)) == ("secret-value", spot) and "HTTP header api_key" in d.message and key not in d.message


def test_the_erpnext_api_secret_must_fit_an_http_header_too(write, monkeypatch):
    monkeypatch.setenv("MAILCONF_TEST_KEY", "key-ascii")
    monkeypatch.setenv("MAILCONF_TEST_SECRET", "secret-\u00e4-value")
    text, [spot] = marked(
        CLEAN
        + "targets:\n  erp: {driver: erpnext, settings: {url: 'https://erp.acme.example', api_key: '${env:MAILCONF_TEST_KEY}', "
        + "api_secret: ^'${env:MAILCONF_TEST_SECRET}'}}\n"
    )
    found = [d for d in validate([write(text)], check_secrets=True).diagnostics if d.code == "secret-value"]
    assert [(d.line, d.column) for d in found] == [spot] and "HTTP header api_secret" in found[0].message
