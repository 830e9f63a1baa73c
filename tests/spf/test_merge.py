"""merge_record(): a manifest's mechanisms into the live record, merge and exact modes."""

from __future__ import annotations

import pytest

from mailconf.spf.errors import SpfError, SpfSyntaxError
from mailconf.spf.merge import merge_record
from mailconf.spf.record import parse_record


def test_billit_include_goes_right_after_the_version() -> None:
    live = "v=spf1 include:spf.protection.outlook.com -all"
    assert merge_record(live, ["include:my.billit.be"], None, "merge") == (
        "v=spf1 include:my.billit.be include:spf.protection.outlook.com -all"
    )


def test_owned_terms_keep_manifest_order_and_foreign_terms_their_order() -> None:
    live = "v=spf1 mx ip4:198.51.100.1 ~all exp=why.example"
    merged = merge_record(live, ["ip4:192.0.2.1", "include:b.example"], None, "merge")
    assert merged == "v=spf1 ip4:192.0.2.1 include:b.example mx ip4:198.51.100.1 ~all exp=why.example"


def test_duplicates_are_dropped_and_the_owned_copy_wins() -> None:
    live = "v=spf1 -include:My.Billit.be. mx ip4:192.0.2.1/32 mx ~all"
    merged = merge_record(live, ["include:my.billit.be", "ip4:192.0.2.1", "ip4:192.0.2.1"], None, "merge")
    assert merged == "v=spf1 include:my.billit.be ip4:192.0.2.1 mx ~all"


def test_merging_twice_changes_nothing() -> None:
    once = merge_record("v=spf1 a -all", ["include:my.billit.be"], "softfail", "merge")
    assert merge_record(once, ["include:my.billit.be"], "softfail", "merge") == once == (
        "v=spf1 include:my.billit.be a ~all"
    )


@pytest.mark.parametrize(("qualifier", "symbol"), [("pass", "+"), ("fail", "-"), ("softfail", "~"),
                                                   ("neutral", "?"), ("+", "+"), ("-", "-"), ("~", "~"), ("?", "?")])
def test_all_qualifier_names_and_symbols(qualifier: str, symbol: str) -> None:
    assert merge_record("v=spf1 mx ?all", [], qualifier, "merge") == f"v=spf1 mx {symbol}all"


def test_all_is_replaced_where_it_stands() -> None:
    # A mechanism after the live all is dead; keeping all in place keeps it dead.
    assert merge_record("v=spf1 mx -all a", ["ip4:192.0.2.1"], "softfail", "merge") == (
        "v=spf1 ip4:192.0.2.1 mx ~all a"
    )


def test_all_is_appended_after_the_last_mechanism() -> None:
    assert merge_record("v=spf1 mx exp=why.example", [], "fail", "merge") == "v=spf1 mx -all exp=why.example"
    assert merge_record("v=spf1 exp=why.example", [], "fail", "merge") == "v=spf1 -all exp=why.example"


def test_no_all_given_keeps_what_the_live_record_has() -> None:
    assert merge_record("v=spf1 mx", ["include:b.example"], None, "merge") == "v=spf1 include:b.example mx"
    assert merge_record("v=spf1 mx ~all", [], None, "merge") == "v=spf1 mx ~all"


def test_an_all_that_would_disable_a_redirect_is_refused() -> None:
    with pytest.raises(SpfError, match="redirect"):
        merge_record("v=spf1 mx redirect=_spf.example", [], "fail", "merge")
    assert merge_record("v=spf1 mx redirect=_spf.example", ["a"], None, "merge") == (
        "v=spf1 a mx redirect=_spf.example"
    )


def test_exact_mode_and_a_missing_live_record() -> None:
    live = "v=spf1 include:foreign.example mx -all redirect=x.example"
    assert merge_record(live, ["include:my.billit.be", "mx"], "softfail", "exact") == (
        "v=spf1 include:my.billit.be mx ~all"
    )
    assert merge_record(live, ["mx"], None, "exact") == "v=spf1 mx"
    assert merge_record(None, ["include:my.billit.be"], "fail", "merge") == "v=spf1 include:my.billit.be -all"
    assert merge_record(None, [], None, "merge") == "v=spf1"


def test_results_parse() -> None:
    parse_record(merge_record("v=spf1 a:x.example/24 ?all", ["ip6:2001:db8::/32"], "-", "merge"))


@pytest.mark.parametrize(
    ("live", "owned", "qualifier", "mode", "error"),
    [
        (None, ["-all"], None, "merge", SpfError),
        (None, ["redirect=x.example"], None, "merge", SpfError),
        (None, ["include:"], None, "merge", SpfSyntaxError),
        (None, ["include:bïllit.be"], None, "merge", SpfSyntaxError),
        ("v=spf1 ip4:1.2.3.4/33", ["mx"], None, "merge", SpfSyntaxError),
        (None, ["mx"], "hardfail", "merge", SpfError),
        (None, ["mx"], None, "replace", SpfError),
    ],
)
def test_errors(live: str | None, owned: list[str], qualifier: str | None, mode: str, error: type) -> None:
    with pytest.raises(error):
        merge_record(live, owned, qualifier, mode)  # type: ignore[arg-type]
