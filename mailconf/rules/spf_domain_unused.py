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

from collections.abc import Iterator

from mailconf.diagnostics import Severity
from mailconf.endpoints import sends
from mailconf.model import Manifest, domain_key
from mailconf.rules import Problem
from mailconf.suggest import Suggester

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
    closest = Suggester(sorted({domain_key(a.address.rpartition("@")[2]) for a in manifest.accounts.values() if sends(a)}), cutoff=0.8)
    for key, domain in unused.items():
        close = closest(key)
        hint = f"did you mean {close!r}?" if close else "check the domain, or remove the record if nothing sends from it"
        yield Problem(("spf", domain), f"no account sends from {domain}: {hint}", key=True)
