"""Every service that sends in a domain's name is authorised by that domain's SPF.

For an account sending from `x@domain` through a known service (its preset, or an SMTP host
that belongs to a preset), the domain's SPF resource must include the service's mechanism.
`validate --online` (and `mailconf spf check`) tests the real DNS answers.

Passing::

    accounts: {billing: {address: billing@acme.example, preset: microsoft365}}
    spf: {acme.example: {mechanisms: [include:spf.protection.outlook.com]}}

Failing (a warning)::

    accounts: {billing: {address: billing@acme.example, preset: microsoft365}}
    spf: {acme.example: {mechanisms: [include:my.billit.be]}}
"""

from __future__ import annotations

import functools
from collections.abc import Iterator

from mailconf.diagnostics import Severity
from mailconf.endpoints import sends
from mailconf.model import Account, Manifest, domain_key
from mailconf.presets import Preset, preset_for_smtp_host, presets
from mailconf.rules import Problem

ID = "spf-sender-unauthorised"
SEVERITY = Severity.WARNING


def _service(account: Account) -> Preset | None:
    """The known service an account sends through: its preset, or the preset owning its SMTP host."""
    if account.outgoing is not None and account.outgoing.host:
        return preset_for_smtp_host(account.outgoing.host)
    return presets().get(account.preset) if account.preset else None


def check(manifest: Manifest) -> Iterator[Problem]:
    domains = {domain_key(d): d for d in manifest.spf}
    owned: dict[str, set[object]] = {}  # per SPF key, what its mechanisms authorise; built when first needed
    for name, account in manifest.accounts.items():
        domain = domain_key(account.address.rsplit("@", 1)[-1])
        key = domains.get(domain)
        if key is None or not sends(account):
            continue
        service = _service(account)
        if service is None or service.spf_include is None:
            continue
        if key not in owned:
            owned[key] = {_identity(m) for m in manifest.spf[key].mechanisms}
        if _identity(service.spf_include) not in owned[key]:
            yield Problem(
                ("accounts", name, "address"),
                f"mail from {account.address} through {service.title} is not authorised by the SPF of {domain}: "
                f"add {service.spf_include} to spf.{key}.mechanisms",
            )


@functools.lru_cache(maxsize=8192)
def _identity(mechanism: str) -> object:
    """What a mechanism authorises, whatever its spelling (`include:SPF.Example.` is `include:spf.example`)."""
    from mailconf.spf.errors import SpfSyntaxError
    from mailconf.spf.record import Mechanism, parse_term

    try:
        term = parse_term(mechanism.strip())
    except SpfSyntaxError:
        return None  # spf-syntax reports it
    return term.identity() if isinstance(term, Mechanism) and term.qualifier == "+" else None
