"""The powerdns driver against a real pdns_server (gsqlite3 backend) and its HTTP API, on loopback."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from badhttp import Answer, bad_server, endless_body, json_answer, never_answers
from dnsservers import powerdns  # noqa: F401 (a fixture)
from dnsservers import DnsServer, create, delete, pdns_api, spf, txt_at, txt_strings_at, unique_name, update
from pydantic import ValidationError
from realservers import free_port

from mailconf.driver import DriverContext, Resource
from mailconf.errors import DriverError, MailconfError
from mailconf_providers.powerdns import PowerDnsDriver

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

    def make(transport: httpx.BaseTransport | None = None, **overrides: object) -> PowerDnsDriver:
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
    with pytest.raises(DriverError, match=r"PowerDNS at http://127.0.0.1:[0-9]+: GET \S+ got no answer: Connection ref"):
        make_driver(url=f"http://127.0.0.1:{free_port()}", deadline=1).read({"spf"})


def test_a_422_quotes_the_error_powerdns_gives(powerdns: DnsServer, zone: str, make_driver: MakeDriver) -> None:
    class OutOfZone(httpx.HTTPTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            if request.method == "PATCH":  # the real server judges a patch the driver would never send
                patch = json.loads(request.read())
                patch["rrsets"][0]["name"] = "elsewhere.invalid."
                headers = {k: v for k, v in request.headers.items() if k.lower() != "content-length"}
                request = httpx.Request("PATCH", request.url, headers=headers, json=patch)
            return super().handle_request(request)

    (result,) = make_driver(transport=OutOfZone()).apply([create(spf(zone, "v=spf1 -all"))])

    assert not result.ok
    assert result.message.startswith(f"PowerDNS at {powerdns.api_url} refused the change to zone {zone} (422): ")
    assert "elsewhere.invalid" in result.message  # PowerDNS's own `error` text


def test_settings_take_only_a_secret_reference_and_an_http_url() -> None:
    settings = {"url": "http://127.0.0.1:8081/", "api_key": "plain-key", "zones": ["example.test."]}
    with pytest.raises(ValidationError, match="must be a secret reference"):
        PowerDnsDriver.Settings.model_validate(settings)
    for url in ("127.0.0.1:8081", "ftp://pdns.example", "https://"):
        with pytest.raises(ValidationError, match="http:// or https://"):
            PowerDnsDriver.Settings.model_validate({**settings, "api_key": "${env:K}", "url": url})
    for url in ("https://admin:pw@pdns.example", "https://pdns.example/?api-key=x", "https://pdns.example/#x"):
        with pytest.raises(ValidationError, match="without query, fragment or credentials"):
            PowerDnsDriver.Settings.model_validate({**settings, "api_key": "${env:K}", "url": url})
    parsed = PowerDnsDriver.Settings.model_validate({**settings, "api_key": "${env:K}"})
    assert (parsed.url, parsed.zones, parsed.server_id) == ("http://127.0.0.1:8081", ["example.test"], "localhost")


# The driver distrusts its server: a misbehaving one on loopback (tests/badhttp.py) gets errors, never a crash.

EMPTY_ZONE = '{"name": "bad.test.", "rrsets": []}'


def bad_driver(url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, key: str = "k-123", **overrides: object) -> PowerDnsDriver:
    monkeypatch.setenv("MAILCONF_TEST_BAD_KEY", key)
    settings = {"url": url, "api_key": "${env:MAILCONF_TEST_BAD_KEY}", "zones": ["bad.test"], "timeout": 2, **overrides}
    return PowerDnsDriver(
        PowerDnsDriver.Settings.model_validate(settings), DriverContext(base_dir=tmp_path, target="dns")
    )


@pytest.mark.parametrize("body", [
    '{"rrsets": [',  # malformed JSON
    "<html>Sign in</html>",  # a login page in front of the API
    '{"name": "bad.test."}',  # no rrsets
    '{"rrsets": [{"name": "bad.test.", "type": "TXT", "ttl": 300}]}',  # an rrset without records
    '{"rrsets": [{"name": "bad.test.", "type": "TXT", "ttl": 300, "records": [{"content": 7, "disabled": false}]}]}',
    '{"rrsets": [{"name": "bad.test.", "type": "TXT", "ttl": 300, "records": [{"content": "\\"unterminated"}]}]}',
    "null",
])
def test_a_malformed_or_misshapen_zone_fails_read_and_each_change_with_a_message(
    body: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with bad_server(json_answer(200, body)) as server:
        driver = bad_driver(server.url, monkeypatch, tmp_path)
        with pytest.raises(DriverError, match=f"^PowerDNS at {server.url}: GET .*/zones/bad.test.") as raised:
            driver.read({"spf"})
        (result,) = driver.apply([create(spf("bad.test", "v=spf1 -all"))])
    assert "is this the PowerDNS API?" in str(raised.value) or "content not in presentation format" in str(raised.value)
    assert not result.ok and result.message.startswith(f"PowerDNS at {server.url}: GET ")
    assert [r.method for r in server.requests] == ["GET", "GET"]  # nothing written


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_redirect_to_another_host_is_refused_and_the_api_key_never_arrives_there(
    status: int, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with bad_server(json_answer(200, EMPTY_ZONE), host="127.0.0.2") as elsewhere:
        moved = Answer(status, headers={"Location": f"{elsewhere.url}/api/v1/servers/localhost/zones/bad.test."})
        with bad_server(moved) as server:
            driver = bad_driver(server.url, monkeypatch, tmp_path, key="the-real-key")
            with pytest.raises(DriverError, match=f"answered {status}, a redirect to {elsewhere.url}/api/v1/"):
                driver.read({"spf"})
            (result,) = driver.apply([create(spf("bad.test", "v=spf1 -all"))])
    assert not result.ok and "redirects are not followed" in result.message
    assert elsewhere.requests == []
    assert all(r.headers.get("X-API-Key") == "the-real-key" for r in server.requests)


@pytest.mark.parametrize("answer", [
    Answer(200), Answer(200, b"{}"), Answer(302, headers={"Location": "http://127.0.0.2/"}), Answer(201),
])
def test_a_write_answered_with_anything_but_204_is_not_success(
    answer: Answer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    zone = json_answer(200, EMPTY_ZONE)
    with bad_server(zone, zone, answer) as server:  # read, the check right before the write, the write
        (result,) = bad_driver(server.url, monkeypatch, tmp_path).apply([create(spf("bad.test", "v=spf1 -all"))])
    assert [r.method for r in server.requests] == ["GET", "GET", "PATCH"]
    assert not result.ok
    assert "not 204 No Content" in result.message or "redirects are not followed" in result.message


def test_an_oversized_answer_is_cut_off_while_streaming(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with bad_server(endless_body) as server, pytest.raises(DriverError, match="larger than 16777216 bytes"):
        bad_driver(server.url, monkeypatch, tmp_path).read({"spf"})


def test_a_server_that_accepts_and_never_answers_is_bounded_by_the_deadline(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with bad_server(never_answers) as server, pytest.raises(DriverError, match="no answer within the deadline of 0.5 s"):
        bad_driver(server.url, monkeypatch, tmp_path, timeout=30, deadline=0.5).read({"spf"})


def test_429_with_retry_after_then_success_reads_the_zone(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with bad_server(Answer(429, headers={"Retry-After": "0"}), json_answer(200, EMPTY_ZONE)) as server:
        assert bad_driver(server.url, monkeypatch, tmp_path).read({"spf"}) == []
    assert len(server.requests) == 2


def test_a_503_storm_ends_after_bounded_attempts_with_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    storm = Answer(503, b"Service Unavailable", {"Retry-After": "0"})
    with bad_server(storm) as server, pytest.raises(DriverError) as raised:
        bad_driver(server.url, monkeypatch, tmp_path).read({"spf"})
    assert len(server.requests) == 4
    assert str(raised.value) == (
        f"PowerDNS at {server.url}: GET {server.url}/api/v1/servers/localhost/zones/bad.test. "
        "answered 503 4 times in a row: Service Unavailable"
    )


@pytest.mark.parametrize("key", ["abc\ndef", "abc\r\nX-Other: 1", "k\x7fey", "cl\u00e9"])
def test_an_api_key_a_header_cannot_carry_is_refused_before_sending_and_never_shown(
    key: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG), bad_server(json_answer(200, EMPTY_ZONE)) as server:
        driver = bad_driver(server.url, monkeypatch, tmp_path, key=key)
        # Two guards, whichever trips first: the secret check at resolution, and the HTTP client's header check.
        with pytest.raises(MailconfError, match=r"cannot carry|no password, key or header may hold|printable ASCII") as raised:
            driver.read({"spf"})
        (result,) = driver.apply([create(spf("bad.test", "v=spf1 -all"))])
    assert server.requests == []
    assert not result.ok
    for shown in (str(raised.value), result.message, caplog.text):
        assert key not in shown


def test_plain_http_to_another_machine_warns_when_the_driver_starts(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        bad_driver("http://pdns.example:8081", monkeypatch, tmp_path).close()
        bad_driver("https://pdns.example", monkeypatch, tmp_path).close()
        bad_driver("http://127.0.0.1:8081", monkeypatch, tmp_path).close()
    assert [r.getMessage() for r in caplog.records] == [
        "http://pdns.example:8081 is plain http:// to another machine: the credential crosses the network "
        "unencrypted; use https://"
    ]


def test_an_error_echoing_the_api_key_is_quoted_with_the_key_masked(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    echo = json_answer(401, '{"error": "API key the-real-key is not valid"}')
    with bad_server(echo) as server, pytest.raises(DriverError) as raised:
        bad_driver(server.url, monkeypatch, tmp_path, key="the-real-key").read({"spf"})
    assert str(raised.value) == (
        f"PowerDNS at {server.url} rejected the API key (401: API key (redacted) is not valid): "
        "check api_key against the server's api-key"
    )


def test_an_https_to_http_redirect_is_refused_and_the_key_is_sent_once_over_https(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    seen: list[httpx.Request] = []

    def downgrade(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(301, headers={"Location": str(request.url.copy_with(scheme="http"))})

    monkeypatch.setenv("MAILCONF_TEST_BAD_KEY", "the-real-key")
    settings = {"url": "https://pdns.example", "api_key": "${env:MAILCONF_TEST_BAD_KEY}", "zones": ["bad.test"]}
    driver = PowerDnsDriver(
        PowerDnsDriver.Settings.model_validate(settings), DriverContext(base_dir=tmp_path, target="dns"),
        transport=httpx.MockTransport(downgrade),
    )
    with pytest.raises(DriverError, match=r"answered 301, a redirect to http://pdns\.example/api/v1/.*not followed"):
        driver.read({"spf"})
    assert [(r.url.scheme, r.headers["X-API-Key"]) for r in seen] == [("https", "the-real-key")]
