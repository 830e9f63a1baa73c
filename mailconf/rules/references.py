"""Every reference names something that exists and can do what is asked.

Project senders must send; an employee's mailbox and a team inbox's account must receive;
team inbox members must be employees.

Passing::

    accounts: {shipping: {address: shipping@acme.example, preset: gmail}}
    projects: {shop: {senders: {tracking: shipping}}}

Failing::

    projects: {shop: {senders: {tracking: shiping}}}
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from mailconf.diagnostics import Severity
from mailconf.endpoints import receives, sends
from mailconf.model import Account, Manifest
from mailconf.rules import Problem
from mailconf.suggest import Suggester
from mailconf.yamlsource import Path_

ID = "reference"
SEVERITY = Severity.ERROR


def check(manifest: Manifest) -> Iterator[Problem]:
    accounts, employees = Suggester(manifest.accounts), Suggester(manifest.employees)
    for name, project in manifest.projects.items():
        for doc_type, account in project.senders.items():
            yield from _account(manifest, accounts, ("projects", name, "senders", doc_type), account, sends, "send")
    for employee_id, employee in manifest.employees.items():
        if employee.mailbox is not None:
            yield from _account(manifest, accounts, ("employees", employee_id, "mailbox"), employee.mailbox, receives, "receive")
    for inbox_name, inbox in manifest.team_inboxes.items():
        yield from _account(manifest, accounts, ("team_inboxes", inbox_name, "account"), inbox.account, receives, "receive")
        for index, member in enumerate(inbox.members):
            if member not in manifest.employees:
                yield Problem(("team_inboxes", inbox_name, "members", index), f"member {member!r} is not an employee{_hint(employees(member))}")


def _account(manifest: Manifest, closest: Suggester, path: Path_, name: str, capable: Callable[[Account], bool], verb: str) -> Iterator[Problem]:
    account = manifest.accounts.get(name)
    if account is None:
        yield Problem(path, f"{name!r} is not an account{_hint(closest(name))}")
    elif not capable(account):
        yield Problem(path, f"account {name!r} cannot {verb}: give it {'an outgoing' if verb == 'send' else 'an incoming'} server or a preset")


def _hint(close: str | None) -> str:
    return f": did you mean {close!r}?" if close else ": declare it or fix the name"
