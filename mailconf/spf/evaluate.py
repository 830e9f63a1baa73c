"""check_host() of RFC 7208 (sections 4 to 6): may this IP send mail for this domain?

One `_Evaluation` per check_host() call carries what the RFC makes global to the whole
evaluation, includes and redirects included: the count of DNS-querying terms (at most 10) and
of void lookups (at most 2). Errors travel as exceptions (`SpfPermError`, `SpfTempError`) from
wherever they happen up to `check_host`, which turns them into results, because in the RFC a
permerror or temperror anywhere ends the whole evaluation.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address, ip_address, ip_network

from mailconf.errors import UsageError
from mailconf.spf.errors import SpfPermError, SpfSyntaxError, SpfTempError
from mailconf.spf.macros import MacroContext, expand, expand_domain, tokenize
from mailconf.spf.record import (
    LOOKUP_TERMS,
    QUALIFIER_RESULTS,
    Mechanism,
    Record,
    parse_record,
    select_record,
    valid_toplabel,
)
from mailconf.spf.resolver import DnsResolver, Resolver, valid_name

MAX_LOOKUPS = 10
MAX_VOID_LOOKUPS = 2
MAX_MX_NAMES = 10
MAX_PTR_NAMES = 10

IPAddress = IPv4Address | IPv6Address


@dataclass(frozen=True)
class SpfResult:
    """The outcome of check_host().

    `mechanism` is the term of the checked record that decided (for an include, the include;
    after a redirect, the term of the record redirected to). `explanation` is the exp= text,
    only ever set for "fail". `reason` says in words why the result is none/permerror/temperror.
    """

    result: str
    explanation: str | None = None
    mechanism: str | None = None
    dns_lookups: int = 0
    void_lookups: int = 0
    reason: str | None = None


def client_ip(text: str | IPAddress) -> IPAddress:
    """The SMTP client's address; an IPv4-mapped IPv6 address counts as IPv4 (section 5)."""
    try:
        address = ip_address(text)
    except ValueError:
        raise UsageError(f"{text!r} is not an IP address") from None
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def mail_from_identity(sender: str, helo: str | None) -> tuple[str, str]:
    """(sender, domain) to check for a MAIL FROM: a null reverse-path means postmaster@HELO (2.4)."""
    if not sender:
        if not helo:
            raise UsageError("an empty sender is checked as postmaster@HELO: give --helo")
        sender = helo
    domain = sender.rpartition("@")[2]
    return sender, domain


def check_host(
    ip: str | IPAddress,
    domain: str,
    sender: str,
    *,
    helo: str | None = None,
    resolver: Resolver | None = None,
    receiver: str = "unknown",
) -> SpfResult:
    """Evaluate the SPF record of `domain` for a client `ip` sending as `sender` (section 4).

    A sender without a local part is checked as postmaster@domain (4.3); `helo` and `receiver`
    only feed the %{h} and %{r} macros ("unknown" when not given).
    """
    local, _, sender_domain = sender.rpartition("@")
    evaluation = _Evaluation(
        client_ip(ip), f"{local or 'postmaster'}@{sender_domain}", helo or "unknown",
        resolver or DnsResolver(), receiver,
    )
    try:
        name = domain[:-1] if domain.endswith(".") else domain
        if not valid_name(name) or "." not in name or not valid_toplabel(name.rpartition(".")[2]):
            return evaluation.result("none", reason=f"{domain!r} is not a fully qualified domain name")
        record = evaluation.fetch(name)
        if record is None:
            return evaluation.result("none", reason=f"{name} has no SPF record")
        result, mechanism, explanation = evaluation.evaluate(record, name, explain=True)
        return evaluation.result(result, explanation=explanation, mechanism=mechanism)
    except SpfPermError as error:
        return evaluation.result("permerror", reason=str(error))
    except SpfTempError as error:
        return evaluation.result("temperror", reason=str(error))


