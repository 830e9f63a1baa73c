"""At most one default outgoing and one default incoming account, each able to do its job.

ERPNext and Xentral keep one default per direction; a second one is silently ignored.

Passing::

    accounts:
      info: {address: info@acme.example, preset: gmail, default_outgoing: true, default_incoming: true}

Failing::

    accounts:
      info: {address: info@acme.example, preset: gmail, default_outgoing: true}
      sales: {address: sales@acme.example, preset: gmail, default_outgoing: true}
"""

from __future__ import annotations

from collections.abc import Iterator

from mailconf.diagnostics import Severity
from mailconf.endpoints import receives, sends
from mailconf.model import Manifest
from mailconf.rules import Problem

ID = "default-accounts"
SEVERITY = Severity.ERROR

_DIRECTIONS = (("default_outgoing", sends, "send"), ("default_incoming", receives, "receive"))


def check(manifest: Manifest) -> Iterator[Problem]:
    for flag, capable, verb in _DIRECTIONS:
        flagged = [name for name, account in manifest.accounts.items() if getattr(account, flag)]
        for name in flagged[1:]:
            yield Problem(("accounts", name, flag), f"{flag} is already set on {flagged[0]!r}: keep it on one account only")
        for name in flagged:
            if not capable(manifest.accounts[name]):
                yield Problem(("accounts", name, flag), f"{name!r} is {flag} but cannot {verb}: add its server or a preset")
        if not flagged and any(capable(a) for a in manifest.accounts.values()):
            yield Problem(
                ("accounts",),
                f"no account has {flag}: true; targets such as ERPNext need one that can {verb}",
                severity=Severity.WARNING,
                key=True,
            )
