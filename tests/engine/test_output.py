"""Plan and apply output that never misleads: blocked plans, deletes, protect, renames, legend, colour."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.engine.conftest import SECRET, Workspace, manifest, read_until_closed


def _protected_then_removed(ws: Workspace) -> None:
    data = manifest(accounts=3)
    data["accounts"]["a2"]["protect"] = True
    ws.write(data)
    ws.cli("apply", "--auto-approve")
    ws.write(manifest(accounts=2))


def _over_threshold(ws: Workspace) -> None:
    ws.write(manifest(accounts=20))
    ws.cli("apply", "--auto-approve")
    ws.write(manifest(accounts=12))  # deletes 8 of 21 resources: 38% > 30%


@pytest.mark.parametrize("make", [_protected_then_removed, _over_threshold], ids=["protected", "threshold"])
def test_a_blocked_plan_says_blocked_in_every_format_and_exits_1(ws: Workspace, make) -> None:  # type: ignore[no-untyped-def]
    make(ws)
    code, out, _ = ws.cli("plan", "--detailed-exitcode")
    assert code == 1 and "No changes" not in out
    blocked = out[out.index("Blocked:") :]
    assert "protected and no longer declared" in blocked or "over the 30% threshold" in blocked
    code, out, _ = ws.cli("plan", "--format", "markdown")
    assert code == 1 and "No changes" not in out
    head = out[: out.index("<details>")] if "<details>" in out else out
    assert "**Blocked:**" in head and ("protected" in head or "threshold" in head)  # never folded away
    code, out, _ = ws.cli("plan", "--format", "json")
    data = json.loads(out)
    assert code == 1 and data["blocked"] and data["blocked"] == data["targets"][0]["blocked"] + data["targets"][0]["needs_force"]


def test_a_blocked_plan_with_nothing_else_to_do_is_not_no_changes(ws: Workspace) -> None:
    _protected_then_removed(ws)
    code, out, _ = ws.cli("plan")
    lines = out.strip().splitlines()
    assert code == 1 and not any(line.startswith("No changes") for line in lines)
    assert lines[-2] == "Blocked: this plan cannot be applied as it is:" and "account/a2 is protected" in lines[-1]


@pytest.mark.parametrize("make", [_protected_then_removed, _over_threshold], ids=["protected", "threshold"])
def test_apply_refuses_a_blocked_plan_with_one_refusal_line(ws: Workspace, make) -> None:  # type: ignore[no-untyped-def]
    make(ws)
    code, out, err = ws.cli("apply", "--auto-approve")
    assert code == 1 and "Blocked:" in out
    assert err.startswith("Refusing to apply: the plan is blocked") and err.count("\n") == 1


def test_force_lifts_a_threshold(ws: Workspace) -> None:
    _over_threshold(ws)
    code, out, _ = ws.cli("apply", "--auto-approve", "--force")
    assert code == 0 and "Blocked" not in out and "(--force given)" in out


def test_force_does_not_lift_a_protected_resource(ws: Workspace) -> None:
    _protected_then_removed(ws)
    code, out, err = ws.cli("apply", "--auto-approve", "--force")
    assert code == 1 and "account/a2 is protected" in out and "Refusing to apply" in err


def test_a_delete_shows_the_fields_it_removes(ws: Workspace) -> None:
    data = manifest(accounts=3, employees={"E1": {"name": "Ann", "mailbox": "a2"}})
    ws.write(data)
    ws.cli("apply", "--auto-approve")
    ws.write(manifest(accounts=3))
    code, out, _ = ws.cli("plan")
    section = out[out.index("- employee/E1") :]
    assert code == 0 and '      name: "Ann"' in section and '      mailbox: "a2"' in section
    change = json.loads(ws.cli("plan", "--format", "json")[1])["targets"][0]["changes"][0]
    assert change["action"] == "delete" and {"path": "name", "old": "Ann", "new": None, "sensitive": False} in change["fields"]


def test_setting_and_clearing_protect_shows_in_the_plan(ws: Workspace) -> None:
    ws.write(manifest())
    ws.cli("apply", "--auto-approve")
    data = manifest()
    data["accounts"]["a1"]["protect"] = True
    ws.write(data)
    code, out, _ = ws.cli("plan", "--detailed-exitcode")
    assert code == 2 and "~ account/a1" in out and "protect: false -> true" in out and "No changes. Live" not in out
    protect = json.loads(ws.cli("plan", "--format", "json")[1])["targets"][0]["protect"]
    assert protect == [{"address": "account/a1", "old": False, "new": True}]
    ws.cli("apply", "--auto-approve")
    assert "protect" not in ws.cli("plan")[1]  # recorded: nothing left to show
    data["accounts"]["a1"]["display_name"] = "Sales"
    del data["accounts"]["a1"]["protect"]
    ws.write(data)
    out = ws.cli("plan")[1]
    assert "protect: true -> false" in out and 'display_name: null -> "Sales"' in out


@pytest.mark.parametrize(
    "edit",
    [
        lambda a: a,  # the same account under a new key
        lambda a: {**a, "display_name": "Billing"},  # and a field changed on the way
        lambda a: {**a, "outgoing": {"host": "smtp.other.example", "port": 465}, "incoming": None},  # same address, other servers
    ],
    ids=["identical", "nearly", "same-address"],
)
def test_a_key_rename_shows_as_delete_and_create_with_a_hint(ws: Workspace, edit) -> None:  # type: ignore[no-untyped-def]
    ws.write(manifest(accounts=3))
    ws.cli("apply", "--auto-approve")
    data = manifest(accounts=3)
    data["accounts"]["billing"] = edit(data["accounts"].pop("a2"))
    ws.write(data)
    out = ws.cli("plan")[1]
    assert "+ account/billing  (may be a rename of account/a2" in out and "- account/a2  (may be renamed to account/billing)" in out
    changes = {c["address"]: c for c in json.loads(ws.cli("plan", "--format", "json")[1])["targets"][0]["changes"]}
    assert changes["account/billing"]["rename_hint"] == "account/a2" and changes["account/a2"]["rename_hint"] == "account/billing"


def test_unrelated_delete_and_create_get_no_rename_hint(ws: Workspace) -> None:
    ws.write(manifest(accounts=3, projects={"shop": {"senders": {"invoice": "a1", "tracking": "a2"}}}))
    ws.cli("apply", "--auto-approve")
    data = manifest(accounts=3, projects={"b2b": {"senders": {"delivery_note": "a0"}}})
    data["accounts"]["billing"] = {**data["accounts"].pop("a2"), "address": "billing@acme.example"}  # same servers, another mailbox
    ws.write(data)
    out = ws.cli("plan")[1]
    assert "+ account/billing" in out and "- account/a2" in out and "+ project/b2b" in out and "rename" not in out


def test_a_project_under_a_new_key_gets_a_rename_hint(ws: Workspace) -> None:
    senders = {"invoice": "a1", "tracking": "a2", "order_confirmation": "a1", "delivery_note": "a2"}
    ws.write(manifest(accounts=3, projects={"shop": {"senders": senders}}))
    ws.cli("apply", "--auto-approve")
    ws.write(manifest(accounts=3, projects={"webshop": {"senders": {**senders, "delivery_note": "a1"}}}))  # 3 of 4 the same
    out = ws.cli("plan")[1]
    assert "+ project/webshop  (may be a rename of project/shop" in out and "- project/shop  (may be renamed to project/webshop)" in out


def test_text_output_has_a_legend_when_it_shows_symbols(ws: Workspace) -> None:
    ws.write(manifest())
    out = ws.cli("plan")[1]
    assert out.splitlines()[0] == "Legend: + create, ~ update, - delete, ! blocked, ? unmanaged (kept)"
    ws.cli("apply", "--auto-approve")
    assert "Legend" not in ws.cli("plan")[1]  # nothing to explain


def _run_on_a_terminal(root: Path, *argv: str, env: dict[str, str]) -> str:
    """Output of a command whose stdout and stderr are a terminal (where colour is on by default)."""
    import pty

    controller, terminal = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "mailconf", *argv], stdout=terminal, stderr=terminal, stdin=subprocess.DEVNULL, env=env, cwd=root)
    os.close(terminal)
    output = read_until_closed(controller)
    proc.wait(timeout=60)
    return output


@pytest.mark.parametrize("verb", [["plan", "."], ["validate", "."], ["apply", ".", "--auto-approve"]])
def test_no_color_turns_colour_off_on_a_terminal(tmp_path: Path, verb: list[str]) -> None:
    data = manifest()
    data["accounts"]["a1"]["username"] = "other@acme.example"  # a warning, so validate has something to colour
    (tmp_path / "mailconf.yaml").write_text(json.dumps(data))
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"} | {"MC_TEST_PASSWORD": SECRET}
    assert "\033[" in _run_on_a_terminal(tmp_path, *verb, env=env)
    assert "\033[" not in _run_on_a_terminal(tmp_path, *verb, "--no-color", env=env)


def test_no_color_also_covers_an_invalid_manifest_report(tmp_path: Path) -> None:
    data = manifest()
    data["primary_sender"] = "nobody"
    (tmp_path / "mailconf.yaml").write_text(json.dumps(data))
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    assert "\033[" in _run_on_a_terminal(tmp_path, "plan", ".", env=env)
    assert "\033[" not in _run_on_a_terminal(tmp_path, "plan", ".", "--no-color", env=env)
