"""check_host() against real DNS (Knot, zones in conftest.py): mechanisms, modifiers, limits, errors."""

from __future__ import annotations

import pytest

from mailconf.errors import UsageError
from mailconf.spf.evaluate import SpfResult, check_host, client_ip, mail_from_identity
from mailconf.spf.resolver import DnsResolver


def check(resolver: DnsResolver, ip: str, domain: str, local: str = "bob", helo: str | None = None) -> SpfResult:
    return check_host(ip, f"{domain}.spf.test" if "." not in domain else domain,
                      f"{local}@{domain}.spf.test" if "." not in domain else f"{local}@{domain}",
                      helo=helo, resolver=resolver)


@pytest.mark.parametrize(
    ("ip", "result", "mechanism"),
    [
        ("192.0.2.127", "pass", "ip4:192.0.2.0/25"),
        ("192.0.2.128", "fail", "-all"),
        ("2001:db8:1:ffff::1", "pass", "ip6:2001:db8:1::/48"),
        ("::ffff:192.0.2.5", "pass", "ip4:192.0.2.0/25"),  # IPv4-mapped counts as IPv4
        ("2001:db8:2::1", "fail", "-all"),
    ],
)
def test_ip4_ip6(resolver: DnsResolver, ip: str, result: str, mechanism: str) -> None:
    outcome = check(resolver, ip, "ip")
    assert (outcome.result, outcome.mechanism, outcome.dns_lookups) == (result, mechanism, 0)


@pytest.mark.parametrize(
    ("ip", "result", "mechanism"),
    [
        ("192.0.2.10", "pass", "a"),  # the domain's own A record
        ("198.51.100.200", "pass", "a:host.spf.test/24"),
        ("198.51.101.1", "fail", "-all"),
        ("203.0.113.1", "pass", "a:dual.spf.test//64"),
        ("203.0.113.2", "fail", "-all"),  # //64 widens AAAA records only
        ("2001:db8:2::ffff", "pass", "a:dual.spf.test//64"),
    ],
)
def test_a(resolver: DnsResolver, ip: str, result: str, mechanism: str) -> None:
    outcome = check(resolver, ip, "a")
    assert (outcome.result, outcome.mechanism) == (result, mechanism)


def test_a_counts_lookups_and_voids(resolver: DnsResolver) -> None:
    outcome = check(resolver, "2001:db8:9::1", "a")  # no AAAA for a.spf.test and host.spf.test
    assert (outcome.result, outcome.dns_lookups, outcome.void_lookups) == ("fail", 3, 2)


@pytest.mark.parametrize(
    ("ip", "result", "mechanism"),
    [
        ("192.0.2.20", "pass", "mx"),
        ("2001:db8:3::25", "pass", "mx"),
        ("198.51.100.101", "pass", "mx:other-mx.spf.test/30"),
        ("198.51.100.104", "fail", "-all"),
    ],
)
def test_mx(resolver: DnsResolver, ip: str, result: str, mechanism: str) -> None:
    outcome = check(resolver, ip, "mx")
    assert (outcome.result, outcome.mechanism) == (result, mechanism)


def test_null_mx_matches_nothing(resolver: DnsResolver) -> None:
    outcome = check(resolver, "192.0.2.1", "nullmx")
    assert (outcome.result, outcome.mechanism, outcome.void_lookups) == ("neutral", "?all", 0)


@pytest.mark.parametrize(
    ("ip", "domain", "result"),
    [
        ("192.0.2.50", "ptr", "pass"),  # good.ptr.spf.test points back to it
        ("192.0.2.51", "ptr", "fail"),  # liar.ptr.spf.test does not
        ("192.0.2.52", "ptr", "pass"),  # one of two names validates
        ("192.0.2.53", "ptr", "fail"),  # no PTR at all
        ("192.0.2.50", "ptr-other", "pass"),  # ptr:ptr.spf.test
    ],
)
def test_ptr(resolver: DnsResolver, ip: str, domain: str, result: str) -> None:
    assert check(resolver, ip, domain).result == result


