"""The checklist driver end to end, through `python -m mailconf`: a system with no API, where every
change is a step for a person, confirmed with `mailconf confirm`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.engine.test_confirmation import on_a_terminal

PASSWORD = "Billit-pw-0f-Known-value"
ROTATED = "Rotated-pw-9a-Other-value"


def _manifest(**changes: Any) -> dict[str, Any]:
    office = {
        "address": "office@acme.example", "password": "${env:BILLIT_PW}", "salutation": "Dear customer",
        "outgoing": {"host": "smtp.acme.example", "port": 587, "security": "starttls"},
        "incoming": {"host": "imap.acme.example", "security": "tls"},
        "default_outgoing": True, "default_incoming": True,
    }  # fmt: skip
    data: dict[str, Any] = {
        "version": 1,
        "targets": {"billit": {"driver": "checklist", "settings": {"system": "Billit"}}},
        "primary_sender": "office",
        "accounts": {"office": office},
        "spf": {"acme.example": {"mechanisms": ["include:my.billit.be"], "all": "softfail"}},
    }
    data.update(changes)
    return data


class Cli:
    """A manifest in a directory, and `python -m mailconf` run on it with the password in the environment."""

    def __init__(self, root: Path) -> None:
        self.root, self.password = root, PASSWORD
        self.outputs: list[str] = []

    def write(self, data: dict[str, Any]) -> None:
        (self.root / "mailconf.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")

    def __call__(self, *argv: str) -> tuple[int, str]:
        env = {**os.environ, "BILLIT_PW": self.password, "NO_COLOR": "1"}
        proc = subprocess.run([sys.executable, "-m", "mailconf", *argv], cwd=self.root, env=env, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
        self.outputs.append(proc.stdout + proc.stderr)
        return proc.returncode, proc.stdout + proc.stderr

    def plan_json(self) -> dict[str, Any]:
        code, out = self("plan", "--format", "json")
        assert code == 0, out
        [target] = json.loads(out)["targets"]
        return target


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    tool = Cli(tmp_path)
    tool.write(_manifest())
    return tool


def test_plan_apply_confirm_then_changes_ask_again(cli: Cli) -> None:
    code, out = cli("plan", "--detailed-exitcode")
    assert code == 2
    assert "+ account/office" in out and "Step for a person: Add the e-mail account office@acme.example in Billit" in out
    assert "Outgoing mail (SMTP) server: smtp.acme.example, port 587, security STARTTLS" in out
    assert "password: the value of ${env:BILLIT_PW}" in out and "v=spf1 include:my.billit.be ~all" in out
    assert out.count("checklist keeps no salutation (account)") == 1
    assert "Verify: mailconf cannot read Billit" in out

    code, out = cli("apply", "--auto-approve")
    assert code == 0, out
    assert "account/office: pending: Add the e-mail account office@acme.example in Billit\n    1. Open the e-mail settings of Billit" in out
    assert "Apply finished: 0 succeeded, 0 failed, 3 pending." in out and "Carry out the pending steps, then run: mailconf confirm billit" in out
    assert cli("plan", "--detailed-exitcode")[0] == 2  # pending is not done: the steps are still asked for

    code, out = cli("confirm", "billit", "--yes", "--by", "Ann Example")
    assert code == 0 and "Recorded 3 step(s) on billit as carried out by Ann Example." in out
    code, out = cli("plan", "--detailed-exitcode")
    assert code == 0 and "No changes." in out

    data = _manifest()
    data["accounts"]["office"]["outgoing"]["port"] = 465
    data["accounts"]["office"]["outgoing"]["security"] = "tls"
    cli.write(data)
    target = cli.plan_json()
    [change] = target["changes"]
    assert (change["action"], change["address"], change["capability"]) == ("update", "account/office", "manual")
    assert {"path": "outgoing.port", "old": "(not read)", "new": 465, "sensitive": False} in change["fields"]
    assert "Outgoing mail (SMTP) server: smtp.acme.example, port 465, security SSL/TLS, log in with the login name and password." in change["step"]["instructions"]
    assert change["step"]["title"] == "Change the e-mail account office@acme.example in Billit"
    assert cli("confirm", "billit", "account/office", "--yes")[0] == 0
    assert cli("plan", "--detailed-exitcode")[0] == 0


def test_a_changed_password_asks_again_and_no_output_file_or_state_holds_it(cli: Cli) -> None:
    cli("apply", "--auto-approve")
    assert cli("confirm", "billit", "--yes")[0] == 0
    cli.password = ROTATED
    target = cli.plan_json()
    assert [c["address"] for c in target["changes"]] == ["account/office"]
    assert {"path": "password", "old": "(not read)", "new": "(sensitive)", "sensitive": True} in target["changes"][0]["fields"]
    for fmt in ("text", "markdown"):
        assert cli("plan", "--format", fmt, "--detailed-exitcode")[0] == 2
    cli("plan", "--out", "plan.json")
    cli("apply", "plan.json")
    assert cli("confirm", "billit", "--yes")[0] == 0
    cli.password = PASSWORD  # back to the first value: its fingerprint is not the confirmed one
    assert cli("plan", "--detailed-exitcode")[0] == 2
    for text in cli.outputs:
        assert PASSWORD not in text and ROTATED not in text
    files = [cli.root / "plan.json", *(cli.root / ".mailconf").iterdir()]
    for path in files:
        assert PASSWORD.encode() not in path.read_bytes() and ROTATED.encode() not in path.read_bytes()


def test_a_removed_resource_is_a_delete_step_and_confirming_it_forgets_it(cli: Cli) -> None:
    cli("confirm", "billit", "--yes")
    cli.write(_manifest(spf={}))
    target = cli.plan_json()
    [change] = target["changes"]
    assert (change["action"], change["address"], change["capability"]) == ("delete", "spf/acme.example", "manual")
    assert change["step"]["title"] == "Remove the SPF record acme.example from Billit"
    code, out = cli("plan", "--format", "markdown")
    assert "- [ ] `spf/acme.example`: Remove the SPF record acme.example from Billit" in out
    assert cli("confirm", "billit", "--yes")[0] == 0
    assert cli("plan", "--detailed-exitcode")[0] == 0
    cli.write(_manifest())  # declared again: never confirmed since, so it is asked for again
    assert [c["action"] for c in cli.plan_json()["changes"]] == ["create"]


def test_markdown_is_a_checklist_outside_the_folded_details(cli: Cli) -> None:
    code, out = cli("plan", "--format", "markdown")
    assert code == 0
    checklist, _, folded = out.partition("<details>")
    items = [line for line in checklist.splitlines() if line.startswith("- [ ] ")]
    assert items == [
        "- [ ] `account/office`: Add the e-mail account office@acme.example in Billit",
        "- [ ] `primary_sender/primary`: Make account office the default sender in Billit",
        "- [ ] `spf/acme.example`: Publish the SPF record of acme.example for Billit",
    ]
    assert "    1. Open the e-mail settings of Billit and add an e-mail account." in checklist
    assert checklist.count("checklist keeps no salutation (account)") == 1 and "- [ ]" not in folded


def test_json_names_capability_step_and_ignored_fields(cli: Cli) -> None:
    target = cli.plan_json()
    assert target["ignored"] == {"account": ["salutation"]}
    assert {c["capability"] for c in target["changes"]} == {"manual"}
    for change in target["changes"]:
        step = change["step"]
        assert step["title"] and step["verification"] and all(isinstance(line, str) for line in step["instructions"])
    assert not any(f["path"] == "salutation" for c in target["changes"] for f in c["fields"])


@pytest.mark.parametrize("salutation", [None, "", "Hello there"])
def test_a_field_the_target_keeps_no_place_for_never_asks_again(cli: Cli, salutation: str | None) -> None:
    cli("confirm", "billit", "--yes")
    data = _manifest()
    data["accounts"]["office"]["salutation"] = salutation
    if salutation is None:
        del data["accounts"]["office"]["salutation"]
    cli.write(data)
    code, out = cli("plan", "--detailed-exitcode")
    assert code == 0 and "No changes." in out
    assert ("keeps no salutation" in out) == bool(salutation)  # said only when the manifest sets one


@pytest.mark.parametrize(
    "argv, message",
    [
        (["account/nothing"], "account/nothing has no pending manual step"),
        (["spf/acme.example", "account/office", "team_inbox/x"], "team_inbox/x has no pending manual step"),
    ],
)
def test_confirming_an_address_with_no_pending_step_records_nothing(cli: Cli, argv: list[str], message: str) -> None:
    code, out = cli("confirm", "billit", *argv, "--yes")
    assert code == 1 and message in out and "Traceback" not in out
    assert cli("plan", "--detailed-exitcode")[0] == 2  # nothing recorded, not even the valid addresses


def test_confirm_with_nothing_pending_or_without_a_terminal_or_yes_fails(cli: Cli) -> None:
    code, out = cli("confirm", "billit")
    assert code == 1 and "pass --yes" in out
    assert cli("confirm", "billit", "--yes")[0] == 0
    code, out = cli("confirm", "billit", "--yes")
    assert code == 1 and "Nothing to confirm on billit" in out
    code, out = cli("confirm", "nowhere", "--yes")
    assert code == 1 and "no target 'nowhere'" in out


@pytest.mark.parametrize("keys, recorded", [(b"yes\n", True), (b"y\n", False), (b"\x04", False)])
def test_on_a_terminal_confirm_shows_the_steps_and_records_only_on_yes(cli: Cli, keys: bytes, recorded: bool) -> None:
    code, out = on_a_terminal(["confirm", "billit", "-m", str(cli.root)], keys, BILLIT_PW=PASSWORD)
    assert "spf/acme.example: Publish the SPF record of acme.example for Billit" in out and "Traceback" not in out
    assert (code == 0) is recorded
    assert (cli("plan", "--detailed-exitcode")[0] == 0) is recorded


def test_apply_on_a_terminal_asks_nothing_when_every_change_is_a_step_for_a_person(cli: Cli) -> None:
    import pty

    controller, terminal = pty.openpty()  # stdin is a terminal: apply would ask if it had anything to apply itself
    try:
        env = {**os.environ, "BILLIT_PW": cli.password, "NO_COLOR": "1"}
        done = subprocess.run([sys.executable, "-m", "mailconf", "apply"], cwd=cli.root, env=env, stdin=terminal, capture_output=True, text=True, timeout=60)
    finally:
        os.close(terminal)
        os.close(controller)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Apply these changes?" not in done.stdout and "pending" in done.stdout


def test_a_multi_line_value_stays_inside_its_numbered_instruction(cli: Cli) -> None:
    data = _manifest()
    data["accounts"]["office"]["signature"] = "ACME GmbH\n- [x] 2. not an item"
    cli.write(data)
    for fmt in ("text", "markdown"):
        code, out = cli("plan", "--format", fmt)
        assert code == 0, out
        lines = out.splitlines()
        first = next(i for i, line in enumerate(lines) if line.endswith("Signature: ACME GmbH"))
        text_column = lines[first].index("Signature")  # where the instruction's text starts, after "6. "
        assert lines[first + 1] == " " * text_column + "- [x] 2. not an item", lines[first : first + 2]
