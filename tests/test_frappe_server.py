"""The Frappe test server answers over real HTTP the way a Frappe v15 site does (see the docstring of
tests/support/frappe.py), and its saves log in to the real Dovecot and Postfix fixtures."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

import pytest
from realservers import free_port

from support.frappe import FrappeServer
from support.frappe_meta import ACCOUNT, DOMAIN
from support.mailservers import MailServers

ALICE, BOB = "alice@example.test", "bob@example.test"


@dataclass
class Reply:
    status: int
    headers: Any
    text: str

    @property
    def json(self) -> Any:
        return json.loads(self.text)

    @property
    def data(self) -> Any:
        assert self.status in (200, 202), self.text
        return self.json["data"]

    @property
    def messages(self) -> list[dict[str, Any]]:
        """`_server_messages` decoded: a JSON string of a list of JSON strings."""
        return [json.loads(m) for m in json.loads(self.json.get("_server_messages", "[]"))]


def call(server: FrappeServer, method: str, path: str, body: Any = None, *, auth: str | None = "",
         params: dict[str, Any] | None = None) -> Reply:
    """One HTTP request; `auth=""` uses the fixture's key, None sends no Authorization header."""
    url = server.url + urllib.parse.quote(path)
    if params:
        url += "?" + urllib.parse.urlencode({k: v if isinstance(v, str | int) else json.dumps(v) for k, v in params.items()})
    headers = {"Content-Type": "application/json"}
    if auth is not None:
        headers["Authorization"] = auth or server.token
    request = urllib.request.Request(url, method=method, headers=headers,
                                     data=None if body is None else json.dumps(body).encode())
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return Reply(response.status, response.headers, response.read().decode())
    except urllib.error.HTTPError as error:
        return Reply(error.code, error.headers, error.read().decode())


def accounts(*name: str) -> str:
    """The path of the Email Account list, or of one account."""
    return "/".join(["/api/resource/Email Account", *name])


def offline(**fields: Any) -> dict[str, Any]:
    """An account whose save does not log in (awaiting_password), on a host nothing resolves."""
    return {"email_id": ALICE, "enable_outgoing": 1, "smtp_server": "mail.example.invalid", "smtp_port": 587,
            "use_tls": 1, "awaiting_password": 1, **fields}


def live(servers: MailServers, incoming: str = "imaps", outgoing: str = "submission", **fields: Any) -> dict[str, Any]:
    """An account on the real mail servers: `incoming` is a Dovecot port name, `outgoing` a Postfix one."""
    doc: dict[str, Any] = {"email_id": ALICE, "password": servers.users[ALICE]}
    if incoming:
        doc.update(enable_incoming=1, email_server="127.0.0.1", incoming_port=getattr(servers.dovecot, incoming),
                   use_imap=int(incoming.startswith("imap")), use_ssl=int(incoming.endswith("s")),
                   use_starttls=int(incoming == "imap"), imap_folder=[{"folder_name": "INBOX"}])
    if outgoing:
        doc.update(enable_outgoing=1, smtp_server="127.0.0.1", smtp_port=getattr(servers.smtp, outgoing),
                   use_tls=int(outgoing == "submission"), use_ssl_for_outgoing=int(outgoing == "submissions"))
    doc.update(fields)
    return doc


def assert_error(reply: Reply, status: int, exc_type: str, text: str) -> dict[str, Any]:
    """The reply is Frappe's error body for `exc_type`, and its red message holds `text`; returns that message."""
    assert reply.status == status, reply.text
    assert reply.json["exc_type"] == exc_type, reply.text
    raised = [m for m in reply.messages if m.get("raise_exception")]
    assert raised and text in raised[-1]["message"], reply.messages
    assert raised[-1]["indicator"] == "red"
    return raised[-1]


# --- auth and permissions ---


def test_a_token_or_basic_credentials_authenticate(frappe_server: FrappeServer) -> None:
    key, secret = frappe_server.token.removeprefix("token ").split(":")
    basic = "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()
    for auth in (frappe_server.token, basic, frappe_server.token.replace("token", "Token")):
        assert call(frappe_server, "GET", accounts(), auth=auth).data == []
    assert call(frappe_server, "GET", "/api/v1/resource/Email Account/").data == []  # the v1 mount, a trailing slash


