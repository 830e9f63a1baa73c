"""The rfc2136 driver against real Knot and BIND servers on loopback (each test runs on both)."""

from __future__ import annotations

import base64
import logging
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from dnsservers import tsig_server  # noqa: F401 (a fixture)
from dnsservers import (
    KEY,
    ZONE,
    DnsServer,
    create,
    delete,
    spf,
    tsig_update,
    txt_at,
    txt_strings_at,
    unique_name,
    update,
)
from pydantic import ValidationError
from realservers import free_port

from mailconf.driver import DriverContext, Resource
from mailconf.errors import DriverError
from mailconf_providers.rfc2136 import Rfc2136Driver

MakeDriver = Callable[..., Rfc2136Driver]


@pytest.fixture
def make_driver(tsig_server: DnsServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> MakeDriver:
    """A driver for the server, its secret passed by reference; keyword arguments override settings."""
    monkeypatch.setenv("MAILCONF_TEST_TSIG", tsig_server.secret)

    def make(**overrides: object) -> Rfc2136Driver:
        settings = {
            "server": "127.0.0.1", "port": tsig_server.port, "zones": [ZONE], "timeout": 2,
            "tsig": {"name": KEY, "secret": "${env:MAILCONF_TEST_TSIG}"}, **overrides,
        }
        context = DriverContext(base_dir=tmp_path, target="dns")
        return Rfc2136Driver(Rfc2136Driver.Settings.model_validate(settings), context)

    return make


@pytest.fixture
def domain() -> str:
    return f"{unique_name('d')}.{ZONE}"


def read_one(driver: Rfc2136Driver, domain: str) -> Resource | None:
    return next((r for r in driver.read({"spf"}) if r.key == domain), None)


def test_read_finds_spf_and_chained_records_and_ignores_foreign_txt(
    tsig_server: DnsServer, make_driver: MakeDriver, domain: str
) -> None:
    tsig_update(tsig_server, domain, add=["google-site-verification=abc", "v=spf1 include:_spf1.x ~all"])
    tsig_update(tsig_server, f"_spf1.{domain}", add=["v=spf1 ip4:192.0.2.1 -all", "foreign at a chained name"])
    tsig_update(tsig_server, f"_spf2.{domain}", add=["V=SPF1 ip4:192.0.2.2 -all"])  # RFC 7208 4.5: any case
    tsig_update(tsig_server, f"_spfx.{domain}", add=["v=spf1 -all"])  # not _spfN: a domain of its own
    tsig_update(tsig_server, f"notspf.{domain}", add=["v=spf10 -all", "verification"])
    tsig_update(tsig_server, f"_spf3.orphan.{domain}", add=["v=spf1 -all"])  # its domain has no SPF record

    found = {r.key: r.fields for r in make_driver().read({"spf"}) if r.key.endswith(domain)}

    assert found == {
        domain: {
            "record": "v=spf1 include:_spf1.x ~all",
            "chained": {
                f"_spf1.{domain}": "v=spf1 ip4:192.0.2.1 -all",
                f"_spf2.{domain}": "V=SPF1 ip4:192.0.2.2 -all",
            },
        },
        f"_spfx.{domain}": {"record": "v=spf1 -all", "chained": {}},
    }


def test_read_of_other_kinds_asks_the_server_nothing(make_driver: MakeDriver) -> None:
    assert make_driver(port=1).read({"account"}) == []


def test_create_update_delete_round_trip_keeps_foreign_txt(
    tsig_server: DnsServer, make_driver: MakeDriver, domain: str
) -> None:
    chained = f"_spf1.{domain}"
    tsig_update(tsig_server, domain, add=["site-verification=keep-me"])
    tsig_update(tsig_server, chained, add=["foreign at the chained name"])
    driver = make_driver()
    assert read_one(driver, domain) is None

    first = spf(domain, f"v=spf1 include:{chained} ~all", {chained: "v=spf1 ip4:192.0.2.1 -all"})
    assert [r.ok for r in driver.apply([create(first)])] == [True]
    assert txt_at(tsig_server, domain) == ["site-verification=keep-me", first.fields["record"]]
    assert txt_at(tsig_server, chained) == ["foreign at the chained name", "v=spf1 ip4:192.0.2.1 -all"]
    assert read_one(make_driver(), domain) == first  # a fresh driver reads back exactly what was written

    second = spf(domain, "v=spf1 include:my.billit.be -all")
    assert [r.ok for r in driver.apply([update(first, second)])] == [True]
    assert txt_at(tsig_server, domain) == ["site-verification=keep-me", "v=spf1 include:my.billit.be -all"]
    assert txt_at(tsig_server, chained) == ["foreign at the chained name"]
    assert read_one(make_driver(), domain) == second

    assert [r.ok for r in driver.apply([delete(second)])] == [True]
    assert txt_at(tsig_server, domain) == ["site-verification=keep-me"]
    assert txt_at(tsig_server, chained) == ["foreign at the chained name"]
    assert read_one(make_driver(), domain) is None


def test_a_long_record_is_split_into_255_octet_strings_and_read_back_joined(
    tsig_server: DnsServer, make_driver: MakeDriver, domain: str
) -> None:
    record = "v=spf1 " + " ".join(f"ip4:192.0.2.{i}" for i in range(40)) + " -all"
    assert len(record) > 2 * 255

    assert [r.ok for r in make_driver().apply([create(spf(domain, record))])] == [True]

    (strings,) = txt_strings_at(tsig_server, domain)
    assert [len(s) for s in strings] == [255, 255, len(record) - 510]
    assert read_one(make_driver(), domain).fields["record"] == record


@pytest.mark.parametrize("existing", [["v=spf1 -all"], []], ids=["update", "create"])
def test_an_edit_between_read_and_apply_fails_the_change_and_survives(
    tsig_server: DnsServer, make_driver: MakeDriver, domain: str, existing: list[str]
) -> None:
    tsig_update(tsig_server, domain, add=existing)
    driver = make_driver()
    live = read_one(driver, domain)
    tsig_update(tsig_server, domain, add=["v=spf1 include:someone.else ~all" if live is None else "added meanwhile"])
    concurrent = txt_at(tsig_server, domain)

    desired = spf(domain, "v=spf1 include:my.billit.be ~all")
    (result,) = driver.apply([create(desired) if live is None else update(live, desired)])

    assert not result.ok
    assert "changed since they were read" in result.message and "run plan again" in result.message
    assert txt_at(tsig_server, domain) == concurrent


def test_a_driver_that_did_not_read_checks_the_change_against_the_live_records(
    tsig_server: DnsServer, make_driver: MakeDriver, domain: str
) -> None:
    tsig_update(tsig_server, domain, add=["v=spf1 -all"])
    planned_from = spf(domain, "v=spf1 ~all")  # the plan saw another record than the server now holds

    (result,) = make_driver().apply([update(planned_from, spf(domain, "v=spf1 include:my.billit.be ~all"))])

    assert not result.ok and "run plan again" in result.message
    assert txt_at(tsig_server, domain) == ["v=spf1 -all"]
    (result,) = make_driver().apply([update(spf(domain, "v=spf1 -all"), spf(domain, "v=spf1 a -all"))])
    assert result.ok and txt_at(tsig_server, domain) == ["v=spf1 a -all"]


def test_two_spf_records_read_as_the_first_warn_and_are_replaced_by_one(
    tsig_server: DnsServer, make_driver: MakeDriver, domain: str, caplog: pytest.LogCaptureFixture
) -> None:
    tsig_update(tsig_server, domain, add=["v=spf1 a -all", "v=spf1 mx -all", "foreign"])
    driver = make_driver()
    with caplog.at_level(logging.WARNING):
        live = read_one(driver, domain)
    assert live.fields["record"] in ("v=spf1 a -all", "v=spf1 mx -all")
    assert f"{domain} has 2 SPF records" in caplog.text

    (result,) = driver.apply([update(live, spf(domain, "v=spf1 a mx -all"))])

    assert result.ok and f"replaced 2 SPF records at {domain}" in result.message
    assert txt_at(tsig_server, domain) == ["foreign", "v=spf1 a mx -all"]


def test_a_desired_record_that_read_could_not_see_again_is_refused(make_driver: MakeDriver, domain: str) -> None:
    bad_chain = spf(domain, "v=spf1 -all", {f"_spf1.elsewhere.{ZONE}": "v=spf1 -all"})
    not_spf = spf(domain, "spf1 -all")
    outside = spf("acme.other", "v=spf1 -all")

    results = make_driver().apply([create(bad_chain), create(not_spf), create(outside)])

    assert [r.ok for r in results] == [False, False, False]
    assert f"must be _spfN.{domain}" in results[0].message
    assert "must start with 'v=spf1 '" in results[1].message
    assert f"acme.other is in none of this target's zones ({ZONE})" in results[2].message


def test_a_wrong_secret_fails_with_a_clear_message_that_never_shows_a_secret(
    tsig_server: DnsServer, make_driver: MakeDriver, domain: str, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str],
) -> None:
    wrong = base64.b64encode(os.urandom(32)).decode()
    driver = make_driver()
    driver.read({"spf"})
    monkeypatch.setenv("MAILCONF_TEST_TSIG", wrong)  # rotated on one side only, between plan and apply

    with caplog.at_level(logging.DEBUG):
        (result,) = driver.apply([create(spf(domain, "v=spf1 -all"))])
        with pytest.raises(DriverError) as raised:
            driver.read({"spf"})

    expected = f"rejected the signature of TSIG key {KEY}"
    assert not result.ok and expected in result.message and f"update of zone {ZONE}" in result.message
    assert expected in str(raised.value) and "zone transfer" in str(raised.value)
    assert txt_at(tsig_server, domain) == []
    shown = result.message + str(raised.value) + repr(driver.settings) + caplog.text + "".join(capsys.readouterr())
    assert tsig_server.secret not in shown and wrong not in shown


