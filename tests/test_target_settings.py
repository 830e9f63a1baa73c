"""The target-settings rule: drivers are found by entry point and their settings checked with locations."""

from __future__ import annotations

from pathlib import Path

from mailconf.validate import validate_path


def _codes(tmp_path: Path, text: str) -> list[tuple[str, int, int, str]]:
    path = tmp_path / "m.yaml"
    path.write_text(text)
    return [(d.code, d.line, d.column, d.message) for d in validate_path(path).diagnostics]


def test_known_driver_with_valid_settings_passes(tmp_path: Path) -> None:
    assert _codes(tmp_path, "version: 1\ntargets:\n  a: {driver: sqlite, settings: {path: live.db}}\n") == []


def test_unknown_setting_is_located_at_its_key(tmp_path: Path) -> None:
    [(code, line, column, message)] = _codes(tmp_path, "version: 1\ntargets:\n  a:\n    driver: sqlite\n    settings:\n      pth: live.db\n")
    assert (code, line, column) == ("target-settings", 6, 7) and "pth" in message


def test_unknown_driver_names_the_installed_ones(tmp_path: Path) -> None:
    [(code, line, column, message)] = _codes(tmp_path, "version: 1\ntargets:\n  a: {driver: sqlit}\n")
    assert (code, line, column) == ("target-settings", 3, 15) and "sqlite" in message


def test_literal_secret_in_driver_settings_is_reported_once(tmp_path: Path) -> None:
    found = _codes(tmp_path, "version: 1\ntargets:\n  dns:\n    driver: powerdns\n    settings: {url: 'http://127.0.0.1:8081', zones: [acme.example], api_key: hunter2}\n")
    assert [(code, line) for code, line, _, _ in found] == [("literal-secret", 5)]


def test_a_setting_a_driver_validator_refuses_says_why_in_its_own_words(tmp_path: Path) -> None:
    for url in ("ftp://pdns.acme.example", "https://user:pw@pdns.acme.example", "https://pdns.acme.example/?key=x"):
        text = f"version: 1\ntargets:\n  dns: {{driver: powerdns, settings: {{url: '{url}', zones: [acme.example], api_key: '${{env:K}}'}}}}\n"
        [(code, _, _, message)] = [f for f in _codes(tmp_path, text) if f[0] == "target-settings"]
        assert "must be" in message and "PowerDNS webserver" in message and "Value error" not in message
