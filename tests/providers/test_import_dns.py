"""`mailconf import` of a PowerDNS target whose API key is a `${file:...}` reference: the written
manifest finds the key file from its own directory, and plans no change."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from dnsservers import powerdns  # noqa: F401 (fixture)
from dnsservers import ZONE, DnsServer, pdns_api, unique_name

from mailconf.cli import main


def test_import_rebases_a_file_reference(powerdns: DnsServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    domain = f"{unique_name('imp')}.{ZONE}"
    pdns_api(powerdns, "PATCH", f"/zones/{ZONE}.", {"rrsets": [{"name": f"{domain}.", "type": "TXT", "ttl": 300, "changetype": "REPLACE", "records": [{"content": '"v=spf1 include:my.billit.be -all"', "disabled": False}]}]})
    repo = tmp_path / "repo"
    (repo / "secrets").mkdir(parents=True)
    (repo / "secrets" / "pdns.key").write_text(powerdns.secret + "\n")
    target = {"driver": "powerdns", "settings": {"url": powerdns.api_url, "api_key": "${file:secrets/pdns.key}", "zones": [ZONE]}}
    (repo / "mailconf.yaml").write_text(yaml.safe_dump({"version": 1, "targets": {"dns": target}}))
    out_dir = tmp_path / "imports" / "acme"
    assert main(["import", "dns", "-o", str(out_dir), "-m", str(repo)]) == 0
    imported = yaml.safe_load((out_dir / "mailconf.yaml").read_text())
    assert imported["targets"]["dns"]["settings"]["api_key"] == "${file:../../repo/secrets/pdns.key}"
    assert imported["spf"][domain] == {"mode": "exact", "mechanisms": ["include:my.billit.be"], "all": "fail"}
    capsys.readouterr()
    assert main(["plan", str(out_dir), "--detailed-exitcode", "--state", str(repo / ".mailconf/state.db")]) == 0
    assert powerdns.secret not in capsys.readouterr().out