def test_wrong_credentials_are_refused_with_401(frappe_server: FrappeServer) -> None:
    key, secret = frappe_server.token.removeprefix("token ").split(":")
    wrong = [f"token {key}:{secret}x", f"token {key}:{secret[:-1]}", f"token {key}x:{secret}", f"token {key}",
             f"token {secret}:{key}", f"Bearer {key}:{secret}",
             "Basic " + base64.b64encode(f"{key}:wrong".encode()).decode()]
    for auth in wrong:
        reply = call(frappe_server, "GET", accounts(), auth=auth)
        assert (reply.status, reply.json["exc_type"]) == (401, "AuthenticationError"), auth


def test_without_credentials_or_the_role_the_answer_is_403(frappe_server: FrappeServer) -> None:
    frappe_server.site.seed(ACCOUNT, offline())
    frappe_server.site.add_api_key("inbox", "user-secret", user="inbox@example.test", roles=["Inbox User"])
    inbox = "token inbox:user-secret"
    assert call(frappe_server, "GET", accounts("Alice"), auth=inbox).data["email_id"] == ALICE
    refused = [
        call(frappe_server, "GET", accounts(), auth=None),
        call(frappe_server, "POST", accounts(), offline(email_id=BOB), auth=inbox),
        call(frappe_server, "PUT", accounts("Alice"), {"signature": "x"}, auth=inbox),
        call(frappe_server, "DELETE", accounts("Alice"), auth=inbox),
        call(frappe_server, "GET", "/api/resource/Email Domain", auth=inbox),
    ]
    for reply in refused:
        assert (reply.status, reply.json["exc_type"]) == (403, "PermissionError"), reply.text
        assert reply.json["_error_message"].startswith("No permission for Email")
    assert frappe_server.site.names(ACCOUNT) == ["Alice"]


# --- reading ---


def test_a_list_holds_names_only_and_pages_by_20(frappe_server: FrappeServer) -> None:
    names = [frappe_server.site.seed(ACCOUNT, offline(email_id=f"user{i:02}@example.test")) for i in range(25)]
    newest_first = names[::-1]
    page = call(frappe_server, "GET", accounts()).data
    assert page == [{"name": name} for name in newest_first[:20]]
    assert call(frappe_server, "GET", accounts(), params={"limit_start": 20}).data == [
        {"name": name} for name in newest_first[20:]]
    assert len(call(frappe_server, "GET", accounts(), params={"limit_page_length": 0}).data) == 25
    assert len(call(frappe_server, "GET", accounts(), params={"limit": 7}).data) == 7
    ordered = call(frappe_server, "GET", accounts(), params={"order_by": "name asc", "limit": 3}).data
    assert ordered == [{"name": name} for name in sorted(names)[:3]]


def test_a_list_returns_the_fields_asked_for_with_database_types(frappe_server: FrappeServer) -> None:
    frappe_server.site.seed(ACCOUNT, offline(), password="alice-pw")
    rows = call(frappe_server, "GET", accounts(),
                params={"fields": ["name", "enable_outgoing", "smtp_port", "password", "login_id"]}).data
    assert rows == [{"name": "Alice", "enable_outgoing": 1, "smtp_port": "587", "password": "********",
                     "login_id": None}]
    everything = call(frappe_server, "GET", accounts(), params={"fields": ["*"]}).data[0]
    assert everything["email_id"] == ALICE and everything["docstatus"] == 0 and "imap_folder" not in everything


@pytest.mark.parametrize("filters", [
    [["enable_incoming", "=", 1]],
    [["Email Account", "enable_incoming", "=", "1"]],
    {"enable_incoming": 1},
    {"enable_incoming": ["!=", 0]},
    [["email_id", "=", "BOB@Example.TEST"]],
    [["email_id", "like", "bob%"]],
    [["email_id", "in", [BOB, "carol@example.test"]]],
    [["email_id", "not in", [ALICE]]],
    [["email_server", "is", "set"]],
], ids=repr)
def test_filters_select_the_matching_documents(frappe_server: FrappeServer, filters: Any) -> None:
    frappe_server.site.seed(ACCOUNT, offline())
    frappe_server.site.seed(ACCOUNT, offline(email_id=BOB, enable_incoming=1, email_server="imap.example.invalid"))
    assert call(frappe_server, "GET", accounts(), params={"filters": filters}).data == [{"name": "Bob"}]


