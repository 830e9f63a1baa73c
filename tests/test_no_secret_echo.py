"""Validation never echoes a password, even one written literally (and wrongly) in a manifest."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import quote

import pytest

from mailconf.cli import main
from mailconf.errors import DriverError
from mailconf.secrets import redact, resolve
from mailconf_providers.sqlite import SqliteDriver

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


# -- a secret in a driver's or a library's message is redacted at the CLI boundary ---------------

SECRET = "Pässwort-Known-Secret-42"
MANIFEST = (
    "version: 1\ntargets:\n  embedded: {driver: sqlite, settings: {path: live.db}}\nprimary_sender: a\naccounts:\n"
    "  a: {address: a@acme.example, preset: gmail, password: '${env:MC_ECHO_PW}', default_outgoing: true, default_incoming: true}\n"
)
# How a message may quote the value: as is, repr()/ascii()-escaped, URL-encoded (a login URL).
QUOTED = [SECRET, ascii(SECRET)[1:-1], quote(SECRET, safe="")]


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MC_ECHO_PW", SECRET)
    monkeypatch.delenv("MAILCONF_DEBUG", raising=False)
    (tmp_path / "m.yaml").write_text(MANIFEST, encoding="utf-8")
    return tmp_path


def _fail_with_the_password(exc_type: type[Exception]):  # type: ignore[no-untyped-def]
    def fail(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        password = os.environ["MC_ECHO_PW"]
        raise exc_type(f"login rejected: {password!r} / {ascii(password)} / https://x.example/?pw={quote(password, safe='')}\nsecond line {password}")

    return fail


def _assert_no_secret(text: str) -> None:
    for form in QUOTED:
        assert form not in text
    assert "Known-Secret" not in text


@pytest.mark.parametrize("exc_type", [RuntimeError, KeyError, OSError])
def test_unexpected_exception_is_one_redacted_line(root: Path, monkeypatch: pytest.MonkeyPatch, capsys, exc_type) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(SqliteDriver, "read", _fail_with_the_password(exc_type))
    for verb in (["plan"], ["apply", "--auto-approve"]):
        assert main([*verb, str(root)]) == 1
        out, err = capsys.readouterr()
        _assert_no_secret(out + err)
        [line] = err.splitlines()
        assert line.startswith(f"mailconf: internal error: {exc_type.__name__}: ") and line.endswith("please report it")
        assert "(sensitive)" in line and "Traceback" not in err


def test_debug_traceback_is_redacted_too(root: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(SqliteDriver, "read", _fail_with_the_password(RuntimeError))
    monkeypatch.setenv("MAILCONF_DEBUG", "1")
    assert main(["plan", str(root)]) == 1
    out, err = capsys.readouterr()
    assert "Traceback" in err and "internal error" in err
    _assert_no_secret(out + err)


def test_driver_failure_during_apply_is_reported_without_the_password(root: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(SqliteDriver, "apply", _fail_with_the_password(RuntimeError))
    assert main(["apply", "--auto-approve", str(root)]) == 1
    out, err = capsys.readouterr()
    assert "FAILED" in out and "(sensitive)" in out
    _assert_no_secret(out + err)


def test_domain_error_carrying_the_password_is_redacted(root: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(SqliteDriver, "read", _fail_with_the_password(DriverError))
    assert main(["plan", str(root)]) == 1
    out, err = capsys.readouterr()
    assert err.startswith("mailconf: error: login rejected") and "Traceback" not in err
    _assert_no_secret(out + err)


def test_only_values_long_enough_to_mean_something_are_redacted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MC_ECHO_SHORT", "mail1")
    monkeypatch.setenv("MC_ECHO_LONG", "mail12")
    for name in ("MC_ECHO_SHORT", "MC_ECHO_LONG"):
        resolve(f"${{env:{name}}}", tmp_path)
    assert redact("mailconf: mail1 mail12 mail123") == "mailconf: mail1 (sensitive) (sensitive)3"


@pytest.mark.parametrize(
    ("where", "written"),
    [
        ("password", "[Hunter2-in-a-list]"),
        ("password", "{Hunter2-as-key: Hunter2-as-value}"),
        ("password", "[{Hunter2-nested: x}]"),
        ("tsig_secret", "[Hunter2-in-a-list]"),
    ],
)
def test_a_literal_password_of_the_wrong_shape_is_reported_without_its_value(tmp_path: Path, capsys, where: str, written: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "m.yaml"
    if where == "password":
        path.write_text(f"version: 1\naccounts:\n  a: {{address: a@acme.example, preset: gmail, password: {written}}}\n")
    else:
        path.write_text(
            "version: 1\ntargets:\n  dns: {driver: rfc2136, settings: {server: 127.0.0.1, zones: [acme.example], "
            f"tsig: {{name: k, secret: {written}}}}}}}\n"
        )
    for fmt in ("text", "json", "github"):
        assert main(["validate", str(path), "--format", fmt]) == 1
        assert "Hunter2" not in capsys.readouterr().out
