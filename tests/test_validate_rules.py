"""Every semantic rule: a manifest that passes it and one that fails it, at the offending value's line and column.

In a failing text, `^` marks where each expected diagnostic must point (see `conftest.marked`).
"""

from __future__ import annotations

import pytest

from mailconf import rules
from mailconf.validate import validate

from conftest import CLEAN, marked


B = "  b: {address: b@acme.example, preset: gmail, %s}\n"
# rule id -> (accounts added to the clean manifest that pass, that fail, sections after accounts, codes at the marks in order)
CASES = {
    "whitespace": (
        B % "username: b@acme.example",
        '  b: {address: ^"b@acme.example ", outgoing: {host: ^" smtp.acme.example", port: 587}, incoming: null}\n',
        "",
        ["whitespace", "whitespace"],
    ),
    "literal-secret": (
        B % 'password: "${file:b.secret}"',
        B % "password: ^hunter2",
        "targets:\n  dns: {driver: rfc2136, settings: {server: 127.0.0.1, zones: [acme.example], tsig: {name: k, secret: ^c2VjcmV0}}}\n",
        ["literal-secret", "literal-secret"],
    ),
    "secret-reference": (
        B % 'password: "${env:B_PW}"',
        B % 'password: ^"$B_PW"',
        "targets:\n  dns: {driver: rfc2136, settings: {server: 127.0.0.1, zones: [acme.example], tsig: {name: k, secret: ^'${ENV:K}'}}}\n",
        ["secret-reference", "secret-reference"],
    ),
    "endpoint": (
        "  b: {address: b@acme.example, outgoing: {host: smtp.acme.example, security: tls}, incoming: {protocol: pop3, host: pop.acme.example, port: 995}}\n",
        "  b: {address: b@acme.example, outgoing: ^{port: 587}, incoming: ^{host: imap.acme.example}}\n  c: {address: c@acme.example, preset: ^gmial}\n",
        "",
        ["endpoint"] * 3,
    ),
    "port-security": (
        "  b: {address: b@acme.example, outgoing: {host: s.acme.example, port: 25, security: none}, incoming: {host: i.acme.example, port: 143, security: starttls}}\n",
        "  b: {address: b@acme.example, outgoing: {host: s.acme.example, port: 465, security: ^starttls}, incoming: {host: i.acme.example, port: 993, security: ^none}}\n"
        "  c: {address: c@acme.example, preset: gmail, incoming: {protocol: pop3, port: 110, security: ^tls}}\n",
        "",
        ["port-security"] * 3,
    ),
    "username-differs": (B % "username: B@Acme.Example", B % "username: ^bee", "", ["username-differs"]),
    "default-accounts": (
        B % "default_outgoing: false",
        B % "default_outgoing: ^true" + "  c: {address: c@acme.example, preset: gmail, incoming: null, default_incoming: ^^true}\n",
        "",
        ["default-accounts", "default-accounts", "default-accounts"],  # second default_outgoing; second default_incoming, and it cannot receive
    ),
    "reference": (
        B % "default_outgoing: false",
        B % "outgoing: null",
        "projects: {shop: {senders: {tracking: ^shiping, invoice: ^b}}}\nemployees: {E1: {name: Ann, mailbox: ^nobody}}\n"
        "team_inboxes: {help: {account: office, members: [E1, ^E2]}}\n",
        ["reference"] * 4,
    ),
    "target-settings": (
        "",
        "",
        "targets:\n  a: {driver: ^sqlit}\n  b: {driver: sqlite, settings: {^pth: x.db}}\n  c: {driver: rfc2136, settings: {server: 127.0.0.1, zones: ^[], tsig: {name: k, secret: '${env:K}'}}}\n",
        ["target-settings"] * 3,  # unknown driver; unknown setting (at its key); too few zones
    ),
    "plain-http": (
        "",
        "",
        "targets:\n  a: {driver: powerdns, settings: {url: ^'http://pdns.acme.example:8081', api_key: '${env:K}', zones: [acme.example]}}\n"
        "  b: {driver: powerdns, settings: {url: ^HTTP://192.0.2.1, api_key: '${env:K}', zones: [acme.example]}}\n",
        ["plain-http"] * 2,
    ),
    "mailbox-conflict": (
        B % "incoming: {folder: INBOX}",
        B % "incoming: {folder: INBOX}",
        "employees: {E1: {name: Ann, mailbox: b}, E2: {name: Bob, mailbox: ^b}}\n"
        "team_inboxes: {help: {account: office}, sales: {account: ^office}, crm: {account: ^b}}\n",
        ["mailbox-conflict"] * 3,
    ),
    "account-no-server": (
        B % "outgoing: null",
        "  ^b: {address: b@acme.example}\n  ^c: {address: c@acme.example, preset: gmail, outgoing: null, incoming: null}\n",
        "",
        ["account-no-server"] * 2,
    ),
    "port-protocol": (
        "  b: {address: b@acme.example, outgoing: {host: m.acme.example, port: 2525, security: starttls}, incoming: {protocol: pop3, host: m.acme.example, port: 995}}\n",
        "  b: {address: b@acme.example, outgoing: {host: m.acme.example, port: ^993}, incoming: {host: m.acme.example, port: ^587}}\n"
        "  c: {address: c@acme.example, preset: gmail, incoming: {protocol: pop3, port: ^143}}\n",
        "",
        ["port-protocol"] * 3,
    ),
    "plaintext-password": (
        '  b: {address: b@acme.example, password: "${env:B}", outgoing: {host: r.acme.example, port: 25, security: none, auth: false}, incoming: null}\n',
        '  b: {address: b@acme.example, password: "${env:B}", outgoing: {host: r.acme.example, port: 25, security: ^none}, incoming: {host: i.acme.example, port: 143, security: ^none}}\n',
        "",
        ["plaintext-password"] * 2,
    ),
    "duplicate-address": (
        B % "display_name: B",
        B % "display_name: B" + "  c: {address: ^B@Acme.Example., preset: gmail}\n",
        "",
        ["duplicate-address"],
    ),
    "document-type": (
        "",
        "",
        "projects: {shop: {senders: {^invocie: office, ^customs: office, invoice: office}}}\n",
        ["document-type"] * 2,
    ),
    "target-kinds": (
        "",
        "",
        "projects: {shop: {senders: {invoice: office}}}\ntargets:\n  a: {driver: sqlite, kinds: ^[project]}\n  b: {driver: sqlite, kinds: [account, project]}\n",
        ["target-kinds"],
    ),
}
PASSING_SECTIONS = {
    "document-type": "document_types: [customs]\nprojects: {shop: {senders: {invoice: office, customs: office}}}\n",
    "plain-http": "targets:\n  a: {driver: powerdns, settings: {url: 'https://pdns.acme.example', api_key: '${env:K}', zones: [acme.example]}}\n"
    "  b: {driver: powerdns, settings: {url: 'http://127.0.0.1:8081', api_key: '${env:K}', zones: [acme.example]}}\n"
    "  c: {driver: powerdns, settings: {url: 'http://localhost:8081', api_key: '${env:K}', zones: [acme.example]}}\n",
    "target-settings": "targets:\n  a: {driver: sqlite, settings: {path: x.db}}\n"
    "  b: {driver: rfc2136, settings: {server: 127.0.0.1, zones: [acme.example], tsig: {name: k, secret: '${env:K}'}}}\n",
    "reference": "projects: {shop: {senders: {tracking: b}}}\nemployees: {E1: {name: Ann, mailbox: office}}\nteam_inboxes: {help: {account: b, members: [E1]}}\n",
    "mailbox-conflict": "employees: {E1: {name: Ann, mailbox: b}}\nteam_inboxes: {help: {account: office}}\n",
}


