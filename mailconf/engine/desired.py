"""From a validated manifest to the desired resources, in the exact shape drivers read back.

Preset and port defaults are resolved here, so a target stores complete endpoints and a
plan compares like with like. SPF records depend on what is live (merge mode keeps
foreign mechanisms), so they are finished by `spf_record` once the live state is known.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mailconf import endpoints
from mailconf.driver import Fields, Resource
from mailconf.model import Account, Manifest, Spf
from mailconf.secrets import Secret, resolve

if TYPE_CHECKING:
    from mailconf.spf.resolver import Resolver

PRIMARY_KEY = "primary"
LOOKUP_LIMIT = 10  # RFC 7208 4.6.4
# Creation order: what is referenced comes first; deletions run in reverse.
KIND_ORDER: tuple[str, ...] = ("account", "employee", "team_inbox", "project", "primary_sender", "spf")


def _endpoint(endpoint: endpoints.Endpoint | None) -> dict[str, Any] | None:
    return None if endpoint is None else {"host": endpoint.host.rstrip("."), "port": endpoint.port, "security": endpoint.security}


def account_fields(account: Account, password: Secret | None) -> Fields:
    outgoing = _endpoint(endpoints.smtp(account))
    if outgoing is not None:
        outgoing["auth"] = account.outgoing.auth if account.outgoing else True
    received = endpoints.incoming(account)
    incoming = None
    if received is not None:
        own, endpoint = received
        incoming = {"protocol": own.protocol, **(_endpoint(endpoint) or {}), "folder": own.folder}
    notify = account.notify_if_unreplied
    return {
        "address": account.address,
        "display_name": account.display_name,
        "username": account.username or account.address,
        "password": password,
        "outgoing": outgoing,
        "incoming": incoming,
        "signature": account.signature,
        "salutation": account.salutation,
        "reply_to": account.reply_to,
        "notify_if_unreplied": None if notify is None else {"minutes": notify.minutes, "recipient": notify.recipient},
        "default_outgoing": account.default_outgoing,
        "default_incoming": account.default_incoming,
    }


def desired_resources(manifest: Manifest, base_dir: Path, kinds: frozenset[str]) -> list[Resource]:
    """Every resource of these kinds the manifest declares; secrets resolved (SecretError if missing)."""
    found: list[Resource] = []
    if "account" in kinds:
        for key, account in manifest.accounts.items():
            password = resolve(account.password, base_dir) if account.password else None
            found.append(Resource("account", key, account_fields(account, password), account.protect))
    if "primary_sender" in kinds and manifest.primary_sender is not None:
        found.append(Resource("primary_sender", PRIMARY_KEY, {"account": manifest.primary_sender}))
    if "project" in kinds:
        found.extend(Resource("project", k, {"senders": dict(p.senders)}, p.protect) for k, p in manifest.projects.items())
    if "employee" in kinds:
        found.extend(Resource("employee", k, {"name": e.name, "mailbox": e.mailbox}, e.protect) for k, e in manifest.employees.items())
    if "team_inbox" in kinds:
        found.extend(
            Resource("team_inbox", k, {"account": t.account, "members": list(t.members), "sender_name": t.sender_name}, t.protect)
            for k, t in manifest.team_inboxes.items()
        )
    if "spf" in kinds:
        found.extend(Resource("spf", domain.rstrip(".").lower(), {"policy": spf}, spf.protect) for domain, spf in manifest.spf.items())
    return found


def spf_record(desired: Resource, live: Resource | None, resolver: Callable[[], Resolver]) -> Resource:
    """The SPF resource as it should be published, given the live record (merge keeps foreign terms).

    With `flatten: true` and more than 10 look-ups, includes become ranges in chained records
    (`_spf1.DOMAIN`, ...); flattening again at every plan is what shows a provider's drift.
    """
    from mailconf.spf.merge import merge_record

    policy: Spf = desired.fields["policy"]
    current = live.fields.get("record") if live else None
    record = merge_record(current, list(policy.mechanisms), policy.all, policy.mode)
    chained: dict[str, str] = {}
    if policy.flatten:
        from mailconf.spf.analyze import analyze_txt
        from mailconf.spf.flatten import flatten, txt_strings

        dns = resolver()
        if analyze_txt(desired.key, txt_strings(record), dns).tree.dns_lookups > LOOKUP_LIMIT:
            records = dict(flatten(desired.key, record, dns).records)
            record = records.pop(desired.key)
            chained = records
    return Resource(desired.kind, desired.key, {"record": record, "chained": chained}, desired.protect)