def test_an_unknown_column_is_a_database_error(frappe_server: FrappeServer) -> None:
    for params in ({"fields": ["smtp_host"]}, {"filters": [["smtp_host", "=", "x"]]}):
        reply = call(frappe_server, "GET", accounts(), params=params)
        assert (reply.status, reply.json["exc_type"]) == (500, "OperationalError")


def test_a_document_comes_whole_without_null_fields(frappe_server: FrappeServer) -> None:
    frappe_server.site.seed(ACCOUNT, offline(enable_incoming=1, use_imap=1, incoming_port=993,
                                             imap_folder=[{"folder_name": "INBOX", "append_to": "Issue"}]))
    doc = call(frappe_server, "GET", accounts("Alice") + "/").data
    assert "password" not in doc and "login_id" not in doc  # none stored: absent, not null
    assert (doc["smtp_port"], doc["incoming_port"], doc["use_tls"], doc["create_contact"]) == ("587", "993", 1, 1)
    assert {k: doc[k] for k in ("name", "doctype", "docstatus", "owner")} == {
        "name": "Alice", "doctype": ACCOUNT, "docstatus": 0, "owner": "Administrator"}
    [row] = doc["imap_folder"]
    assert {k: row[k] for k in ("folder_name", "append_to", "idx", "parent", "parentfield", "parenttype", "doctype")} == {
        "folder_name": "INBOX", "append_to": "Issue", "idx": 1, "parent": "Alice", "parentfield": "imap_folder",
        "parenttype": ACCOUNT, "doctype": "IMAP Folder"}


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_a_missing_document_is_404(frappe_server: FrappeServer, method: str) -> None:
    reply = call(frappe_server, method, accounts("No Such"), {} if method == "PUT" else None)
    assert_error(reply, 404, "DoesNotExistError", "Email Account No Such not found")


# --- creating, naming, uniqueness ---


@pytest.mark.parametrize(("fields", "name"), [
    ({"email_id": "billing.team@acme.example"}, "Billing Team"),
    ({"email_id": "first_last-name@acme.example"}, "First Last Name"),
    ({"email_id": "billing@acme.example", "email_account_name": "Invoices"}, "Invoices"),
    ({"email_id": "billing@acme.example", "email_account_name": "Invoices", "name": "Chosen"}, "Chosen"),
])
def test_a_new_account_is_named_after_its_address_or_given_name(frappe_server: FrappeServer, fields, name) -> None:
    doc = call(frappe_server, "POST", accounts(), offline(**fields)).data
    assert (doc["name"], doc["email_account_name"]) == (name, name)
    assert frappe_server.site.names(ACCOUNT) == [name]


def test_a_name_taken_is_409(frappe_server: FrappeServer) -> None:
    call(frappe_server, "POST", accounts(), offline()).data
    reply = call(frappe_server, "POST", accounts(), offline(email_id="alice@other.example"))
    assert (reply.status, reply.json["exc_type"]) == (409, "DuplicateEntryError")
    assert reply.messages[-1]["message"] == "Email Account <strong>Alice</strong> already exists"
    assert frappe_server.site.doc(ACCOUNT, "Alice")["email_id"] == ALICE


def test_one_account_per_address_and_directions(frappe_server: FrappeServer) -> None:
    call(frappe_server, "POST", accounts(), offline()).data
    reply = call(frappe_server, "POST", accounts(), offline(email_id=ALICE.upper(), name="Again"))
    assert reply.status == 417 and reply.json["exc_type"] == "UniqueValidationError"
    assert reply.messages[-1]["message"] == "Email Address must be unique"
    # Another set of directions is another key: allowed.
    call(frappe_server, "POST", accounts(), offline(name="Inbox", enable_outgoing=0, enable_incoming=1)).data
    assert frappe_server.site.names(ACCOUNT) == ["Alice", "Inbox"]


