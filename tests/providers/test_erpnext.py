"""The erpnext driver against the Frappe test server, whose saves log in to the real Dovecot and
Postfix: what a user relies on when ERPNext's e-mail accounts live in a manifest."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from realservers import free_port
from support.frappe import FrappeServer, RateLimit
from support.frappe_meta import ACCOUNT, DOMAIN
from support.mailservers import MailServers

from mailconf.cli import main
from mailconf.driver import Action, Change, Resource
from mailconf.secrets import Secret
from mailconf.testing.harness import TARGET, Workspace, changes

ALICE, BOB = "alice@example.test", "bob@example.test"


def company(servers: MailServers) -> dict[str, Any]:
    """A small company: a shared inbox that also sends, an invoices sender, a POP3 support desk."""
    host, dovecot, smtp = servers.host, servers.dovecot, servers.smtp
    return {
        "primary_sender": "invoices",
        "accounts": {
            "info": {"address": ALICE, "password": "${env:PW_ALICE}", "default_incoming": True,
                     "outgoing": {"host": host, "port": smtp.submission, "security": "starttls"},
                     "incoming": {"host": host, "port": dovecot.imaps, "security": "tls", "folder": "INBOX"}},
            "invoices": {"address": ALICE, "password": "${env:PW_ALICE}", "default_outgoing": True,
                         "signature": "ACME GmbH · Hauptstraße 1",
                         "outgoing": {"host": host, "port": smtp.submissions, "security": "tls"}},
            "support": {"address": BOB, "password": "${env:PW_BOB}",
                        "notify_if_unreplied": {"minutes": 120, "recipient": ALICE},
                        "outgoing": {"host": host, "port": smtp.submission, "security": "starttls"},
                        "incoming": {"protocol": "pop3", "host": host, "port": dovecot.pop3s, "security": "tls"}},
        },
    }  # fmt: skip


EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "erpnext"


def example_on(servers: MailServers) -> dict[str, Any]:
    """examples/erpnext as written, but for the test mail servers: each address a mailbox they
    know, each server theirs with the same protocol and security (presets spelt out)."""
    document: dict[str, Any] = {}
    for file in sorted(EXAMPLE.glob("*.yaml")):
        document.update(yaml.safe_load(file.read_text(encoding="utf-8")))
    del document["targets"], document["version"]
    smtp = {"starttls": servers.smtp.submission, "tls": servers.smtp.submissions}
    incoming = {("imap", "tls"): servers.dovecot.imaps, ("pop3", "tls"): servers.dovecot.pop3s}
    mailbox = {"info": ALICE, "invoices": ALICE, "support": BOB}
    for key, account in document["accounts"].items():
        account["address"] = mailbox[key]
        account["password"] = "${env:PW_%s}" % mailbox[key].split("@")[0].upper()
        if account.pop("preset", None) == "microsoft365":
            account["outgoing"] = {"security": "starttls"}
            if "incoming" not in account:
                account["incoming"] = {"protocol": "imap", "security": "tls"}
        account["outgoing"].update(host=servers.host, port=smtp[account["outgoing"]["security"]])
        if account.get("incoming"):
            inc = account["incoming"]
            inc.update(host=servers.host, port=incoming[(inc.get("protocol", "imap"), inc["security"])])
    return document


@pytest.fixture
def ws(frappe_server: FrappeServer, mail_servers: MailServers, tmp_path: Path) -> Workspace:  # noqa: F811
    key, secret = frappe_server.token.removeprefix("token ").split(":")
    env = {"ERP_KEY": key, "ERP_SECRET": secret, "PW_ALICE": mail_servers.users[ALICE], "PW_BOB": mail_servers.users[BOB]}
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        yield Workspace(tmp_path, "erpnext", {"url": frappe_server.url, "api_key": "${env:ERP_KEY}",
                                              "api_secret": "${env:ERP_SECRET}"}, env)


def applied(ws: Workspace, document: dict[str, Any]) -> None:
    ws.write(document)
    run = ws.apply()
    assert run.code == 0, run
    assert ws.plan("--detailed-exitcode").code == 0


def test_the_example_round_trips_and_plans_nothing_after(ws: Workspace, frappe_server: FrappeServer,
                                                        mail_servers: MailServers) -> None:
    ws.write(example_on(mail_servers))
    assert "erpnext keeps no default_outgoing, display_name (account)" in ws.plan().out
    applied(ws, example_on(mail_servers))
    site = frappe_server.site
    assert site.names(ACCOUNT) == ["info", "invoices", "support"]
    assert [n for n in site.names(ACCOUNT) if site.doc(ACCOUNT, n)["default_outgoing"]] == ["invoices"]
    support = site.doc(ACCOUNT, "support")
    assert (support["use_imap"], support["use_ssl"], support["use_ssl_for_outgoing"], support["unreplied_for_mins"]) == (0, 1, 1, 480)


def test_a_company_round_trips_and_plans_nothing_after(ws: Workspace, frappe_server: FrappeServer,
                                                        mail_servers: MailServers) -> None:
    applied(ws, company(mail_servers))
    site = frappe_server.site
    assert site.names(ACCOUNT) == ["info", "invoices", "support"]
    invoices = site.doc(ACCOUNT, "invoices")
    assert (invoices["default_outgoing"], invoices["awaiting_password"], invoices["password"]) == (1, 0, "*" * 12)
    assert site.doc(ACCOUNT, "info")["default_incoming"] == 1
    assert site.password(ACCOUNT, "invoices") == mail_servers.users[ALICE]
    assert site.doc(ACCOUNT, "support")["use_imap"] == 0 and site.doc(ACCOUNT, "info")["imap_folder"][0]["folder_name"] == "INBOX"
    # Each account logged in to the servers it declares, as its save on a real site does.
    logged = {(c.name, c.protocol, c.port) for c in site.connections if c.user and c.ok}
    assert ("invoices", "smtp", mail_servers.smtp.submissions) in logged
    assert ("support", "pop3", mail_servers.dovecot.pop3s) in logged


@pytest.mark.parametrize(("path", "value"), [
    ("signature", "ACME GmbH"),
    ("outgoing.port", "submission"),
    ("notify_if_unreplied.minutes", 60),
])  # fmt: skip
def test_one_field_changed_plans_exactly_that(ws: Workspace, mail_servers: MailServers, path: str, value: Any) -> None:
    document = company(mail_servers)
    applied(ws, document)
    changed = copy.deepcopy(document)
    account = "invoices" if path != "notify_if_unreplied.minutes" else "support"
    *parents, leaf = path.split(".")
    spot = changed["accounts"][account]
    for parent in parents:
        spot = spot[parent]
    spot[leaf] = getattr(mail_servers.smtp, value) if value == "submission" else value
    if value == "submission":
        spot["security"] = "starttls"
    ws.write(changed)
    [change] = changes(ws.plan_json())
    shown = [f["path"] for f in change["fields"]]
    assert change["address"] == f"account/{account}"
    assert shown == ([path, "outgoing.security"] if value == "submission" else [path])
    assert ws.apply().code == 0
    assert ws.plan("--detailed-exitcode").code == 0


def test_a_rejected_login_fails_that_account_alone_and_resumes(ws: Workspace, frappe_server: FrappeServer,
                                                              mail_servers: MailServers,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PW_BOB", "not-bobs-password")
    ws.secrets = {**ws.secrets, "PW_BOB": "not-bobs-password"}
    document = company(mail_servers)
    ws.write(document)
    run = ws.apply()
    assert run.code != 0
    smtp = f"{mail_servers.host}:{mail_servers.smtp.submission}"
    assert f"rejected the login for {BOB}" in run.out + run.err
    assert ("POP3 server" in run.out + run.err) or (f"SMTP server {smtp}" in run.out + run.err)
    site = frappe_server.site
    support = site.doc(ACCOUNT, "support")
    assert (support["awaiting_password"], support["password"], site.password(ACCOUNT, "support")) == (1, None, None)
    assert site.doc(ACCOUNT, "info")["awaiting_password"] == 0  # the others were made
    # The next plan reads the account as it is: only the password is left to set.
    [change] = changes(ws.plan_json())
    assert (change["address"], [f["path"] for f in change["fields"]]) == ("account/support", ["password"])
    monkeypatch.setenv("PW_BOB", mail_servers.users[BOB])
    assert ws.apply().code == 0
    assert ws.plan("--detailed-exitcode").code == 0


def test_a_wrong_port_names_the_server_and_leaves_the_account_awaiting(ws: Workspace, frappe_server: FrappeServer,
                                                                      mail_servers: MailServers) -> None:
    document = company(mail_servers)
    closed = free_port()
    document["accounts"]["invoices"]["outgoing"]["port"] = closed
    ws.write(document)
    run = ws.apply()
    assert run.code != 0
    assert f"could not reach the SMTP server {mail_servers.host}:{closed}" in run.out + run.err
    assert "Connection refused" in run.out + run.err
    invoices = frappe_server.site.doc(ACCOUNT, "invoices")
    assert (invoices["awaiting_password"], invoices["default_outgoing"]) == (1, 1)  # set by the primary sender, no login
    assert frappe_server.site.password(ACCOUNT, "invoices") is None


def test_a_wrong_incoming_port_is_told_too(ws: Workspace, frappe_server: FrappeServer, mail_servers: MailServers) -> None:
    document = company(mail_servers)
    closed = free_port()
    document["accounts"]["info"]["incoming"]["port"] = closed
    ws.write(document)
    run = ws.apply()
    assert f"could not reach the IMAP server {mail_servers.host}:{closed}" in run.out + run.err, run.out
    assert frappe_server.site.doc(ACCOUNT, "info")["awaiting_password"] == 1


def driver_of(ws: Workspace):  # noqa: ANN201
    return ws.open_driver()


def create(key: str, fields: dict[str, Any]) -> Change:
    return Change(Action.CREATE, "account", key, Resource("account", key, fields), None)


def smtp_only(servers: MailServers, address: str = BOB, **extra: Any) -> dict[str, Any]:
    return {"address": address, "username": address, "password": Secret(servers.users[address]), "incoming": None,
            "outgoing": {"host": servers.host, "port": servers.smtp.submission, "security": "starttls", "auth": True},
            "signature": None, "notify_if_unreplied": None, "default_incoming": False, **extra}  # fmt: skip


def test_a_name_taken_since_the_plan_fails_that_change_alone(ws: Workspace, frappe_server: FrappeServer,
                                                            mail_servers: MailServers) -> None:
    frappe_server.site.seed(ACCOUNT, {"name": "sales", "email_id": "someone@example.test", "awaiting_password": 1})
    with driver_of(ws) as driver:
        taken, fine = driver.apply([create("sales", smtp_only(mail_servers)), create("desk", smtp_only(mail_servers))])
    assert not taken.ok and "already has an account named sales (409" in taken.message
    assert fine.ok
    assert frappe_server.site.doc(ACCOUNT, "sales")["email_id"] == "someone@example.test"


def test_an_address_taken_for_the_same_directions_is_told(ws: Workspace, frappe_server: FrappeServer,
                                                         mail_servers: MailServers) -> None:
    with driver_of(ws) as driver:
        first, again = driver.apply([create("desk", smtp_only(mail_servers)), create("desk2", smtp_only(mail_servers))])
    assert first.ok and not again.ok
    assert f"another account already has the address {BOB}" in again.message
    assert frappe_server.site.names(ACCOUNT) == ["desk"]


@pytest.mark.parametrize("allowed", [0, 1], ids=["every request", "after the first"])
def test_a_429_storm_fails_clearly_and_leaves_nothing_misread(ws: Workspace, frappe_server: FrappeServer,
                                                             mail_servers: MailServers, allowed: int) -> None:
    frappe_server.rate_limit = RateLimit(allowed, 120)  # Retry-After 120 s: past the deadline, not waited for
    ws.settings["timeout"] = 5  # the deadline of a request: 4 x timeout
    with driver_of(ws) as driver:
        [result] = driver.apply([create("desk", smtp_only(mail_servers))])
    assert not result.ok and "429" in result.message and "concurrency" in result.message
    frappe_server.rate_limit = None
    with driver_of(ws) as driver:
        live = driver.read({"account"})
    if allowed:  # created awaiting its password: read as "no password stored", so a plan sets it
        [desk] = live
        assert desk.fields["password"] is None and "awaiting its password" in result.message
    else:
        assert live == []


@pytest.mark.parametrize("flag", ["default_outgoing", "default_incoming"])
def test_moving_a_default_account_converges_in_one_apply(ws: Workspace, frappe_server: FrappeServer,
                                                        mail_servers: MailServers, flag: str) -> None:
    document = company(mail_servers)
    applied(ws, document)
    site = frappe_server.site
    old = "invoices" if flag == "default_outgoing" else "info"
    assert [n for n in site.names(ACCOUNT) if site.doc(ACCOUNT, n)[flag]] == [old]
    moved = copy.deepcopy(document)
    moved["accounts"][old][flag] = False
    moved["accounts"]["support"][flag] = True
    if flag == "default_outgoing":
        moved["primary_sender"] = "support"
    ws.write(moved)
    before = len(site.connections)
    assert ws.apply().code == 0
    assert ws.plan("--detailed-exitcode").code == 0  # the server's clearing is what the manifest says
    assert [n for n in site.names(ACCOUNT) if site.doc(ACCOUNT, n)[flag]] == ["support"]
    # Each account was saved once, logging in: default_incoming was cleared by the old account's
    # own update before it was set; default_outgoing (the primary sender) by the server's re-save.
    saves = sorted(c.name for c in site.connections[before:] if c.protocol == "smtp" and c.user)
    assert saves == sorted([old, "support"])


def test_import_writes_a_manifest_that_plans_no_change(ws: Workspace, mail_servers: MailServers, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    applied(ws, company(mail_servers))
    out = tmp_path / "imported"
    assert main(["import", TARGET, "-o", str(out), "-m", str(ws.manifest)]) == 0
    imported = yaml.safe_load((out / "mailconf.yaml").read_text())
    assert imported["accounts"]["invoices"]["password"] == "${env:MAILCONF_CONFORMANCE_INVOICES_PASSWORD}"
    assert imported["accounts"]["support"]["incoming"]["protocol"] == "pop3"
    state = str(tmp_path / ".mailconf" / "state.db")
    # The passwords to fill in are the only difference...
    assert main(["plan", str(out), "--detailed-exitcode", "--state", state]) == 1
    for key, user in (("info", ALICE), ("invoices", ALICE), ("support", BOB)):
        monkeypatch.setenv(f"MAILCONF_CONFORMANCE_{key.upper()}_PASSWORD", mail_servers.users[user])
    # ...and once filled in, nothing is left.
    assert main(["plan", str(out), "--detailed-exitcode", "--state", state]) == 0


@pytest.mark.parametrize("wrong", ["secret", "key"])
def test_a_wrong_api_key_is_told_apart_from_a_missing_password(ws: Workspace, frappe_server: FrappeServer,
                                                               mail_servers: MailServers,
                                                               monkeypatch: pytest.MonkeyPatch, wrong: str) -> None:
    monkeypatch.setenv("ERP_SECRET" if wrong == "secret" else "ERP_KEY", "wrong")
    ws.write(company(mail_servers))
    run = ws.plan()
    assert run.code != 0 and "rejected the API key (401): check api_key and api_secret" in run.out + run.err


def test_a_save_that_finds_no_password_stored_says_so(ws: Workspace, frappe_server: FrappeServer,
                                                      mail_servers: MailServers) -> None:
    # Frappe answers 401 too when an account on 127.0.0.1 is saved with no password stored.
    frappe_server.site.seed(ACCOUNT, {"name": "desk", "email_id": BOB, "enable_outgoing": 1, "smtp_server": "127.0.0.1",
                                      "smtp_port": mail_servers.smtp.submission, "use_tls": 1})
    with driver_of(ws) as driver:
        [live] = driver.read({"account"})
        desired = Resource("account", "desk", {**live.fields, "signature": "Desk"})
        [result] = driver.apply([Change(Action.UPDATE, "account", "desk", desired, live)])
    assert not result.ok and "account desk has no password stored" in result.message
    assert "API key" not in result.message


def test_a_list_longer_than_a_page_is_read_whole(ws: Workspace, frappe_server: FrappeServer) -> None:
    from mailconf_providers.erpnext import PAGE

    for n in range(PAGE + 5):
        frappe_server.site.seed(ACCOUNT, {"name": f"user{n:03}", "email_id": f"user{n:03}@example.test",
                                          "enable_outgoing": 1, "smtp_server": "smtp.example.test", "smtp_port": "587",
                                          "use_tls": 1, "awaiting_password": 1})
    with driver_of(ws) as driver:
        live = driver.read({"account"})
    assert len(live) == PAGE + 5
    assert live[0].fields["outgoing"] == {"host": "smtp.example.test", "port": 587, "security": "starttls", "auth": True}


def test_an_account_linked_to_an_email_domain_keeps_the_declared_servers(ws: Workspace, frappe_server: FrappeServer,
                                                                        mail_servers: MailServers) -> None:
    document = {"primary_sender": "desk", "accounts": {"desk": {
        "address": BOB, "password": "${env:PW_BOB}", "default_outgoing": True,
        "outgoing": {"host": mail_servers.host, "port": mail_servers.smtp.submission, "security": "starttls"}}}}
    applied(ws, document)
    site = frappe_server.site
    site.seed(DOMAIN, {"domain_name": "example.test", "email_server": "imap.example.invalid",
                       "smtp_server": "smtp.example.invalid", "smtp_port": "2525"})
    with site.lock:  # linked by hand in ERPNext
        site._docs[ACCOUNT]["desk"]["domain"] = "example.test"
    document["accounts"]["desk"]["signature"] = "Desk"
    ws.write(document)
    assert ws.apply().code == 0
    desk = site.doc(ACCOUNT, "desk")
    assert (desk.get("domain"), desk["smtp_server"], desk["signature"]) == (None, mail_servers.host, "Desk")
    assert ws.plan("--detailed-exitcode").code == 0


def test_a_mask_is_never_written_back_and_an_update_sends_no_password(ws: Workspace, frappe_server: FrappeServer,
                                                                     mail_servers: MailServers,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    document = company(mail_servers)
    applied(ws, document)
    sent: list[tuple[str, str, bytes]] = []
    handle = frappe_server.handle

    def spy(method: str, target: str, headers: Any, body: bytes) -> Any:
        sent.append((method, target, body))
        return handle(method, target, headers, body)

    monkeypatch.setattr(frappe_server, "handle", spy)
    document["accounts"]["info"]["signature"] = "Info desk"
    ws.write(document)
    assert ws.apply().code == 0
    [put] = [body for method, _, body in sent if method == "PUT"]
    assert b"password" not in put and b"**" not in put and b"Info desk" in put
    assert frappe_server.site.password(ACCOUNT, "info") == mail_servers.users[ALICE]  # still stored


def test_the_site_and_the_token_travel_as_frappe_wants(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import httpx

    from mailconf.driver import DriverContext
    from mailconf_providers.erpnext import ErpNextDriver, ErpNextSettings

    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"data": []})

    monkeypatch.setenv("K", "key1")
    monkeypatch.setenv("S", "secret1")
    settings = ErpNextSettings(url="https://erp.acme.example", api_key="${env:K}", api_secret="${env:S}",
                               site="erp2.acme.example")
    driver = ErpNextDriver(settings, DriverContext(tmp_path, "erp"), transport=httpx.MockTransport(answer))
    assert driver.read({"account"}) == []
    [request] = seen
    assert request.headers["Authorization"] == "token key1:secret1"
    assert request.headers["X-Frappe-Site-Name"] == "erp2.acme.example"
    assert request.url.raw_path.startswith(b"/api/resource/Email%20Account?")


@pytest.mark.parametrize("body", [{"data": {"name": "x"}}, {"message": []}, [], {"data": [{"email_id": "a@b.c"}]}],
                         ids=["a document", "no data", "a list", "rows without name"])
def test_an_answer_not_shaped_like_frappe_fails_with_a_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                               body: Any) -> None:
    import httpx

    from mailconf.driver import DriverContext
    from mailconf.errors import DriverError
    from mailconf_providers.erpnext import ErpNextDriver, ErpNextSettings

    monkeypatch.setenv("K", "key1")
    monkeypatch.setenv("S", "secret1")
    settings = ErpNextSettings(url="https://erp.acme.example", api_key="${env:K}", api_secret="${env:S}")
    driver = ErpNextDriver(settings, DriverContext(tmp_path, "erp"),
                           transport=httpx.MockTransport(lambda request: httpx.Response(200, json=body)))
    with pytest.raises(DriverError, match="not shaped as documented"):
        driver.read({"account"})


@pytest.mark.parametrize("body", [b'{"exception": "OSError: Invalid Mail Server', b"<html>Invalid Mail Server</html>", b'{"exc_type": "x"} Invalid Mail Server'])
def test_a_truncated_or_foreign_500_body_is_one_readable_refusal_not_a_crash(body: bytes) -> None:
    from mailconf.http import HttpError
    from mailconf_providers.erpnext import _refusal

    refusal = _refusal(HttpError("500", 500, body), "https://erp.acme.example", None, "save")
    assert "could not reach" in str(refusal)


def test_only_frappes_own_404_means_already_gone() -> None:
    from mailconf.http import HttpError
    from mailconf_providers.erpnext import _Gone, _refusal

    frappe = _refusal(HttpError("404", 404, b'{"exc_type": "DoesNotExistError", "exception": "Email Account x not found"}'), "https://erp", None, "delete")
    proxy = _refusal(HttpError("404", 404, b"<html>404 Not Found</html>"), "https://erp", None, "delete")
    assert isinstance(frappe, _Gone) and not isinstance(proxy, _Gone)
