"""An account is someone's personal mailbox or a team inbox, never both; each belongs to one owner.

Two owners of one mailbox means replies land with the wrong person.

Passing::

    employees: {E1: {name: Ann, mailbox: ann}}
    team_inboxes: {support: {account: support}}

Failing::

    employees: {E1: {name: Ann, mailbox: support}}
    team_inboxes: {support: {account: support}}
"""

from __future__ import annotations

from collections.abc import Iterator

from mailconf.diagnostics import Severity
from mailconf.model import Manifest
from mailconf.rules import Problem

ID = "mailbox-conflict"
SEVERITY = Severity.ERROR


def check(manifest: Manifest) -> Iterator[Problem]:
    owner_of: dict[str, str] = {}
    for employee_id, employee in manifest.employees.items():
        if employee.mailbox is None:
            continue
        first = owner_of.setdefault(employee.mailbox, f"employee {employee_id}")
        if first != f"employee {employee_id}":
            yield Problem(("employees", employee_id, "mailbox"), f"account {employee.mailbox!r} is already the mailbox of {first}: a personal mailbox belongs to one employee")
    for inbox_name, inbox in manifest.team_inboxes.items():
        first = owner_of.setdefault(inbox.account, f"team inbox {inbox_name}")
        if first != f"team inbox {inbox_name}":
            yield Problem(("team_inboxes", inbox_name, "account"), f"account {inbox.account!r} is already used by {first}: connect it to one inbox only, and never as a personal mailbox too")
