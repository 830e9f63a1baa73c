"""Flattening: chained records that fit, exactness (same results before and after), drift, kept terms."""

from __future__ import annotations

from collections.abc import Iterator
from ipaddress import collapse_addresses, ip_network

import dns.message
import dns.rrset
import pytest

from mailconf.spf.evaluate import check_host
from mailconf.spf.flatten import MAX_UDP_ANSWER, Kept, answer_size, flatten, txt_strings
from mailconf.spf.record import parse_record
from mailconf.spf.resolver import DnsResolver
from realservers import KnotServer

BIG_RANGES = [f"198.18.{2 * n}.0/24" for n in range(60)]  # gaps between them: nothing collapses
ROOT = (
    "v=spf1 include:big.flat.test include:odd.flat.test exists:%{i}.bl.flat.test ptr mx "
    "ip4:192.0.2.1 include:small.flat.test -all"
)


def txt(owner: str, text: str) -> str:
    return f"{owner} TXT " + " ".join(f'"{s}"' for s in txt_strings(text))


def zones(root: str, big: list[str], extra: dict[str, str] | None = None) -> dict[str, list[str]]:
    lines = [
        txt("root", root),
        txt("big", "v=spf1 " + " ".join(f"ip4:{r}" for r in big) + " include:nested.flat.test ~all"),
        txt("nested", "v=spf1 ip6:2001:db8:100::/48 a:hosts.flat.test/28 mx -all"),
        "hosts A 203.0.113.17",
        "nested MX 10 mail.nested.flat.test.",
        "mail.nested A 198.51.100.200",
        "mail.nested AAAA 2001:db8:200::25",
        txt("odd", "v=spf1 ~ip4:192.0.2.200 ip4:192.0.2.201 -all"),
        txt("small", "v=spf1 ip4:192.0.2.240/28 -all"),
        "root MX 10 mail.nested.flat.test.",
    ]
    lines += [txt(name, text) for name, text in (extra or {}).items()]
    return {"flat.test": lines}


SAMPLES = [
    "198.18.0.1", "198.18.118.255", "198.18.1.1", "2001:db8:100::5", "2001:db8:101::5", "203.0.113.30",
    "203.0.113.31", "198.51.100.200", "2001:db8:200::25", "192.0.2.200", "192.0.2.201", "192.0.2.241",
    "192.0.2.1", "10.0.0.1",
]


@pytest.fixture(scope="module")
def flat_dns() -> Iterator[KnotServer]:
    server = KnotServer().start(zones(ROOT, BIG_RANGES))
    yield server
    server.stop()


def results(server: KnotServer) -> list[str]:
    resolver = DnsResolver(f"127.0.0.1:{server.port}")
    return [check_host(ip, "root.flat.test", "a@root.flat.test", resolver=resolver).result for ip in SAMPLES]


def test_flattening(flat_dns: KnotServer) -> None:
    resolver = DnsResolver(f"127.0.0.1:{flat_dns.port}")
    before = results(flat_dns)
    flat = flatten("root.flat.test", ROOT, resolver)

    names = list(flat.records)
    assert names[0] == "root.flat.test" and names[1:] == [f"_spf{i}.root.flat.test" for i in range(1, len(names))]
    assert len(names) >= 4  # 60 ranges and more do not fit in two UDP answers
    assert flat.records["root.flat.test"] == (
        "v=spf1 include:_spf1.root.flat.test include:odd.flat.test exists:%{i}.bl.flat.test ptr mx ip4:192.0.2.1 -all"
    )
    for index, name in enumerate(names):
        text = flat.records[name]
        parse_record(text)
        assert answer_size(name, text) <= MAX_UDP_ANSWER
        assert all(len(s) <= 255 for s in txt_strings(text))
        if 0 < index < len(names) - 1:
            assert text.endswith(f" include:{names[index + 1]}")
    assert "include:" not in flat.records[names[-1]]

    chained = [t for name in names[1:] for t in parse_record(flat.records[name]).mechanisms if t.network is not None]
    expected = [*BIG_RANGES, "2001:db8:100::/48", "203.0.113.16/28", "198.51.100.200/32", "2001:db8:200::25/128",
                "192.0.2.240/28"]
    wanted = [ip_network(n) for n in expected]
    assert sorted(str(m.network) for m in chained) == sorted(
        str(n) for v in (4, 6) for n in collapse_addresses(w for w in wanted if w.version == v)
    )
    assert {k.term for k in flat.kept} == {"include:odd.flat.test", "exists:%{i}.bl.flat.test", "ptr", "mx"}
    assert "only pass mechanisms" in next(k.reason for k in flat.kept if k.term == "include:odd.flat.test")

    # Published, the flattened records give every sample the same result as the includes did.
    published = zones(flat.records["root.flat.test"], BIG_RANGES,
                      {name.removesuffix(".flat.test"): text for name, text in flat.records.items() if name != "root.flat.test"})
    flat_dns.load(published)
    try:
        assert results(flat_dns) == before
        assert {"pass", "fail"} <= set(before)
    finally:
        flat_dns.load(zones(ROOT, BIG_RANGES))


def test_a_provider_change_shows_as_drift(flat_dns: KnotServer) -> None:
    first = flatten("root.flat.test", ROOT, DnsResolver(f"127.0.0.1:{flat_dns.port}")).records
    flat_dns.load(zones(ROOT, [*BIG_RANGES[1:], "198.19.0.0/16"]))
    try:
        second = flatten("root.flat.test", ROOT, DnsResolver(f"127.0.0.1:{flat_dns.port}")).records
    finally:
        flat_dns.load(zones(ROOT, BIG_RANGES))
    assert first["root.flat.test"] == second["root.flat.test"]
    changed = [name for name in first if first[name] != second.get(name)]
    assert changed and all(name.startswith("_spf") for name in changed)


def test_includes_after_a_non_pass_mechanism_stay(flat_dns: KnotServer) -> None:
    record = "v=spf1 include:small.flat.test -ip4:192.0.2.241 include:big.flat.test ~include:small.flat.test -all"
    flat = flatten("root.flat.test", record, DnsResolver(f"127.0.0.1:{flat_dns.port}"))
    assert flat.records["root.flat.test"] == (
        "v=spf1 include:_spf1.root.flat.test -ip4:192.0.2.241 include:big.flat.test ~include:small.flat.test -all"
    )
    assert [k.term for k in flat.kept] == ["include:big.flat.test", "~include:small.flat.test"]


def test_nothing_to_flatten_keeps_the_record(flat_dns: KnotServer) -> None:
    flat = flatten("root.flat.test", "v=spf1 ip4:192.0.2.1 include:odd.flat.test -all",
                   DnsResolver(f"127.0.0.1:{flat_dns.port}"))
    assert flat.records == {"root.flat.test": "v=spf1 ip4:192.0.2.1 include:odd.flat.test -all"}
    assert flat.kept == [Kept("include:odd.flat.test", flat.kept[0].reason)]


def test_answer_size_matches_the_wire() -> None:
    for name, text in [("_spf1.example.com", "v=spf1 " + "ip4:198.18.0.0/24 " * 25), ("x.example", "v=spf1 -all")]:
        query = dns.message.make_query(name, "TXT")
        response = dns.message.make_response(query)
        response.answer.append(dns.rrset.from_text(name + ".", 300, "IN", "TXT", " ".join(f'"{s}"' for s in txt_strings(text))))
        assert answer_size(name, text) == len(response.to_wire())


def test_txt_strings() -> None:
    assert [len(s) for s in txt_strings("x" * 600)] == [255, 255, 90]
    assert txt_strings("") == [""]