class _Evaluation:
    """State shared by every level of one check_host() call."""

    def __init__(self, ip: IPAddress, sender: str, helo: str, resolver: Resolver, receiver: str) -> None:
        self.ip = ip
        self.sender = sender
        self.helo = helo
        self.resolver = resolver
        self.receiver = receiver
        self.address_type = "A" if ip.version == 4 else "AAAA"
        self.lookups = 0
        self.voids = 0

    def result(self, result: str, **fields: str | None) -> SpfResult:
        return SpfResult(result, dns_lookups=self.lookups, void_lookups=self.voids, **fields)

    def fetch(self, domain: str, *, term: str | None = None) -> Record | None:
        """The parsed SPF record of `domain`, None if it has none.

        For the target of an include or redirect (`term` given) the query is one of the term's
        look-ups, so a void answer counts, and a missing record is a permerror (5.2, 6.1).
        """
        if term is not None and not valid_name(domain):
            raise SpfPermError(f"{term}: {domain!r} is not a valid domain name")
        answer = self.resolver.query(domain, "TXT")
        if term is not None:
            self.count_void(answer.void, term)
        try:
            text = select_record(answer.records)
            record = None if text is None else parse_record(text)
        except SpfPermError as error:
            raise type(error)(f"{domain}: {error}", error.code) from None
        if record is None and term is not None:
            raise SpfPermError(f"{term}: {domain} has no SPF record")
        return record

    def evaluate(self, record: Record, domain: str, *, explain: bool) -> tuple[str, str | None, str | None]:
        """(result, deciding term, explanation) of one record (4.6, 4.7, 6).

        `explain` is False inside an include, whose exp= must not be used (6.2).
        """
        context = self.context(domain)
        for mechanism in record.mechanisms:
            if mechanism.name in LOOKUP_TERMS:
                self.count_lookup(mechanism.text)
            if self._MATCHERS[mechanism.name](self, mechanism, context):
                result = QUALIFIER_RESULTS[mechanism.qualifier]
                explanation = self.explain(record, context) if explain and result == "fail" else None
                return result, mechanism.text, explanation
        redirect = record.redirect
        if redirect is None:
            return "neutral", None, None
        self.count_lookup(redirect.text)
        target = expand_domain(redirect.tokens, context)
        # The target's own exp= applies from here on, never this record's (6.2).
        return self.evaluate(self.fetch(target, term=redirect.text), target, explain=explain)

    def context(self, domain: str) -> MacroContext:
        return MacroContext(
            self.sender, domain, self.ip, self.helo, self.receiver,
            validated_name=lambda: self.validated_name(domain),
        )

    def count_lookup(self, term: str) -> None:
        self.lookups += 1
        if self.lookups > MAX_LOOKUPS:
            raise SpfPermError(
                f"{term}: more than {MAX_LOOKUPS} DNS-querying terms (RFC 7208 4.6.4)", "spf-lookup-limit"
            )

    def count_void(self, void: bool, term: str) -> None:
        if void:
            self.voids += 1
            if self.voids > MAX_VOID_LOOKUPS:
                raise SpfPermError(
                    f"{term}: more than {MAX_VOID_LOOKUPS} void DNS lookups (RFC 7208 4.6.4)", "spf-void-limit"
                )

    def term_lookup(self, name: str, rdtype: str, term: str) -> tuple:
        """The term's own query: its void answers count against the limit of two."""
        answer = self.resolver.query(name, rdtype)
        self.count_void(answer.void, term)
        return answer.records

    def target(self, mechanism: Mechanism, context: MacroContext) -> str:
        """<target-name>: the expanded domain-spec, or the current domain when there is none."""
        if mechanism.tokens is None:
            return context.domain
        return expand_domain(mechanism.tokens, context)

    def in_networks(self, addresses: tuple, mechanism: Mechanism) -> bool:
        prefix = mechanism.cidr4 if self.ip.version == 4 else mechanism.cidr6
        return any(self.ip in ip_network(f"{address}/{prefix}", strict=False) for address in addresses)

    def match_all(self, mechanism: Mechanism, context: MacroContext) -> bool:
        return True

    def match_include(self, mechanism: Mechanism, context: MacroContext) -> bool:
        """Only an inner pass matches; fail, softfail and neutral just do not match (5.2)."""
        target = self.target(mechanism, context)
        record = self.fetch(target, term=mechanism.text)
        return self.evaluate(record, target, explain=False)[0] == "pass"

    def match_a(self, mechanism: Mechanism, context: MacroContext) -> bool:
        # A name DNS cannot carry (empty or over-long label) is treated as non-existent.
        target = self.target(mechanism, context)
        if not valid_name(target):
            return False
        return self.in_networks(self.term_lookup(target, self.address_type, mechanism.text), mechanism)

    def match_mx(self, mechanism: Mechanism, context: MacroContext) -> bool:
        target = self.target(mechanism, context)
        if not valid_name(target):
            return False
        hosts = [host for host in self.term_lookup(target, "MX", mechanism.text) if host]  # "" = null MX
        if len(hosts) > MAX_MX_NAMES:
            raise SpfPermError(
                f"{mechanism.text}: {target} has {len(hosts)} MX names, more than {MAX_MX_NAMES}", "spf-mx-limit"
            )
        return any(
            self.in_networks(self.resolver.query(host, self.address_type).records, mechanism)
            for host in hosts
            if valid_name(host)
        )

    def match_ptr(self, mechanism: Mechanism, context: MacroContext) -> bool:
        target = self.target(mechanism, context).lower()
        return bool(self.validated_names(target, term=mechanism.text))

    def match_ip(self, mechanism: Mechanism, context: MacroContext) -> bool:
        network = mechanism.network
        return network is not None and self.ip.version == network.version and self.ip in network

    def match_exists(self, mechanism: Mechanism, context: MacroContext) -> bool:
        """Any A record matches, whatever the client's address family (5.7)."""
        target = self.target(mechanism, context)
        return valid_name(target) and bool(self.term_lookup(target, "A", mechanism.text))

    _MATCHERS = {
        "all": match_all,
        "include": match_include,
        "a": match_a,
        "mx": match_mx,
        "ptr": match_ptr,
        "ip4": match_ip,
        "ip6": match_ip,
        "exists": match_exists,
    }

    def validated_names(self, suffix: str | None, *, term: str | None = None) -> list[str]:
        """Names of the client whose forward look-up leads back to it (5.5), at most 10 tried.

        With `suffix`, only names equal to it or below it are tried (the ptr mechanism). DNS
        errors here never fail the check: they only leave names unvalidated.
        """
        try:
            if term is None:
                names = self.resolver.query(self.ip.reverse_pointer, "PTR").records
            else:
                names = self.term_lookup(self.ip.reverse_pointer, "PTR", term)
        except SpfTempError:
            return []
        validated = []
        for name in names[:MAX_PTR_NAMES]:
            if suffix is not None and name != suffix and not name.endswith("." + suffix):
                continue
            try:
                addresses = self.resolver.query(name, self.address_type).records
            except SpfTempError:
                continue
            if any(ip_address(address) == self.ip for address in addresses):
                validated.append(name)
        return validated

    def validated_name(self, domain: str) -> str:
        """%{p}: <domain> itself if validated, else a validated subdomain of it, else any (7.3)."""
        domain = domain.lower()
        names = self.validated_names(None)
        # min() keeps the first of equals, so the PTR answer order breaks ties.
        return min(names, key=lambda n: (n != domain, not n.endswith("." + domain)), default="unknown")

    def explain(self, record: Record, context: MacroContext) -> str | None:
        """The exp= text (6.2); any problem fetching or expanding it means no explanation."""
        if record.exp is None:
            return None
        target = expand_domain(record.exp.tokens, context)
        if not valid_name(target):
            return None
        try:
            answer = self.resolver.query(target, "TXT")
        except SpfTempError:
            return None
        if len(answer.records) != 1:
            return None
        text = b"".join(answer.records[0])
        if not text.isascii():
            return None
        try:
            return expand(tokenize(text.decode("ascii"), explanation=True), context)
        except SpfSyntaxError:
            return None
