"""The RFC 7208 grammar (section 12): valid and invalid terms and records."""

from __future__ import annotations

from ipaddress import ip_network

import pytest

from mailconf.spf.errors import SpfPermError, SpfSyntaxError
from mailconf.spf.record import Mechanism, Modifier, is_spf, parse_record, parse_term, select_record


@pytest.mark.parametrize(
    ("text", "qualifier", "name", "spec", "cidr4", "cidr6"),
    [
        ("all", "+", "all", None, 32, 128),
        ("-all", "-", "all", None, 32, 128),
        ("~ALL", "~", "all", None, 32, 128),
        ("include:my.billit.be", "+", "include", "my.billit.be", 32, 128),
        ("?include:_spf.%{d}", "?", "include", "_spf.%{d}", 32, 128),
        ("a", "+", "a", None, 32, 128),
        ("a/24", "+", "a", None, 24, 128),
        ("a//64", "+", "a", None, 32, 64),
        ("a/24//64", "+", "a", None, 24, 64),
        ("a:mail.example.com/0//0", "+", "a", "mail.example.com", 0, 0),
        ("a:foo:bar/baz.example.com", "+", "a", "foo:bar/baz.example.com", 32, 128),
        ("a:example.com.", "+", "a", "example.com.", 32, 128),
        ("a:foo.example.xn--zckzah", "+", "a", "foo.example.xn--zckzah", 32, 128),
        ("mx", "+", "mx", None, 32, 128),
        ("-mx:example.com/30", "-", "mx", "example.com", 30, 128),
        ("ptr", "+", "ptr", None, 32, 128),
        ("ptr:example.com", "+", "ptr", "example.com", 32, 128),
        ("exists:%{ir}.%{l1r+-}._spf.%{d}", "+", "exists", "%{ir}.%{l1r+-}._spf.%{d}", 32, 128),
        ("a:macro%%percent%_space%-url.example.com", "+", "a", "macro%%percent%_space%-url.example.com", 32, 128),
        ("exists:%{i}%%", "+", "exists", "%{i}%%", 32, 128),
    ],
)
def test_valid_mechanisms(text: str, qualifier: str, name: str, spec: str | None, cidr4: int, cidr6: int) -> None:
    term = parse_term(text)
    assert isinstance(term, Mechanism)
    assert (term.text, term.qualifier, term.name, term.domain_spec, term.cidr4, term.cidr6) == (
        text, qualifier, name, spec, cidr4, cidr6,
    )


@pytest.mark.parametrize(
    ("text", "network"),
    [
        ("ip4:192.0.2.1", "192.0.2.1/32"),
        ("ip4:192.0.2.130/25", "192.0.2.128/25"),
        ("ip4:1.1.1.1/0", "0.0.0.0/0"),
        ("ip6:2001:db8::/32", "2001:db8::/32"),
        ("ip6:::1.1.1.1/0", "::/0"),
        ("ip6:Cafe:Babe:8000::/33", "cafe:babe:8000::/33"),
        ("-ip6:::FFFF:1.2.3.4", "::ffff:1.2.3.4/128"),
    ],
)
def test_ip_mechanisms(text: str, network: str) -> None:
    term = parse_term(text)
    assert isinstance(term, Mechanism) and term.network == ip_network(network)


@pytest.mark.parametrize(
    "text",
    [
        "-all.", "-all:foobar", "-all/8",  # all takes nothing
        "include", "include:", "include:example.com/24",  # include needs a domain and takes no CIDR
        "exists", "exists:", "exists:mail.example.com/24",
        "ptr/0", "ptr:",
        "a:", "mx:", "a/33", "a//129", "a/24/64", "a/032", "mx//129",
        "a:example.com:8080", "a:111.222.33.44", "a:abc.123", "a:museum", "a:museum.",
        "a:example.-com", "a:foo-bar", "a:foo.example.com\x00",
        "ip4", "ip4:1.2.3", "ip4:1.2.3.4:8080", "ip4:1.2.3.4/33", "ip4:1.2.3.4/032", "ip4:1.2.3.4//32",
        "ip4:01.2.3.4", "ip4:256.1.1.1", "ip6", "ip6::CAFE::BABE", "ip6:::1/129", "ip6:::1//33",
        "ip6:fe80::1%eth0",
        "exists:%(ir).sbl.example.com", "exists:foo%.sbl.example.com", "exists:foo%",
        "exists:%{a}.example.com", "exists:%{c}.example.com", "exists:%{r}.example.com",
        "exists:%{t}.example.com", "exists:%{d0}.example.com", "exists:%{dx}.example.com",
        "redirect:example.com", "moo", "moo.cow/far_out=man:dog/cat", "moo.cow:far_out=man:dog/cat",
        "1up=foo", "=all", "foo=%abc", "redirect=", "redirect=-all", "exp=", "exp=-all",
        "+-all", "a:exämple.com", "\u00e9all",
    ],
)
def test_invalid_terms(text: str) -> None:
    with pytest.raises(SpfSyntaxError):
        parse_term(text)