def _check(write, text: str, code: str | None = None) -> list[tuple[str, int, int]]:
    """(code, line, column) of every diagnostic, or only of those with `code`."""
    return sorted((d.code, d.line, d.column) for d in validate([write(text)]).diagnostics if code in (None, d.code))


def test_every_rule_has_cases():
    ids = {rule.ID for rule in rules.all_rules() if not rule.__name__.rsplit(".", 1)[-1].startswith("spf_")}  # SPF: tested with its rules
    assert ids == set(CASES) | {"primary-sender"}


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_passes(write, rule_id):
    assert _check(write, CLEAN + CASES[rule_id][0] + PASSING_SECTIONS.get(rule_id, "")) == []


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_fails_at_the_offending_value(write, rule_id):
    _, accounts, sections, codes = CASES[rule_id]
    text, spots = marked(CLEAN + accounts + sections)
    assert len(spots) == len(codes)
    # only this rule's diagnostics: a literal secret in a target's settings also fails target-settings
    assert _check(write, text, rule_id) == sorted((code, *spot) for code, spot in zip(codes, spots))


@pytest.mark.parametrize(
    "primary",
    [
        "",  # none declared: reported at the accounts key
        "primary_sender: ^nobody\n",  # not an account
        "primary_sender: ^b\n",  # cannot send
    ],
)
def test_primary_sender_fails(write, primary):
    base = CLEAN.replace("primary_sender: office\n", primary)
    text, spots = marked(base.replace("accounts:", "^accounts:") if not primary else base)
    text += "  b: {address: b@acme.example, preset: gmail, outgoing: null}\n"
    assert _check(write, text) == [("primary-sender", *spots[0])]


def test_primary_sender_passes(write):
    assert _check(write, CLEAN) == []


def test_preset_blocks_switched_off_cannot_be_referenced(write):
    # `outgoing: null` switches a preset's SMTP off: such an account cannot be a project's sender.
    text, [spot] = marked(CLEAN + "  b: {address: b@acme.example, preset: microsoft365, outgoing: null}\nprojects: {p: {senders: {invoice: ^b}}}\n")
    assert _check(write, text) == [("reference", *spot)]


def test_username_differs_is_a_warning(write):
    assert [d.severity.value for d in validate([write(CLEAN + B % "username: bee")]).diagnostics] == ["warning"]


@pytest.mark.parametrize(
    "account",
    [
        # Bug: with the outgoing server switched off, an unknown preset raised UnknownPresetError out of validate().
        "{address: b@acme.example, preset: ^nope, outgoing: null}",
        # Bug: with both servers complete, the preset was never looked up and a misspelt one passed.
        "{address: b@acme.example, preset: ^nope, outgoing: {host: s.acme.example, port: 587, security: starttls}, incoming: {host: i.acme.example, port: 993, security: tls}}",
    ],
)
def test_unknown_preset_is_always_a_diagnostic(write, account):
    text, [spot] = marked(CLEAN + f"  b: {account}\n")
    assert _check(write, text) == [("endpoint", *spot)]


def test_numeric_literal_secret_in_target_settings(write):
    # Bug: only strings were checked, so `api_key: 123456789` (YAML reads an int) passed.
    text, spots = marked(CLEAN + "targets:\n  t: {driver: x, settings: {api_key: ^123456789, pin_password: ^1.5, token: null, tsig_key: false}}\n")
    assert _check(write, text, "literal-secret") == [("literal-secret", *spot) for spot in spots]
