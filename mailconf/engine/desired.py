"""From a validated manifest to the desired resources, in the exact shape drivers read back.

Preset and port defaults are resolved here, so a target stores complete endpoints and a
plan compares like with like. Secrets are resolved all at once, before any target is read
(`resolve_secrets`), so one run reports every missing or unusable secret with its location.
SPF records depend on what is live (merge mode keeps foreign mechanisms), so they are
finished by `spf_record` once the live state is known.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from mailconf import endpoints
from mailconf.diagnostics import Severity
from mailconf.driver import Fields, Resource
from mailconf.errors import SecretError
from mailconf.model import Account, Manifest, Spf
from mailconf.secrets import Secret, resolve_all
from mailconf.yamlsource import Path_

if TYPE_CHECKING:
    from mailconf.sources import ManifestSource
    from mailconf.spf.resolver import Resolver
    from mailconf.validate import Report

#: Resolved secrets by their key path in the manifest (`("accounts", "sales", "password")`).
Secrets = Mapping[Path_, Secret]

PRIMARY_KEY = "primary"
LOOKUP_LIMIT = 10  # RFC 7208 4.6.4
# Creation order: what is referenced comes first; deletions run in reverse.
KIND_ORDER: tuple[str, ...] = ("account", "employee", "team_inbox", "project", "primary_sender", "spf")


class SecretsInvalid(SecretError):
    """Secrets of the manifest that cannot be used; `report` locates each (printed before the message)."""

    def __init__(self, report: Report) -> None:
        super().__init__(
            f"{report.count(Severity.ERROR)} secret(s) cannot be used (see above); nothing was read or changed. "
            "`mailconf validate --check-secrets` checks them without reading any target"
        )
        self.report = report


def resolve_secrets(source: ManifestSource, manifest: Manifest) -> dict[Path_, Secret]:
    """Every secret of the manifest (account passwords and target settings), through the same code
    as `validate --check-secrets`; SecretsInvalid with a diagnostic per unusable one."""
    from mailconf.validate import Report, Validated

    resolution = resolve_all(source, manifest)
    if resolution.diagnostics:
        raise SecretsInvalid(Report([Validated(source, manifest, resolution.diagnostics)]))
    return resolution.secrets


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


def desired_resources(manifest: Manifest, secrets: Secrets, kinds: frozenset[str]) -> Iterator[Resource]:
    """Every resource of these kinds the manifest declares, with the secrets `resolve_secrets` gave.
    A generator: the plan compares each with its live twin and keeps only the changed ones."""
    if "account" in kinds:
        for key, account in manifest.accounts.items():
            password = secrets[("accounts", key, "password")] if account.password else None
            yield Resource("account", key, account_fields(account, password), account.protect)
    if "primary_sender" in kinds and manifest.primary_sender is not None:
        yield Resource("primary_sender", PRIMARY_KEY, {"account": manifest.primary_sender})
    if "project" in kinds:
        for key, project in manifest.projects.items():
            yield Resource("project", key, {"senders": dict(project.senders)}, project.protect)
    if "employee" in kinds:
        for key, employee in manifest.employees.items():
            yield Resource("employee", key, {"name": employee.name, "mailbox": employee.mailbox}, employee.protect)
    if "team_inbox" in kinds:
        for key, inbox in manifest.team_inboxes.items():
            yield Resource("team_inbox", key, {"account": inbox.account, "members": list(inbox.members), "sender_name": inbox.sender_name}, inbox.protect)
    if "spf" in kinds:
        for domain, spf in manifest.spf.items():
            yield Resource("spf", domain.rstrip(".").lower(), {"policy": spf}, spf.protect)


def spf_record(desired: Resource, live: Resource | None, resolver: Callable[[], Resolver]) -> Resource:
    """The SPF resource as it should be published, given the live record (merge keeps foreign terms).

    With `flatten: true` and more than 10 look-ups, includes become ranges in chained records
    (`_spf1.DOMAIN`, ...); flattening again at every plan is what shows a provider's drift.
    """
    from mailconf.spf.merge import merge_record

    from mailconf.spf.errors import SpfError

    policy: Spf = desired.fields["policy"]
    current = live.fields.get("record") if live else None
    try:
        record = merge_record(current, list(policy.mechanisms), policy.all, policy.mode)
    except SpfError as exc:
        raise SpfError(f"spf.{desired.key}: cannot merge into the live record {current!r}: {exc}; fix the live record or use mode: exact") from None
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