def test_the_error_names_the_bad_term() -> None:
    with pytest.raises(SpfSyntaxError, match="ip4:1.2.3.4/33"):
        parse_record("v=spf1 include:example.com ip4:1.2.3.4/33 -all")


def test_non_ascii_is_its_own_error() -> None:
    with pytest.raises(SpfSyntaxError, match="outside ASCII") as caught:
        parse_term("include:bïllit.be")
    assert caught.value.code == "spf-non-ascii"


@pytest.mark.parametrize(
    ("text", "name", "value"),
    [
        ("redirect=_spf.example.com", "redirect", "_spf.example.com"),
        ("REDIRECT=%{d}.d.spf.example.com.", "redirect", "%{d}.d.spf.example.com."),
        ("exp=explain._spf.%{d}", "exp", "explain._spf.%{d}"),
        ("moo.cow-far_out=man:dog/cat", "moo.cow-far_out", "man:dog/cat"),
        ("default=pass", "default", "pass"),
        ("empty=", "empty", ""),
    ],
)
def test_modifiers(text: str, name: str, value: str) -> None:
    term = parse_term(text)
    assert isinstance(term, Modifier) and (term.name, term.value) == (name, value)


def test_record_terms_and_modifiers() -> None:
    record = parse_record("v=spf1  include:a.example  ip4:192.0.2.1   exp=why.example redirect=b.example ")
    assert [t.text for t in record.terms] == [
        "include:a.example", "ip4:192.0.2.1", "exp=why.example", "redirect=b.example",
    ]
    assert [m.name for m in record.mechanisms] == ["include", "ip4"]
    assert record.redirect is not None and record.redirect.value == "b.example"
    assert record.exp is not None and record.exp.value == "why.example"


@pytest.mark.parametrize(
    "text",
    [
        "v=spf1 ip4:192.0.2.1 -all moo",  # a syntax error anywhere counts
        "v=spf1 redirect=a.example -all redirect=a.example",
        "v=spf1 exp=a.example exp=b.example -all",
        "v=spf1 a:ctrl.example.com\rptr -all",
        "v=spf1 ?all\t",
        "v=spf1 -all ip6",
        "v=spf1 ip4:192.0.2.1 ÿ",
        "spf1 -all",
    ],
)
def test_invalid_records(text: str) -> None:
    with pytest.raises(SpfSyntaxError):
        parse_record(text)


def test_version_section() -> None:
    assert is_spf("v=spf1") and is_spf("v=spf1 -all") and is_spf("V=SpF1 ~all") and is_spf(b"v=spf1 mx")
    assert not is_spf("v=spf10 -all") and not is_spf("v=spf1-all") and not is_spf(" v=spf1")


def test_select_record_joins_strings_and_ignores_other_txt() -> None:
    txt = [(b"google-site-verification=x",), (b"v=spf1 ip4:192.0.2.1", b" -all"), (b"caf\xc3\xa9",)]
    assert select_record(txt) == "v=spf1 ip4:192.0.2.1 -all"
    assert select_record([(b"v=spf10",)]) is None
    assert select_record([]) is None


def test_select_record_refuses_two_records_and_non_ascii() -> None:
    with pytest.raises(SpfPermError, match="2 SPF records") as caught:
        select_record([(b"v=spf1 -all",), (b"V=SPF1 +all",)])
    assert caught.value.code == "spf-multiple-records"
    with pytest.raises(SpfSyntaxError, match="outside ASCII"):
        select_record([(b"v=spf1 \x80a:example.net -all",)])


def test_identity_ignores_qualifier_and_case_but_not_macros() -> None:
    def identity(text: str) -> tuple[object, ...]:
        term = parse_term(text)
        assert isinstance(term, Mechanism)
        return term.identity()

    assert identity("include:My.Billit.BE") == identity("-include:my.billit.be.")
    assert identity("ip4:192.0.2.1/32") == identity("ip4:192.0.2.1")
    assert identity("a/24") != identity("a")
    assert identity("exists:%{L}.example.com") != identity("exists:%{l}.example.com")