@pytest.mark.parametrize(("fields", "exc_type", "text"), [
    ({"email_id": "not-an-address"}, "InvalidEmailAddressError", "not-an-address is not a valid Email Address"),
    ({"email_id": "alice@@example.test"}, "InvalidEmailAddressError", "is not a valid Email Address"),
    ({"login_id_is_different": 1}, "ValidationError", "Login Id is required"),
    ({"enable_incoming": 1, "use_imap": 1}, "ValidationError", f"You need to set one IMAP folder for {ALICE}"),
    ({"awaiting_password": 0}, "ValidationError", "Password is required or select Awaiting Password"),
    ({"awaiting_password": 0, "enable_outgoing": 0, "enable_incoming": 1, "email_server": "imap.example.invalid"},
     "ValidationError", "Password is required or select Awaiting Password"),
    ({"notify_if_unreplied": 1}, "ValidationError", "Send Notification to is mandatory"),
    ({"notify_if_unreplied": 1, "send_notification_to": "ops@example.test\nnobody"}, "InvalidEmailAddressError",
     "nobody is not a valid Email Address"),
    ({"enable_incoming": 1, "use_imap": 1, "imap_folder": [{"folder_name": "INBOX", "append_to": "Sales Invoice"}]},
     "ValidationError", "Append To can be one of 'Issue', 'Job Applicant', 'Lead' or 'Opportunity'"),
    ({"service": "Hotmail"}, "ValidationError", 'Service cannot be "Hotmail"'),
    ({"auth_method": "Password"}, "ValidationError", 'Method cannot be "Password"'),
    ({"enable_automatic_linking": 1}, "ValidationError", "Automatic Linking can be activated only if Incoming is enabled."),
    ({"domain": "nowhere.example"}, "LinkValidationError", "Could not find Domain: nowhere.example"),
], ids=lambda value: value if isinstance(value, str) else None)
def test_an_invalid_account_is_417_and_nothing_is_saved(frappe_server: FrappeServer, fields, exc_type, text) -> None:
    reply = call(frappe_server, "POST", accounts(), offline(**fields))
    message = assert_error(reply, 417, exc_type, text)
    assert message["raise_exception"] == 1 and message["title"] == "Message"
    assert reply.json["exception"].endswith(f"{exc_type}: {message['message']}")
    assert frappe_server.site.names(ACCOUNT) == []


def test_automatic_linking_is_allowed_on_one_account_only(frappe_server: FrappeServer) -> None:
    linking = {"enable_incoming": 1, "email_server": "pop.example.invalid", "enable_automatic_linking": 1}
    frappe_server.site.seed(ACCOUNT, offline(**linking))
    reply = call(frappe_server, "POST", accounts(), offline(email_id=BOB, **linking))
    assert_error(reply, 417, "ValidationError", "Automatic Linking can be activated only for one Email Account.")
    assert frappe_server.site.names(ACCOUNT) == ["Alice"]


def test_missing_mandatory_values_are_417_mandatory_errors(frappe_server: FrappeServer) -> None:
    no_address = offline(email_account_name="Alice")
    del no_address["email_id"]
    no_folder_name = offline(enable_incoming=1, use_imap=1, imap_folder=[{"append_to": "Issue"}])
    for body, missing in ((no_address, "Email Account: Email Address"), (no_folder_name, "IMAP Folder: Folder Name")):
        reply = call(frappe_server, "POST", accounts(), body)
        assert (reply.status, reply.json["exc_type"]) == (417, "MandatoryError")
        assert f"Error: Value missing for {missing}" in [m["message"] for m in reply.messages]
    # With neither an address nor a name, Frappe's autoname fails before any check: a 500.
    del no_address["email_account_name"]
    assert call(frappe_server, "POST", accounts(), no_address).json["exc_type"] == "AttributeError"
    assert frappe_server.site.names(ACCOUNT) == []


