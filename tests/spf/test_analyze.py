"""The analysis behind `mailconf spf check`: trees, counts, errors and warnings, shared cache."""

from __future__ import annotations

import pytest

from mailconf.spf.analyze import Report, analyze_domain, analyze_domains, analyze_txt
from mailconf.spf.resolver import DnsResolver

from .test_resolver import CountingResolver


def analyze(resolver: DnsResolver, name: str) -> Report:
    return analyze_domain(f"{name}.spf.test", resolver)


def codes(report: Report) -> tuple[list[str], list[str]]:
    return [f.code for f in report.errors], [f.code for f in report.warnings]


def test_clean_record_and_its_tree(resolver: DnsResolver) -> None:
    report = analyze(resolver, "clean")
    assert report.valid and codes(report) == ([], [])
    assert report.tree.to_dict() == {
        "domain": "clean.spf.test", "via": None, "record": "v=spf1 include:prov-pass.spf.test mx -all",
        "dns_lookups": 2, "void_lookups": 1,  # clean.spf.test has no MX
        "children": [{"domain": "prov-pass.spf.test", "via": "include:prov-pass.spf.test",
                      "record": "v=spf1 ip4:192.0.2.1 -all", "dns_lookups": 0, "void_lookups": 0, "children": []}],
    }


def test_lookups_per_branch(resolver: DnsResolver) -> None:
    report = analyze(resolver, "near")
    assert report.tree.dns_lookups == 8
    assert [(c.domain, c.dns_lookups) for c in report.tree.children] == [("prov-pass.spf.test", 0), ("inc.spf.test", 4)]
    assert report.valid and codes(report) == ([], ["spf-near-limit"])


@pytest.mark.parametrize(
    ("name", "errors", "warnings"),
    [
        ("warn", [], ["spf-ptr", "spf-neutral-all"]),
        ("pass-all", [], ["spf-pass-all"]),
        ("redir-all", [], ["spf-neutral-all", "spf-redirect-ignored"]),
        ("inc-macro", [], ["spf-macro-not-followed"]),
        ("over-limit", ["spf-lookup-limit"], []),
        ("inc-loop", ["spf-include-loop"], []),
        ("all-first", ["spf-all-not-last"], []),
        ("non-ascii", ["spf-non-ascii"], []),
        ("two", ["spf-multiple-records"], []),
        ("syntax-error", ["spf-syntax"], []),
        ("inc-perm", ["spf-syntax"], []),
        ("inc-none", ["spf-no-record"], []),
        ("inc-temp", ["spf-dns-error"], []),
        ("void3", ["spf-void-limit"], []),
        ("mx11", ["spf-mx-limit"], []),
        ("nothing-here", ["spf-no-record"], []),
    ],
)
def test_findings(resolver: DnsResolver, name: str, errors: list[str], warnings: list[str]) -> None:
    report = analyze(resolver, name)
    assert codes(report) == (errors, warnings)
    assert report.valid == (not errors)


def test_findings_name_the_record_they_are_in(resolver: DnsResolver) -> None:
    report = analyze(resolver, "inc-perm")
    assert [(f.domain, "ip4:192.0.2.1/33" in f.message) for f in report.errors] == [("syntax-error.spf.test", True)]


def test_loop_message_shows_the_path(resolver: DnsResolver) -> None:
    (error,) = analyze(resolver, "inc-loop").errors
    assert error.message == "include:inc-loop.spf.test loops back: inc-loop.spf.test -> loop2.spf.test -> inc-loop.spf.test"


def test_void_lookups(resolver: DnsResolver) -> None:
    report = analyze(resolver, "void2")
    assert (report.valid, report.tree.void_lookups) == (True, 2)
    assert analyze(resolver, "void3").tree.void_lookups == 3


def test_redirect_is_followed_and_counted(resolver: DnsResolver) -> None:
    report = analyze(resolver, "redir")
    assert report.tree.dns_lookups == 1
    assert [(c.via, c.domain) for c in report.tree.children] == [("redirect=prov-pass.spf.test", "prov-pass.spf.test")]


def test_a_record_to_publish_with_an_unsplit_long_string(resolver: DnsResolver) -> None:
    text = "v=spf1 " + " ".join(f"ip4:198.51.100.{n}" for n in range(20)) + " -all"
    assert len(text) > 255
    report = analyze_txt("new.spf.test", [text], resolver)
    assert codes(report) == ([], ["spf-long-string"])
    split = analyze_txt("new.spf.test", [text[:255], text[255:]], resolver)
    assert codes(split) == ([], []) and split.tree.record == text


def test_many_domains_concurrently_with_one_query_per_name(nameserver: str) -> None:
    resolver = CountingResolver(nameserver)
    names = ["inc", "clean", "near", "redir", "inc-loop", "void2"] * 3
    reports = analyze_domains([f"{name}.spf.test" for name in names], resolver, workers=8)
    assert [r.domain for r in reports] == [f"{name}.spf.test" for name in names]
    assert [r.tree.dns_lookups for r in reports[:6]] == [4, 2, 8, 1, 2, 2]
    assert set(resolver.asked.values()) == {1}
    assert ("prov-pass.spf.test", "TXT") in resolver.asked


def test_json_shape(resolver: DnsResolver) -> None:
    data = analyze(resolver, "warn").to_dict()
    assert list(data) == ["domain", "valid", "record", "dns_lookups", "void_lookups", "errors", "warnings", "tree"]
    assert data["warnings"][0] == {
        "code": "spf-ptr", "message": "ptr: RFC 7208 5.5 says do not use ptr (slow, unreliable)", "domain": "warn.spf.test",
    }
