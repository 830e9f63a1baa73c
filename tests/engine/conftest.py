"""A workspace helper: a manifest in a temp directory, run through the real CLI in-process."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from mailconf.cli import main

SECRET = "pa55-Known-Secret-value"


def read_until_closed(controller: int, output: bytes = b"") -> str:
    """Everything a process shows on a pseudo-terminal until it exits, `output` read so far first."""
    try:
        while chunk := os.read(controller, 4096):
            output += chunk
    except OSError:  # the terminal closes with the process
        pass
    os.close(controller)
    return output.decode()


def account(address: str, **extra: Any) -> dict[str, Any]:
    return {"address": address, "password": "${env:MC_TEST_PASSWORD}", "outgoing": {"host": "smtp.acme.example", "security": "starttls"}, "incoming": {"host": "imap.acme.example", "security": "tls"}, **extra}


def manifest(accounts: int = 3, **sections: Any) -> dict[str, Any]:
    """A valid manifest with `accounts` accounts a0..aN on the embedded target."""
    data: dict[str, Any] = {
        "version": 1,
        "targets": {"embedded": {"driver": "sqlite", "settings": {"path": "live.db"}}},
        "accounts": {f"a{i}": account(f"a{i}@acme.example") for i in range(accounts)},
        "primary_sender": "a0",
    }
    data["accounts"]["a0"]["default_outgoing"] = True
    data["accounts"]["a0"]["default_incoming"] = True
    data.update(sections)
    return data


class Workspace:
    def __init__(self, root: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.root = root
        self.capsys = capsys

    def write(self, data: dict[str, Any]) -> Path:
        path = self.root / "mailconf.yaml"
        path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        return path

    def run(self, *argv: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        code = main([*argv])
        out, err = self.capsys.readouterr()
        return code, out, err

    def cli(self, verb: str, *argv: str) -> tuple[int, str, str]:
        return self.run(verb, str(self.root), *argv)


@pytest.fixture
def ws(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Workspace:
    monkeypatch.setenv("MC_TEST_PASSWORD", SECRET)
    return Workspace(tmp_path, capsys)
