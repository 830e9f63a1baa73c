"""plan and apply resolve every secret before reading any target, and stop with all of them located.

Run through the real CLI (`python -m mailconf` in a subprocess), as CI runs it: a CI system sets a
missing secret to "", and that must never blank a live password.
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import marked

MANIFEST = """\
version: 1
targets:
  embedded: {driver: sqlite, settings: {path: live.db}}
  dns: {driver: powerdns, settings: {url: 'http://127.0.0.1:9', zones: [acme.example], api_key: ^'${env:MC_API_KEY}'}}
primary_sender: a
accounts:
  a: {address: a@acme.example, preset: gmail, password: ^'${env:MC_PW_A}', default_outgoing: true, default_incoming: true}
  b: {address: b@acme.example, preset: gmail, password: ^'${env:MC_PW_B}'}
  c: {address: c@acme.example, preset: gmail, password: ^'${file:c.txt}'}
  d: {address: d@acme.example, preset: gmail, password: '${env:MC_PW_A}'}
"""
GOOD = {"MC_API_KEY": "api-key-value", "MC_PW_A": "password-a", "MC_PW_B": "password-b"}


def _cli(root: Path, env: dict[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MC_")}
    return subprocess.run([sys.executable, "-m", "mailconf", *argv, str(root)], env={**clean, **env}, capture_output=True, text=True, timeout=120)


@pytest.fixture
def root(tmp_path: Path) -> tuple[Path, list[tuple[int, int]]]:
    text, spots = marked(MANIFEST)
    (tmp_path / "mailconf.yaml").write_text(text, encoding="utf-8")
    (tmp_path / "c.txt").write_text("password-c\n", encoding="utf-8")
    return tmp_path, spots


@pytest.mark.parametrize("verb", [["plan"], ["apply", "--auto-approve"]])
@pytest.mark.parametrize(
    ("env", "c_file", "broken"),
    [
        ({"MC_PW_A": ""}, None, {1: "is empty"}),  # a CI system's missing secret; d shares it and is reported too
        ({"MC_PW_B": "  "}, None, {2: "only whitespace"}),
        ({}, "", {3: "is empty"}),
        ({}, "\n", {3: "is empty"}),
        ({"MC_PW_A": "", "MC_PW_B": None, "MC_API_KEY": None}, "\n", {0: "MC_API_KEY is not set", 1: "is empty", 2: "MC_PW_B is not set", 3: "is empty"}),
        ({"MC_API_KEY": "key\nX-Injected: 1"}, None, {0: "a line break"}),
    ],
    ids=["empty-var", "blank-var", "empty-file", "newline-file", "all-at-once", "newline-in-api-key"],
)
def test_every_unusable_secret_is_reported_before_any_target_is_touched(root, verb, env, c_file, broken):
    path, spots = root
    if c_file is not None:
        (path / "c.txt").write_text(c_file, encoding="utf-8")
    values = {k: v for k, v in {**GOOD, **env}.items() if v is not None}
    done = _cli(path, values, *verb)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    for index, needle in broken.items():
        line, column = spots[index]
        located = [row for row in done.stderr.splitlines() if re.search(rf"(^|\D){line}:{column}\D", row)]
        assert located and needle in located[0], done.stderr
        assert ("${file:c.txt}" if index == 3 else "${env:") in located[0]
    assert "mailconf.yaml" in done.stderr
    assert f"{len(broken) + ('MC_PW_A' in env)} secret(s) cannot be used" in done.stderr  # d shares a's variable
    assert not (path / "live.db").exists()  # the target was never opened, let alone written
    assert "key\nX-Injected" not in done.stderr + done.stdout


def test_plan_and_apply_work_once_the_secrets_are_fixed(root):
    path, _ = root
    assert _cli(path, {k: v for k, v in GOOD.items() if k != "MC_API_KEY"} | {"MC_PW_A": ""}, "apply", "--auto-approve").returncode == 1
    embedded_only = _cli(path, GOOD, "apply", "--auto-approve", "--target", "embedded")
    assert embedded_only.returncode == 0, embedded_only.stderr
    with sqlite3.connect(path / "live.db") as db:
        stored = dict(db.execute("SELECT name, password FROM account_password"))
    assert stored == {"a": "password-a", "b": "password-b", "c": "password-c", "d": "password-a"}
    blanked = _cli(path, GOOD | {"MC_PW_B": ""}, "apply", "--auto-approve", "--target", "embedded")
    assert blanked.returncode == 1 and "${env:MC_PW_B} is empty" in blanked.stderr
    with sqlite3.connect(path / "live.db") as db:
        assert dict(db.execute("SELECT name, password FROM account_password")) == stored  # the live password survived


@pytest.mark.parametrize("written", ["$MC_PW_B", "${MC_PW_B}", "${ENV:MC_PW_B}", "{env:MC_PW_B}", "${env:MC_PW_B", "${env:MC_PW_B }"])
def test_a_reference_written_wrongly_stops_plan_with_what_to_write(root, written):
    path, spots = root
    manifest = path / "mailconf.yaml"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace("'${env:MC_PW_B}'", f"'{written}'"), encoding="utf-8")
    line, column = spots[2]
    for argv in (["validate"], ["plan"], ["apply", "--auto-approve"]):
        done = _cli(path, GOOD, *argv)
        assert done.returncode == 1 and "Traceback" not in done.stderr + done.stdout
        report = done.stdout if argv == ["validate"] else done.stderr
        [row] = [row for row in report.splitlines() if re.search(rf"(^|\D){line}:{column}\D", row)]
        assert "did you mean ${env:MC_PW_B}?" in row and ("whitespace" if written.endswith(" }") else "secret-reference") in row
    assert not (path / "live.db").exists()


@pytest.mark.parametrize("value", ["", " ", "\n"], ids=repr)
def test_validate_check_secrets_reports_a_blank_secret_through_the_cli(root, value):
    path, spots = root
    done = _cli(path, GOOD | {"MC_PW_B": value}, "validate", "--check-secrets")
    line, column = spots[2]
    assert done.returncode == 1
    [row] = [row for row in done.stdout.splitlines() if re.search(rf"(^|\D){line}:{column}\D", row)]
    assert "${env:MC_PW_B} is" in row and "secret-value" in row
    assert _cli(path, GOOD | {"MC_PW_B": value}, "validate").returncode == 0  # without values, CI passes
