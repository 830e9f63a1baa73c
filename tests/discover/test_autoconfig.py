"""`mailconf autoconfig`: the document a domain serves, read back through discover's own parser."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from badhttp import Answer, bad_server
from mailconf.cli import main
from mailconf.discover.clientconfig import ADDRESS, LOCAL_PART, Server, parse

MANIFEST = """\
version: 1
primary_sender: invoices
accounts:
  invoices:      # the preset's servers
    address: invoices@acme.example
    preset: microsoft365
    password: ${env:A}
  support:
    address: Support@ACME.example
    username: support@acme.example
    preset: microsoft365
    password: ${env:B}
  shop:          # its own servers, logs in with the local part, POP3, sends without auth
    address: shop@acme.example
    username: shop
    password: ${env:C}
    outgoing: {host: relay.acme.example, port: 25, security: none, auth: false}
    incoming: {protocol: pop3, host: POP.acme.example., port: 995}
  other:         # another domain
    address: info@other.example
    outgoing: {host: smtp.other.example, port: 465}
    incoming: null
    password: ${env:D}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mailconf.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_document_round_trips_most_used_servers_first(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifest = write(tmp_path, MANIFEST)
    out = tmp_path / "config-v1.1.xml"
    assert main(["autoconfig", "ACME.example.", str(manifest), "-o", str(out)]) == 0
    assert capsys.readouterr().err == ""
    assert parse(out.read_bytes(), "acme.example") == [
        Server("imap", "outlook.office365.com", 993, "tls", ADDRESS, ("password-cleartext",)),
        Server("pop3", "pop.acme.example", 995, "tls", LOCAL_PART, ("password-cleartext",)),
        Server("smtp", "smtp.office365.com", 587, "starttls", ADDRESS, ("password-cleartext",)),
        Server("smtp", "relay.acme.example", 25, "none", LOCAL_PART, ("none",)),
    ]
    assert b"other.example" not in out.read_bytes()


def test_stdout_without_output_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifest = write(tmp_path, MANIFEST)
    assert main(["autoconfig", "other.example", str(manifest)]) == 0
    servers = parse(capsys.readouterr().out.encode(), "other.example")
    assert servers == [Server("smtp", "smtp.other.example", 465, "tls", ADDRESS, ("password-cleartext",))]


@pytest.mark.parametrize("username", ["billing", "shop@other.example", "shop.acme"])
def test_an_account_whose_username_cannot_be_a_template_is_left_out_and_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], username: str
) -> None:
    manifest = write(tmp_path, MANIFEST.replace("username: shop\n", f"username: {username}\n"))
    assert main(["autoconfig", "acme.example", str(manifest)]) == 0
    captured = capsys.readouterr()
    assert "left out of the document: account shop:" in captured.err and username in captured.err
    assert {s.host for s in parse(captured.out.encode(), "acme.example")} == {"outlook.office365.com", "smtp.office365.com"}


@pytest.mark.parametrize("domain", ["nowhere.example", "acme.example.org", "example"])
def test_a_domain_without_accounts_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str], domain: str) -> None:
    assert main(["autoconfig", domain, str(write(tmp_path, MANIFEST))]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and "no account in the manifest has an address at" in captured.err


def test_an_invalid_manifest_is_reported_and_nothing_written(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifest = write(tmp_path, MANIFEST.replace("port: 995", "port: 99999"))
    out = tmp_path / "config-v1.1.xml"
    assert main(["autoconfig", "acme.example", str(manifest), "-o", str(out)]) == 1
    assert not out.exists()
    assert "error" in capsys.readouterr().err


def test_what_autoconfig_publishes_discover_reads_back_as_the_same_account(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], nameserver: str
) -> None:
    """The whole loop: manifest -> config-v1.1.xml served over HTTP -> discover's account block."""
    manifest = write(tmp_path, """\
        version: 1
        primary_sender: shop
        accounts:
          shop:
            address: shop@nothing.disc.test
            username: shop
            password: ${env:C}
            outgoing: {host: smtp.nothing.disc.test, port: 587}
            incoming: {protocol: pop3, host: pop.nothing.disc.test, security: tls}
        """)
    assert main(["autoconfig", "nothing.disc.test", str(manifest)]) == 0
    document = capsys.readouterr().out.encode()
    with bad_server(Answer(200, document)) as own, bad_server(Answer(404)) as isp:
        code = main([
            "discover", "nothing.disc.test", "--nameserver", nameserver, "--format", "json",
            "--autoconfig-url", own.url + "/mail/config-v1.1.xml", "--ispdb", isp.url,
        ])
    data = json.loads(capsys.readouterr().out)
    assert code == 0 and data["account_from"] == "autoconfig"
    assert data["account"]["mailbox"] == {
        "address": "mailbox@nothing.disc.test", "password": "${env:MAILBOX_PASSWORD}", "username": "mailbox",
        "outgoing": {"host": "smtp.nothing.disc.test", "port": 587, "security": "starttls"},
        "incoming": {"protocol": "pop3", "host": "pop.nothing.disc.test", "port": 995, "security": "tls"},
    }
