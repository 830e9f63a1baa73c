"""Each owned SPF mechanism follows the RFC 7208 grammar; `all` goes in the `all:` field.

Beyond the grammar, a domain-spec must be a name DNS can hold (no empty label, labels up to
63 characters; macros stay allowed), and pieces of a whole record (`v=spf1`, a qualifier
alone, several terms in one item) are refused with what to write instead.

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

import functools
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from mailconf.diagnostics import Severity
from mailconf.model import Manifest
from mailconf.rules import Problem

if TYPE_CHECKING:
    from mailconf.spf.macros import Token
    from mailconf.spf.record import Term

ID = "spf-syntax"
SEVERITY = Severity.ERROR

MAX_LABEL = 63  # octets in one DNS label (RFC 1035 2.3.4)
_SPACE = re.compile(r"\s")


def check(manifest: Manifest) -> Iterator[Problem]:
    from mailconf.spf.record import Mechanism

    for domain, spf in manifest.spf.items():
        if spf.all is None and "all" in spf.model_fields_set:
            yield Problem(("spf", domain, "all"), "all: is empty, or ~ which YAML reads as null, so the live qualifier is kept: write softfail (or \"~\" in quotes)", severity=Severity.WARNING)
        if spf.flatten and spf.mode != "exact":
            yield Problem(("spf", domain, "flatten"), "flatten: true needs mode: exact: a flattened record is rebuilt whole at every plan, so it cannot merge with foreign terms")
        seen: dict[object, int] = {}
        for index, text in enumerate(spf.mechanisms):
            path = ("spf", domain, "mechanisms", index)
            term, problem = _read(text.strip())
            if problem is not None:
                yield Problem(path, problem)
            elif isinstance(term, Mechanism) and term.name == "all":
                yield Problem(path, f"{text!r}: set the final qualifier with `all: softfail` (or fail, neutral) instead, so it stays last")
            elif not isinstance(term, Mechanism) and term.name in ("redirect", "exp"):
                yield Problem(path, f"{text!r}: {term.name}= is a modifier of the whole record; mailconf manages mechanisms only")
            elif isinstance(term, Mechanism):
                identity = term.identity()
                if identity in seen:
                    yield Problem(path, f"{text!r} repeats mechanisms[{seen[identity]}]: remove it", severity=Severity.WARNING)
                seen.setdefault(identity, index)


@functools.lru_cache(maxsize=8192)
def _read(text: str) -> tuple[Term, None] | tuple[None, str]:
    """The term, or what is wrong with it (cached: a large manifest repeats the same few terms)."""
    from mailconf.spf.errors import SpfSyntaxError
    from mailconf.spf.record import Mechanism, parse_term

    misplaced = _misplaced(text)
    if misplaced:
        return None, f"{text!r}: {misplaced}"
    try:
        term = parse_term(text)
    except SpfSyntaxError as exc:
        return None, f"{exc}: fix it per RFC 7208 (e.g. include:_spf.example.com, ip4:192.0.2.0/24)"
    unresolvable = _unresolvable(term.tokens) if isinstance(term, Mechanism) else None
    if unresolvable:
        return None, f"{text!r}: {unresolvable}, which DNS can never resolve: fix the domain"
    return term, None


def _misplaced(text: str) -> str | None:
    """What to write instead of a piece of a whole record pasted into the list."""
    from mailconf.spf.record import QUALIFIER_RESULTS, VERSION

    if text.lower() == VERSION or text.lower().startswith(VERSION + " "):
        return f"{VERSION} starts the record and mailconf writes it: remove it, list the terms one per item and the final all as `all:`"
    if text in QUALIFIER_RESULTS:
        return (
            f"a qualifier alone is no term: put it in front of a mechanism ({text}include:example.com), "
            f"or set the final qualifier with `all: {QUALIFIER_RESULTS[text]}`"
        )
    if _SPACE.search(text):
        return "holds several terms: write one term per list item"
    return None


def _unresolvable(tokens: tuple[Token, ...] | None) -> str | None:
    """Why a domain-spec the grammar accepts (7.1) cannot be a DNS name, if it cannot.

    Only what is certain is judged: a macro may expand to any number of labels, so a label
    touching a macro is at least as long as its literal part. A name over 253 characters
    never gets here: the schema caps a term at 255 (`a:` and 253).
    """
    from mailconf.spf.macros import Macro

    if tokens is None:
        return None
    labels: list[tuple[int, bool]] = []  # (length, exact): a lower bound of the length when the label touches a macro
    run, bound, exact = 0, 0, True
    for token in tokens:
        if isinstance(token, Macro):
            bound, run, exact = max(bound, run), 0, False
            continue
        parts = token.text.split(".") if not token.escaped else [token.text]
        run += len(parts[0])
        for part in parts[1:]:
            labels.append((max(bound, run), exact))
            run, bound, exact = len(part), 0, True
    labels.append((max(bound, run), exact))
    if len(labels) > 1 and labels[-1] == (0, True):
        labels.pop()  # the trailing dot of an absolute name
    if any(length == 0 and exact for length, exact in labels):
        return "it has an empty label (two dots in a row, or a leading dot)"
    if longest := max((length for length, _ in labels if length > MAX_LABEL), default=0):
        return f"it has a label of {longest} characters, over the DNS limit of {MAX_LABEL}"
    return None
