"""The erpnext driver passes the driver conformance suite (`mailconf.testing`) against the Frappe
test server, whose saves log in to the real Dovecot and Postfix on loopback."""

from __future__ import annotations

import pytest
from support.frappe import FrappeServer
from support.mailservers import MailServers

from mailconf.driver import Resource
from mailconf.secrets import Secret
from mailconf.testing import DriverConformance, Sample, TargetUnderTest

ALICE, BOB = "alice@example.test", "bob@example.test"


def account(servers: MailServers, address: str, **fields: object) -> dict[str, object]:
    """A manifest account on the test mail servers: IMAP over TLS and submission with STARTTLS."""
    return {
        "address": address, "password": f"${{env:CONF_PW_{address.split('@')[0].upper()}}}",
        "outgoing": {"host": servers.host, "port": servers.smtp.submission, "security": "starttls"},
        "incoming": {"host": servers.host, "port": servers.dovecot.imaps, "security": "tls", "folder": "INBOX"},
        **fields,
    }  # fmt: skip


class TestErpNextConformance(DriverConformance):
    driver = "erpnext"

    @pytest.fixture
    def target(self, frappe_server: FrappeServer, mail_servers: MailServers) -> TargetUnderTest:
        key, secret = frappe_server.token.removeprefix("token ").split(":")
        sales = account(mail_servers, ALICE, signature="ACME GmbH, Hauptstraße 1", default_incoming=True, default_outgoing=True, notify_if_unreplied={"minutes": 240, "recipient": BOB})
        office = account(mail_servers, BOB, username=BOB)
        refused = Resource("account", "wrong", {
            "address": BOB, "username": BOB, "password": Secret("not-bob's-password"), "outgoing": None,
            "incoming": {"protocol": "pop3", "host": mail_servers.host, "port": mail_servers.dovecot.pop3s,
                         "security": "tls", "folder": "INBOX"},
            "signature": None, "notify_if_unreplied": None, "default_incoming": False})
        return TargetUnderTest(
            settings={"url": frappe_server.url, "api_key": "${env:CONF_ERP_KEY}", "api_secret": "${env:CONF_ERP_SECRET}"},
            env={"CONF_ERP_KEY": key, "CONF_ERP_SECRET": secret, "CONF_PW_ALICE": mail_servers.users[ALICE],
                 "CONF_PW_BOB": mail_servers.users[BOB]},
            samples={
                "account": Sample(
                    declare={"accounts": {"sales": sales, "office": office}, "primary_sender": "sales"},
                    update={"accounts": {"sales": {"signature": "ACME GmbH"}}},
                    refused=refused,
                ),
                "primary_sender": Sample(
                    declare={"accounts": {"sales": sales, "office": office}, "primary_sender": "sales"},
                    update={"primary_sender": "office"},
                    refused=Resource("primary_sender", "primary", {"account": "nobody"}),
                ),
            },
        )
