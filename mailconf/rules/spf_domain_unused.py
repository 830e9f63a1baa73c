"""An SPF domain that no account sends from: most often a typo in the domain.

SPF authorises senders for the domain of an address; a record for a domain none of the
manifest's sending accounts uses protects nothing this manifest sends, while the real
domain stays without the service's include.

Passing::

    accounts: {billing: {address: billing@acme.example, preset: microsoft365}}
    spf: {acme.example: {mechanisms: [include:spf.protection.outlook.com]}}

Failing (a warning)::

    accounts: {billing: {address: billing@acme.example, preset: microsoft365}}
    spf: {acme.exmaple: {mechanisms: [include:spf.protection.outlook.com]}}
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator

from mailconf.diagnostics import Severity
from mailconf.endpoints import sends
from mailconf.model import Manifest, domain_key
from mailconf.rules import Problem

ID = "spf-domain-unused"
SEVERITY = Severity.WARNING


def check(manifest: Manifest) -> Iterator[Problem]:
    if not manifest.spf:
        return
    unused = {domain_key(d): d for d in manifest.spf}
    for account in manifest.accounts.values():
        domain = domain_key(account.address.rpartition("@")[2])
        if domain in unused and sends(account):
            del unused[domain]
    if not unused:
        return
    sending = sorted({domain_key(a.address.rpartition("@")[2]) for a in manifest.accounts.values() if sends(a)})
    for key, domain in unused.items():
        close = difflib.get_close_matches(key, sending, n=1, cutoff=0.8)
        hint = f"did you mean {close[0]!r}?" if close else "check the domain, or remove the record if nothing sends from it"
        yield Problem(("spf", domain), f"no account sends from {domain}: {hint}", key=True)
