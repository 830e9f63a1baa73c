"""Two accounts with the same address (compared as mail systems do: case-insensitively).

Targets such as ERPNext key e-mail accounts by address, so the second overwrites the first,
or the two fight over one mailbox's settings.

Passing::

    accounts:
      sales: {address: sales@acme.example, preset: gmail}
      office: {address: office@acme.example, preset: gmail}

Failing (a warning)::

    accounts:
      sales: {address: sales@acme.example, preset: gmail}
      office: {address: Sales@ACME.example, preset: gmail}
"""

from __future__ import annotations

from collections.abc import Iterator

from mailconf.diagnostics import Severity
from mailconf.model import Manifest, address_key
from mailconf.rules import Problem

ID = "duplicate-address"
SEVERITY = Severity.WARNING


def check(manifest: Manifest) -> Iterator[Problem]:
    first: dict[str, str] = {}
    for name, account in manifest.accounts.items():
        owner = first.setdefault(address_key(account.address), name)
        if owner != name:
            yield Problem(
                ("accounts", name, "address"),
                f"{account.address.strip()} is also the address of account {owner!r} "
                f"({manifest.accounts[owner].address.strip()}): merge the two accounts, or fix the address",
            )
