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
