"""A target whose `kinds:` keeps resources but leaves out what they reference.

`kinds: [project]` on a target whose projects name accounts sends those projects without
their accounts: validate and plan pass, then apply fails on the first sender. Each kind a
target holds must come with the kinds it references, when its driver supports them.

Passing::

    targets: {erp: {driver: sqlite, kinds: [account, project]}}
    projects: {shop: {senders: {invoice: billing}}}

Failing::

    targets: {erp: {driver: sqlite, kinds: [project]}}
    projects: {shop: {senders: {invoice: billing}}}
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from mailconf.diagnostics import Severity
from mailconf.errors import UsageError
from mailconf.model import Manifest
from mailconf.rules import Problem

ID = "target-kinds"
SEVERITY = Severity.ERROR

# (kind, a kind it references, whether this manifest's resources of that kind reference it, what they are)
_REFERENCES: tuple[tuple[str, str, Callable[[Manifest], bool], str], ...] = (
    ("project", "account", lambda m: any(p.senders for p in m.projects.values()), "project senders"),
    ("primary_sender", "account", lambda m: m.primary_sender is not None, "the primary sender"),
    ("employee", "account", lambda m: any(e.mailbox for e in m.employees.values()), "employee mailboxes"),
    ("team_inbox", "account", lambda m: bool(m.team_inboxes), "team inboxes"),
    ("team_inbox", "employee", lambda m: any(t.members for t in m.team_inboxes.values()), "team inbox members"),
)


def check(manifest: Manifest) -> Iterator[Problem]:
    from mailconf.engine.targets import driver_class, managed_kinds

    for name, target in manifest.targets.items():
        if target.kinds is None:
            continue  # every kind the driver supports: nothing left out
        try:
            cls = driver_class(target.driver)
        except UsageError:
            continue  # target-settings reports it
        held = managed_kinds(target, cls)
        missing: dict[str, list[str]] = {}
        for kind, referenced, used, what in _REFERENCES:
            if kind in held and referenced not in held and referenced in cls.kinds and used(manifest):
                missing.setdefault(referenced, []).append(what)
        for referenced, users in missing.items():
            yield Problem(
                ("targets", name, "kinds"),
                f"kinds leaves out {referenced}, but {' and '.join(users)} on this target name {referenced}s, "
                f"so apply would fail: add {referenced} to kinds",
            )
