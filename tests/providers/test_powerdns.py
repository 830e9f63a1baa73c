"""The powerdns driver against a real pdns_server (gsqlite3 backend) and its HTTP API, on loopback."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest
from dnsservers import powerdns  # noqa: F401 (a fixture)
from dnsservers import DnsServer, create, delete, pdns_api, spf, txt_at, txt_strings_at, unique_name, update
from pydantic import ValidationError
from realservers import free_port

from mailconf.driver import DriverContext, Resource
from mailconf.errors import DriverError
from mailconf_providers.powerdns import PowerDnsDriver, Transport, urllib_transport

MakeDriver = Callable[..., PowerDnsDriver]


@pytest.fixture
def zone(powerdns: DnsServer) -> Iterator[str]:
    """A zone of its own for each test, made and dropped through the API."""
    name = f"{unique_name('z')}.test"
    pdns_api(powerdns, "POST", "/zones", {"name": f"{name}.", "kind": "Native", "nameservers": [f"ns1.{name}."]})
    yield name
    pdns_api(powerdns, "DELETE", f"/zones/{name}.")


@pytest.fixture
def make_driver(powerdns: DnsServer, zone: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> MakeDriver:
    """A driver for the test's zone, the API key passed by reference; keyword arguments override settings."""
    monkeypatch.setenv("MAILCONF_TEST_PDNS_KEY", powerdns.secret)

    def make(transport: Transport = urllib_transport, **overrides: object) -> PowerDnsDriver:
        settings = {
            "url": powerdns.api_url, "api_key": "${env:MAILCONF_TEST_PDNS_KEY}", "zones": [zone], "timeout": 2,
            **overrides,
        }
        return PowerDnsDriver(
            PowerDnsDriver.Settings.model_validate(settings), DriverContext(base_dir=tmp_path, target="dns"),
            transport=transport,
        )

    return make


def put_txt(server: DnsServer, zone: str, name: str, *texts: str, disabled: tuple[str, ...] = ()) -> None:
    """Someone else's edit through the API: the TXT rrset at `name` becomes `texts` (+ disabled ones)."""
    records = [{"content": json.dumps(text), "disabled": False} for text in texts]
    records += [{"content": json.dumps(text), "disabled": True} for text in disabled]
    rrset = {"name": f"{name}.", "type": "TXT", "ttl": 3600, "changetype": "REPLACE", "records": records}
    pdns_api(server, "PATCH", f"/zones/{zone}.", {"rrsets": [rrset]})


def api_txt(server: DnsServer, zone: str, name: str) -> list[tuple[str, bool]]:
    """The TXT records at `name` as the API lists them: (content, disabled), sorted."""
    rrsets = pdns_api(server, "GET", f"/zones/{zone}.")["rrsets"]
    at_name = [rrset for rrset in rrsets if rrset["type"] == "TXT" and rrset["name"] == f"{name}."]
    return sorted((record["content"], record["disabled"]) for rrset in at_name for record in rrset["records"])


def read_one(driver: PowerDnsDriver, domain: str) -> Resource | None:
    return next((r for r in driver.read({"spf"}) if r.key == domain), None)


def test_read_finds_spf_and_chained_records_and_ignores_foreign_and_disabled_txt(
    powerdns: DnsServer, zone: str, make_driver: MakeDriver
) -> None:
    put_txt(powerdns, zone, zone, "google-site-verification=abc", "v=spf1 include:_spf1.x ~all")
    put_txt(powerdns, zone, f"_spf1.{zone}", "v=spf1 ip4:192.0.2.1 -all", "foreign")
    put_txt(powerdns, zone, f"_spf2.{zone}", "foreign only")
    put_txt(powerdns, zone, f"off.{zone}", "verification", disabled=("v=spf1 -all",))  # not served, not SPF
    put_txt(powerdns, zone, f"upper.{zone}", "V=SPF1 mx -all")

    found = {r.key: r.fields for r in make_driver().read({"spf"})}

    assert found == {
        zone: {"record": "v=spf1 include:_spf1.x ~all", "chained": {f"_spf1.{zone}": "v=spf1 ip4:192.0.2.1 -all"}},
        f"upper.{zone}": {"record": "V=SPF1 mx -all", "chained": {}},
    }


def test_create_update_delete_round_trip_keeps_foreign_and_disabled_txt(
    powerdns: DnsServer, zone: str, make_driver: MakeDriver
) -> None:
    chained = f"_spf1.{zone}"
    put_txt(powerdns, zone, zone, "site-verification=keep-me", disabled=("kept while disabled",))
    driver = make_driver()
    assert read_one(driver, zone) is None

    first = spf(zone, f"v=spf1 include:{chained} ~all", {chained: "v=spf1 ip4:192.0.2.1 -all"})
    assert [r.ok for r in driver.apply([create(first)])] == [True]
    assert txt_at(powerdns, zone) == ["site-verification=keep-me", first.fields["record"]]
    assert txt_at(powerdns, chained) == ["v=spf1 ip4:192.0.2.1 -all"]
    assert read_one(make_driver(), zone) == first

    second = spf(zone, "v=spf1 include:my.billit.be -all")
    assert [r.ok for r in driver.apply([update(first, second)])] == [True]
    assert txt_at(powerdns, zone) == ["site-verification=keep-me", "v=spf1 include:my.billit.be -all"]
    assert txt_at(powerdns, chained) == []
    assert read_one(make_driver(), zone) == second

    assert [r.ok for r in driver.apply([delete(second)])] == [True]
    assert txt_at(powerdns, zone) == ["site-verification=keep-me"]
    assert api_txt(powerdns, zone, zone) == [('"kept while disabled"', True), ('"site-verification=keep-me"', False)]
    assert read_one(make_driver(), zone) is None


