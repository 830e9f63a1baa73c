"""Macro expansion (RFC 7208 section 7), checked against the examples of section 7.4."""

from __future__ import annotations

from ipaddress import ip_address

import pytest

from mailconf.spf.errors import SpfSyntaxError
from mailconf.spf.macros import MacroContext, expand, expand_domain, tokenize

# The example connection of RFC 7208 7.4.
SENDER = "strong-bad@email.example.com"
V4 = MacroContext(SENDER, "email.example.com", ip_address("192.0.2.3"), "mx.example.org",
                  validated_name=lambda: "mx.example.org")
V6 = MacroContext(SENDER, "email.example.com", ip_address("2001:db8::cb01"), "mx.example.org")


def run(text: str, context: MacroContext = V4, *, explanation: bool = False) -> str:
    return expand(tokenize(text, explanation=explanation), context)


@pytest.mark.parametrize(
    ("macro", "expansion"),
    [
        ("%{s}", "strong-bad@email.example.com"),
        ("%{o}", "email.example.com"),
        ("%{d}", "email.example.com"),
        ("%{d4}", "email.example.com"),
        ("%{d3}", "email.example.com"),
        ("%{d2}", "example.com"),
        ("%{d1}", "com"),
        ("%{dr}", "com.example.email"),
        ("%{d2r}", "example.email"),
        ("%{l}", "strong-bad"),
        ("%{l-}", "strong.bad"),
        ("%{lr}", "strong-bad"),
        ("%{lr-}", "bad.strong"),
        ("%{l1r-}", "strong"),
    ],
)
def test_rfc_7208_letter_examples(macro: str, expansion: str) -> None:
    assert run(macro) == expansion


@pytest.mark.parametrize(
    ("text", "expansion"),
    [
        ("%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com"),
        ("%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com"),
        ("%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", "bad.strong.lp.3.2.0.192.in-addr._spf.example.com"),
        ("%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", "3.2.0.192.in-addr.strong.lp._spf.example.com"),
        ("%{d2}.trusted-domains.example.net", "example.com.trusted-domains.example.net"),
    ],
)
def test_rfc_7208_string_examples_ipv4(text: str, expansion: str) -> None:
    assert run(text) == expansion


def test_rfc_7208_string_example_ipv6() -> None:
    assert run("%{ir}.%{v}._spf.%{d2}", V6) == (
        "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com"
    )


def test_escapes_and_url_encoding() -> None:
    assert run("a%%b%_c%-d") == "a%b c%20d"
    context = MacroContext("~jack&jill=up-a_b3.c@e8.example.com", "e8.example.com", ip_address("192.0.2.3"), "h")
    assert run("http://example.com/why.html?l=%{L}", context) == "http://example.com/why.html?l=~jack%26jill%3Dup-a_b3.c"
    assert run("%{S}") == "strong-bad%40email.example.com"


def test_multiple_delimiters_and_more_parts_than_exist() -> None:
    context = MacroContext("foo-bar+zip+quux@e12.example.com", "e12.example.com", ip_address("192.0.2.3"), "h")
    assert run("%{l2r+-}.user", context) == "bar.foo.user"
    assert run("%{l9}", context) == "foo-bar+zip+quux"


def test_p_v_h_and_explanation_letters() -> None:
    assert run("%{p} %{v} %{h}", explanation=True) == "mx.example.org in-addr mx.example.org"
    fixed = MacroContext(SENDER, "email.example.com", ip_address("2001:db8::cb01"), "h", receiver="mx.receiver.test",
                         now=lambda: 1700000000.7)
    assert run("%{c} %{r} %{t} %{v}", fixed, explanation=True) == "2001:db8::cb01 mx.receiver.test 1700000000 ip6"
    assert run("%{c}", explanation=True) == "192.0.2.3"


def test_p_is_unknown_without_a_validated_name() -> None:
    assert run("%{p}", V6) == "unknown"


def test_domain_expansion_drops_the_final_dot_and_truncates_on_the_left() -> None:
    assert expand_domain(tokenize("%{d}.d.spf.example.com."), V4) == "email.example.com.d.spf.example.com"
    label = "x" * 60
    context = MacroContext("a@b.example", f"{label}.example.com", ip_address("192.0.2.3"), "h")
    # 5 * 73 + 8 = 373 characters: whole labels go from the left until at most 253 remain.
    name = expand_domain(tokenize("%{d}.%{d}.%{d}.%{d}.%{d}.end.test"), context)
    assert name == "example.com." + f"{label}.example.com." * 3 + "end.test"


@pytest.mark.parametrize(
    ("text", "explanation", "message"),
    [
        ("%{c}", False, "only allowed in explanation"),
        ("%{x}-files", True, "unknown macro letter"),
        ("%{d0}", False, "0 parts"),
        ("50%", False, "must start"),
        ("two words", False, "not allowed"),
    ],
)
def test_syntax_errors(text: str, explanation: bool, message: str) -> None:
    with pytest.raises(SpfSyntaxError, match=message):
        tokenize(text, explanation=explanation)


def test_explanation_text_allows_spaces() -> None:
    assert run("two words: %{d1}", explanation=True) == "two words: com"
