"""Target kinds: a target that holds resources must hold what they reference, or apply fails."""

from __future__ import annotations

import pytest

from mailconf.validate import validate

from conftest import CLEAN, marked

REFERENCING = (
    "  shop: {address: shop@acme.example, preset: gmail}\n"
    "projects: {web: {senders: {invoice: shop}}}\n"
    "employees: {E1: {name: Ann, mailbox: shop}}\n"
    "team_inboxes: {help: {account: office, members: [E1]}}\n"
)


def _found(write, kinds: str, sections: str = REFERENCING):
    text, spots = marked(CLEAN + sections + f"targets:\n  erp: {{driver: sqlite, settings: {{path: x.db}}, kinds: ^{kinds}}}\n")
    found = [d for d in validate([write(text)]).diagnostics]
    return found, spots


@pytest.mark.parametrize(
    ("kinds", "missing"),
    [
        ("[project]", ["account"]),
        ("[primary_sender]", ["account"]),
        ("[employee, spf]", ["account"]),
        ("[team_inbox]", ["account", "employee"]),
        ("[account, team_inbox]", ["employee"]),
        ("[project, employee, team_inbox, primary_sender]", ["account"]),
    ],
)
def test_kinds_leaving_out_what_is_referenced_is_an_error_naming_it(write, kinds, missing):
    found, [spot] = _found(write, kinds)
    assert [(d.code, d.severity.value, d.line, d.column) for d in found] == [("target-kinds", "error", *spot)] * len(missing)
    assert [m for m in missing if any(f"add {m} to kinds" in d.message for d in found)] == missing


@pytest.mark.parametrize("kinds", ["[account, project]", "[account, employee, team_inbox, primary_sender]", "[spf]", "[account]"])
def test_kinds_with_what_they_reference_pass(write, kinds):
    assert _found(write, kinds)[0] == []


def test_kinds_without_references_in_the_manifest_pass(write):
    # no project has senders, no employee a mailbox: nothing on the target needs an account
    assert _found(write, "[project, employee]", "projects: {web: {senders: {}}}\nemployees: {E1: {name: Ann}}\n")[0] == []


def test_all_kinds_of_the_driver_pass(write):
    text = CLEAN + REFERENCING + "targets:\n  erp: {driver: sqlite, settings: {path: x.db}}\n"
    assert validate([write(text)]).diagnostics == []