def test_a_save_normalises_what_frappe_normalises(frappe_server: FrappeServer) -> None:
    doc = call(frappe_server, "POST", accounts(), offline(
        login_id="someone", service="Sendgrid", enable_incoming=1, use_imap=0, use_starttls=1,
        email_server="pop.example.invalid", default_outgoing=0, default_incoming=1, enable_automatic_linking=0)).data
    assert (doc["login_id"], doc["use_starttls"]) == ("apikey", 0)
    reply = call(frappe_server, "PUT", accounts("Alice"),
                 {"service": "", "enable_incoming": 0, "login_id": "someone"})
    doc = reply.data
    assert "login_id" not in doc and doc["default_incoming"] == 0  # flag off: login_id dropped; no incoming: no default
    [note] = reply.messages
    assert (note["title"], note["indicator"]) == ("Defaults Updated", "orange") and "Default Incoming" in note["message"]
    doc = call(frappe_server, "PUT", accounts("Alice"), {"auth_method": "OAuth", "password": "x"}).data
    assert doc["awaiting_password"] == 0 and "password" not in doc
    assert frappe_server.site.password(ACCOUNT, "Alice") is None


def test_put_changes_only_the_keys_sent_and_replaces_rows(frappe_server: FrappeServer) -> None:
    call(frappe_server, "POST", accounts(), offline(
        enable_incoming=1, use_imap=1, email_server="imap.example.invalid",
        imap_folder=[{"folder_name": "INBOX"}, {"folder_name": "Archive"}])).data
    doc = call(frappe_server, "PUT", accounts("Alice"),
               {"signature": "<p>Alice</p>", "imap_folder": [{"folder_name": "Support", "append_to": "Issue"}]}).data
    assert (doc["signature"], doc["smtp_server"], doc["email_server"]) == (
        "<p>Alice</p>", "mail.example.invalid", "imap.example.invalid")
    assert [(r["folder_name"], r["idx"]) for r in doc["imap_folder"]] == [("Support", 1)]


def test_delete_answers_202_and_the_document_and_its_password_are_gone(frappe_server: FrappeServer) -> None:
    frappe_server.site.seed(ACCOUNT, offline(), password="alice-pw")
    reply = call(frappe_server, "DELETE", accounts("Alice"))
    assert (reply.status, reply.json) == (202, {"data": "ok"})
    assert call(frappe_server, "GET", accounts("Alice")).status == 404
    assert frappe_server.site.password(ACCOUNT, "Alice") is None


# --- passwords ---


def test_a_password_is_stored_apart_and_only_ever_shown_masked(frappe_server: FrappeServer) -> None:
    site, secret = frappe_server.site, "s3cret-Passw0rd"
    replies = [call(frappe_server, "POST", accounts(), offline(password=secret))]
    assert replies[0].data["password"] == "*" * len(secret) and site.password(ACCOUNT, "Alice") == secret
    for mask in ("*" * len(secret), "***", "*"):  # the mask (of any length) written back keeps it
        replies.append(call(frappe_server, "PUT", accounts("Alice"), {"password": mask, "footer": mask}))
        assert replies[-1].status == 200 and site.password(ACCOUNT, "Alice") == secret
    replies.append(call(frappe_server, "PUT", accounts("Alice"), {"password": "new-one"}))
    assert site.password(ACCOUNT, "Alice") == "new-one"
    replies.append(call(frappe_server, "GET", accounts("Alice")))
    assert replies[-1].data["password"] == "*******"
    replies.append(call(frappe_server, "GET", accounts(), params={"fields": ["password"]}))
    assert all(secret not in r.text and "new-one" not in r.text for r in replies)


@pytest.mark.parametrize("empty", ["", None])
def test_an_empty_password_deletes_the_stored_one_when_the_save_passes(frappe_server: FrappeServer, empty) -> None:
    frappe_server.site.seed(ACCOUNT, offline(), password="alice-pw")
    doc = call(frappe_server, "PUT", accounts("Alice"), {"password": empty}).data
    assert "password" not in doc and frappe_server.site.password(ACCOUNT, "Alice") is None
    # Where a login is needed, the save fails first and the password stays.
    frappe_server.site.seed(ACCOUNT, offline(email_id=BOB), password="bob-pw")
    reply = call(frappe_server, "PUT", accounts("Bob"), {"password": empty, "awaiting_password": 0})
    assert_error(reply, 417, "ValidationError", "Password is required or select Awaiting Password")
    assert frappe_server.site.password(ACCOUNT, "Bob") == "bob-pw"
    assert frappe_server.site.doc(ACCOUNT, "Bob")["awaiting_password"] == 1


