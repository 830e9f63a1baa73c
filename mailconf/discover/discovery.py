"""`mailconf discover`: ask every source at once, each bounded by the timeout, and report each.

A source that fails (DNS timeout, HTTP error, a hostile document) is reported as failed with
its reason and does not stop the others. The JSON shape (`Discovery.to_dict`, version 1) is
documented in the README.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from mailconf.discover import fetch, records
from mailconf.discover.clientconfig import Server
from mailconf.discover.suggest import suggest_account
from mailconf.errors import MailconfError
from mailconf.presets import presets_for_mx
from mailconf.spf.resolver import Resolver

JSON_VERSION = 1
FOUND, NONE, FAILED = "found", "none", "failed"


@dataclass
class Source:
    """What one source said: found (with `data`), none (it answered, with nothing), or failed."""

    status: str
    data: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    #: What it offers toward an account: servers (autoconfig, ispdb, srv) or preset names (mx).
    offer: list[Any] = field(default_factory=list, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, "error": self.error, **self.data}


@dataclass
class Discovery:
    domain: str
    sources: dict[str, Source]
    account: dict[str, Any] | None
    account_from: str | None

    @property
    def found_anything(self) -> bool:
        return any(s.status == FOUND for s in self.sources.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": JSON_VERSION,
            "domain": self.domain,
            "sources": {name: source.to_dict() for name, source in self.sources.items()},
            "account": self.account,
            "account_from": self.account_from,
        }


def discover(
    domain: str,
    resolver: Resolver,
    timeout: float,
    *,
    autoconfig_urls: Sequence[str] = fetch.AUTOCONFIG_URLS,
    ispdb_url: str = fetch.ISPDB_URL,
) -> Discovery:
    """Every source about `domain`, asked concurrently; the account block from the best one."""
    domain = domain.strip().rstrip(".").lower()
    asks: dict[str, Callable[[], Source]] = {
        "mx": lambda: _mx(resolver, domain),
        "srv": lambda: _srv(resolver, domain),
        "autoconfig": lambda: _document(fetch.autoconfig_urls(domain, autoconfig_urls), domain, timeout),
        "ispdb": lambda: _document([fetch.ispdb_url(domain, ispdb_url)], domain, timeout),
        "spf": lambda: _record(records.spf_record(resolver, domain)),
        "dmarc": lambda: _record(records.dmarc_record(resolver, domain)),
    }
    with ThreadPoolExecutor(max_workers=len(asks), thread_name_prefix="mailconf-discover") as pool:
        futures = {name: pool.submit(_guarded, ask) for name, ask in asks.items()}
        sources = {name: future.result() for name, future in futures.items()}
    account, account_from = suggest_account(domain, {name: source.offer for name, source in sources.items()})
    return Discovery(domain, sources, account, account_from)


def _guarded(ask: Callable[[], Source]) -> Source:
    try:
        return ask()
    except MailconfError as exc:
        return Source(FAILED, error=str(exc))


def _mx(resolver: Resolver, domain: str) -> Source:
    hosts = records.mx_hosts(resolver, domain)
    if not hosts:
        return Source(NONE, {"hosts": [], "presets": []})
    matched = sorted({preset.name for host in hosts for preset in presets_for_mx(host)})
    return Source(FOUND, {"hosts": hosts, "presets": matched}, offer=matched)


def _srv(resolver: Resolver, domain: str) -> Source:
    services = records.srv_services(resolver, domain)
    offer = [Server(s.protocol, t.host, t.port, s.security, None, ()) for s in services if (t := s.best) is not None]
    return Source(FOUND if services else NONE, {"services": [s.to_dict() for s in services]}, offer=offer)


def _document(urls: list[str], domain: str, timeout: float) -> Source:
    got = fetch.first_document(urls, domain, timeout)
    if got is None:
        return Source(NONE, {"url": None, "servers": []})
    url, servers = got
    return Source(FOUND, {"url": url, "servers": [s.to_dict() for s in servers]}, offer=servers)


def _record(record: str | None) -> Source:
    return Source(NONE if record is None else FOUND, {"record": record})
