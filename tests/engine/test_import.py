"""`mailconf import`: the written manifest names the same files from its own directory, and asks
for a password only where an account has one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from mailconf.engine.importer import rebase
from tests.engine.conftest import Workspace, manifest


def _import(ws: Workspace, out_dir: Path) -> dict:  # type: ignore[type-arg]
    code, out, err = ws.run("import", "embedded", "-o", str(out_dir), "-m", str(ws.root))
    assert code == 0, err
    return yaml.safe_load((out_dir / "mailconf.yaml").read_text())


@pytest.mark.parametrize("settings", [{"path": "live.db"}, {"path": "data/live.db"}, {}], ids=["beside", "below", "default"])
def test_the_sqlite_path_is_written_relative_to_the_new_manifest(ws: Workspace, tmp_path_factory: pytest.TempPathFactory, settings: dict) -> None:  # type: ignore[type-arg]
    data = manifest()
    data["targets"]["embedded"]["settings"] = settings
    (ws.root / "data").mkdir()
    ws.write(data)
    ws.cli("apply", "--auto-approve")
    out_dir = tmp_path_factory.mktemp("imported") / "nested"
    written = _import(ws, out_dir)["targets"]["embedded"]["settings"]["path"]
    assert not Path(written).is_absolute()
    assert (out_dir / written).resolve() == (ws.root / settings.get("path", "mailconf-live.db")).resolve()


def test_an_absolute_sqlite_path_stays_absolute(ws: Workspace, tmp_path_factory: pytest.TempPathFactory) -> None:
    data = manifest()
    data["targets"]["embedded"]["settings"] = {"path": str(ws.root / "live.db")}
    ws.write(data)
    ws.cli("apply", "--auto-approve")
    assert _import(ws, tmp_path_factory.mktemp("imported"))["targets"]["embedded"]["settings"]["path"] == str(ws.root / "live.db")


def test_file_references_in_settings_are_rebased(tmp_path: Path) -> None:
    old, new = tmp_path / "repo", tmp_path / "imports" / "acme"
    settings = {"url": "http://127.0.0.1", "api_key": "${file:secrets/pdns.key}", "tsig": {"secret": "${file:/etc/tsig.key}"}, "zones": ["${env:ZONE}"]}
    rebased = rebase(settings, old, new)
    assert rebased == {"url": "http://127.0.0.1", "api_key": "${file:../../repo/secrets/pdns.key}", "tsig": {"secret": "${file:/etc/tsig.key}"}, "zones": ["${env:ZONE}"]}


def test_no_password_reference_for_an_account_without_a_password(ws: Workspace, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    data = manifest(accounts=3)
    # a1 sends without logging in and receives nothing: it has no password
    data["accounts"]["a1"] = {"address": "a1@acme.example", "outgoing": {"host": "relay.acme.example", "port": 25, "security": "none", "auth": False}, "incoming": None}
    # a2 receives, but the state knows mailconf set no password for it
    del data["accounts"]["a2"]["password"]
    ws.write(data)
    assert ws.cli("apply", "--auto-approve")[0] == 0
    out_dir = tmp_path_factory.mktemp("imported")
    accounts = _import(ws, out_dir)["accounts"]
    assert "password" in accounts["a0"] and "password" not in accounts["a1"] and "password" not in accounts["a2"]
    header = (out_dir / "mailconf.yaml").read_text().split("version:")[0]
    assert "MAILCONF_EMBEDDED_A0_PASSWORD" in header and "A1" not in header and "A2" not in header
    monkeypatch.setenv("MAILCONF_EMBEDDED_A0_PASSWORD", "imported-0")
    code, out, _ = ws.run("plan", str(out_dir), "--format", "json", "--state", str(ws.root / ".mailconf/state.db"))
    assert code == 0 and [c["address"] for c in json.loads(out)["targets"][0]["changes"]] == ["account/a0"]


def test_an_account_mailconf_never_applied_gets_a_password_only_if_it_logs_in_or_receives(ws: Workspace, tmp_path_factory: pytest.TempPathFactory) -> None:
    import sqlite3

    data = manifest(accounts=2)
    data["accounts"]["a1"] = {"address": "a1@acme.example", "outgoing": {"host": "relay.acme.example", "port": 25, "security": "none", "auth": False}, "incoming": None}
    ws.write(data)
    ws.cli("apply", "--auto-approve")
    (ws.root / ".mailconf" / "state.db").unlink()  # adopted from elsewhere: the state knows nothing
    for suffix in ("-wal", "-shm"):
        (ws.root / ".mailconf" / f"state.db{suffix}").unlink(missing_ok=True)
    with sqlite3.connect(ws.root / "live.db") as db:
        assert db.execute("SELECT count(*) FROM email_account").fetchone() == (2,)
    accounts = _import(ws, tmp_path_factory.mktemp("imported"))["accounts"]
    assert "password" in accounts["a0"] and "password" not in accounts["a1"]


def test_only_the_top_level_path_is_a_file_a_nested_one_is_left_as_written(tmp_path: Path) -> None:
    old, new = tmp_path / "repo", tmp_path / "imports" / "acme"
    rebased = rebase({"path": "live.db", "api": {"path": "api/v1"}}, old, new)
    assert rebased == {"path": "../../repo/live.db", "api": {"path": "api/v1"}}
