"""SPF record grammar (RFC 7208 section 12): text in, typed terms out.

Parsing is strict and total: RFC 7208 4.6 makes any syntax error anywhere in a record a permerror
before a single term is evaluated, so the evaluator, the analysis and the manifest validation all
start from a `Record` that is known to be well formed.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_network

from mailconf.spf.errors import SpfPermError, SpfSyntaxError
from mailconf.spf.macros import Literal, Token, has_macros, tokenize

VERSION = "v=spf1"
#: Qualifier -> the result a matching mechanism produces (4.6.2).
QUALIFIER_RESULTS = {"+": "pass", "-": "fail", "~": "softfail", "?": "neutral"}
#: Mechanisms and modifiers that count against the limit of 10 DNS-querying terms (4.6.4).
LOOKUP_TERMS = frozenset({"include", "a", "mx", "ptr", "exists", "redirect"})
MECHANISMS = frozenset({"all", "include", "a", "mx", "ptr", "ip4", "ip6", "exists"})

_MODIFIER = re.compile(r"([A-Za-z][A-Za-z0-9_.\-]*)=(.*)", re.ASCII | re.DOTALL)
_MECHANISM = re.compile(r"([+\-~?]?)([A-Za-z][A-Za-z0-9]*)(.*)", re.ASCII | re.DOTALL)
_DOMAIN_AND_CIDR = re.compile(r"(?::(.+?))?(?:/([0-9]+))?(?://([0-9]+))?", re.ASCII | re.DOTALL)
_IP4 = re.compile(r":([0-9.]+)(?:/([0-9]+))?", re.ASCII)
_IP6 = re.compile(r":([0-9A-Fa-f:.]+)(?:/([0-9]+))?", re.ASCII)
_TOPLABEL = re.compile(
    r"[A-Za-z0-9]*[A-Za-z][A-Za-z0-9]*|[A-Za-z0-9]+-[A-Za-z0-9\-]*[A-Za-z0-9]", re.ASCII
)


@dataclass(frozen=True)
class Mechanism:
    """A directive: qualifier plus mechanism (section 5). `text` is the term as written."""

    text: str
    qualifier: str
    name: str
    domain_spec: str | None = None
    cidr4: int = 32
    cidr6: int = 128
    network: IPv4Network | IPv6Network | None = None
    tokens: tuple[Token, ...] | None = field(default=None, compare=False, repr=False)

    @property
    def has_macros(self) -> bool:
        return has_macros(self.tokens)

    def identity(self) -> tuple[object, ...]:
        """What the mechanism authorises, regardless of qualifier and spelling (for de-duplication)."""
        spec = self.domain_spec
        if spec is not None and not self.has_macros:
            spec = spec.lower().rstrip(".")
        return (self.name, spec, self.cidr4, self.cidr6, self.network)


@dataclass(frozen=True)
class Modifier:
    """name=value (section 6); unknown modifiers are kept so that merging preserves them."""

    text: str
    name: str
    value: str
    tokens: tuple[Token, ...] = field(compare=False, repr=False)

    @property
    def has_macros(self) -> bool:
        return has_macros(self.tokens)


Term = Mechanism | Modifier


@dataclass(frozen=True)
class Record:
    """A parsed SPF record."""

    text: str
    terms: tuple[Term, ...]

    @property
    def mechanisms(self) -> tuple[Mechanism, ...]:
        return tuple(term for term in self.terms if isinstance(term, Mechanism))

    @property
    def redirect(self) -> Modifier | None:
        return self._modifier("redirect")

    @property
    def exp(self) -> Modifier | None:
        return self._modifier("exp")

    def _modifier(self, name: str) -> Modifier | None:
        return next((t for t in self.terms if isinstance(t, Modifier) and t.name == name), None)


def is_spf(text: str | bytes) -> bool:
    """True if a TXT record is an SPF record: it starts with the version section "v=spf1" (4.5)."""
    head = text[: len(VERSION) + 1].lower()
    version = VERSION.encode() if isinstance(head, bytes) else VERSION
    space = b" " if isinstance(head, bytes) else " "
    return head in (version, version + space)


def select_record(txt_records: Iterable[tuple[bytes, ...]]) -> str | None:
    """Pick the SPF record out of a TXT RRset (4.5): its strings joined, None if there is none.

    More than one SPF record is a permerror, and so is one with octets outside ASCII (3.1);
    other TXT records are none of SPF's business, whatever they contain.
    """
    records = [b"".join(strings) for strings in txt_records]
    spf = [raw for raw in records if is_spf(raw)]
    if len(spf) > 1:
        raise SpfPermError(f"{len(spf)} SPF records where only one is allowed", "spf-multiple-records")
    if not spf:
        return None
    if not spf[0].isascii():
        raise SpfSyntaxError(f"SPF record has characters outside ASCII: {spf[0]!r}", "spf-non-ascii")
    return spf[0].decode("ascii")


def parse_record(text: str) -> Record:
    """Parse a whole record; raise `SpfSyntaxError` naming the first bad term."""
    _check_ascii(text, "record")
    if not is_spf(text):
        raise SpfSyntaxError(f"an SPF record must start with {VERSION!r}: {text!r}")
    terms = tuple(parse_term(word) for word in text[len(VERSION) :].split(" ") if word)
    for name in ("redirect", "exp"):
        if sum(isinstance(t, Modifier) and t.name == name for t in terms) > 1:
            raise SpfSyntaxError(f"{name}= appears more than once in {text!r}")
    return Record(text, terms)


@functools.lru_cache(maxsize=8192)
def parse_term(text: str) -> Term:
    """Parse one term (a directive or a modifier), e.g. a manifest's ``include:my.billit.be``."""
    _check_ascii(text, "term")
    modifier = _MODIFIER.fullmatch(text)
    if modifier:
        return _parse_modifier(text, modifier.group(1).lower(), modifier.group(2))
    mechanism = _MECHANISM.fullmatch(text)
    if mechanism is None:
        raise SpfSyntaxError(f"{text!r} is neither a mechanism nor a modifier")
    qualifier, name, rest = mechanism.groups()
    name = name.lower()
    if name not in MECHANISMS:
        raise SpfSyntaxError(f"unknown mechanism {name!r} in {text!r}")
    try:
        return _PARSERS[name](text, qualifier or "+", name, rest)
    except SpfSyntaxError as error:
        raise SpfSyntaxError(f"invalid term {text!r}: {error}") from None