def test_a_long_record_is_split_into_255_octet_strings_and_read_back_joined(
    powerdns: DnsServer, zone: str, make_driver: MakeDriver
) -> None:
    record = "v=spf1 " + " ".join(f"ip4:192.0.2.{i}" for i in range(40)) + " -all"

    assert [r.ok for r in make_driver().apply([create(spf(zone, record))])] == [True]

    (strings,) = txt_strings_at(powerdns, zone)
    assert [len(s) for s in strings] == [255, 255, len(record) - 510]
    assert read_one(make_driver(), zone).fields["record"] == record


def test_an_edit_between_read_and_apply_fails_the_change_and_survives(
    powerdns: DnsServer, zone: str, make_driver: MakeDriver
) -> None:
    put_txt(powerdns, zone, zone, "v=spf1 -all")
    driver = make_driver()
    live = read_one(driver, zone)
    put_txt(powerdns, zone, zone, "v=spf1 -all", "added meanwhile")

    (result,) = driver.apply([update(live, spf(zone, "v=spf1 include:my.billit.be ~all"))])

    assert not result.ok
    assert f"changed since they were read: the TXT records at {zone}" in result.message
    assert "run plan again" in result.message
    assert txt_at(powerdns, zone) == ["added meanwhile", "v=spf1 -all"]


def test_a_wrong_api_key_fails_with_a_clear_message_that_never_shows_a_key(
    powerdns: DnsServer, zone: str, make_driver: MakeDriver, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str],
) -> None:
    wrong = "wrong-" + powerdns.secret[::-1]
    driver = make_driver()
    driver.read({"spf"})
    monkeypatch.setenv("MAILCONF_TEST_PDNS_KEY", wrong)

    with caplog.at_level(logging.DEBUG):
        (result,) = driver.apply([create(spf(zone, "v=spf1 -all"))])
        with pytest.raises(DriverError) as raised:
            driver.read({"spf"})

    assert not result.ok and "rejected the API key (401" in result.message
    assert "check api_key" in str(raised.value)
    assert txt_at(powerdns, zone) == []
    shown = result.message + str(raised.value) + repr(driver.settings) + caplog.text + "".join(capsys.readouterr())
    assert powerdns.secret not in shown and wrong not in shown


def test_an_unknown_zone_and_an_unreachable_api_are_told_apart(make_driver: MakeDriver) -> None:
    with pytest.raises(DriverError, match=r"has no zone nothere\.test on server localhost \(404: .+\): check zones"):
        make_driver(zones=["nothere.test"]).read({"spf"})
    with pytest.raises(DriverError, match="cannot reach the PowerDNS API at http://127.0.0.1:[0-9]+: Connection ref"):
        make_driver(url=f"http://127.0.0.1:{free_port()}").read({"spf"})


def test_a_422_quotes_the_error_powerdns_gives(powerdns: DnsServer, zone: str, make_driver: MakeDriver) -> None:
    def out_of_zone(
        method: str, url: str, headers: Mapping[str, str], body: bytes | None, timeout: float
    ) -> tuple[int, bytes]:
        if method == "PATCH":  # the real server judges a patch the driver would never send
            patch = json.loads(body)
            patch["rrsets"][0]["name"] = "elsewhere.invalid."
            body = json.dumps(patch).encode()
        return urllib_transport(method, url, headers, body, timeout)

    (result,) = make_driver(transport=out_of_zone).apply([create(spf(zone, "v=spf1 -all"))])

    assert not result.ok
    assert result.message.startswith(f"PowerDNS at {powerdns.api_url} refused the change to zone {zone} (422): ")
    assert "elsewhere.invalid" in result.message  # PowerDNS's own `error` text


def test_settings_take_only_a_secret_reference_and_an_http_url() -> None:
    settings = {"url": "http://127.0.0.1:8081/", "api_key": "plain-key", "zones": ["example.test."]}
    with pytest.raises(ValidationError, match="must be a secret reference"):
        PowerDnsDriver.Settings.model_validate(settings)
    with pytest.raises(ValidationError, match="http:// or https://"):
        PowerDnsDriver.Settings.model_validate({**settings, "api_key": "${env:K}", "url": "127.0.0.1:8081"})
    parsed = PowerDnsDriver.Settings.model_validate({**settings, "api_key": "${env:K}"})
    assert (parsed.url, parsed.zones, parsed.server_id) == ("http://127.0.0.1:8081", ["example.test"], "localhost")
