"""Plan and apply through the CLI against the embedded target: the behaviour a user relies on."""

from __future__ import annotations

import json
import sqlite3

import pytest

from tests.engine.conftest import SECRET, Workspace, account, manifest


def test_apply_then_plan_shows_no_changes(ws: Workspace) -> None:
    ws.write(manifest(projects={"shop": {"senders": {"invoice": "a1", "tracking": "a2"}}}, employees={"E1": {"name": "Ann", "mailbox": "a1"}}, team_inboxes={"help": {"account": "a2", "members": ["E1"]}}))
    code, out, _ = ws.cli("plan", "--detailed-exitcode")
    assert code == 2 and "+ account/a1" in out and "+ team_inbox/help" in out
    assert ws.cli("apply", "--auto-approve")[0] == 0
    code, out, _ = ws.cli("plan", "--detailed-exitcode")
    assert (code, "No changes") == (0, out.strip().splitlines()[-1][:10])


def test_update_shows_field_old_and_new(ws: Workspace) -> None:
    data = manifest()
    ws.write(data)
    ws.cli("apply", "--auto-approve")
    data["accounts"]["a1"]["outgoing"] = {"host": "smtp.acme.example", "port": 465}
    ws.write(data)
    code, out, _ = ws.cli("plan", "--detailed-exitcode")
    assert code == 2
    assert "~ account/a1" in out and "outgoing.port: 587 -> 465" in out and 'outgoing.security: "starttls" -> "tls"' in out


