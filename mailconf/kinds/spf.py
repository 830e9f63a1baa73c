"""Kind `spf`: a domain's SPF record, and the chained records flattening publishes beside it.

The manifest owns some mechanisms of a record, not necessarily the whole of it: in merge mode
the foreign terms of the live record are kept. So the desired resource holds the manifest's
policy (`{"policy": Spf}`) until `finish` knows the live record and builds the record to publish.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, TypedDict

from mailconf.driver import Resource
from mailconf.kinds.base import FinishContext, ImportContext, ManifestData, Secrets
from mailconf.model import Manifest, Spf, domain_key

DEPENDS_ON: tuple[str, ...] = ()
LOOKUP_LIMIT = 10  # RFC 7208 4.6.4
_QUALIFIERS = {"+": "pass", "-": "fail", "~": "softfail", "?": "neutral"}


class SpfFields(TypedDict):
    record: str  #: the record text published at the domain ("v=spf1 ... ~all")
    chained: dict[str, str]  #: name (`_spf1.DOMAIN`, ...) -> record text, when flattening chains records; else empty


def desired(manifest: Manifest, secrets: Secrets) -> Iterator[Resource]:
    for domain, spf in manifest.spf.items():
        yield Resource("spf", domain_key(domain), {"policy": spf}, spf.protect)


def finish(desired: Resource, live: Resource | None, context: FinishContext) -> Resource:
    """The SPF resource as it should be published, given the live record (merge keeps foreign terms).

    With `flatten: true` and more than 10 look-ups, includes become ranges in chained records
    (`_spf1.DOMAIN`, ...); flattening again at every plan is what shows a provider's drift.
    """
    from mailconf.spf.errors import SpfError
    from mailconf.spf.merge import merge_record

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

        dns = context.resolver()
        if analyze_txt(desired.key, txt_strings(record), dns).tree.dns_lookups > LOOKUP_LIMIT:
            records = dict(flatten(desired.key, record, dns).records)
            record = records.pop(desired.key)
            chained = records
    return Resource(desired.kind, desired.key, {"record": record, "chained": chained}, desired.protect)


def to_manifest(manifest: ManifestData, resource: Resource, context: ImportContext) -> None:
    """The record as an exact-mode policy: its terms, and the qualifier of its `all`."""
    policy: dict[str, Any] = {"mode": "exact", "mechanisms": []}
    for term in resource.fields["record"].split()[1:]:
        if term.lstrip("+-~?").lower() == "all":
            policy["all"] = _QUALIFIERS.get(term[0], "pass")
        else:
            policy["mechanisms"].append(term)
    manifest.setdefault("spf", {})[resource.key] = policy
