"""Did-you-mean hints share a bounded budget: many misspelt names cost no more than the budget."""

from __future__ import annotations

from mailconf.suggest import Suggester


def test_the_closest_candidate_is_suggested_and_nothing_when_none_is_close() -> None:
    closest = Suggester(["invoices", "shipping", "support"])
    assert closest("invoics") == "invoices"
    assert closest("xyz") is None


def test_past_the_budget_no_more_comparisons_are_made() -> None:
    candidates = [f"domain{i}.example" for i in range(1000)]
    closest = Suggester(candidates, budget=2500)
    assert closest("domain1.exmaple") == "domain1.example"  # 1,000 comparisons
    assert closest("domain2.exmaple") == "domain2.example"  # 2,000
    assert closest("domain3.exmaple") is None  # a third would exceed 2,500: the diagnostic comes without a hint


def test_a_thousand_unused_spf_domains_are_each_reported(write, clean) -> None:
    from mailconf.validate import validate

    domains = "".join(f"  d{i}.example: {{mechanisms: [ip4:192.0.2.1]}}\n" for i in range(1000))
    report = validate([write(clean + "spf:\n" + domains)])
    assert sum(d.code == "spf-domain-unused" for d in report.diagnostics) == 1000
