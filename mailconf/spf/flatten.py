"""SPF flattening (opt-in), like DNSControl's SPF_BUILDER: includes become address ranges.

A domain that includes a few big providers quickly passes the limit of 10 DNS-querying terms.
Flattening replaces those includes by the ip4/ip6 ranges they authorise today, published in a
chain of records ``_spf1.DOMAIN``, ``_spf2.DOMAIN``, ... that each fit one plain UDP answer (at
most 512 octets, RFC 1035 4.2.1) with character-strings of at most 255 octets. The result is a
plain {name: record text} mapping, so a driver publishes it like any record and a later plan
that flattens again shows a diff when a provider changes its ranges (drift).

Flattening must not change any SPF result, so it is exact or it does not happen:
- an include passes exactly when its first matching term is a pass, so only records whose terms
  before ``all`` are all pass ("+") become ranges; anything else keeps its include;
- a, mx, include and redirect= inside an included record are resolved to addresses; ptr, exists
  and macros depend on the connection and keep their include (and are reported);
- the ranges go where the first flattened include stood, so a root include after a non-pass
  mechanism is kept: moving its ranges in front of that mechanism would change its results.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from ipaddress import IPv4Network, IPv6Network, collapse_addresses, ip_network

from mailconf.spf.errors import SpfError, SpfPermError
from mailconf.spf.evaluate import MAX_MX_NAMES
from mailconf.spf.record import VERSION, LOOKUP_TERMS, Mechanism, Record, parse_record, select_record
from mailconf.spf.resolver import Resolver

#: Largest DNS message that needs neither EDNS nor TCP (RFC 1035 4.2.1).
MAX_UDP_ANSWER = 512
#: Longest character-string a TXT record can carry (RFC 1035 3.3).
MAX_TXT_STRING = 255

Network = IPv4Network | IPv6Network


@dataclass(frozen=True)
class Kept:
    """A term that still costs DNS look-ups after flattening, and why it was not flattened."""

    term: str
    reason: str


@dataclass(frozen=True)
class Flattened:
    """Records to publish, root first, and the terms left as they were."""

    records: dict[str, str]
    kept: list[Kept] = field(default_factory=list)


class _NotFlattenable(Exception):
    """An include whose pass set is not a fixed list of addresses."""


def txt_strings(text: str) -> list[str]:
    """Split record text into TXT character-strings of at most 255 octets (joined without spaces)."""
    return [text[i : i + MAX_TXT_STRING] for i in range(0, len(text), MAX_TXT_STRING)] or [""]


def answer_size(name: str, text: str) -> int:
    """Octets of a DNS response carrying one TXT record `text` at `name`, without EDNS.

    Header 12; question: the name (its text length + 2) + type and class 4; answer: a compressed
    name pointer 2 + type, class, TTL, length 10 + one length octet per string + the text.
    """
    qname = len(name.rstrip(".")) + 2
    return 12 + qname + 4 + 2 + 10 + len(txt_strings(text)) + len(text)


def flatten(domain: str, record: str, resolver: Resolver) -> Flattened:
    """Flatten the pass-only includes of `record` (the record of `domain`) into chained records.

    A DNS failure raises `SpfTempError`: ranges from partial data would drop real senders.
    """
    domain = domain.lower().rstrip(".")
    return _Flattener(domain, resolver).run(parse_record(record))


class _Flattener:
    def __init__(self, domain: str, resolver: Resolver) -> None:
        self.domain = domain
        self.resolver = resolver
        self.kept: list[Kept] = []

    def run(self, root: Record) -> Flattened:
        terms: list[str] = []
        networks: list[Network] = []
        chain_at: int | None = None
        non_pass_seen = False
        for term in root.terms:
            if isinstance(term, Mechanism) and term.name == "include" and term.qualifier == "+":
                reason = self.include_blocker(term, non_pass_seen)
                if reason is None:
                    try:
                        networks += self.pass_networks(self.target(term.domain_spec), (self.domain,))
                        chain_at = len(terms) if chain_at is None else chain_at
                        continue
                    except _NotFlattenable as error:
                        reason = str(error)
                self.kept.append(Kept(term.text, reason))
            elif isinstance(term, Mechanism):
                non_pass_seen |= term.qualifier != "+" and term.name != "all"
                if term.name in LOOKUP_TERMS:
                    self.kept.append(Kept(term.text, self.root_reason(term)))
            terms.append(term.text)
        if chain_at is None:
            return Flattened({self.domain: root.text}, self.kept)
        chain = self.chain(networks)
        terms.insert(chain_at, f"include:{next(iter(chain))}")
        text = " ".join([VERSION, *terms])
        if answer_size(self.domain, text) > MAX_UDP_ANSWER:
            raise SpfError(f"the flattened root record of {self.domain} needs {answer_size(self.domain, text)} octets")
        return Flattened({self.domain: text, **chain}, self.kept)

    @staticmethod
    def include_blocker(term: Mechanism, non_pass_seen: bool) -> str | None:
        if term.has_macros:
            return "its domain depends on the connection (macros)"
        if non_pass_seen:
            return "it follows a non-pass mechanism; moving its ranges in front would change results"
        return None

    @staticmethod
    def root_reason(term: Mechanism) -> str:
        if term.has_macros:
            return "depends on the connection (macros)"
        if term.name in ("ptr", "exists"):
            return f"'{term.name}' is decided per connection and has no address list"
        if term.name == "include":
            return "only pass ('+') includes are flattened"
        return f"the domain's own '{term.name}' is kept so its hosts can change without re-flattening"

    def target(self, spec: str | None) -> str:
        return (spec or self.domain).lower().rstrip(".")

    def pass_networks(self, domain: str, path: tuple[str, ...]) -> list[Network]:
        """The addresses for which an include of `domain` matches (its record passes)."""
        if domain in path:
            raise _NotFlattenable(f"include loop through {domain}")
        path = (*path, domain)
        try:
            text = select_record(self.resolver.query(domain, "TXT").records)
            record = parse_record(text) if text is not None else None
        except SpfPermError as error:
            raise _NotFlattenable(f"{domain}: {error}") from None
        if record is None:
            raise _NotFlattenable(f"{domain} has no SPF record")
        networks: list[Network] = []
        for mechanism in record.mechanisms:
            if mechanism.name == "all":
                if mechanism.qualifier == "+":
                    raise _NotFlattenable(f"{domain} ends in '{mechanism.text}', which passes every address")
                return networks  # a redirect= after 'all' is never used
            if mechanism.qualifier != "+":
                raise _NotFlattenable(f"{domain} has '{mechanism.text}'; only pass mechanisms flatten exactly")
            if mechanism.has_macros or mechanism.name in ("ptr", "exists"):
                raise _NotFlattenable(f"{domain} has '{mechanism.text}', which is decided per connection")
            networks += self.mechanism_networks(domain, mechanism, path)
        redirect = record.redirect
        if redirect is not None:
            if redirect.has_macros:
                raise _NotFlattenable(f"{domain} has '{redirect.text}', which depends on the connection")
            networks += self.pass_networks(self.target(redirect.value), path)
        return networks

    def mechanism_networks(self, domain: str, mechanism: Mechanism, path: tuple[str, ...]) -> list[Network]:
        if mechanism.network is not None:
            return [mechanism.network]
        target = self.target(mechanism.domain_spec) if mechanism.domain_spec else domain
        if mechanism.name == "include":
            return self.pass_networks(target, path)
        if mechanism.name == "a":
            return self.host_networks(target, mechanism)
        hosts = [host for host in self.resolver.query(target, "MX").records if host]
        if len(hosts) > MAX_MX_NAMES:
            raise _NotFlattenable(f"{domain}: '{mechanism.text}' finds more than {MAX_MX_NAMES} MX names (permerror)")
        return [network for host in hosts for network in self.host_networks(host, mechanism)]

    def host_networks(self, host: str, mechanism: Mechanism) -> list[Network]:
        """A and AAAA records of `host` widened by the mechanism's prefix lengths (5.3)."""
        return [
            ip_network(f"{address}/{prefix}", strict=False)
            for rdtype, prefix in (("A", mechanism.cidr4), ("AAAA", mechanism.cidr6))
            for address in self.resolver.query(host, rdtype).records
        ]

    def chain(self, networks: list[Network]) -> dict[str, str]:
        """Chained records holding the ranges, each fitting one UDP answer."""
        v4 = collapse_addresses(n for n in networks if n.version == 4)
        v6 = collapse_addresses(n for n in networks if n.version == 6)
        mechanisms = [_ip_term(network) for network in (*v4, *v6)]
        records: dict[str, str] = {}
        while True:
            name = f"_spf{len(records) + 1}.{self.domain}"
            link = f"include:_spf{len(records) + 2}.{self.domain}"
            text = VERSION
            while mechanisms and answer_size(name, f"{text} {mechanisms[0]} {link}") <= MAX_UDP_ANSWER:
                text = f"{text} {mechanisms.pop(0)}"
            if mechanisms and text == VERSION:
                raise SpfError(f"{mechanisms[0]} does not fit in a record at {name}")
            if not mechanisms:
                records[name] = text
                return records
            records[name] = f"{text} {link}"


def _ip_term(network: Network) -> str:
    kind = "ip4" if network.version == 4 else "ip6"
    if network.prefixlen == network.max_prefixlen:
        return f"{kind}:{network.network_address}"
    return f"{kind}:{network}"
