"""validate --online, the SMTP/SPF cross-check and plan-time flattening, against a real Knot DNS."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from mailconf.cli import main
from realservers import KnotServer

PROVIDERS = {
    "prov.test": [
        '@ TXT "v=spf1 ip4:203.0.113.0/24 -all"',
        'legacy TXT "v=spf1 ip4:198.51.100.0/24 -all"',
        "smtp A 203.0.113.5",
        *[f'n{i} TXT "v=spf1 include:p{2 * i}.prov.test include:p{2 * i + 1}.prov.test -all"' for i in range(4)],
        *[f'p{i} TXT "v=spf1 ip4:192.0.2.{i} -all"' for i in range(8)],
    ],
    "acme.test": ['@ TXT "google-site-verification=abc"', '@ TXT "v=spf1 include:legacy.prov.test ~all"'],
}
NESTED = [f"include:n{i}.prov.test" for i in range(4)]  # 4 + 8 = 12 look-ups (13 with include:prov.test)


@pytest.fixture(scope="module")
def knot() -> Iterator[KnotServer]:
    if shutil.which("knotd") is None:
        pytest.skip("Knot DNS (knotd) is not installed")
    server = KnotServer().start(PROVIDERS)
    yield server
    server.stop()


def _manifest(tmp_path: Path, spf: dict[str, object], smtp_host: str = "smtp.prov.test") -> Path:
    data = {
        "version": 1,
        "targets": {"embedded": {"driver": "sqlite", "settings": {"path": "live.db"}}},
        "accounts": {
            "billing": {
                "address": "billing@acme.test",
                "outgoing": {"host": smtp_host, "port": 587},
                "incoming": {"host": "imap.prov.test", "port": 993},
                "default_outgoing": True,
                "default_incoming": True,
            }
        },
        "primary_sender": "billing",
        "spf": {"acme.test": spf},
    }
    path = tmp_path / "mailconf.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def _online(path: Path, knot: KnotServer, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[dict[str, object]]]:
    capsys.readouterr()
    code = main(["validate", str(path), "--online", "--nameserver", f"127.0.0.1:{knot.port}", "--format", "json"])
    return code, json.loads(capsys.readouterr().out)["diagnostics"]


def test_online_clean_when_the_sender_is_authorised(tmp_path: Path, knot: KnotServer, capsys: pytest.CaptureFixture[str]) -> None:
    code, diagnostics = _online(_manifest(tmp_path, {"mechanisms": ["include:prov.test"]}), knot, capsys)
    assert (code, diagnostics) == (0, [])


def test_cross_check_names_the_include_to_add(tmp_path: Path, knot: KnotServer, capsys: pytest.CaptureFixture[str]) -> None:
    # merge mode keeps the live include:legacy.prov.test, which does not cover smtp.prov.test
    code, diagnostics = _online(_manifest(tmp_path, {"mechanisms": ["ip4:192.0.2.200"]}), knot, capsys)
    [found] = diagnostics
    assert code == 0 and found["code"] == "spf-cross-check" and found["severity"] == "warning"
    assert "billing@acme.test through smtp.prov.test (203.0.113.5) gets SPF softfail" in found["message"]
    assert "add include:prov.test" in found["message"] and found["line"] == 3


def test_online_counts_nested_lookups(tmp_path: Path, knot: KnotServer, capsys: pytest.CaptureFixture[str]) -> None:
    code, diagnostics = _online(_manifest(tmp_path, {"mechanisms": ["include:prov.test", *NESTED], "mode": "exact"}), knot, capsys)
    errors = [d for d in diagnostics if d["severity"] == "error"]
    assert code == 1 and errors and all(d["path"] == ["spf", "acme.test"] for d in errors)
    assert [d["code"] for d in errors] == ["spf-lookup-limit"] and str(errors[0]["message"]).startswith("13 DNS-querying terms"), errors


def test_flatten_publishes_ranges_and_shows_drift(tmp_path: Path, knot: KnotServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    path = _manifest(tmp_path, {"mechanisms": ["include:prov.test", *NESTED], "mode": "exact", "all": "fail", "flatten": True})
    ns = ["--nameserver", f"127.0.0.1:{knot.port}"]
    assert main(["apply", str(path), "--auto-approve", *ns]) == 0
    capsys.readouterr()
    assert main(["plan", str(path), "--detailed-exitcode", *ns]) == 0
    import sqlite3

    with sqlite3.connect(tmp_path / "live.db") as db:
        [(record,)] = db.execute("SELECT record FROM spf_record")
        chained = dict(db.execute("SELECT name, record FROM spf_chain"))
    published = " ".join([record, *chained.values()])
    assert "include:n0.prov.test" not in published and "ip4:192.0.2.0/29" in published and "ip4:203.0.113.0/24" in published
    assert record.endswith("-all")
    # a provider changes its ranges: the next plan shows the drift
    zones = {**PROVIDERS, "prov.test": [line.replace("ip4:192.0.2.7 ", "ip4:192.0.2.77 ") for line in PROVIDERS["prov.test"]]}
    knot.load(zones)
    try:
        capsys.readouterr()
        assert main(["plan", str(path), "--detailed-exitcode", *ns]) == 2
        assert "192.0.2.77" in capsys.readouterr().out
    finally:
        knot.load(PROVIDERS)


def test_online_analyses_the_flattened_record_plan_would_publish(tmp_path: Path, knot: KnotServer, capsys: pytest.CaptureFixture[str]) -> None:
    # 13 look-ups merged, but flatten: true publishes ranges in chained records: no limit error
    spf = {"mechanisms": ["include:prov.test", *NESTED], "mode": "exact", "all": "fail", "flatten": True}
    code, diagnostics = _online(_manifest(tmp_path, spf), knot, capsys)
    assert (code, [d["code"] for d in diagnostics if d["severity"] == "error"]) == (0, [])
    # the same record without flatten is over the limit: the test can tell the two apart
    code, diagnostics = _online(_manifest(tmp_path, {**spf, "flatten": False}), knot, capsys)
    assert code == 1 and "spf-lookup-limit" in {d["code"] for d in diagnostics}
