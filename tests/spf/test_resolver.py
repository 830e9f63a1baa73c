"""The DNS seam: classification of answers, the per-run cache, nameserver parsing."""

from __future__ import annotations

import threading

import pytest

from mailconf.errors import UsageError
from mailconf.spf.errors import SpfTempError
from mailconf.spf.resolver import Answer, DnsResolver, parse_nameserver, valid_name


def test_nxdomain_and_nodata_are_both_void(resolver: DnsResolver) -> None:
    nxdomain = resolver.query("nothing-here.spf.test", "A")
    nodata = resolver.query("host.spf.test", "AAAA")
    assert (nxdomain.void, nxdomain.nxdomain) == (True, True)
    assert (nodata.void, nodata.nxdomain) == (True, False)


def test_answers_are_normalised(resolver: DnsResolver) -> None:
    assert resolver.query("split.spf.test", "TXT").records == ((b"v=spf1 ip4:192.0.2.1", b" -all"),)
    assert set(resolver.query("mx.spf.test", "MX").records) == {"mx1.spf.test", "mx2.spf.test"}
    assert resolver.query("nullmx.spf.test", "MX") == Answer(("",))
    assert resolver.query("50.2.0.192.in-addr.arpa", "PTR").records == ("good.ptr.spf.test",)
    assert resolver.query("dual.spf.test", "AAAA").records == ("2001:db8:2::1",)


def test_servfail_and_refused_are_temporary(resolver: DnsResolver) -> None:
    with pytest.raises(SpfTempError, match="SERVFAIL"):
        resolver.query("x.broken.test", "TXT")
    with pytest.raises(SpfTempError, match="REFUSED"):
        resolver.query("example.org", "TXT")


def test_timeout_is_temporary_and_costs_one_timeout_per_name(silent_nameserver: str) -> None:
    resolver = DnsResolver(silent_nameserver, timeout=0.2)
    for _ in range(2):
        with pytest.raises(SpfTempError, match="timeout"):
            resolver.query("a.example", "TXT")
    assert resolver.queries_sent == 1


class CountingResolver(DnsResolver):
    """Counts what actually goes to the server, per (name, type)."""

    def __init__(self, nameserver: str) -> None:
        super().__init__(nameserver)
        self.asked: dict[tuple[str, str], int] = {}
        self._count_lock = threading.Lock()

    def _ask(self, name: str, rdtype: str, hops: int = 0) -> Answer:
        with self._count_lock:
            self.asked[(name, rdtype)] = self.asked.get((name, rdtype), 0) + 1
        return super()._ask(name, rdtype, hops)


def test_each_name_is_asked_once_even_by_concurrent_threads(nameserver: str) -> None:
    resolver = CountingResolver(nameserver)
    barrier = threading.Barrier(8)

    def ask() -> None:
        barrier.wait()
        for name in ("IP.spf.test", "ip.spf.test.", "a.spf.test"):
            resolver.query(name, "TXT")

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert resolver.asked == {("ip.spf.test", "TXT"): 1, ("a.spf.test", "TXT"): 1}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("192.0.2.53", ("192.0.2.53", 53)),
        ("192.0.2.53:5353", ("192.0.2.53", 5353)),
        ("2001:db8::53", ("2001:db8::53", 53)),
        ("[2001:db8::53]:5353", ("2001:db8::53", 5353)),
        ("[::1]", ("::1", 53)),
    ],
)
def test_parse_nameserver(text: str, expected: tuple[str, int]) -> None:
    assert parse_nameserver(text) == expected


def test_parse_nameserver_resolves_host_names() -> None:
    assert parse_nameserver("localhost:5300") in {("127.0.0.1", 5300), ("::1", 5300)}


@pytest.mark.parametrize("text", ["192.0.2.53:0", "192.0.2.53:70000", "[::1", "[::1]x", "host:port", "no-such-host.invalid"])
def test_parse_nameserver_errors(text: str) -> None:
    with pytest.raises(UsageError):
        parse_nameserver(text)


def test_valid_name() -> None:
    assert valid_name("a.example") and valid_name("a.example.") and valid_name("x" * 63 + ".example")
    assert not valid_name("x" * 64 + ".example") and not valid_name("a..example") and not valid_name("")
    assert not valid_name(("x" * 60 + ".") * 5)
