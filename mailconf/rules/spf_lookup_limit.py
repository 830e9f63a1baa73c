"""At most 10 DNS-querying mechanisms in a record (RFC 7208 4.6.4); more is a permerror for every mail.

Counted here without DNS: the manifest's own include, a, mx, ptr and exists terms. Each
include also spends look-ups inside the included record; `validate --online` and
`mailconf spf check` count those too.

Passing::

    spf: {acme.example: {mechanisms: [include:spf.protection.outlook.com, include:my.billit.be]}}

Failing::

    spf: {acme.example: {mechanisms: [a, mx, include:a.example, include:b.example, include:c.example,
          include:d.example, include:e.example, include:f.example, include:g.example, include:h.example, include:i.example]}}
"""

from __future__ import annotations

from collections.abc import Iterator

from mailconf.diagnostics import Severity
from mailconf.model import Manifest
from mailconf.rules import Problem

ID = "spf-lookup-limit"
SEVERITY = Severity.ERROR
LIMIT = 10


def check(manifest: Manifest) -> Iterator[Problem]:
    from mailconf.spf.record import LOOKUP_TERMS

    for domain, spf in manifest.spf.items():
        querying = [i for i, text in enumerate(spf.mechanisms) if _name(text) in LOOKUP_TERMS]
        if len(querying) > LIMIT and not spf.flatten:
            yield Problem(
                ("spf", domain, "mechanisms", querying[LIMIT]),
                f"{len(querying)} DNS-querying mechanisms, over the limit of {LIMIT} (RFC 7208 4.6.4): receivers return permerror; "
                "replace some with ip4/ip6, or set flatten: true",
            )


def _name(text: str) -> str:
    bare = text.strip().lstrip("+-~?")
    return bare.split(":", 1)[0].split("/", 1)[0].lower()
