"""Static analysis of published SPF records (`mailconf spf check`).

check_host() answers for one client IP; a domain owner needs the opposite view: would *any*
evaluation of this record stay within the RFC 7208 limits, and what does it depend on? So the
analysis walks every include and redirect without a client IP, counts the DNS-querying terms per
branch, and asks the look-ups whose void answers count (4.6.4) as they would be asked for any
client: `a` is void when the name has neither A nor AAAA records, `mx` when it has no MX, and
`exists` when it has no A. Terms whose domain depends on macros are counted but not followed,
since their target is only known for a real connection.

Many domains are analysed concurrently on a thread pool, all sharing one resolver, whose cache
makes each (name, type) asked once per run even when 500 domains include the same provider.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from mailconf.spf.errors import SpfPermError, SpfTempError
from mailconf.spf.evaluate import MAX_LOOKUPS, MAX_MX_NAMES, MAX_VOID_LOOKUPS
from mailconf.spf.record import LOOKUP_TERMS, Mechanism, Modifier, parse_record, select_record
from mailconf.spf.resolver import Resolver, valid_name

#: From this many DNS-querying terms on, a record is one provider change away from the limit.
NEAR_LIMIT = 8
#: Longest character-string a TXT record can carry; longer text must be split (RFC 1035 3.3).
MAX_TXT_STRING = 255
DEFAULT_WORKERS = 32


@dataclass(frozen=True)
class Finding:
    """One problem, with a stable code, found in the record of `domain` (the root or a branch)."""

    code: str
    severity: str
    message: str
    domain: str

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message, "domain": self.domain}


@dataclass
class Branch:
    """A record in the include/redirect tree; the look-up counts cover its whole subtree."""

    domain: str
    via: str | None
    record: str | None = None
    dns_lookups: int = 0
    void_lookups: int = 0
    children: list[Branch] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        return {
            "domain": self.domain,
            "via": self.via,
            "record": self.record,
            "dns_lookups": self.dns_lookups,
            "void_lookups": self.void_lookups,
            "children": [child.to_dict() for child in self.children],
        }


@dataclass
class Report:
    """The analysis of one domain."""

    domain: str
    tree: Branch
    findings: list[Finding]

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]

    @property
    def valid(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict[str, object]:
        """One element of the versioned `spf check` JSON (see docs/spf.md)."""
        return {
            "domain": self.domain,
            "valid": self.valid,
            "record": self.tree.record,
            "dns_lookups": self.tree.dns_lookups,
            "void_lookups": self.tree.void_lookups,
            "errors": [f.to_dict() for f in self.errors],
            "warnings": [f.to_dict() for f in self.warnings],
            "tree": self.tree.to_dict(),
        }


def analyze_domains(domains: Sequence[str], resolver: Resolver, *, workers: int = DEFAULT_WORKERS) -> list[Report]:
    """Analyse the published records of many domains concurrently, in input order."""
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(domains)))) as pool:
        return list(pool.map(lambda domain: analyze_domain(domain, resolver), domains))


def analyze_domain(domain: str, resolver: Resolver) -> Report:
    """Analyse the SPF record `domain` publishes in DNS."""
    domain = domain.lower().rstrip(".")
    walk = _Walk(resolver)
    try:
        txt = resolver.query(domain, "TXT").records
    except SpfTempError as error:
        walk.error(error.code, str(error), domain)
        return walk.report(Branch(domain, None))
    return walk.report(walk.branch(domain, None, txt, (domain,)))


def analyze_txt(domain: str, strings: Sequence[str | bytes], resolver: Resolver) -> Report:
    """Analyse a record before it is published: the character-strings of one TXT record.

    This is where an over-long string shows up: DNS cannot carry one, so a live record never has it.
    """
    domain = domain.lower().rstrip(".")
    raw = tuple(s.encode() if isinstance(s, str) else s for s in strings)
    walk = _Walk(resolver)
    return walk.report(walk.branch(domain, None, (raw,), (domain,)))


class _Walk:
    """Collects the findings of one domain's tree."""

    def __init__(self, resolver: Resolver) -> None:
        self.resolver = resolver
        self.findings: list[Finding] = []

    def error(self, code: str, message: str, domain: str) -> None:
        self.findings.append(Finding(code, "error", message, domain))

    def warning(self, code: str, message: str, domain: str) -> None:
        self.findings.append(Finding(code, "warning", message, domain))

    def report(self, tree: Branch) -> Report:
        if tree.dns_lookups > MAX_LOOKUPS:
            self.error(
                "spf-lookup-limit",
                f"{tree.dns_lookups} DNS-querying terms, more than the {MAX_LOOKUPS} RFC 7208 4.6.4 allows",
                tree.domain,
            )
        elif tree.dns_lookups >= NEAR_LIMIT:
            self.warning(
                "spf-near-limit",
                f"{tree.dns_lookups} of {MAX_LOOKUPS} DNS-querying terms: one provider change from permerror",
                tree.domain,
            )
        if tree.void_lookups > MAX_VOID_LOOKUPS:
            self.error(
                "spf-void-limit",
                f"{tree.void_lookups} void look-ups, more than the {MAX_VOID_LOOKUPS} RFC 7208 4.6.4 allows",
                tree.domain,
            )
        return Report(tree.domain, tree, self.findings)

    def branch(self, domain: str, via: str | None, txt: Iterable[tuple[bytes, ...]], path: tuple[str, ...]) -> Branch:
        """The branch of `domain`, given its TXT records; `path` holds the domains above it."""
        txt = tuple(txt)
        branch = Branch(domain, via)
        try:
            text = select_record(txt)
        except SpfPermError as error:
            self.error(error.code, str(error), domain)
            return branch
        if text is None:
            if via is None:
                self.error("spf-no-record", f"{domain} publishes no SPF record", domain)
            else:
                self.error("spf-no-record", f"{via}: {domain} publishes no SPF record (permerror)", domain)
            return branch
        branch.record = text
        self.check_strings(domain, txt)
        try:
            record = parse_record(text)
        except SpfPermError as error:
            self.error(error.code, str(error), domain)
            return branch
        mechanisms = record.mechanisms
        for position, mechanism in enumerate(mechanisms, 1):
            self.check_mechanism(domain, mechanism, position == len(mechanisms), root=via is None)
            if mechanism.name in LOOKUP_TERMS:
                branch.dns_lookups += 1
            if mechanism.name == "include":
                self.follow(branch, mechanism, path)
            elif mechanism.name in ("a", "mx", "exists") and not mechanism.has_macros:
                branch.void_lookups += self.probe(domain, mechanism)
        redirect = record.redirect
        if redirect is not None:
            if any(m.name == "all" for m in mechanisms):
                self.warning("spf-redirect-ignored", f"{redirect.text} is never used: the record has 'all'", domain)
            else:
                branch.dns_lookups += 1
                self.follow(branch, redirect, path)
        return branch

    def check_strings(self, domain: str, txt: tuple[tuple[bytes, ...], ...]) -> None:
        for strings in txt:
            for string in strings:
                if len(string) > MAX_TXT_STRING:
                    self.warning(
                        "spf-long-string",
                        f"a TXT string of {len(string)} octets: split it into strings of at most "
                        f"{MAX_TXT_STRING} (they are joined without spaces)",
                        domain,
                    )

    def check_mechanism(self, domain: str, mechanism: Mechanism, last: bool, *, root: bool) -> None:
        if mechanism.name == "ptr":
            self.warning("spf-ptr", f"{mechanism.text}: RFC 7208 5.5 says do not use ptr (slow, unreliable)", domain)
        if mechanism.name != "all":
            return
        if not last:
            self.error("spf-all-not-last", f"{mechanism.text} is followed by mechanisms that are never evaluated", domain)
        if mechanism.qualifier == "+":
            self.warning("spf-pass-all", f"{mechanism.text} lets every host on the internet pass", domain)
        elif mechanism.qualifier == "?" and root:
            self.warning("spf-neutral-all", f"{mechanism.text} gives receivers no policy for other hosts", domain)

    def follow(self, branch: Branch, term: Mechanism | Modifier, path: tuple[str, ...]) -> None:
        """Add the branch an include or redirect leads to, unless it loops or needs macros."""
        via = term.text
        if term.has_macros:
            self.warning("spf-macro-not-followed", f"{via} depends on the connection; not followed", branch.domain)
            return
        spec = term.domain_spec if isinstance(term, Mechanism) else term.value
        target = str(spec).lower().rstrip(".")
        if target in path:
            self.error("spf-include-loop", f"{via} loops back: {' -> '.join((*path, target))}", branch.domain)
            return
        try:
            answer = self.resolver.query(target, "TXT") if valid_name(target) else None
        except SpfTempError as error:
            self.error(error.code, f"{via}: {error}", branch.domain)
            return
        if answer is None:
            self.error("spf-syntax", f"{via}: {target!r} is not a valid domain name", branch.domain)
            return
        child = self.branch(target, via, answer.records, (*path, target))
        child.void_lookups += int(answer.void)
        branch.children.append(child)
        branch.dns_lookups += child.dns_lookups
        branch.void_lookups += child.void_lookups

    def probe(self, domain: str, mechanism: Mechanism) -> int:
        """Ask an a/mx/exists term's own look-up: 1 if it is void for any client, else 0."""
        target = (mechanism.domain_spec or domain).lower().rstrip(".")
        if not valid_name(target):
            return 0
        try:
            if mechanism.name == "a":
                return int(all(self.resolver.query(target, rdtype).void for rdtype in ("A", "AAAA")))
            if mechanism.name == "exists":
                return int(self.resolver.query(target, "A").void)
            answer = self.resolver.query(target, "MX")
        except SpfTempError as error:
            self.error(error.code, f"{mechanism.text}: {error}", domain)
            return 0
        hosts = [host for host in answer.records if host]  # "" is a null MX (RFC 7505)
        if len(hosts) > MAX_MX_NAMES:
            self.error(
                "spf-mx-limit", f"{mechanism.text}: {len(hosts)} MX names, more than {MAX_MX_NAMES} (permerror)", domain
            )
        return int(answer.void)
