"""What a domain publishes in DNS about its mail: MX, RFC 6186 SRV, SPF and DMARC.

Each look-up goes through the SPF engine's resolver seam (`mailconf.spf.resolver`), so the same
`--nameserver` and timeout apply, answers are cached per run, and a DNS failure arrives as
`SpfTempError` for the caller to report as that source's failure.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from mailconf.spf.record import is_spf
from mailconf.spf.resolver import Resolver

#: RFC 6186 service labels: (label, protocol, security). `_submission` is STARTTLS (RFC 6186 3.1).
SRV_SERVICES = (
    ("_submission._tcp", "smtp", "starttls"),
    ("_imaps._tcp", "imap", "tls"),
    ("_imap._tcp", "imap", "starttls"),
    ("_pop3s._tcp", "pop3", "tls"),
    ("_pop3._tcp", "pop3", "starttls"),
)


@dataclass(frozen=True)
class SrvTarget:
    priority: int
    weight: int
    port: int
    host: str

    def to_dict(self) -> dict[str, object]:
        return {"priority": self.priority, "weight": self.weight, "port": self.port, "host": self.host}


@dataclass(frozen=True)
class SrvService:
    """One RFC 6186 service: its targets best first; `offered` is False for the lone "." target."""

    service: str
    protocol: str
    security: str
    targets: tuple[SrvTarget, ...]

    @property
    def best(self) -> SrvTarget | None:
        """The target a client tries first, None when the service is not offered."""
        return next((t for t in self.targets if t.host), None)

    @property
    def offered(self) -> bool:
        return self.best is not None

    def to_dict(self) -> dict[str, object]:
        return {
            "service": self.service, "protocol": self.protocol, "security": self.security,
            "offered": self.offered, "targets": [t.to_dict() for t in self.targets if t.host],
        }


def mx_hosts(resolver: Resolver, domain: str) -> list[str]:
    """The domain's MX hosts (a null MX, RFC 7505, gives none)."""
    return sorted({host for host in resolver.query(domain, "MX").records if host})


def srv_services(resolver: Resolver, domain: str) -> list[SrvService]:
    """The RFC 6186 services the domain publishes (those without records are left out).

    The names are asked at once, so a dead server costs one timeout, not one per service."""
    with ThreadPoolExecutor(max_workers=len(SRV_SERVICES), thread_name_prefix="mailconf-srv") as pool:
        answers = list(pool.map(lambda service: resolver.query(f"{service[0]}.{domain}", "SRV"), SRV_SERVICES))
    found = []
    for (label, protocol, security), answer in zip(SRV_SERVICES, answers):
        records = answer.records
        if records:
            # Lowest priority first; within one, the heavier weight first (RFC 2782's selection, made stable).
            targets = sorted((SrvTarget(*r) for r in records), key=lambda t: (t.priority, -t.weight, t.host))
            found.append(SrvService(label, protocol, security, tuple(targets)))
    return found


def spf_record(resolver: Resolver, domain: str) -> str | None:
    """The domain's SPF record as published (every SPF record, joined by " | " when there are several)."""
    return _txt_starting(resolver, domain, is_spf)


def dmarc_record(resolver: Resolver, domain: str) -> str | None:
    """The domain's DMARC policy record at `_dmarc.DOMAIN` (RFC 7489 6.1)."""
    return _txt_starting(resolver, f"_dmarc.{domain}", lambda text: text.lower().startswith(b"v=dmarc1"))


def _txt_starting(resolver: Resolver, name: str, wanted: Callable[[bytes], bool]) -> str | None:
    texts = [b"".join(strings) for strings in resolver.query(name, "TXT").records]
    chosen = [t.decode("utf-8", errors="replace") for t in texts if wanted(t)]
    return " | ".join(chosen) if chosen else None
