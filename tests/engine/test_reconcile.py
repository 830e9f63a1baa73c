"""The state follows what the target really holds, and a plan is applied only to what it was
made against: resources gone by hand, concurrent edits, passwords deleted on the target."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from mailconf.engine.apply import apply_target
from mailconf.engine.workspace import Workspace as Engine
from mailconf.errors import StateError
from tests.engine.conftest import Workspace, manifest

# Per kind: a resource that nothing references, the SQL that removes it by hand and the SQL that
# creates a foreign one under the same name later.
KINDS = {
    "employee": ("employee/E2", "DELETE FROM employee WHERE id = 'E2'", "INSERT INTO employee VALUES ('E2', 'Someone Else', NULL)"),
    "project": ("project/b2b", "DELETE FROM project WHERE name = 'b2b'", "INSERT INTO project VALUES ('b2b')"),
    "team_inbox": ("team_inbox/help", "DELETE FROM team_inbox WHERE name = 'help'", "INSERT INTO team_inbox VALUES ('help', 'a1', 'Other')"),
    "account": (
        "account/a3",
        "DELETE FROM email_account WHERE name = 'a3'",
        "INSERT INTO email_account (name, email_id, login_id, default_outgoing, default_incoming) VALUES ('a3', 'x@acme.example', 'x', 0, 0)",
    ),
}


def _full(**without: Any) -> dict[str, Any]:
    data = manifest(
        accounts=4,
        projects={"shop": {"senders": {"invoice": "a1"}}, "b2b": {"senders": {"invoice": "a2"}}},
        employees={"E1": {"name": "Ann", "mailbox": "a1"}, "E2": {"name": "Bob"}},
        team_inboxes={"help": {"account": "a2", "members": ["E1"]}},
    )
    for section, key in without.items():
        del data[section][key]
    return data


def _sql(root: Path, statement: str) -> None:
    with sqlite3.connect(root / "live.db") as db:
        db.execute(statement)


def _managed(root: Path) -> set[str]:
    with sqlite3.connect(root / ".mailconf" / "state.db") as db:
        return {a for (a,) in db.execute("SELECT address FROM managed")}


SECTIONS = {"employee": "employees", "project": "projects", "team_inbox": "team_inboxes", "account": "accounts"}


@pytest.mark.parametrize("kind", KINDS)
def test_a_managed_resource_deleted_by_hand_is_forgotten_and_never_claims_a_later_one(ws: Workspace, kind: str) -> None:
    address, remove, create = KINDS[kind]
    ws.write(_full())
    assert ws.cli("apply", "--auto-approve")[0] == 0
    _sql(ws.root, remove)
    ws.write(_full(**{SECTIONS[kind]: address.split("/")[1]}))  # and it leaves the manifest
    code, out, _ = ws.cli("apply", "--auto-approve")
    assert code == 0 and "FAILED" not in out
    assert address not in _managed(ws.root)
    _sql(ws.root, create)  # later, someone makes their own under that name
    code, out, _ = ws.cli("apply", "--auto-approve")
    assert code == 0 and f"? {address}" in out and f"- {address}" not in out
    with sqlite3.connect(ws.root / "live.db") as db:
        table, column = {"employee": ("employee", "id"), "account": ("email_account", "name")}.get(kind, (kind, "name"))
        assert db.execute(f"SELECT count(*) FROM {table} WHERE {column} = ?", (address.split("/")[1],)).fetchone() == (1,)


def test_a_declared_resource_deleted_by_hand_is_created_again(ws: Workspace) -> None:
    ws.write(_full())
    ws.cli("apply", "--auto-approve")
    _sql(ws.root, KINDS["employee"][1])
    code, out, _ = ws.cli("apply", "--auto-approve")
    assert code == 0 and "employee/E2: created" in out
    assert ws.cli("plan", "--detailed-exitcode")[0] == 0


def test_a_delete_of_what_is_already_gone_succeeds(ws: Workspace) -> None:
    ws.write(_full())
    ws.cli("apply", "--auto-approve")
    ws.write(_full(employees="E2"))
    engine = Engine(ws.root)
    try:
        [plan] = engine.plan(lock=True).targets
        _sql(ws.root, KINDS["employee"][1])  # gone between plan and apply
        [result] = apply_target(plan, engine.target("embedded").driver, engine.state, lambda r: None)
    finally:
        engine.close()
    assert result.ok and "employee/E2" not in _managed(ws.root)


# Per case: the manifest edit that makes the plan, and the concurrent hand edit of the same resource.
EDITS = {
    "account update": ({"accounts": ("a1", {"display_name": "Sales"})}, "UPDATE email_account SET signature = 'by hand' WHERE name = 'a1'"),
    "password removed": ({"accounts": ("a1", {"display_name": "Sales"})}, "DELETE FROM account_password WHERE name = 'a1'"),
    "employee update": ({"employees": ("E2", {"name": "Robert"})}, "UPDATE employee SET mailbox = 'a3' WHERE id = 'E2'"),
    "member list": ({"team_inboxes": ("help", {"members": []})}, "INSERT INTO team_inbox_member VALUES ('help', 1, 'E2')"),
    "employee delete": ({"employees": ("E2", None)}, "UPDATE employee SET name = 'Renamed by hand' WHERE id = 'E2'"),
}


@pytest.mark.parametrize("case", EDITS)
def test_a_concurrent_edit_fails_the_change_instead_of_being_overwritten(ws: Workspace, case: str) -> None:
    (section, (key, edit)), hand_edit = next(iter(EDITS[case][0].items())), EDITS[case][1]
    ws.write(_full())
    ws.cli("apply", "--auto-approve")
    data = _full()
    if edit is None:
        del data[section][key]
    else:
        data[section][key].update(edit)
    ws.write(data)
    engine = Engine(ws.root)
    try:
        [plan] = engine.plan(lock=True).targets
        with sqlite3.connect(ws.root / "live.db") as db:
            _sql(ws.root, hand_edit)
            before = db.execute("SELECT * FROM email_account, employee, team_inbox_member ORDER BY 1, 2, 3").fetchall()
        [result] = apply_target(plan, engine.target("embedded").driver, engine.state, lambda r: None)
    finally:
        engine.close()
    assert not result.ok and "changed on the target since the plan: plan again" in result.message
    with sqlite3.connect(ws.root / "live.db") as db:
        assert db.execute("SELECT * FROM email_account, employee, team_inbox_member ORDER BY 1, 2, 3").fetchall() == before


def test_apply_reads_the_target_under_its_lock(ws: Workspace) -> None:
    ws.write(_full())
    other = Engine(ws.root)
    try:
        other.plan(lock=True)  # another apply is between reading and writing
        code, _, err = ws.cli("apply", "--auto-approve")
        assert code == 1 and "is locked by" in err
    finally:
        other.close()
    assert ws.cli("apply", "--auto-approve")[0] == 0


def test_a_plan_made_without_the_lock_is_not_applied(ws: Workspace) -> None:
    ws.write(_full())
    engine = Engine(ws.root)
    try:
        [plan] = engine.plan().targets
        with pytest.raises(StateError, match="under the lock"):
            apply_target(plan, engine.target("embedded").driver, engine.state, lambda r: None)
    finally:
        engine.close()
    assert not (ws.root / "live.db").exists()


@pytest.mark.parametrize("accounts", [["a1"], ["a0", "a2", "a3"]])
def test_a_password_deleted_on_the_target_is_set_again(ws: Workspace, accounts: list[str]) -> None:
    ws.write(_full())
    ws.cli("apply", "--auto-approve")
    for name in accounts:
        _sql(ws.root, f"DELETE FROM account_password WHERE name = '{name}'")
    code, out, _ = ws.cli("plan", "--detailed-exitcode")
    assert code == 2 and out.count("password: null -> (changed)") == len(accounts)
    assert {f"~ account/{name}" for name in accounts} <= set(line.strip() for line in out.splitlines())
    assert ws.cli("apply", "--auto-approve")[0] == 0
    assert ws.cli("plan", "--detailed-exitcode")[0] == 0
    with sqlite3.connect(ws.root / "live.db") as db:
        assert db.execute("SELECT count(*) FROM account_password").fetchone() == (4,)
