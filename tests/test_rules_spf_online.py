"""validate --online treats the spellings of one DNS name as one: case and a trailing dot, in the SPF key and the address."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from test_online import _manifest, _online, knot  # noqa: F401  (knot: the module's Knot server fixture)


def _spelt(path: Path, address: str, domain: str) -> Path:
    data = yaml.safe_load(path.read_text())
    data["accounts"]["billing"]["address"] = address
    data["spf"] = {domain: data["spf"]["acme.test"]}
    path.write_text(yaml.safe_dump(data))
    return path


SPELLINGS = [("billing@acme.test", "ACME.test."), ("billing@ACME.Test", "acme.test"), ("billing@acme.test.", "Acme.Test")]


@pytest.mark.parametrize(("address", "domain"), SPELLINGS)
def test_authorised_sender_is_clean_whatever_the_spelling(tmp_path, knot, capsys, address, domain):  # noqa: F811
    path = _spelt(_manifest(tmp_path, {"mechanisms": ["include:prov.test"]}), address, domain)
    assert _online(path, knot, capsys) == (0, [])


@pytest.mark.parametrize(("address", "domain"), SPELLINGS)
def test_unauthorised_sender_is_found_whatever_the_spelling(tmp_path, knot, capsys, address, domain):  # noqa: F811
    path = _spelt(_manifest(tmp_path, {"mechanisms": ["ip4:192.0.2.200"]}), address, domain)
    code, diagnostics = _online(path, knot, capsys)
    assert [d["code"] for d in diagnostics] == ["spf-cross-check"]
    assert "add include:prov.test to spf.acme.test.mechanisms" in diagnostics[0]["message"], diagnostics[0]["message"]
