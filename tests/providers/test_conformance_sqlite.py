"""The sqlite driver passes the driver conformance suite (`mailconf.testing`), every kind."""

from __future__ import annotations

import pytest

from mailconf.driver import Resource
from mailconf.testing import DriverConformance, Sample, TargetUnderTest

PASSWORDS = {"CONF_PW_OFFICE": "office-Secret-1", "CONF_PW_SALES": "sales-Secret-2", "CONF_PW_ANNA": "anna-Secret-3"}

OFFICE = {
    "address": "office@acme.example", "password": "${env:CONF_PW_OFFICE}", "default_outgoing": True, "default_incoming": True,
    "outgoing": {"host": "smtp.acme.example", "port": 465, "security": "tls"},
    "incoming": {"host": "imap.acme.example", "port": 993, "security": "tls"},
}  # fmt: skip
ANNA = {
    "address": "anna@acme.example", "password": "${env:CONF_PW_ANNA}",
    "outgoing": {"host": "smtp.acme.example", "port": 587, "security": "starttls"},
    "incoming": {"host": "imap.acme.example", "port": 143, "security": "starttls"},
}  # fmt: skip
# What every kind but spf needs: the manifest rules want accounts and a primary sender that can send.
ACCOUNTS = {"accounts": {"office": OFFICE, "anna": ANNA}, "primary_sender": "office"}

SALES = {
    "address": "sales@acme.example",
    "display_name": "ACME Verkauf",
    "username": "sales@acme.example",
    "password": "${env:CONF_PW_SALES}",
    "outgoing": {"host": "smtp.acme.example", "port": 587, "security": "starttls", "auth": True},
    "incoming": {"protocol": "pop3", "host": "pop.acme.example", "port": 995, "security": "tls", "folder": "Eingang"},
    "signature": "ACME GmbH · Hauptstraße 1\n10115 Berlin",
    "salutation": "Guten Tag",
    "reply_to": "office@acme.example",
    "notify_if_unreplied": {"minutes": 240, "recipient": "anna@acme.example"},
}

# What the target refuses: its foreign keys (a name it does not hold) and NOT NULL columns.
REFUSED = {
    "account": Resource("account", "nameless", {**{f: None for f in ("display_name", "username", "password", "outgoing", "incoming", "signature", "salutation", "reply_to", "notify_if_unreplied")}, "address": None, "default_outgoing": False, "default_incoming": False}),
    "primary_sender": Resource("primary_sender", "primary", {"account": "nobody"}),
    "project": Resource("project", "ghost", {"senders": {"invoice": "nobody"}}),
    "employee": Resource("employee", "E999", {"name": "Nobody", "mailbox": "nobody"}),
    "team_inbox": Resource("team_inbox", "ghost", {"account": "nobody", "members": [], "sender_name": None}),
    "spf": Resource("spf", "ghost.example", {"record": None, "chained": {}}),
}  # fmt: skip

SAMPLES = {
    "account": Sample(
        refused=REFUSED["account"],
        needs=ACCOUNTS,
        declare={"accounts": {"sales": SALES}},
        update={"accounts": {"sales": {"signature": "ACME GmbH"}}},
    ),
    "primary_sender": Sample(refused=REFUSED["primary_sender"], declare=ACCOUNTS, update={"primary_sender": "anna"}),
    "project": Sample(
        refused=REFUSED["project"],
        needs=ACCOUNTS,
        declare={"projects": {"webshop": {"senders": {"invoice": "office", "tracking": "anna"}}}},
        update={"projects": {"webshop": {"senders": {"tracking": "office"}}}},
    ),
    "employee": Sample(
        refused=REFUSED["employee"],
        needs=ACCOUNTS,
        declare={"employees": {"E001": {"name": "Anna Schmidt", "mailbox": "anna"}, "E002": {"name": "Jörg Weiß"}}},
        update={"employees": {"E002": {"name": "Jörg Weiss"}}},
    ),
    "team_inbox": Sample(
        refused=REFUSED["team_inbox"],
        needs={**ACCOUNTS, "employees": {"E001": {"name": "Anna Schmidt"}, "E002": {"name": "Ben Braun"}}},
        declare={"team_inboxes": {"office": {"account": "office", "members": ["E002", "E001"], "sender_name": "ACME Büro"}}},
        update={"team_inboxes": {"office": {"sender_name": "ACME Office"}}},
    ),
    "spf": Sample(
        refused=REFUSED["spf"],
        declare={"spf": {"acme.example": {"mechanisms": ["include:spf.protection.outlook.com", "ip4:192.0.2.1"], "all": "fail"}}},
        update={"spf": {"acme.example": {"all": "softfail"}}},
    ),
}


class TestSqliteConformance(DriverConformance):
    driver = "sqlite"

    @pytest.fixture
    def target(self) -> TargetUnderTest:
        return TargetUnderTest(settings={"path": "live.db"}, samples=SAMPLES, env=PASSWORDS)
