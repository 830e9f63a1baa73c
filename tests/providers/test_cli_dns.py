"""End to end: `mailconf plan` / `apply` manage an SPF record through the rfc2136 and powerdns
drivers against the real servers, merging with what someone else published."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from dnsservers import powerdns, tsig_server  # noqa: F401 (fixtures)
from dnsservers import KEY, ZONE, DnsServer, tsig_update, txt_at, unique_name

from mailconf.cli import main


def _target(kind: str, server: DnsServer) -> dict[str, object]:
    if kind == "rfc2136":
        return {"driver": "rfc2136", "settings": {"server": "127.0.0.1", "port": server.port, "zones": [ZONE], "tsig": {"name": KEY, "secret": "${env:E2E_DNS_SECRET}"}}}
    return {"driver": "powerdns", "settings": {"url": server.api_url, "api_key": "${env:E2E_DNS_SECRET}", "zones": [ZONE]}}


def _roundtrip(kind: str, server: DnsServer, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("E2E_DNS_SECRET", server.secret)
    domain = f"{unique_name('e2e')}.{ZONE}"
    if kind == "rfc2136":
        tsig_update(server, domain, add=["v=spf1 include:foreign.example ~all", "site-verification=1"])
    else:
        from dnsservers import pdns_api

        pdns_api(server, "PATCH", f"/zones/{ZONE}.", {"rrsets": [{"name": f"{domain}.", "type": "TXT", "ttl": 300, "changetype": "REPLACE", "records": [{"content": '"v=spf1 include:foreign.example ~all"', "disabled": False}, {"content": '"site-verification=1"', "disabled": False}]}]})
    manifest = {"version": 1, "targets": {"dns": _target(kind, server)}, "spf": {domain: {"mechanisms": ["include:my.billit.be"], "all": "fail"}}}
    path = tmp_path / "mailconf.yaml"
    path.write_text(yaml.safe_dump(manifest))

    assert main(["plan", str(path), "--detailed-exitcode"]) == 2
    out = capsys.readouterr().out
    assert f"~ spf/{domain}" in out and '"v=spf1 include:my.billit.be include:foreign.example -all"' in out
    assert main(["apply", str(path), "--auto-approve"]) == 0
    assert sorted(txt_at(server, domain)) == ["site-verification=1", "v=spf1 include:my.billit.be include:foreign.example -all"]
    assert main(["plan", str(path), "--detailed-exitcode"]) == 0  # idempotent
    capsys.readouterr()

    manifest["spf"] = {}
    path.write_text(yaml.safe_dump(manifest))
    assert main(["apply", str(path), "--auto-approve"]) == 0  # managed, so removing it deletes it
    assert txt_at(server, domain) == ["site-verification=1"]
    assert server.secret not in capsys.readouterr().out


def test_rfc2136_plan_apply_roundtrip(tsig_server: DnsServer, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    _roundtrip("rfc2136", tsig_server, tmp_path, capsys, monkeypatch)


def test_powerdns_plan_apply_roundtrip(powerdns: DnsServer, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    _roundtrip("powerdns", powerdns, tmp_path, capsys, monkeypatch)
