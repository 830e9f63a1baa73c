"""The DNS seam of the SPF engine: one small interface and its dnspython implementation.

SPF needs little from DNS (A, AAAA, MX, PTR, TXT) but needs it classified exactly: NXDOMAIN and
NODATA are both "void" (4.6.4), while a timeout, SERVFAIL or REFUSED is a temporary error
(temperror). Everything above this module sees only `Answer` and `SpfTempError`, so a test or
another caller can swap the implementation. Answers are cached per run, and concurrent askers of
the same (name, type) wait for the one query in flight: each pair is asked at most once.
"""

from __future__ import annotations

import socket
import threading
from concurrent.futures import Future
from dataclasses import dataclass
from ipaddress import ip_address
from typing import Protocol

from mailconf.errors import UsageError
from mailconf.spf.errors import SpfTempError

DEFAULT_TIMEOUT = 2.0
MAX_CNAME_HOPS = 8


@dataclass(frozen=True)
class Answer:
    """The records of one query, normalised per type.

    A/AAAA: address texts; MX, PTR: lower-case host names without the final dot (a null MX
    has none); TXT: one tuple of raw character-strings per record; SRV: (priority, weight,
    port, target host) per record, the target "" for RFC 2782's "." (service not offered).
    """

    records: tuple
    nxdomain: bool = False

    @property
    def void(self) -> bool:
        """NXDOMAIN or NODATA: what RFC 7208 4.6.4 calls a void lookup."""
        return not self.records


class Resolver(Protocol):
    """What the SPF engine asks of DNS."""

    def query(self, name: str, rdtype: str) -> Answer:
        """Answer for (name, rdtype); raise `SpfTempError` when DNS could not answer."""
        ...


def valid_name(name: str) -> bool:
    """True if `name` can be sent to DNS: labels of 1-63 octets, at most 253 characters."""
    name = name[:-1] if name.endswith(".") else name
    labels = name.split(".")
    return 0 < len(name) <= 253 and all(0 < len(label.encode()) <= 63 for label in labels)


def parse_nameserver(text: str) -> tuple[str, int]:
    """HOST[:PORT] -> (IP address, port). HOST is an IPv4 or IPv6 literal ([::1]:53 with a port)
    or a host name, resolved once here through the system resolver."""
    host, port = text, 53
    if text.startswith("["):
        host, bracket, rest = text[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            raise UsageError(f"bad nameserver {text!r}: use [IPv6]:PORT")
        port_text = rest[1:] if rest else None
    elif text.count(":") == 1:
        host, port_text = text.split(":")
    else:
        port_text = None
    if port_text is not None:
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise UsageError(f"bad nameserver port in {text!r}")
        port = int(port_text)
    try:
        return str(ip_address(host)), port
    except ValueError:
        pass
    try:
        return socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)[0][4][0], port
    except (OSError, UnicodeError) as error:
        raise UsageError(f"cannot resolve nameserver {host!r}: {error}") from None


class DnsResolver:
    """`Resolver` over dnspython: the system's resolvers, or one given `HOST[:PORT]`.

    `timeout` bounds each query as a whole (retries included), so a dead server costs at most
    `timeout` seconds per distinct (name, type).
    """

    def __init__(self, nameserver: str | None = None, timeout: float | None = None) -> None:
        import dns.resolver

        self._resolver = dns.resolver.Resolver(configure=nameserver is None)
        if nameserver is not None:
            address, port = parse_nameserver(nameserver)
            self._resolver.nameservers = [address]
            self._resolver.port = port
        self._resolver.timeout = self._resolver.lifetime = timeout or DEFAULT_TIMEOUT
        self._cache: dict[tuple[str, str], Future[Answer]] = {}
        self._lock = threading.Lock()
        self.queries_sent = 0

    def query(self, name: str, rdtype: str) -> Answer:
        key = (name.lower().rstrip("."), rdtype.upper())
        with self._lock:
            future = self._cache.get(key)
            owner = future is None
            if owner:
                future = self._cache[key] = Future()
                self.queries_sent += 1
        if owner:
            try:
                future.set_result(self._ask(*key))
            except SpfTempError as error:
                future.set_exception(error)
        return future.result()

    def _ask(self, name: str, rdtype: str, hops: int = 0) -> Answer:
        import dns.exception
        import dns.name
        import dns.resolver

        qname = dns.name.Name([label.encode() for label in name.split(".")] + [b""])
        try:
            answer = self._resolver.resolve(qname, rdtype, search=False, raise_on_no_answer=False)
        except dns.resolver.NXDOMAIN:
            return Answer((), nxdomain=True)
        except dns.resolver.NoNameservers as error:
            raise SpfTempError(f"DNS error for {name} {rdtype}: {error}") from None
        except dns.exception.Timeout:
            raise SpfTempError(f"DNS timeout for {name} {rdtype}") from None
        if answer.rrset is not None:
            return Answer(tuple(_normalise(rdtype, rdata) for rdata in answer.rrset))
        if answer.canonical_name == qname:
            return Answer(())
        # An authoritative server (a test's, or --nameserver pointing at one) answers a CNAME
        # into another zone with the CNAME alone: follow it as a recursive resolver would, and
        # like one, give up on a loop or an absurdly long chain.
        if hops >= MAX_CNAME_HOPS:
            raise SpfTempError(f"CNAME chain from {name} is longer than {MAX_CNAME_HOPS}")
        return self._ask(_host(answer.canonical_name), rdtype, hops + 1)


def _normalise(rdtype: str, rdata: object) -> object:
    if rdtype == "TXT":
        return tuple(rdata.strings)  # type: ignore[attr-defined]
    if rdtype == "MX":
        return _host(rdata.exchange)  # type: ignore[attr-defined]
    if rdtype == "PTR":
        return _host(rdata.target)  # type: ignore[attr-defined]
    if rdtype == "SRV":
        return (rdata.priority, rdata.weight, rdata.port, _host(rdata.target))  # type: ignore[attr-defined]
    return rdata.address  # type: ignore[attr-defined]


def _host(name: object) -> str:
    """A name as SPF compares and re-queries it: plain labels, not zone-file escapes ("" for the root)."""
    labels = name.labels  # type: ignore[attr-defined]
    return ".".join(label.decode("ascii", "replace") for label in labels if label).lower()
