"""`validate --online`: the checks that need DNS, on the records the manifest would publish.

- SPF: each domain's resulting record (the manifest merged into what DNS serves today, and
  flattened where it says `flatten: true`, by the same `finish` hook `plan` uses) is analysed
  with its includes: look-up counts, void look-ups, loops, limits.
- Cross-check: each sending account's SMTP host addresses are run through check_host()
  against the resulting record of its sender domain; a failing one gets the fix.
The resulting records are served to the SPF engine by an overlay resolver, so "would this
pass after apply" is answered before anything is applied.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from mailconf import endpoints
from mailconf.diagnostics import Diagnostic, Severity
from mailconf.driver import Resource
from mailconf.errors import MailconfError
from mailconf.kinds import spf
from mailconf.kinds.base import FinishContext
from mailconf.model import Manifest, domain_key
from mailconf.presets import preset_for_smtp_host
from mailconf.sources import ManifestSource
from mailconf.spf.analyze import analyze_txt
from mailconf.spf.errors import SpfError
from mailconf.spf.evaluate import check_host
from mailconf.spf.flatten import txt_strings
from mailconf.spf.record import select_record
from mailconf.spf.resolver import Answer, Resolver

_PASSING = ("pass",)


@dataclass
class OverlayResolver:
    """Answers TXT queries for some domains with records not yet published; asks DNS for the rest."""

    base: Resolver
    records: dict[str, str]

    def query(self, name: str, rdtype: str) -> Answer:
        key = name.lower().rstrip(".")
        if rdtype == "TXT" and key in self.records:
            live = self.base.query(name, rdtype)
            foreign = tuple(r for r in live.records if not b"".join(r).lower().startswith(b"v=spf1"))
            strings = tuple(s.encode() for s in txt_strings(self.records[key]))
            return Answer(foreign + (strings,))
        return self.base.query(name, rdtype)


def resulting_records(manifest: Manifest, resolver: Resolver) -> dict[str, dict[str, str]]:
    """Domain -> the records an apply would publish for it, by name: its SPF record (merged with
    what DNS serves today, flattened where the manifest says so) and the chained ones flattening adds."""
    context = FinishContext(lambda: resolver)
    records = {}
    for wanted in spf.desired(manifest, {}):
        live = select_record(resolver.query(wanted.key, "TXT").records)
        current = None if live is None else Resource(wanted.kind, wanted.key, {"record": live, "chained": {}})
        published = spf.finish(wanted, current, context).fields
        records[wanted.key] = {wanted.key: published["record"], **published["chained"]}
    return records


def online_diagnostics(source: ManifestSource, manifest: Manifest, resolver: Resolver) -> list[Diagnostic]:
    try:
        published = resulting_records(manifest, resolver)
    except MailconfError as exc:
        return [source.diagnostic("spf-online", Severity.ERROR, f"cannot build the SPF records: {exc}", ("spf",), key=True)]
    overlay = OverlayResolver(resolver, {name: text for chain in published.values() for name, text in chain.items()})
    records = {domain: chain[domain] for domain, chain in published.items()}
    found = list(_spf_findings(source, manifest, records, overlay))
    found.extend(_cross_check(source, manifest, overlay))
    return found


def _spf_findings(source: ManifestSource, manifest: Manifest, records: dict[str, str], resolver: Resolver) -> Iterator[Diagnostic]:
    by_key = {d.lower().rstrip("."): d for d in manifest.spf}
    for key, record in records.items():
        report = analyze_txt(key, txt_strings(record), resolver)
        for finding in report.findings:
            severity = Severity.ERROR if finding.severity == "error" else Severity.WARNING
            where = "" if finding.domain == key else f" (in {finding.domain})"
            yield source.diagnostic(finding.code, severity, f"{finding.message}{where}; the record would be: {record}", ("spf", by_key[key]), key=True)


def _cross_check(source: ManifestSource, manifest: Manifest, resolver: Resolver) -> Iterator[Diagnostic]:
    for name, account in manifest.accounts.items():
        try:
            smtp = endpoints.smtp(account)
        except MailconfError:
            continue  # the endpoint rule reports it
        if smtp is None:
            continue
        address = account.address.strip()
        domain = domain_key(address.rpartition("@")[2])
        for ip in _addresses(smtp.host, resolver):
            outcome = check_host(ip, domain, address, resolver=resolver)
            if outcome.result not in _PASSING:
                yield source.diagnostic(
                    "spf-cross-check",
                    Severity.WARNING,
                    f"mail from {address} through {smtp.host} ({ip}) gets SPF {outcome.result}: {_fix(smtp.host, ip, domain, resolver)}",
                    ("accounts", name, "address"),
                )
                break


def _addresses(host: str, resolver: Resolver) -> list[str]:
    found: list[str] = []
    for rdtype in ("A", "AAAA"):
        try:
            found.extend(str(a) for a in resolver.query(host, rdtype).records)
        except SpfError:
            continue
    return found


def _fix(host: str, ip: str, domain: str, resolver: Resolver) -> str:
    """The mechanism to add: the service's documented include when the host is a known service's,
    else an include of the host's parent domain whose own SPF passes this address, else the address."""
    host = host.lower().rstrip(".")
    service = preset_for_smtp_host(host)
    if service is not None and service.spf_include:
        return f"add {service.spf_include} to spf.{domain}.mechanisms"
    labels = host.split(".")
    for start in range(1, len(labels) - 1):
        parent = ".".join(labels[start:])
        if check_host(ip, parent, f"postmaster@{parent}", resolver=resolver).result == "pass":
            return f"add include:{parent} to spf.{domain}.mechanisms"
    return f"add {'ip6' if ':' in ip else 'ip4'}:{ip} (or a:{host}) to spf.{domain}.mechanisms"