def test_changed_secret_shows_changed_not_value(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    ws.write(manifest())
    ws.cli("apply", "--auto-approve")
    monkeypatch.setenv("MC_TEST_PASSWORD", "another-Secret-value")
    code, out, _ = ws.cli("plan", "--detailed-exitcode")
    assert code == 2 and out.count("password: (sensitive) -> (changed)") == 3
    assert "another-Secret-value" not in out


def test_no_secret_in_any_output_plan_file_or_state(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    ws.write(manifest())
    outputs = [ws.cli("plan", "--format", fmt)[1] for fmt in ("text", "markdown", "json")]
    plan_file = ws.root / "plan.json"
    ws.cli("plan", "--out", str(plan_file))
    outputs.append(ws.run("apply", str(plan_file))[1])
    monkeypatch.setenv("MC_TEST_PASSWORD", "rotated-Secret-value")
    outputs += [ws.cli("plan", "--format", fmt)[1] for fmt in ("text", "markdown", "json")]
    for text in outputs:
        assert SECRET not in text and "rotated-Secret-value" not in text
    assert SECRET.encode() not in plan_file.read_bytes()
    for state_file in (ws.root / ".mailconf").iterdir():
        assert SECRET.encode() not in state_file.read_bytes()
    # the live system does keep it, write-only: stored, never read back
    with sqlite3.connect(ws.root / "live.db") as db:
        assert db.execute("SELECT password FROM account_password WHERE name = 'a1'").fetchone() == (SECRET,)


def test_json_plan_shape(ws: Workspace) -> None:
    ws.write(manifest(accounts=2))
    data = json.loads(ws.cli("plan", "--format", "json")[1])
    assert data["version"] == 1 and data["summary"] == {"create": 3, "update": 0, "delete": 0, "unmanaged": 0}
    [target] = data["targets"]
    assert target["target"] == "embedded" and target["live_count"] == 0
    assert [c["address"] for c in target["changes"]] == ["account/a0", "account/a1", "primary_sender/primary"]
    password = next(f for f in target["changes"][0]["fields"] if f["path"] == "password")
    assert password == {"path": "password", "old": None, "new": "(sensitive)", "sensitive": True}


def test_saved_plan_applies_when_nothing_moved(ws: Workspace) -> None:
    ws.write(manifest())
    plan_file = ws.root / "plan.json"
    ws.cli("plan", "--out", str(plan_file))
    code, out, _ = ws.run("apply", str(plan_file))
    assert code == 0 and "4 succeeded, 0 failed" in out


def test_saved_plan_refused_when_live_state_moved(ws: Workspace) -> None:
    ws.write(manifest())
    ws.cli("apply", "--auto-approve")
    data = manifest()
    data["accounts"]["a1"]["display_name"] = "Sales"
    ws.write(data)
    plan_file = ws.root / "plan.json"
    ws.cli("plan", "--out", str(plan_file))
    with sqlite3.connect(ws.root / "live.db") as db:  # someone edits the live system meanwhile
        db.execute("UPDATE email_account SET display_name = 'Edited by hand' WHERE name = 'a2'")
    code, _, err = ws.run("apply", str(plan_file))
    assert code == 1 and "live state of target embedded changed" in err


def test_saved_plan_refused_when_manifest_changed(ws: Workspace) -> None:
    data = manifest()
    ws.write(data)
    plan_file = ws.root / "plan.json"
    ws.cli("plan", "--out", str(plan_file))
    data["accounts"]["a1"]["display_name"] = "Changed after review"
    ws.write(data)
    code, _, err = ws.run("apply", str(plan_file))
    assert code == 1 and "manifest changed" in err


def test_saved_plan_refused_when_a_secret_changed(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    ws.write(manifest())
    plan_file = ws.root / "plan.json"
    ws.cli("plan", "--out", str(plan_file))
    monkeypatch.setenv("MC_TEST_PASSWORD", "changed-after-review")
    code, _, err = ws.run("apply", str(plan_file))
    assert code == 1 and "secret changed" in err


def test_unmanaged_resources_are_listed_and_kept_unless_prune(ws: Workspace) -> None:
    ws.write(manifest(accounts=3))
    ws.cli("apply", "--auto-approve")
    with sqlite3.connect(ws.root / "live.db") as db:  # created by hand, outside mailconf
        db.execute("INSERT INTO employee VALUES ('X9', 'Hand Made', NULL)")
    code, out, _ = ws.cli("plan", "--detailed-exitcode")
    assert code == 0 and "? employee/X9" in out
    data = manifest(accounts=3)
    data["targets"]["embedded"]["prune"] = True
    ws.write(data)
    code, out, _ = ws.cli("plan", "--detailed-exitcode")
    assert code == 2 and "- employee/X9" in out


def test_removed_managed_resource_is_deleted(ws: Workspace) -> None:
    ws.write(manifest(accounts=3))
    ws.cli("apply", "--auto-approve")
    ws.write(manifest(accounts=2))
    code, out, _ = ws.cli("apply", "--auto-approve")
    assert code == 0 and "account/a2: deleted" in out
    assert ws.cli("plan", "--detailed-exitcode")[0] == 0


def test_protect_blocks_deletion_even_after_removal_from_manifest(ws: Workspace) -> None:
    data = manifest(accounts=3)
    data["accounts"]["a2"]["protect"] = True
    ws.write(data)
    ws.cli("apply", "--auto-approve")
    ws.write(manifest(accounts=2))
    code, out, _ = ws.cli("plan")
    assert code == 1 and "account/a2 is protected" in out
    code, _, _ = ws.cli("apply", "--auto-approve")
    assert code == 1
    with sqlite3.connect(ws.root / "live.db") as db:
        assert db.execute("SELECT count(*) FROM email_account WHERE name = 'a2'").fetchone() == (1,)


def test_threshold_needs_force(ws: Workspace) -> None:
    ws.write(manifest(accounts=20))
    ws.cli("apply", "--auto-approve")
    ws.write(manifest(accounts=12))  # deletes 8 of 21 resources: 38% > 30%
    code, out, err = ws.cli("apply", "--auto-approve")
    assert code == 1 and "over the 30% threshold" in out and "--force" in err
    code, out, _ = ws.cli("apply", "--auto-approve", "--force")
    assert code == 0 and "8 succeeded" in out


def test_threshold_is_configurable_per_target(ws: Workspace) -> None:
    ws.write(manifest(accounts=20))
    ws.cli("apply", "--auto-approve")
    data = manifest(accounts=12)
    data["targets"]["embedded"]["delete_threshold"] = 50
    ws.write(data)
    assert ws.cli("apply", "--auto-approve")[0] == 0


def test_apply_refuses_without_auto_approve_when_stdin_is_not_a_tty(ws: Workspace) -> None:
    ws.write(manifest())
    code, _, err = ws.cli("apply")
    assert code == 1 and "--auto-approve" in err


def test_failed_change_is_reported_and_does_not_stop_independent_ones(ws: Workspace) -> None:
    from mailconf.engine.apply import apply_target
    from mailconf.engine.workspace import Workspace as Engine

    ws.write(manifest(accounts=3))
    ws.cli("apply", "--auto-approve")
    ws.write(manifest(accounts=3, employees={"E1": {"name": "Ann", "mailbox": "a1"}, "E2": {"name": "Bob", "mailbox": "a2"}}))
    engine = Engine(ws.root)
    [plan] = engine.plan(lock=True).targets
    with sqlite3.connect(ws.root / "live.db") as db:  # between plan and apply, the target loses an account
        db.execute("PRAGMA foreign_keys = ON")
        db.execute("DELETE FROM email_account WHERE name = 'a2'")
    reported: list[str] = []
    results = apply_target(plan, engine.target("embedded").driver, engine.state, lambda r: reported.append(r.change.address))
    engine.close()
    outcome = {r.change.address: (r.ok, r.message) for r in results}
    assert outcome["employee/E1"] == (True, "")
    assert outcome["employee/E2"][0] is False and "create it first" in outcome["employee/E2"][1]
    assert sorted(reported) == ["employee/E1", "employee/E2"]
    code, out, _ = ws.cli("apply", "--auto-approve")  # a re-run finishes the job
    assert code == 0 and "account/a2: created" in out and "employee/E2: created" in out
    assert ws.cli("plan", "--detailed-exitcode")[0] == 0


def test_detailed_exitcode_reports_errors_as_1(ws: Workspace) -> None:
    data = manifest()
    data["primary_sender"] = "nobody"
    ws.write(data)
    code, _, err = ws.cli("plan", "--detailed-exitcode")
    assert code == 1 and "primary_sender names 'nobody'" in err


def test_target_option_narrows_and_rejects_unknown(ws: Workspace) -> None:
    ws.write(manifest())
    code, _, err = ws.cli("plan", "--target", "nope")
    assert code == 1 and "no target 'nope'" in err
    assert ws.cli("plan", "--target", "embedded")[0] == 0


def test_import_then_plan_shows_only_secrets(ws: Workspace, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    ws.write(manifest(accounts=3, projects={"shop": {"senders": {"invoice": "a1"}}}, employees={"E1": {"name": "Ann", "mailbox": "a2"}}, team_inboxes={"help": {"account": "a1", "members": ["E1"], "sender_name": "Help"}}))
    ws.cli("apply", "--auto-approve")
    out_dir = tmp_path_factory.mktemp("imported")
    code, out, _ = ws.run("import", "embedded", "-o", str(out_dir), "-m", str(ws.root))
    assert code == 0, out
    for i in range(3):
        monkeypatch.setenv(f"MAILCONF_EMBEDDED_A{i}_PASSWORD", f"imported-{i}")
    code, out, _ = ws.run("plan", str(out_dir), "--format", "json", "--state", str(ws.root / ".mailconf/state.db"))
    changes = json.loads(out)["targets"][0]["changes"]
    assert code == 0 and len(changes) == 3
    assert all(c["action"] == "update" and [f["path"] for f in c["fields"]] == ["password"] for c in changes)


def test_lock_held_by_another_live_process_refuses_apply(ws: Workspace) -> None:
    import subprocess
    import sys
    import textwrap

    ws.write(manifest())
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys, time
            from pathlib import Path
            from mailconf.engine.state import SqliteStateStore
            store = SqliteStateStore(Path({str(ws.root / '.mailconf/state.db')!r}))
            store.acquire("embedded", "other-runner")
            print("locked", flush=True)
            time.sleep(30)
        """)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        code, _, err = ws.cli("apply", "--auto-approve")
        assert code == 1 and "locked by other-runner" in err and "mailconf unlock embedded" in err
    finally:
        holder.kill()
        holder.wait()
    # its holder is dead now: the next apply takes the lock over
    assert ws.cli("apply", "--auto-approve")[0] == 0


def test_unlock_releases_a_lock(ws: Workspace) -> None:
    from mailconf.engine.state import SqliteStateStore

    ws.write(manifest())
    ws.cli("plan")
    store = SqliteStateStore(ws.root / ".mailconf/state.db")
    store.acquire("embedded", "ci-runner-7")
    code, out, _ = ws.run("unlock", "embedded", "-m", str(ws.root))
    assert code == 0 and "ci-runner-7" in out and store.lock_of("embedded") is None


def test_account_fields_roundtrip_through_sqlite(ws: Workspace) -> None:
    full = account("a1@acme.example", display_name="Sales", signature="Regards", salutation="Dear", reply_to="reply@acme.example", notify_if_unreplied={"minutes": 30, "recipient": "boss@acme.example"})
    full["incoming"] = {"protocol": "pop3", "host": "pop.acme.example", "port": 995, "folder": "Archive"}
    data = manifest(accounts=2)
    data["accounts"]["a1"] = full
    ws.write(data)
    ws.cli("apply", "--auto-approve")
    assert ws.cli("plan", "--detailed-exitcode")[0] == 0


def test_markdown_plan_for_a_pull_request_comment(ws: Workspace) -> None:
    ws.write(manifest(accounts=2))
    ws.cli("apply", "--auto-approve")
    data = manifest(accounts=2)
    data["accounts"]["a1"]["display_name"] = "Sales"
    ws.write(data)
    out = ws.cli("plan", "--format", "markdown")[1]
    assert "| embedded | sqlite | 0 | 1 | 0 | 0 |" in out
    assert "<details><summary>embedded: 0 to create, 1 to update" in out
    assert '! account/a1\n    display_name: null -> "Sales"' in out


def test_broken_live_spf_record_in_merge_mode_names_the_domain(ws: Workspace) -> None:
    ws.write(manifest(accounts=2, spf={"acme.example": {"mechanisms": ["include:my.billit.be"]}}))
    ws.cli("apply", "--auto-approve")
    with sqlite3.connect(ws.root / "live.db") as db:
        db.execute("UPDATE spf_record SET record = 'v=spf1 ip4:192.0.2.0/33 ~all'")
    code, _, err = ws.cli("plan")
    assert code == 1 and "spf.acme.example: cannot merge into the live record" in err and "/33" in err
