"""`mailconf discover` against a real DNS server (Knot) and loopback HTTP servers, hostile ones included."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from badhttp import Answer, bad_server, endless_body, never_answers
from mailconf.cli import main
from mailconf.discover.clientconfig import ADDRESS, LOCAL_PART, Server, render
from mailconf.discover.fetch import AUTOCONFIG_URLS, autoconfig_urls, ispdb_url
from spf.conftest import silent_nameserver  # noqa: F401 - the fixture: a DNS server that never answers

SCHEMA = json.loads((Path(__file__).parents[2] / "schemas" / "manifest.schema.json").read_text(encoding="utf-8"))
NOT_FOUND = Answer(404, b"not found")
OWN = [
    Server("imap", "imap.full.disc.test", 993, "tls", ADDRESS, ("password-cleartext",)),
    Server("smtp", "smtp.full.disc.test", 465, "tls", ADDRESS, ("password-cleartext",)),
]
ISPDB = [
    Server("pop3", "pop.isp.test", 995, "tls", LOCAL_PART, ("password-cleartext",)),
    Server("smtp", "smtp.isp.test", 587, "starttls", LOCAL_PART, ("password-cleartext",)),
]


def xml(domain: str, servers: list[Server]) -> Answer:
    return Answer(200, render(domain, servers).encode(), {"Content-Type": "text/xml"})


def discover(capsys: pytest.CaptureFixture[str], domain: str, nameserver: str, autoconfig: str, ispdb: str, *extra: str) -> tuple[int, str]:
    code = main([
        "discover", domain, "--nameserver", nameserver, "--timeout", "1",
        "--autoconfig-url", autoconfig + "/{domain}/mail/config-v1.1.xml", "--ispdb", ispdb + "/v1.1/", *extra,
    ])
    captured = capsys.readouterr()
    assert "internal error" not in captured.err  # a failing source is reported, not an unexpected exception
    return code, captured.out


def as_json(capsys: pytest.CaptureFixture[str], domain: str, nameserver: str, autoconfig: str, ispdb: str) -> tuple[int, dict]:
    code, out = discover(capsys, domain, nameserver, autoconfig, ispdb, "--format", "json")
    return code, json.loads(out)


def assert_valid_block(accounts: dict) -> None:
    jsonschema.validate({"version": 1, "accounts": accounts}, SCHEMA)


def test_every_source_of_a_domain_that_publishes_everything(capsys: pytest.CaptureFixture[str], nameserver: str) -> None:
    with bad_server(xml("full.disc.test", OWN)) as own, bad_server(xml("full.disc.test", ISPDB)) as isp:
        code, data = as_json(capsys, "Full.Disc.Test.", nameserver, own.url, isp.url)
    assert code == 0
    assert [r.path for r in own.requests] == ["/full.disc.test/mail/config-v1.1.xml"]
    assert [r.path for r in isp.requests] == ["/v1.1/full.disc.test"]
    assert data["version"] == 1 and data["domain"] == "full.disc.test"
    sources = data["sources"]
    assert {name: s["status"] for name, s in sources.items()} == dict.fromkeys(["mx", "srv", "autoconfig", "ispdb", "spf", "dmarc"], "found")
    assert sources["mx"]["hosts"] == ["mx1.full.disc.test", "mx2.full.disc.test"] and sources["mx"]["presets"] == []
    assert [(s["service"], s["offered"], [(t["host"], t["port"]) for t in s["targets"]]) for s in sources["srv"]["services"]] == [
        ("_submission._tcp", True, [("smtp.full.disc.test", 587)]),
        ("_imaps._tcp", True, [("imap.full.disc.test", 993)]),
        ("_imap._tcp", True, [("imap.full.disc.test", 143)]),
        ("_pop3._tcp", False, []),
    ]
    assert sources["autoconfig"]["servers"] == [s.to_dict() for s in OWN]
    assert sources["ispdb"]["servers"] == [s.to_dict() for s in ISPDB]
    assert sources["spf"]["record"] == "v=spf1 mx include:_spf.provider.test -all"
    assert sources["dmarc"]["record"].startswith("v=DMARC1; p=quarantine")
    # The domain's own document outranks the ISPDB and SRV.
    assert data["account_from"] == "autoconfig"
    assert data["account"] == {"mailbox": {
        "address": "mailbox@full.disc.test", "password": "${env:MAILBOX_PASSWORD}",
        "outgoing": {"host": "smtp.full.disc.test", "port": 465, "security": "tls"},
        "incoming": {"protocol": "imap", "host": "imap.full.disc.test", "port": 993, "security": "tls"},
    }}
    assert_valid_block(data["account"])


def test_yaml_output_is_an_account_block_that_validates(capsys: pytest.CaptureFixture[str], nameserver: str, tmp_path: Path) -> None:
    with bad_server(NOT_FOUND) as own, bad_server(xml("full.disc.test", ISPDB)) as isp:
        code, out = discover(capsys, "full.disc.test", nameserver, own.url, isp.url)
    assert code == 0
    block = yaml.safe_load(out)
    assert block["accounts"]["mailbox"]["username"] == "mailbox"  # the ISPDB says %EMAILLOCALPART%
    assert block["accounts"]["mailbox"]["incoming"] == {"protocol": "pop3", "host": "pop.isp.test", "port": 995, "security": "tls"}
    assert_valid_block(block["accounts"])
    manifest = tmp_path / "mailconf.yaml"
    manifest.write_text(out + "primary_sender: mailbox\nversion: 1\n", encoding="utf-8")
    assert main(["validate", str(manifest)]) == 0
    for name in ("mx", "srv", "autoconfig", "ispdb", "spf", "dmarc"):
        assert f"# {name}: " in out


def test_srv_records_alone_give_the_block_best_target_first(capsys: pytest.CaptureFixture[str], nameserver: str) -> None:
    with bad_server(NOT_FOUND) as own, bad_server(NOT_FOUND) as isp:
        code, data = as_json(capsys, "srvonly.disc.test", nameserver, own.url, isp.url)
    assert code == 0
    services = {s["service"]: s for s in data["sources"]["srv"]["services"]}
    assert [t["host"] for t in services["_imaps._tcp"]["targets"]] == ["imap1.srvonly.disc.test", "imap2.srvonly.disc.test"]
    assert services["_imap._tcp"]["offered"] is False
    assert data["sources"]["autoconfig"]["status"] == data["sources"]["ispdb"]["status"] == "none"
    assert data["account_from"] == "srv"
    account = data["account"]["mailbox"]
    assert account["outgoing"] == {"host": "smtp.srvonly.disc.test", "port": 587, "security": "starttls"}
    assert account["incoming"] == {"protocol": "imap", "host": "imap1.srvonly.disc.test", "port": 993, "security": "tls"}
    assert_valid_block(data["account"])


@pytest.mark.parametrize("domain, preset", [("google.disc.test", "gmail"), ("google2.disc.test", "gmail"), ("ms.disc.test", "microsoft365")])
def test_a_provider_mx_means_its_preset(capsys: pytest.CaptureFixture[str], nameserver: str, domain: str, preset: str) -> None:
    with bad_server(NOT_FOUND) as own, bad_server(NOT_FOUND) as isp:
        code, data = as_json(capsys, domain, nameserver, own.url, isp.url)
    assert code == 0
    assert data["sources"]["mx"]["presets"] == [preset]
    assert data["account_from"] == "mx"
    assert data["account"] == {"mailbox": {"address": f"mailbox@{domain}", "password": "${env:MAILBOX_PASSWORD}", "preset": preset}}
    assert_valid_block(data["account"])


def test_a_lookalike_mx_is_no_preset(capsys: pytest.CaptureFixture[str], nameserver: str) -> None:
    with bad_server(NOT_FOUND) as own, bad_server(NOT_FOUND) as isp:
        code, data = as_json(capsys, "lookalike.disc.test", nameserver, own.url, isp.url)
    assert code == 0  # MX records were found
    assert data["sources"]["mx"]["presets"] == [] and data["account"] is None


@pytest.mark.parametrize("domain", ["nothing.disc.test", "nullmx.disc.test", "absent.disc.test"])
def test_nothing_found_exits_1(capsys: pytest.CaptureFixture[str], nameserver: str, domain: str) -> None:
    with bad_server(NOT_FOUND) as own, bad_server(Answer(410)) as isp:
        code, data = as_json(capsys, domain, nameserver, own.url, isp.url)
    assert code == 1
    assert {s["status"] for s in data["sources"].values()} == {"none"}
    assert data["account"] is None


def test_the_second_autoconfig_place_serves_when_the_first_has_none(capsys: pytest.CaptureFixture[str], nameserver: str) -> None:
    with bad_server(NOT_FOUND) as first, bad_server(xml("full.disc.test", OWN)) as second, bad_server(NOT_FOUND) as isp:
        code = main([
            "discover", "full.disc.test", "--nameserver", nameserver, "--format", "json", "--ispdb", isp.url,
            "--autoconfig-url", first.url + "/{domain}", "--autoconfig-url", second.url + "/{domain}",
        ])
    data = json.loads(capsys.readouterr().out)
    assert code == 0 and data["sources"]["autoconfig"]["url"] == second.url + "/full.disc.test"
    assert data["sources"]["autoconfig"]["servers"] == [s.to_dict() for s in OWN]


def test_the_first_autoconfig_place_wins_when_both_serve(capsys: pytest.CaptureFixture[str], nameserver: str) -> None:
    with bad_server(xml("full.disc.test", OWN)) as first, bad_server(xml("full.disc.test", ISPDB)) as second, bad_server(NOT_FOUND) as isp:
        code = main([
            "discover", "full.disc.test", "--nameserver", nameserver, "--format", "json", "--ispdb", isp.url,
            "--autoconfig-url", first.url + "/{domain}", "--autoconfig-url", second.url + "/{domain}",
        ])
    data = json.loads(capsys.readouterr().out)
    assert code == 0 and data["sources"]["autoconfig"]["url"] == first.url + "/full.disc.test"


BILLION_LAUGHS = b"""<?xml version="1.0"?><!DOCTYPE clientConfig [<!ENTITY a "aaaaaaaaaa">
<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>
<clientConfig><emailProvider id="x"><displayName>&c;</displayName></emailProvider></clientConfig>"""


@pytest.mark.parametrize(
    "hostile, reason",
    [
        (Answer(200, BILLION_LAUGHS), "DTD"),
        (Answer(200, b"<clientConfig><emailProvider>"), "not well-formed"),
        (Answer(200, b"<clientConfig>" + b" " * 300_000 + b"</clientConfig>"), "larger than"),
        (endless_body, "larger than"),
        (never_answers, "no answer"),
        (Answer(301, b"", {"Location": "https://elsewhere.test/config.xml"}), "redirect"),
        (Answer(500, b"oops"), "answered 500"),
    ],
    ids=["billion-laughs", "malformed", "oversized", "endless", "never-answers", "redirect", "server-error"],
)
def test_a_hostile_document_fails_its_source_only(capsys: pytest.CaptureFixture[str], nameserver: str, hostile: object, reason: str) -> None:
    with bad_server(hostile) as own, bad_server(hostile) as isp:  # type: ignore[arg-type]
        code, data = as_json(capsys, "full.disc.test", nameserver, own.url, isp.url)
    for name in ("autoconfig", "ispdb"):
        source = data["sources"][name]
        assert source["status"] == "failed" and reason in source["error"], source
    assert code == 0 and data["account_from"] == "srv"  # DNS still answered


def test_a_dead_nameserver_fails_the_dns_sources_without_a_traceback(capsys: pytest.CaptureFixture[str], silent_nameserver: str) -> None:  # noqa: F811
    with bad_server(NOT_FOUND) as own, bad_server(NOT_FOUND) as isp:
        code, out = discover(capsys, "full.disc.test", silent_nameserver, own.url, isp.url)
    assert code == 1
    for name in ("mx", "srv", "spf", "dmarc"):
        assert f"# {name}: failed: DNS timeout for " in out
    assert "no account block" in out


def test_yaml_comments_cannot_be_broken_out_of(capsys: pytest.CaptureFixture[str], nameserver: str) -> None:
    """An error quoting a server's body (here with line breaks and YAML) stays inside its comment."""
    body = b"nope\naccounts:\n  evil: {address: evil@evil.test}\n"
    with bad_server(Answer(500, body)) as own, bad_server(NOT_FOUND) as isp:
        code, out = discover(capsys, "srvonly.disc.test", nameserver, own.url, isp.url)
    assert code == 0
    assert list(yaml.safe_load(out)["accounts"]) == ["mailbox"]


@pytest.mark.parametrize("option", ["--ispdb", "--autoconfig-url"])
@pytest.mark.parametrize("url", ["http://isp.example/v1.1/", "ftp://127.0.0.1/x", "file:///etc/passwd", "https://", "127.0.0.1/v1.1"])
def test_urls_must_be_https_or_loopback_http(capsys: pytest.CaptureFixture[str], option: str, url: str) -> None:
    assert main(["discover", "acme.example", option, url]) == 1
    assert "use an https:// URL" in capsys.readouterr().err


@pytest.mark.parametrize("domain", ["not a domain", "-acme.example", "acme", "a..b", "x" * 64 + ".example"])
def test_a_bad_domain_is_a_usage_error(capsys: pytest.CaptureFixture[str], domain: str) -> None:
    assert main(["discover", "--", domain]) == 1
    assert "is not a domain name" in capsys.readouterr().err


def test_the_standard_places() -> None:
    assert autoconfig_urls("acme.example", AUTOCONFIG_URLS) == [
        "https://autoconfig.acme.example/mail/config-v1.1.xml",
        "https://acme.example/.well-known/autoconfig/mail/config-v1.1.xml",
    ]
    assert ispdb_url("acme.example") == "https://autoconfig.thunderbird.net/v1.1/acme.example"
    assert ispdb_url("acme.example", "http://127.0.0.1:8080/ispdb") == "http://127.0.0.1:8080/ispdb/acme.example"