# --- the live login on save, against Dovecot and Postfix ---


@pytest.mark.parametrize(("incoming", "outgoing"), [
    ("imaps", "submission"), ("imap", "submissions"), ("pop3s", "submission"), ("pop3", ""), ("", "submissions"),
])
def test_a_save_with_the_right_password_logs_in_and_is_stored(
    frappe_server: FrappeServer, mail_servers: MailServers, incoming: str, outgoing: str,
) -> None:
    body = live(mail_servers, incoming, outgoing)
    doc = call(frappe_server, "POST", accounts(), body).data
    assert frappe_server.site.password(ACCOUNT, "Alice") == mail_servers.users[ALICE]
    made = [(c.protocol, c.port, c.user, c.ok) for c in frappe_server.site.connections]
    expected = []
    if incoming:
        expected.append(("imap" if incoming.startswith("imap") else "pop3", body["incoming_port"], ALICE, True))
        assert doc["incoming_port"] == body["incoming_port"]
    if outgoing:
        expected.append(("smtp", body["smtp_port"], ALICE, True))
    assert made == expected


def test_a_default_port_is_filled_in_on_save(frappe_server: FrappeServer) -> None:
    # No server listens on 993 here: the refused connection shows the port Frappe chose and wrote back.
    body = offline(awaiting_password=0, password="x", enable_outgoing=0, enable_incoming=1, use_imap=1, use_ssl=1,
                   email_server="127.0.0.1", imap_folder=[{"folder_name": "INBOX"}])
    call(frappe_server, "POST", accounts(), body)
    assert frappe_server.site.connections[-1].port == 993


@pytest.mark.parametrize(("incoming", "outgoing", "library_error"), [
    ("imaps", "", "imaplib.IMAP4.error: b'[AUTHENTICATIONFAILED] Authentication failed.'"),
    ("imap", "", "imaplib.IMAP4.error: b'[AUTHENTICATIONFAILED] Authentication failed.'"),
    ("pop3s", "", "poplib.error_proto: b'-ERR [AUTH] Authentication failed.'"),
    ("", "submission", "smtplib.SMTPAuthenticationError: (535, b'5.7.8 Error: authentication failed"),
])
def test_a_wrong_password_is_417_invalid_credentials_and_nothing_is_saved(
    frappe_server: FrappeServer, mail_servers: MailServers, incoming: str, outgoing: str, library_error: str,
) -> None:
    reply = call(frappe_server, "POST", accounts(), live(mail_servers, incoming, outgoing,
                                                                       password=mail_servers.users[BOB]))
    message = assert_error(reply, 417, "InvalidEmailCredentials",
                           f"Please check your email login credentials. {library_error}")
    assert message["title"] == "Invalid Credentials"
    assert reply.json["exception"].startswith("frappe.email.smtp.InvalidEmailCredentials: Please check")
    if incoming.startswith("pop3"):
        assert reply.messages[0]["message"] == "Invalid User Name or Support Password. Please rectify and try again."
    assert frappe_server.site.names(ACCOUNT) == [] and frappe_server.site.password(ACCOUNT, "Alice") is None
    assert mail_servers.users[BOB] not in reply.text


@pytest.mark.parametrize(("fields", "reason"), [
    ({"smtp_port": "closed"}, "[Errno 111] Connection refused"),
    ({"use_tls": 0, "use_ssl_for_outgoing": 1}, "[SSL"),  # TLS handshake with a plain-text banner
    ({"use_tls": 0}, "SMTP AUTH extension not supported by server."),  # 587 offers AUTH only after STARTTLS
], ids=["refused", "ssl-on-starttls-port", "no-starttls"])
def test_a_wrong_smtp_port_or_security_is_417_invalid_server(
    frappe_server: FrappeServer, mail_servers: MailServers, fields: dict[str, Any], reason: str,
) -> None:
    if fields.get("smtp_port") == "closed":
        fields = {"smtp_port": _closed_port()}
    reply = call(frappe_server, "POST", accounts(), live(mail_servers, "", "submission", **fields))
    message = assert_error(reply, 417, "ValidationError", f"Invalid Outgoing Mail Server or Port: {reason}")
    assert message["title"] == "Incorrect Configuration"
    assert frappe_server.site.names(ACCOUNT) == []