def test_an_unknown_key_a_zone_not_served_and_a_closed_port_are_told_apart(make_driver: MakeDriver) -> None:
    messages = []
    unknown_key = {"name": "nobody-key", "secret": "${env:MAILCONF_TEST_TSIG}"}
    for overrides in ({"tsig": unknown_key}, {"zones": ["other.test"]}, {"port": free_port()}):
        with pytest.raises(DriverError) as raised:
            make_driver(**overrides).read({"spf"})
        messages.append(str(raised.value))

    assert "does not know TSIG key nobody-key" in messages[0]
    assert "answered NOTAUTH to the zone transfer (AXFR) of other.test: it is not authoritative" in messages[1]
    assert "cannot reach DNS server 127.0.0.1" in messages[2] and "Connection refused" in messages[2]


def test_settings_take_only_a_secret_reference() -> None:
    settings = {"server": "ns1.example", "zones": [ZONE], "tsig": {"name": KEY, "secret": "c2VjcmV0"}}
    with pytest.raises(ValidationError, match="must be a secret reference"):
        Rfc2136Driver.Settings.model_validate(settings)
    settings["tsig"]["secret"] = "${file:tsig.key}"
    parsed = Rfc2136Driver.Settings.model_validate(settings)
    assert (parsed.port, parsed.ttl, parsed.timeout, parsed.tsig.algorithm) == (53, 300, 5, "hmac-sha256")