def _check_ascii(text: str, what: str) -> None:
    if not text.isascii():
        raise SpfSyntaxError(f"SPF {what} has characters outside ASCII: {text!r}", "spf-non-ascii")


def _parse_modifier(text: str, name: str, value: str) -> Modifier:
    try:
        if name in ("redirect", "exp"):
            tokens = domain_spec_tokens(value)
        else:
            tokens = tokenize(value)
    except SpfSyntaxError as error:
        raise SpfSyntaxError(f"invalid modifier {text!r}: {error}") from None
    return Modifier(text, name, value, tokens)


def valid_toplabel(label: str) -> bool:
    """The last label of a domain: letters, digits and inner hyphens, not all digits (7.1)."""
    return _TOPLABEL.fullmatch(label) is not None


def domain_spec_tokens(spec: str) -> tuple[Token, ...]:
    """Tokenise a domain-spec and check that it ends in a macro or "." toplabel (7.1)."""
    if not spec:
        raise SpfSyntaxError("the domain-spec is empty")
    tokens = tokenize(spec)
    last = tokens[-1]
    if isinstance(last, Literal) and not last.escaped:
        name = last.text[:-1] if last.text.endswith(".") else last.text
        dot = name.rfind(".")
        if dot < 0 or not valid_toplabel(name[dot + 1 :]):
            raise SpfSyntaxError(f"{spec!r} must end in a macro or a dot and a valid top label")
    return tokens


def _parse_all(text: str, qualifier: str, name: str, rest: str) -> Mechanism:
    if rest:
        raise SpfSyntaxError("'all' takes no argument")
    return Mechanism(text, qualifier, name)


def _parse_domain_only(text: str, qualifier: str, name: str, rest: str) -> Mechanism:
    """include, exists (domain-spec required) and ptr (optional), none of which take a CIDR."""
    if not rest and name == "ptr":
        return Mechanism(text, qualifier, name)
    if not rest.startswith(":"):
        raise SpfSyntaxError(f"'{name}' needs ':' and a domain")
    spec = rest[1:]
    return Mechanism(text, qualifier, name, spec, tokens=domain_spec_tokens(spec))


def _parse_a_mx(text: str, qualifier: str, name: str, rest: str) -> Mechanism:
    match = _DOMAIN_AND_CIDR.fullmatch(rest)
    if match is None:
        raise SpfSyntaxError("expected [:domain][/ip4-cidr][//ip6-cidr]")
    spec, cidr4, cidr6 = match.groups()
    tokens = domain_spec_tokens(spec) if spec is not None else None
    return Mechanism(
        text, qualifier, name, spec, _cidr(cidr4, 32), _cidr(cidr6, 128), tokens=tokens
    )


def _parse_ip(text: str, qualifier: str, name: str, rest: str) -> Mechanism:
    pattern, address_type, maximum = (_IP4, IPv4Address, 32) if name == "ip4" else (_IP6, IPv6Address, 128)
    match = pattern.fullmatch(rest)
    if match is None:
        raise SpfSyntaxError(f"expected '{name}:' and an address with an optional /prefix")
    try:
        address = address_type(match.group(1))
    except ValueError:
        raise SpfSyntaxError(f"{match.group(1)!r} is not an {name} address") from None
    prefix = _cidr(match.group(2), maximum)
    network = ip_network(f"{address}/{prefix}", strict=False)
    return Mechanism(text, qualifier, name, network=network)


def _cidr(digits: str | None, maximum: int) -> int:
    """A prefix length: no leading zero (like ip4-network's qnum) and at most `maximum`."""
    if digits is None:
        return maximum
    if (len(digits) > 1 and digits.startswith("0")) or int(digits) > maximum:
        raise SpfSyntaxError(f"prefix length /{digits} is not in 0-{maximum}")
    return int(digits)


_PARSERS = {
    "all": _parse_all,
    "include": _parse_domain_only,
    "exists": _parse_domain_only,
    "ptr": _parse_domain_only,
    "a": _parse_a_mx,
    "mx": _parse_a_mx,
    "ip4": _parse_ip,
    "ip6": _parse_ip,
}
