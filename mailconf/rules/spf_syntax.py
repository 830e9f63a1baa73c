"""Each owned SPF mechanism follows the RFC 7208 grammar; `all` goes in the `all:` field.

The mechanisms list holds what this manifest authorises; the final `all` is set apart so
that merge mode can keep it last (RFC 7208 4.6.2: terms after `all` are never evaluated).

Passing::

    spf:
      acme.example: {mechanisms: [include:my.billit.be, ip4:192.0.2.0/24], all: softfail}

Failing::

    spf:
      acme.example: {mechanisms: [include:my.billit.be, "~all", ip4:192.0.2.0/33]}
"""

from __future__ import annotations

from collections.abc import Iterator

from mailconf.diagnostics import Severity
from mailconf.model import Manifest
from mailconf.rules import Problem

ID = "spf-syntax"
SEVERITY = Severity.ERROR


def check(manifest: Manifest) -> Iterator[Problem]:
    from mailconf.spf.errors import SpfSyntaxError
    from mailconf.spf.record import Mechanism, parse_term

    for domain, spf in manifest.spf.items():
        if spf.all is None and "all" in spf.model_fields_set:
            yield Problem(("spf", domain, "all"), "all: is empty, or ~ which YAML reads as null, so the live qualifier is kept: write softfail (or \"~\" in quotes)", severity=Severity.WARNING)
        if spf.flatten and spf.mode != "exact":
            yield Problem(("spf", domain, "flatten"), "flatten: true needs mode: exact: a flattened record is rebuilt whole at every plan, so it cannot merge with foreign terms")
        seen: dict[object, int] = {}
        for index, text in enumerate(spf.mechanisms):
            path = ("spf", domain, "mechanisms", index)
            try:
                term = parse_term(text.strip())
            except SpfSyntaxError as exc:
                yield Problem(path, f"{exc}: fix it per RFC 7208 (e.g. include:_spf.example.com, ip4:192.0.2.0/24)")
                continue
            if isinstance(term, Mechanism) and term.name == "all":
                yield Problem(path, f"{text!r}: set the final qualifier with `all: softfail` (or fail, neutral) instead, so it stays last")
            elif not isinstance(term, Mechanism) and term.name in ("redirect", "exp"):
                yield Problem(path, f"{text!r}: {term.name}= is a modifier of the whole record; mailconf manages mechanisms only")
            elif isinstance(term, Mechanism):
                identity = term.identity()
                if identity in seen:
                    yield Problem(path, f"{text!r} repeats mechanisms[{seen[identity]}]: remove it", severity=Severity.WARNING)
                seen.setdefault(identity, index)