@pytest.mark.parametrize("incoming", ["imaps", "pop3s"])
def test_a_refused_incoming_server_is_a_500_as_frappe_reraises_it(
    frappe_server: FrappeServer, mail_servers: MailServers, incoming: str,
) -> None:
    reply = call(frappe_server, "POST", accounts(), live(mail_servers, incoming, "",
                                                                       incoming_port=_closed_port()))
    assert (reply.status, reply.json["exc_type"]) == (500, "ConnectionRefusedError")
    assert [m["message"] for m in reply.messages] == ["Invalid Mail Server. Please rectify and try again."]
    assert frappe_server.site.names(ACCOUNT) == []


def test_awaiting_password_saves_without_logging_in(frappe_server: FrappeServer, mail_servers: MailServers) -> None:
    body = live(mail_servers, "imaps", "submission", password="not-checked", awaiting_password=1)
    call(frappe_server, "POST", accounts(), body).data
    assert frappe_server.site.connections == [] and frappe_server.site.password(ACCOUNT, "Alice") == "not-checked"
    # Clearing the flag is a save that logs in, with the stored password.
    reply = call(frappe_server, "PUT", accounts("Alice"), {"awaiting_password": 0})
    assert_error(reply, 417, "InvalidEmailCredentials", "Please check your email login credentials.")
    reply = call(frappe_server, "PUT", accounts("Alice"),
                 {"awaiting_password": 0, "password": mail_servers.users[ALICE]})
    assert reply.data["awaiting_password"] == 0
    assert [c.ok for c in frappe_server.site.connections] == [False, True, True]


def test_a_local_smtp_server_is_checked_even_without_a_password(
    frappe_server: FrappeServer, mail_servers: MailServers,
) -> None:
    body = live(mail_servers, "", "submission", password=None)
    reply = call(frappe_server, "POST", accounts(), body)
    assert_error(reply, 401, "AuthenticationError", "Password not found for Email Account Alice password")
    call(frappe_server, "POST", accounts(), {**body, "no_smtp_authentication": 1}).data
    [connection] = frappe_server.site.connections
    assert (connection.protocol, connection.user, connection.ok) == ("smtp", None, True)  # connected, no AUTH


def test_a_masked_password_written_back_logs_in_again_with_the_stored_one(
    frappe_server: FrappeServer, mail_servers: MailServers,
) -> None:
    masked = call(frappe_server, "POST", accounts(), live(mail_servers)).data["password"]
    call(frappe_server, "PUT", accounts("Alice"), {"password": masked, "signature": "hi"}).data
    assert [(c.protocol, c.ok) for c in frappe_server.site.connections] == [("imap", True), ("smtp", True)] * 2


def test_a_default_flag_moves_and_every_account_that_loses_it_is_saved_again(
    frappe_server: FrappeServer, mail_servers: MailServers,
) -> None:
    site = frappe_server.site
    call(frappe_server, "POST", accounts(), live(mail_servers, default_outgoing=1, default_incoming=1)).data
    bob = live(mail_servers, email_id=BOB, password=mail_servers.users[BOB], default_outgoing=1)
    del site.connections[:]
    call(frappe_server, "POST", accounts(), bob).data
    assert site.doc(ACCOUNT, "Alice")["default_outgoing"] == 0 and site.doc(ACCOUNT, "Alice")["default_incoming"] == 1
    assert [(c.name, c.protocol) for c in site.connections] == [
        ("Bob", "imap"), ("Bob", "smtp"), ("Alice", "imap"), ("Alice", "smtp")]
    # When an account losing the flag cannot log in any more, the whole save fails and nothing moves.
    stale = live(mail_servers, email_id="stale@example.test", default_incoming=1)  # Dovecot has no such user
    site.seed(ACCOUNT, stale, password=stale.pop("password"))
    reply = call(frappe_server, "PUT", accounts("Bob"), {"default_incoming": 1})
    assert reply.status == 417 and reply.json["exc_type"] == "InvalidEmailCredentials"
    assert [site.doc(ACCOUNT, n)["default_incoming"] for n in ("Alice", "Bob", "Stale")] == [1, 0, 1]


