"""Schema messages a user can act on: other tools' words for a key, values of the wrong shape, the version."""

from __future__ import annotations

import pytest

from mailconf.validate import validate

from conftest import CLEAN, marked

ACCOUNT = "  b:\n    address: b@acme.example\n    preset: gmail\n"


def _one(write, text: str):
    text, [(line, column)] = marked(text)
    [d] = validate([write(text)]).diagnostics
    assert (d.code, d.line, d.column) == ("schema", line, column)
    return d.message


@pytest.mark.parametrize(
    ("line", "meant"),
    [
        ("    ^smtp: {host: s.acme.example}\n", "'outgoing'"),
        ("    ^SMTP: {host: s.acme.example}\n", "'outgoing'"),
        ("    ^imap: {host: i.acme.example}\n", "'incoming'"),
        ("    ^pop3: {host: p.acme.example}\n", "'incoming'"),
        ("    ^user: bee\n", "'username'"),
        ("    ^login: bee\n", "'username'"),
        ("    ^email: b@acme.example\n", "'address'"),
        ("    ^E-Mail: b@acme.example\n", "'address'"),
        ("    ^mail: b@acme.example\n", "'address'"),
        ("    ^display-name: Bee\n", "'display_name'"),
        ("    ^defualt_outgoing: true\n", "'default_outgoing'"),  # a typo: the nearest allowed key
        ("    outgoing: {^server: s.acme.example}\n", "'host'"),
        ("    outgoing: {^hostname: s.acme.example}\n", "'host'"),
        ("    outgoing: {^ssl: tls}\n", "'security'"),
        ("    outgoing: {^tls: tls}\n", "'security'"),
        ("    incoming: {^encryption: tls}\n", "'security'"),
        ("    incoming: {^securty: tls}\n", "'security'"),
    ],
)
def test_unknown_key_names_the_key_meant(write, line, meant):
    message = _one(write, CLEAN + ACCOUNT + line)
    assert message.startswith("unknown key") and f"did you mean {meant}?" in message


@pytest.mark.parametrize(
    ("line", "where"),
    [
        ("    ^host: s.acme.example\n", "it belongs inside 'outgoing' or inside 'incoming'"),
        ("    ^port: 587\n", "it belongs inside 'outgoing' or inside 'incoming'"),
        ("    outgoing: {^username: bee}\n", "did you mean 'username'? It belongs one level up, beside 'outgoing'"),
        ("    outgoing: {^user: bee}\n", "did you mean 'username'? It belongs one level up, beside 'outgoing'"),
    ],
)
def test_unknown_key_at_the_wrong_level_says_where_it_belongs(write, line, where):
    assert where in _one(write, CLEAN + ACCOUNT + line)


def test_unknown_key_with_nothing_near_lists_the_allowed_keys(write):
    message = _one(write, CLEAN + ACCOUNT + "    ^colour: blue\n")
    assert message.endswith("allowed here: protect, address, display_name, username, password, preset, outgoing, incoming, signature, salutation, reply_to, notify_if_unreplied, default_outgoing, default_incoming")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        # a mapping where a string belongs: `- include: x` is the classic SPF slip
        ("spf:\n  acme.example:\n    mechanisms:\n      - ^include: spf.example\n", "mechanisms[0]: expected a string, found a mapping (include: spf.example): YAML reads `include: spf.example` as a mapping; write `include:spf.example`"),
        ("spf:\n  acme.example:\n    mechanisms: [^ip4: 192.0.2.1]\n", "found a mapping (ip4: 192.0.2.1)"),
        ("spf:\n  acme.example:\n    mechanisms: [^-all: x]\n", "write `-all:x`"),
        (ACCOUNT.replace("preset: gmail", "outgoing: {host: ^{name: s.acme.example}}"), "host: expected a string, found a mapping (name: s.acme.example): write the string itself (`host: s.acme.example`)"),
        (ACCOUNT + "    display_name: ^{first: B, last: C}\n", "display_name: expected a string, found a mapping ({first: B, last: C})"),
        # a list where a mapping or a string belongs
        (ACCOUNT + "    outgoing: ^[s.acme.example, 587]\n", "outgoing: expected a mapping (host, port, security, auth), found a list ([s.acme.example, 587])"),
        (ACCOUNT + "    outgoing:\n      ^- host: s.acme.example\n      - port: 587\n", "found a list ([host: s.acme.example, port: 587]): write its keys without the leading '- '"),
        (ACCOUNT + "    display_name: ^[B, C]\n", "display_name: expected a string, found a list ([B, C]): give one value, not a list"),
        ("team_inboxes:\n  t: {account: office, members: ^{E1: x}}\n", "members: expected a list, found a mapping (E1: x)"),
        # a scalar where a mapping belongs: no pydantic class names
        ("  b: ^just-a-string\n", "b: expected a mapping (protect, address, display_name, username, password, preset, ...), found a string (just-a-string)"),
        ("targets:\n  t: {driver: sqlite, settings: ^[path]}\n", "settings: expected a mapping, found a list ([path])"),
        # a value YAML reads as a date where text belongs
        (ACCOUNT + "    display_name: ^2024-01-31\n", "display_name: expected a string, found a date (2024-01-31): quote it ('2024-01-31')"),
        (ACCOUNT + "    signature: ^2024-01-31 10:00:00\n", "signature: expected a string, found a date (2024-01-31T10:00:00): quote it"),
    ],
)
def test_value_of_the_wrong_shape_says_what_was_expected_and_found(write, text, words):
    message = _one(write, CLEAN + text)
    assert words in message and "instance of" not in message and "dictionary" not in message


def test_a_manifest_without_version_says_which_versions_are_read(write):
    message = _one(write, "^accounts: {}\n")
    assert message == "version is required: this mailconf reads version 1; add `version: 1` at the top"