def test_ptr_tries_only_ten_names(resolver: DnsResolver) -> None:
    # 11 PTR names each; only the 11th validates for .70, the 1st for .71.
    assert check(resolver, "192.0.2.70", "ptr-limit").result == "fail"
    assert check(resolver, "192.0.2.71", "ptr-limit").result == "pass"


def test_exists(resolver: DnsResolver) -> None:
    assert check(resolver, "192.0.2.60", "exists").result == "pass"
    outcome = check(resolver, "192.0.2.61", "exists")
    assert (outcome.result, outcome.void_lookups) == ("fail", 1)


def test_exists_asks_for_a_even_for_ipv6_clients(resolver: DnsResolver) -> None:
    outcome = check(resolver, "2001:db8::1", "exists6")
    assert (outcome.result, outcome.mechanism) == ("pass", "exists:host.spf.test")


@pytest.mark.parametrize(
    ("ip", "result", "mechanism"),
    [
        ("192.0.2.1", "pass", "include:prov-pass.spf.test"),
        ("192.0.2.2", "softfail", "~all"),  # inner fail and softfail do not match
        ("192.0.2.3", "pass", "include:prov-fail.spf.test"),
        ("192.0.2.4", "softfail", "~all"),  # inner neutral does not match either
    ],
)
def test_include(resolver: DnsResolver, ip: str, result: str, mechanism: str) -> None:
    outcome = check(resolver, ip, "inc")
    assert (outcome.result, outcome.mechanism) == (result, mechanism)


@pytest.mark.parametrize(
    ("domain", "result", "reason"),
    [
        ("inc-none", "permerror", "no-spf.spf.test has no SPF record"),
        ("inc-perm", "permerror", "ip4:192.0.2.1/33"),
        ("inc-temp", "temperror", "x.broken.test"),
        ("inc-loop", "permerror", "more than 10 DNS-querying terms"),
    ],
)
def test_include_errors(resolver: DnsResolver, domain: str, result: str, reason: str) -> None:
    outcome = check(resolver, "192.0.2.1", domain)
    assert outcome.result == result and reason in str(outcome.reason)


def test_include_through_a_cname_into_another_zone(resolver: DnsResolver) -> None:
    assert check(resolver, "192.0.2.80", "inc-cname").result == "pass"
    assert check(resolver, "192.0.2.81", "inc-cname").result == "fail"


def test_redirect(resolver: DnsResolver) -> None:
    outcome = check(resolver, "192.0.2.1", "redir")
    assert (outcome.result, outcome.mechanism, outcome.dns_lookups) == ("pass", "ip4:192.0.2.1", 1)
    assert check(resolver, "192.0.2.5", "redir").result == "fail"
    assert check(resolver, "198.51.100.1", "redir").mechanism == "ip4:198.51.100.1"


def test_redirect_without_record_is_permerror_and_all_wins_over_redirect(resolver: DnsResolver) -> None:
    assert check(resolver, "192.0.2.1", "redir-none").result == "permerror"
    outcome = check(resolver, "192.0.2.1", "redir-all")
    assert (outcome.result, outcome.dns_lookups) == ("neutral", 0)


def test_redirect_changes_the_domain_of_bare_a(resolver: DnsResolver) -> None:
    assert check(resolver, "192.0.2.41", "redir-implicit").result == "pass"
    assert check(resolver, "192.0.2.40", "redir-implicit").result == "fail"


def test_exp_is_expanded_for_fail_only(resolver: DnsResolver) -> None:
    outcome = check(resolver, "192.0.2.9", "exp", local="Joe Q")
    assert outcome.result == "fail"
    assert outcome.explanation == "192.0.2.9 may not send for exp.spf.test as Joe Q: see https://spf.test/Joe%20Q?ip=192.0.2.9"
    assert check(resolver, "192.0.2.1", "exp").explanation is None
    assert outcome.dns_lookups == 0  # exp= is not a counted look-up


