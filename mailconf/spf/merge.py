"""Building the SPF record a manifest asks for, from the record that is live today.

Services tell their customers to add one mechanism to whatever record they have (Billit: put
``include:my.billit.be`` right after ``v=spf1``). Merge mode does exactly that and otherwise
edits as little as possible, so that the senders someone else authorised keep working; exact
mode is for domains whose whole record the manifest owns.

Rules, in merge mode:
- the owned mechanisms come first, right after ``v=spf1``, in manifest order;
- the foreign terms follow in their live order, modifiers included;
- a mechanism is dropped when an earlier one authorises the same thing (same mechanism, domain
  and prefixes, whatever the qualifier), because the earlier one always decides: the owner's
  copy wins over a foreign one, and the record gets no dead look-ups;
- `all_qualifier` replaces the qualifier of the live ``all`` where it stands; without a live
  ``all`` it is appended after the last mechanism;
- with `all_qualifier` None the live ``all`` is kept as it is, and a record without one stays
  without one (it then ends "neutral", or follows its redirect=): adding a policy nobody asked
  for could reject mail a redirect= target would have allowed;
- adding ``all`` to a record with ``redirect=`` is refused, because ``all`` would silently
  disable the redirect (RFC 7208 6.1).

Exact mode builds ``v=spf1``, the owned mechanisms and ``all`` (if a qualifier is given), and
nothing else. With no live record, merge mode does the same.
"""

from __future__ import annotations

from typing import Literal

from mailconf.spf.errors import SpfError
from mailconf.spf.record import VERSION, Mechanism, Term, parse_record, parse_term

#: Qualifier names and symbols a manifest may use for `all`.
ALL_QUALIFIERS = {"pass": "+", "fail": "-", "softfail": "~", "neutral": "?", "+": "+", "-": "-", "~": "~", "?": "?"}

Mode = Literal["merge", "exact"]


def merge_record(live: str | None, owned: list[str], all_qualifier: str | None, mode: Mode) -> str:
    """The record to publish: `owned` mechanisms merged into `live` (see the module docstring)."""
    if mode not in ("merge", "exact"):
        raise SpfError(f"unknown SPF mode {mode!r}: use 'merge' or 'exact'")
    if all_qualifier is not None and all_qualifier not in ALL_QUALIFIERS:
        raise SpfError(f"unknown all qualifier {all_qualifier!r}: use one of {', '.join(ALL_QUALIFIERS)}")
    terms: list[Term] = [_owned_mechanism(text) for text in owned]
    if mode == "merge" and live is not None:
        terms += parse_record(live).terms
    terms = _without_shadowed(terms)
    if all_qualifier is not None:
        _set_all(terms, ALL_QUALIFIERS[all_qualifier])
    return " ".join([VERSION, *(term.text for term in terms)])


def _owned_mechanism(text: str) -> Mechanism:
    term = parse_term(text)
    if not isinstance(term, Mechanism) or term.name == "all":
        raise SpfError(f"{text!r}: a manifest owns mechanisms other than 'all' (give 'all' as its qualifier)")
    return term


def _without_shadowed(terms: list[Term]) -> list[Term]:
    """Drop each mechanism that an earlier one with the same identity makes unreachable."""
    seen: set[tuple[object, ...]] = set()
    kept: list[Term] = []
    for term in terms:
        if isinstance(term, Mechanism):
            if term.identity() in seen:
                continue
            seen.add(term.identity())
        kept.append(term)
    return kept


def _set_all(terms: list[Term], qualifier: str) -> None:
    new_all = parse_term(f"{qualifier}all")
    for index, term in enumerate(terms):
        if isinstance(term, Mechanism) and term.name == "all":
            terms[index] = new_all
            return
    if any(not isinstance(term, Mechanism) and term.name == "redirect" for term in terms):
        raise SpfError("the record has redirect= and no 'all': adding 'all' would disable the redirect")
    last_mechanism = max((i for i, term in enumerate(terms) if isinstance(term, Mechanism)), default=-1)
    terms.insert(last_mechanism + 1, new_all)