# --- Email Domain ---


def domain(servers: MailServers, **fields: Any) -> dict[str, Any]:
    return {"domain_name": "example.test", "email_server": "127.0.0.1", "use_imap": 1, "use_ssl": 1,
            "incoming_port": servers.dovecot.imaps, "smtp_server": "127.0.0.1", "use_tls": 1,
            "smtp_port": servers.smtp.submission, **fields}


def test_an_email_domain_overwrites_its_accounts_server_fields(
    frappe_server: FrappeServer, mail_servers: MailServers,
) -> None:
    site = frappe_server.site
    created = call(frappe_server, "POST", "/api/resource/Email Domain", domain(mail_servers)).data
    assert created["name"] == "example.test"
    assert [(c.protocol, c.user, c.ok) for c in site.connections] == [("imap", None, True), ("smtp", None, True)]
    # The account's own server values lose against the domain's, on every save.
    body = live(mail_servers, "pop3s", "submissions", domain="example.test", email_server="elsewhere.invalid")
    doc = call(frappe_server, "POST", accounts(), body).data
    assert (doc["use_imap"], doc["email_server"], doc["incoming_port"], doc["smtp_port"], doc["use_tls"]) == (
        1, "127.0.0.1", str(mail_servers.dovecot.imaps), str(mail_servers.smtp.submission), 1)
    # Saving the domain pushes its fields into the account and saves it: a login over the new setup.
    del site.connections[:]
    call(frappe_server, "PUT", "/api/resource/Email Domain/example.test",
         {"use_ssl": 0, "use_starttls": 1, "incoming_port": mail_servers.dovecot.imap}).data
    assert site.doc(ACCOUNT, "Alice")["use_starttls"] == 1
    assert [(c.doctype, c.protocol, c.security, c.ok) for c in site.connections] == [
        (DOMAIN, "imap", "none", True), (DOMAIN, "smtp", "none", True),
        (ACCOUNT, "imap", "starttls", True), (ACCOUNT, "smtp", "starttls", True)]
    reply = call(frappe_server, "DELETE", "/api/resource/Email Domain/example.test")
    assert_error(reply, 417, "LinkExistsError", "Cannot delete or cancel because Email Domain example.test is linked")


def test_an_email_domain_that_cannot_connect_is_417(frappe_server: FrappeServer, mail_servers: MailServers) -> None:
    port = _closed_port()
    for fields, title, text in (
        ({"incoming_port": port}, "Incoming email account not correct", "Error connecting via IMAP/POP3: [Errno 111]"),
        ({"smtp_port": port}, "Outgoing email account not correct", "Error connecting via SMTP: [Errno 111]"),
    ):
        reply = call(frappe_server, "POST", "/api/resource/Email Domain", domain(mail_servers, **fields))
        assert assert_error(reply, 417, "ValidationError", text)["title"] == title
    assert frappe_server.site.names(DOMAIN) == []


# --- rate limit ---


def test_over_the_rate_limit_the_answer_is_429_with_retry_after() -> None:
    server = FrappeServer(rate_limit=(3, 3600)).start()
    server.site.add_api_key("k", "s")
    server.token = "token k:s"
    try:
        replies = [call(server, "GET", accounts()) for _ in range(4)]
    finally:
        server.stop()
    assert [r.status for r in replies] == [200, 200, 200, 429]
    assert [r.headers["X-RateLimit-Remaining"] for r in replies] == ["2", "1", "0", "0"]
    assert replies[-1].text == "Too Many Requests" and int(replies[-1].headers["Retry-After"]) > 0


def _closed_port() -> int:
    """A loopback port nothing listens on (a refused connection, at once)."""
    return free_port()