def test_redirect_uses_the_targets_exp_and_include_ignores_it(resolver: DnsResolver) -> None:
    assert check(resolver, "192.0.2.9", "exp-redirect").explanation == "from the target"
    outcome = check(resolver, "192.0.2.9", "exp-include")
    assert (outcome.result, outcome.explanation) == ("fail", None)


@pytest.mark.parametrize("domain", ["exp-two", "exp-bad"])
def test_unusable_explanations_are_ignored(resolver: DnsResolver, domain: str) -> None:
    outcome = check(resolver, "192.0.2.9", domain)
    assert (outcome.result, outcome.explanation) == ("fail", None)


def test_p_macro_in_explanation(resolver: DnsResolver) -> None:
    assert check(resolver, "192.0.2.50", "exp-p").explanation == "connect from good.ptr.spf.test"
    assert check(resolver, "192.0.2.51", "exp-p").explanation == "connect from unknown"


def test_unknown_modifiers_are_ignored(resolver: DnsResolver) -> None:
    assert check(resolver, "192.0.2.1", "unknown-mod").result == "neutral"


@pytest.mark.parametrize(
    ("domain", "result"),
    [
        ("two", "permerror"),
        ("split", "pass"),  # strings joined without spaces
        ("nospace", "none"),  # "v=spf1ip4:..." is not an SPF record
        ("upper", "pass"),
        ("spf10", "none"),
        ("type99", "none"),  # only TXT counts
        ("non-ascii", "permerror"),
        ("nothing-here", "none"),  # NXDOMAIN
    ],
)
def test_record_selection(resolver: DnsResolver, domain: str, result: str) -> None:
    assert check(resolver, "192.0.2.1", domain).result == result


@pytest.mark.parametrize("domain", ["a" * 64 + ".spf.test", "a..spf.test", "localhost", "[192.0.2.1]"])
def test_malformed_domain_is_none(resolver: DnsResolver, domain: str) -> None:
    assert check_host("192.0.2.1", domain, f"x@{domain}", resolver=resolver).result == "none"


def test_lookup_limit(resolver: DnsResolver) -> None:
    outcome = check(resolver, "192.0.2.9", "at-limit")
    assert (outcome.result, outcome.dns_lookups) == ("pass", 10)
    outcome = check(resolver, "192.0.2.9", "over-limit")
    assert (outcome.result, outcome.dns_lookups) == ("permerror", 11)
    assert "a:host.spf.test: more than 10" in str(outcome.reason)


def test_void_lookup_limit(resolver: DnsResolver) -> None:
    outcome = check(resolver, "192.0.2.9", "void2")
    assert (outcome.result, outcome.void_lookups) == ("pass", 2)
    outcome = check(resolver, "192.0.2.9", "void3")
    assert (outcome.result, outcome.void_lookups) == ("permerror", 3)


def test_more_than_ten_mx_names_is_permerror(resolver: DnsResolver) -> None:
    assert check(resolver, "192.0.2.100", "mx11").result == "permerror"
    assert check(resolver, "192.0.2.109", "mx10").result == "pass"


def test_timeout_is_temperror(silent_nameserver: str) -> None:
    outcome = check(DnsResolver(silent_nameserver, timeout=0.3), "192.0.2.1", "ip")
    assert (outcome.result, outcome.reason) == ("temperror", "DNS timeout for ip.spf.test TXT")


def test_no_local_part_is_postmaster(resolver: DnsResolver) -> None:
    outcome = check_host("192.0.2.9", "exp.spf.test", "@exp.spf.test", resolver=resolver)
    assert outcome.explanation is not None and "as postmaster:" in outcome.explanation


def test_identity_helpers() -> None:
    assert mail_from_identity("a@b.example", None) == ("a@b.example", "b.example")
    assert mail_from_identity("", "mail.b.example") == ("mail.b.example", "mail.b.example")
    with pytest.raises(UsageError):
        mail_from_identity("", None)
    assert str(client_ip("::ffff:192.0.2.1")) == "192.0.2.1"
    with pytest.raises(UsageError):
        client_ip("192.0.2")
