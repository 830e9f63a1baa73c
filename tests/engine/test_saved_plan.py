"""Saved plans: applied from any directory, refused naming what moved, and never trusted blindly."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.engine.conftest import SECRET, Workspace, manifest


def _saved(ws: Workspace, data: dict[str, Any] | None = None) -> Path:
    ws.write(data or manifest())
    plan_file = ws.root / "plans" / "plan.json"
    plan_file.parent.mkdir(exist_ok=True)
    assert ws.cli("plan", "--out", str(plan_file))[0] == 0
    return plan_file


@pytest.mark.parametrize("cwd", ["plans", "elsewhere"])
def test_a_saved_plan_applies_from_any_working_directory(ws: Workspace, tmp_path_factory: pytest.TempPathFactory, cwd: str) -> None:
    plan_file = _saved(ws)
    assert not Path(json.loads(plan_file.read_text())["manifest"]).is_absolute()  # the checkout may move
    directory = plan_file.parent if cwd == "plans" else tmp_path_factory.mktemp("elsewhere")
    env = {**os.environ, "MC_TEST_PASSWORD": SECRET}
    argv = [sys.executable, "-m", "mailconf", "apply", os.path.relpath(plan_file, directory)]
    done = subprocess.run(argv, cwd=directory, capture_output=True, text=True, env=env)
    assert done.returncode == 0 and "4 succeeded, 0 failed" in done.stdout, done.stderr


def test_a_plan_of_a_manifest_file_applies_from_elsewhere(ws: Workspace, tmp_path_factory: pytest.TempPathFactory) -> None:
    manifest_file = ws.write(manifest())
    plan_file = tmp_path_factory.mktemp("artifacts") / "plan.json"  # e.g. a CI artifact directory
    assert ws.run("plan", str(manifest_file), "--out", str(plan_file))[0] == 0
    code, out, err = ws.run("apply", str(plan_file))
    assert code == 0 and "4 succeeded" in out, err


def test_an_absolute_manifest_path_is_kept(ws: Workspace) -> None:
    plan_file = _saved(ws)
    data = json.loads(plan_file.read_text())
    data["manifest"] = str(ws.root)
    plan_file.write_text(json.dumps(data))
    assert ws.run("apply", str(plan_file))[0] == 0


def test_refusal_names_the_target_whose_live_state_moved(ws: Workspace) -> None:
    ws.write({**manifest(), "targets": {"one": {"driver": "sqlite", "settings": {"path": "one.db"}}, "two": {"driver": "sqlite", "settings": {"path": "two.db"}}}})
    ws.cli("apply", "--auto-approve")
    plan_file = ws.root / "plan.json"
    ws.cli("plan", "--out", str(plan_file))
    with sqlite3.connect(ws.root / "two.db") as db:
        db.execute("UPDATE email_account SET display_name = 'Edited by hand' WHERE name = 'a2'")
    code, _, err = ws.run("apply", str(plan_file))
    assert code == 1 and "live state of target two changed" in err and "one" not in err.split("changed")[0]


def test_refusal_after_another_apply_names_the_state_not_a_secret(ws: Workspace) -> None:
    data = manifest()
    ws.write(data)
    ws.cli("apply", "--auto-approve")
    data["accounts"]["a1"]["protect"] = True  # a state-only change: the live state does not move
    ws.write(data)
    plan_file = ws.root / "plan.json"
    ws.cli("plan", "--out", str(plan_file))
    engine_state = sqlite3.connect(ws.root / ".mailconf/state.db")
    with engine_state:  # another run (another branch of the manifest) forgets a1
        engine_state.execute("DELETE FROM managed WHERE address = 'account/a1'")
    engine_state.close()
    code, _, err = ws.run("apply", str(plan_file))
    assert code == 1 and "state of target embedded changed" in err and "secret" not in err


def _tamper(plan_file: Path, edit: Any) -> None:
    data = json.loads(plan_file.read_text())
    edit(data)
    plan_file.write_text(json.dumps(data))


BROKEN_SHAPES = {
    "missing-version": lambda d: d.pop("version"),
    "other-version": lambda d: d.update(version=2),
    "missing-fingerprint": lambda d: d.pop("manifest_fingerprint"),
    "fingerprint-not-a-string": lambda d: d.update(secrets_fingerprint=42),
    "targets-not-a-list": lambda d: d.update(targets={"embedded": {}}),
    "target-without-live-fingerprint": lambda d: d["targets"][0].pop("live_fingerprint"),
    "target-name-a-number": lambda d: d["targets"][0].update(target=1),
    "manifest-a-list": lambda d: d.update(manifest=["."]),
    "top-level-a-list": lambda d: d.clear() or d.update({"x": None}) or None,
}


@pytest.mark.parametrize("edit", BROKEN_SHAPES.values(), ids=BROKEN_SHAPES.keys())
def test_a_saved_plan_of_the_wrong_shape_is_refused_in_one_line(ws: Workspace, edit: Any) -> None:
    plan_file = _saved(ws)
    _tamper(plan_file, edit)
    code, out, err = ws.run("apply", str(plan_file))
    assert code == 1 and err.startswith("mailconf: error: ") and err.count("\n") == 1 and "not a mailconf plan file" in err
    assert not (ws.root / "live.db").exists()


@pytest.mark.parametrize(
    "content",
    [b"[" * 100_000, b"{" * 50_000, b"not json", b"", b'{"version": 1, "manifest": "\xff\xfe"}', b"\xef\xbb\xbf[1]", b"[1, 2]"],
    ids=["deep-lists", "deep-objects", "text", "empty", "not-utf8", "bom", "a-list"],
)
def test_a_file_that_is_not_a_plan_is_refused_in_one_line(ws: Workspace, content: bytes) -> None:
    plan_file = ws.root / "plan.json"
    plan_file.write_bytes(content)
    code, _, err = ws.run("apply", str(plan_file))
    assert code == 1 and err.startswith("mailconf: error: ") and err.count("\n") == 1, err[:500]


def test_a_fifo_named_like_a_plan_is_refused_without_blocking(ws: Workspace) -> None:
    fifo = ws.root / "plan.json"
    os.mkfifo(fifo)
    code, _, err = ws.run("apply", str(fifo))  # opening a FIFO for reading would wait for a writer forever
    assert code == 1 and "not a regular file" in err


@pytest.mark.parametrize("target", ["/dev/zero", "fifo"])
def test_a_manifest_path_that_is_a_device_or_fifo_is_refused(ws: Workspace, target: str) -> None:
    plan_file = _saved(ws)
    if target == "fifo":
        os.mkfifo(ws.root / "fifo")
        target = str(ws.root / "fifo")
    _tamper(plan_file, lambda d: d.update(manifest=target))
    code, _, err = ws.run("apply", str(plan_file))
    assert code == 1 and "is not a file or a directory" in err and err.count("\n") == 1


def test_a_missing_manifest_is_refused_naming_it(ws: Workspace) -> None:
    plan_file = _saved(ws)
    _tamper(plan_file, lambda d: d.update(manifest="../gone.yaml"))
    code, _, err = ws.run("apply", str(plan_file))
    assert code == 1 and "gone.yaml" in err and err.count("\n") == 1
