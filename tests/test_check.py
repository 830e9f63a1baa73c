"""`mailconf check` against real servers: Dovecot (IMAP, POP3) and Postfix (submission) from the
session fixture, plus tiny socket servers for what the fixture cannot be: certificates that
are expired or for another name, a server without STARTTLS, one that never answers, a closed port.
Each diagnosis is provoked for real, and each test checks the code and that the advice names the fix."""

from __future__ import annotations

import imaplib
import json
import re
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from mailconf.cli import main
from realservers import free_port
from support.mailservers import DOMAIN, MailServers

ALICE, BOB = f"alice@{DOMAIN}", f"bob@{DOMAIN}"
TIMEOUT = "1"  # the phase timeout the silent-server tests wait out


class Manifest:
    """Accounts for one check run; each password goes into its own environment variable."""

    def __init__(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.dir, self.monkeypatch, self.accounts = tmp_path, monkeypatch, {}

    def add(self, name: str, password: str | None = None, address: str = ALICE, **fields: Any) -> None:
        account = {"address": address, "outgoing": None, "incoming": None, **fields}
        if password is not None:
            variable = f"CHECK_{name.upper().replace('-', '_')}"
            self.monkeypatch.setenv(variable, password)
            account["password"] = f"${{env:{variable}}}"
        self.accounts[name] = account

    def run(self, *args: str, ca: str | None, text: bool = False) -> tuple[int, dict[str, Any], str]:
        """Exit code, JSON document and (when asked: a second run) text output of `mailconf check` on these accounts."""
        senders = [name for name, a in self.accounts.items() if a["outgoing"]]
        document = {"version": 1, "primary_sender": senders[0] if senders else "sender", "accounts": dict(self.accounts)}
        if not senders:  # the manifest must be valid: a primary sender that sends, not itself checked
            document["accounts"]["sender"] = {"address": ALICE, "outgoing": {"host": "127.0.0.1", "port": 1, "security": "tls", "auth": False}}
        path = self.dir / "mail.yaml"
        path.write_text(yaml.safe_dump(document), encoding="utf-8")
        selected = [arg for name in self.accounts for arg in ("--account", name)]
        common = [str(path), *selected, "--timeout", TIMEOUT, *(["--ca-file", ca] if ca else []), *args]
        code, out = _main(["check", *common, "--format", "json"])
        return code, json.loads(out), _main(["check", *common])[1] if text else ""


def _main(argv: list[str]) -> tuple[int, str]:
    import contextlib
    import io

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        code = main(argv)
    return code, buffer.getvalue()


@pytest.fixture
def manifest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Manifest:
    return Manifest(tmp_path, monkeypatch)


def smtp(servers: MailServers, security: str, port: int | None = None, host: str = "127.0.0.1") -> dict[str, Any]:
    default = servers.smtp.submissions if security == "tls" else servers.smtp.submission
    return {"host": host, "port": port or default, "security": security}


def imap(servers: MailServers, security: str, port: int | None = None, host: str = "127.0.0.1", **more: Any) -> dict[str, Any]:
    default = servers.dovecot.imaps if security == "tls" else servers.dovecot.imap
    return {"protocol": "imap", "host": host, "port": port or default, "security": security, **more}


def pop3(servers: MailServers, security: str, port: int | None = None, host: str = "127.0.0.1") -> dict[str, Any]:
    default = servers.dovecot.pop3s if security == "tls" else servers.dovecot.pop3
    return {"protocol": "pop3", "host": host, "port": port or default, "security": security}


def failures(document: dict[str, Any]) -> dict[str, list[tuple[str, str, str, str]]]:
    """account -> [(service, phase, code, message)] of its failed phases."""
    return {
        a["name"]: [(c["service"], p["phase"], p["code"], p["detail"]) for c in a["checks"] for p in c["phases"] if not p["ok"]]
        for a in document["accounts"]
    }


def only_failure(document: dict[str, Any], account: str) -> tuple[str, str, str, str]:
    [failure] = failures(document)[account]
    return failure


# -- every way in that works ------------------------------------------------------------


def test_every_protocol_and_security_passes_and_the_json_shape_is_documented(mail_servers: MailServers, manifest: Manifest) -> None:
    password = mail_servers.users[ALICE]
    manifest.add("submission-imaps", password, outgoing=smtp(mail_servers, "starttls"), incoming=imap(mail_servers, "tls"))
    manifest.add("submissions-imap", password, outgoing=smtp(mail_servers, "tls"), incoming=imap(mail_servers, "starttls", host="localhost"))
    manifest.add("pop3s", password, incoming=pop3(mail_servers, "tls"))
    manifest.add("pop3-stls", password, incoming=pop3(mail_servers, "starttls", host="127.0.0.2"))
    code, document, text = manifest.run(ca=mail_servers.cafile, text=True)
    assert failures(document) == {name: [] for name in manifest.accounts}
    assert code == 0
    assert document["version"] == 1
    assert document["summary"] == {"accounts": 4, "ok": 4, "failed": 0}
    first = document["accounts"][0]
    assert set(first) == {"name", "address", "ok", "seconds", "queued_seconds", "checks"}
    phases = {c["service"]: [p["phase"] for p in c["phases"]] for c in first["checks"]}
    assert phases == {"smtp": ["resolve", "connect", "greeting", "starttls", "auth"], "imap": ["resolve", "connect", "tls", "greeting", "auth", "folder"]}
    assert set(first["checks"][0]["phases"][0]) == {"phase", "ok", "seconds", "detail", "code"}
    assert "4 account(s) checked: 4 ok, 0 failed." in text
    assert re.search(r"^    auth +ok .* as alice@example\.test$", text, re.MULTILINE)
    assert password not in text and "(sensitive)" not in text and password not in json.dumps(document)


# -- the port wants the other security mode -----------------------------------------------


def test_implicit_tls_on_a_starttls_port_says_starttls_works(mail_servers: MailServers, manifest: Manifest) -> None:
    password = mail_servers.users[ALICE]
    manifest.add("smtp", password, outgoing=smtp(mail_servers, "tls", port=mail_servers.smtp.submission))
    manifest.add("imap", password, incoming=imap(mail_servers, "tls", port=mail_servers.dovecot.imap))
    manifest.add("pop3", password, incoming=pop3(mail_servers, "tls", port=mail_servers.dovecot.pop3))
    code, document, _ = manifest.run(ca=mail_servers.cafile)
    assert code == 1
    for name in ("smtp", "imap", "pop3"):
        service, phase, diagnosis, message = only_failure(document, name)
        assert (phase, diagnosis) == ("tls", "check-wants-starttls"), message
        assert "set security: starttls" in message


def test_starttls_on_an_implicit_tls_port_says_tls_works(mail_servers: MailServers, manifest: Manifest) -> None:
    password = mail_servers.users[ALICE]
    manifest.add("smtp", password, outgoing=smtp(mail_servers, "starttls", port=mail_servers.smtp.submissions))
    manifest.add("imap", password, incoming=imap(mail_servers, "starttls", port=mail_servers.dovecot.imaps))
    manifest.add("pop3", password, incoming=pop3(mail_servers, "none", port=mail_servers.dovecot.pop3s))
    code, document, _ = manifest.run(ca=mail_servers.cafile)
    assert code == 1
    for name in ("smtp", "imap", "pop3"):
        service, phase, diagnosis, message = only_failure(document, name)
        assert (phase, diagnosis) == ("greeting", "check-wants-tls"), message
        assert "set security: tls" in message


def test_a_login_in_the_clear_where_the_server_wants_tls_first(mail_servers: MailServers, manifest: Manifest) -> None:
    # Dovecot enforces TLS from 127.0.0.2 only (127.0.0.1 counts as secure); Postfix on its submission port always.
    password = mail_servers.users[ALICE]
    manifest.add("smtp", password, outgoing=smtp(mail_servers, "none"))
    manifest.add("imap", password, incoming=imap(mail_servers, "none", host="127.0.0.2"))
    manifest.add("pop3", password, incoming=pop3(mail_servers, "none", host="127.0.0.2"))
    _, document, _ = manifest.run(ca=mail_servers.cafile)
    for name in ("smtp", "imap", "pop3"):
        assert only_failure(document, name)[1:3] == ("auth", "check-login-needs-tls"), name


def test_a_server_without_starttls(mail_servers: MailServers, manifest: Manifest) -> None:
    with plain_smtp_server() as port:
        manifest.add("starttls", "irrelevant", outgoing={"host": "127.0.0.1", "port": port, "security": "starttls"})
        manifest.add("tls", "irrelevant", outgoing={"host": "127.0.0.1", "port": port, "security": "tls"})
        _, document, _ = manifest.run(ca=mail_servers.cafile)
    assert only_failure(document, "starttls")[1:3] == ("starttls", "check-no-starttls")
    assert only_failure(document, "tls")[1:3] == ("tls", "check-no-starttls")


# -- authentication --------------------------------------------------------------------------


def test_a_wrong_password_is_rejected_on_every_protocol(mail_servers: MailServers, manifest: Manifest) -> None:
    wrong = mail_servers.users[BOB]
    manifest.add("smtp", wrong, outgoing=smtp(mail_servers, "starttls"))
    manifest.add("imap", wrong, incoming=imap(mail_servers, "tls"))
    manifest.add("pop3", wrong, incoming=pop3(mail_servers, "tls"))
    code, document, text = manifest.run(ca=mail_servers.cafile, text=True)
    assert code == 1
    for name in ("smtp", "imap", "pop3"):
        _, phase, diagnosis, message = only_failure(document, name)
        assert (phase, diagnosis) == ("auth", "check-auth-rejected")
        assert "check the password of ${env:CHECK_" in message and wrong not in message
    assert len(re.findall(r"^    auth +FAIL .*check the password of .*\[check-auth-rejected\]$", text, re.MULTILINE)) == 3
    assert re.search(r"^pop3 <alice@example\.test>: FAILED", text, re.MULTILINE)
    assert text.endswith("3 account(s) checked: 0 ok, 3 failed.\n")


def test_a_username_other_than_the_address_is_named(mail_servers: MailServers, manifest: Manifest) -> None:
    password = mail_servers.users[ALICE]
    manifest.add("right-password", password, username="alice", incoming=imap(mail_servers, "tls"))
    manifest.add("wrong-password", "not-the-password", username="alice", outgoing=smtp(mail_servers, "tls"))
    _, document, _ = manifest.run(ca=mail_servers.cafile)
    _, _, diagnosis, message = only_failure(document, "right-password")
    assert diagnosis == "check-auth-rejected"
    assert f"accepted the address {ALICE} with the same password: set username: {ALICE}" in message
    _, _, diagnosis, message = only_failure(document, "wrong-password")
    assert diagnosis == "check-auth-rejected" and f"the username is not the address {ALICE}" in message


PADDINGS = {"lead": (" ", ""), "trail": ("", " "), "ideographic": ("\u3000", ""), "nbsp": ("", "\u00a0"), "both": (" ", "  ")}


def test_whitespace_at_an_end_of_the_secret_is_found_by_trying_without(mail_servers: MailServers, manifest: Manifest) -> None:
    password = mail_servers.users[ALICE]
    for name, (before, after) in PADDINGS.items():
        service = {"incoming": imap(mail_servers, "tls")} if len(name) % 2 else {"outgoing": smtp(mail_servers, "starttls")}
        manifest.add(name, before + password + after, **service)
    _, document, text = manifest.run(ca=mail_servers.cafile, text=True)
    for name in PADDINGS:
        _, phase, diagnosis, message = only_failure(document, name)
        assert (phase, diagnosis) == ("auth", "check-secret-whitespace"), name
        assert "accepted it without" in message and f"${{env:CHECK_{name.upper()}}}" in message
    assert password not in text and "(sensitive)" not in text  # never printed, so never blanked


def test_a_secret_from_a_file_with_a_trailing_space(mail_servers: MailServers, manifest: Manifest, tmp_path: Path) -> None:
    (tmp_path / "pw").write_text(mail_servers.users[ALICE] + " \n", encoding="utf-8")
    manifest.add("file", None, outgoing=smtp(mail_servers, "tls"))
    manifest.accounts["file"]["password"] = "${file:pw}"
    _, document, _ = manifest.run(ca=mail_servers.cafile)
    assert only_failure(document, "file")[2] == "check-secret-whitespace"


def test_a_missing_secret_fails_the_login_phases_without_connecting_in_vain(mail_servers: MailServers, manifest: Manifest, monkeypatch: pytest.MonkeyPatch) -> None:
    manifest.add("unset", "x", outgoing=smtp(mail_servers, "tls"), incoming=imap(mail_servers, "tls"))
    monkeypatch.delenv("CHECK_UNSET")
    _, document, _ = manifest.run(ca=mail_servers.cafile)
    assert [f[:3] for f in failures(document)["unset"]] == [("smtp", "auth", "check-secret"), ("imap", "auth", "check-secret")]


def test_a_folder_that_does_not_exist(mail_servers: MailServers, manifest: Manifest) -> None:
    manifest.add("folder", mail_servers.users[ALICE], incoming=imap(mail_servers, "tls", folder="Invoices"))
    _, document, _ = manifest.run(ca=mail_servers.cafile)
    _, phase, diagnosis, message = only_failure(document, "folder")
    assert (phase, diagnosis) == ("folder", "check-folder-missing") and "INBOX" in message


# -- certificates -----------------------------------------------------------------------------


def test_an_untrusted_certificate_without_the_ca(mail_servers: MailServers, manifest: Manifest) -> None:
    password = mail_servers.users[ALICE]
    manifest.add("smtps", password, outgoing=smtp(mail_servers, "tls"))
    manifest.add("starttls", password, outgoing=smtp(mail_servers, "starttls"))
    manifest.add("imaps", password, incoming=imap(mail_servers, "tls"))
    _, document, _ = manifest.run(ca=None)
    assert only_failure(document, "smtps")[1:3] == ("tls", "check-cert-untrusted")
    assert only_failure(document, "starttls")[1:3] == ("starttls", "check-cert-untrusted")
    assert only_failure(document, "imaps")[1:3] == ("tls", "check-cert-untrusted")
    assert "--ca-file" in only_failure(document, "imaps")[3]


@pytest.mark.parametrize(("kind", "code"), [("expired", "check-cert-expired"), ("wrong-name", "check-cert-name")])
def test_an_expired_or_wrong_name_certificate(mail_servers: MailServers, manifest: Manifest, kind: str, code: str) -> None:
    with tls_imap_server(certificate(mail_servers, kind)) as port:
        manifest.add("bad-cert", "irrelevant", incoming={"protocol": "imap", "host": "localhost", "port": port, "security": "tls"})
        _, document, _ = manifest.run(ca=mail_servers.cafile)
    assert only_failure(document, "bad-cert")[1:3] == ("tls", code)


def test_a_good_certificate_from_the_same_test_server_passes_the_handshake(mail_servers: MailServers, manifest: Manifest) -> None:
    # The control for the test above: only the certificate differs, so the failure is the certificate's.
    with tls_imap_server(certificate(mail_servers, "good")) as port:
        manifest.add("good-cert", "irrelevant", incoming={"protocol": "imap", "host": "localhost", "port": port, "security": "tls"})
        _, document, _ = manifest.run(ca=mail_servers.cafile)
    assert only_failure(document, "good-cert")[1] == "auth"


# -- the network -------------------------------------------------------------------------------


def test_a_refused_port_and_a_server_that_never_answers(mail_servers: MailServers, manifest: Manifest) -> None:
    closed = free_port()
    with silent_server() as silent:
        manifest.add("refused", "irrelevant", outgoing={"host": "127.0.0.1", "port": closed, "security": "starttls"})
        manifest.add("silent-tls", "irrelevant", incoming={"protocol": "imap", "host": "127.0.0.1", "port": silent, "security": "tls"})
        manifest.add("silent-starttls", "irrelevant", outgoing={"host": "127.0.0.1", "port": silent, "security": "starttls"})
        _, document, _ = manifest.run(ca=mail_servers.cafile)
    assert only_failure(document, "refused")[1:3] == ("connect", "check-refused")
    assert only_failure(document, "silent-tls")[1:3] == ("tls", "check-timeout")
    assert only_failure(document, "silent-starttls")[1:3] == ("greeting", "check-timeout")
    assert f"within {TIMEOUT} s" in only_failure(document, "silent-starttls")[3]


def test_a_host_that_does_not_resolve(manifest: Manifest) -> None:
    manifest.add("nowhere", "irrelevant", outgoing={"host": "mail.nowhere.invalid", "port": 465})
    _, document, _ = manifest.run(ca=None)
    assert only_failure(document, "nowhere")[1:3] in {("resolve", "check-resolve"), ("resolve", "check-timeout")}


# -- test mail and round trip ------------------------------------------------------------------


def test_send_test_to_delivers_a_mail(mail_servers: MailServers, manifest: Manifest) -> None:
    manifest.add("sender", mail_servers.users[ALICE], outgoing=smtp(mail_servers, "starttls"))
    code, document, _ = manifest.run("--send-test-to", BOB, ca=mail_servers.cafile)
    assert code == 0
    [mail] = [c for c in document["accounts"][0]["checks"] if c["service"] == "mail"]
    [send] = mail["phases"]
    message_id = re.search(r"<[^>]+>", send["detail"])[0]
    assert _arrives(mail_servers, BOB, message_id), "the test mail did not arrive in bob's INBOX within 10 s"
    _imap_delete(mail_servers, BOB, message_id)


@pytest.mark.parametrize("incoming", [imap, pop3], ids=["imap", "pop3"])
def test_the_round_trip_finds_its_mail_and_deletes_it(mail_servers: MailServers, manifest: Manifest, incoming: Callable[..., dict[str, Any]]) -> None:
    kept = _imap_append_flagged_deleted(mail_servers, BOB)  # a mail another client marked deleted, not yet expunged
    manifest.add("roundtrip", mail_servers.users[BOB], address=BOB, outgoing=smtp(mail_servers, "tls"), incoming=incoming(mail_servers, "tls"))
    code, document, _ = manifest.run("--roundtrip", ca=mail_servers.cafile)
    [mail] = [c for c in document["accounts"][0]["checks"] if c["service"] == "mail"]
    assert code == 0, mail
    assert [p["phase"] for p in mail["phases"]] == ["send", "arrive", "delete"]
    assert re.fullmatch(r"after \d+\.\d\d s", mail["phases"][1]["detail"])
    message_id, outcome = mail["phases"][2]["detail"].split(": ", 1)
    assert outcome == "deleted" and not _imap_uids(mail_servers, BOB, message_id), "the round-trip mail was not deleted"
    assert _imap_uids(mail_servers, BOB, kept), "the round trip expunged a mail that was not its own"
    _imap_delete(mail_servers, BOB, kept)


def test_a_round_trip_needs_a_working_mailbox(mail_servers: MailServers, manifest: Manifest) -> None:
    manifest.add("half", mail_servers.users[ALICE], outgoing=smtp(mail_servers, "tls"), incoming=imap(mail_servers, "tls", port=free_port()))
    code, document, _ = manifest.run("--roundtrip", ca=mail_servers.cafile)
    assert code == 1
    assert [f[2] for f in failures(document)["half"]] == ["check-refused", "check-roundtrip"]


@pytest.mark.parametrize("option", [("--roundtrip",), ("--send-test-to", BOB)], ids=["roundtrip", "send-test-to"])
def test_a_test_mail_asked_for_an_account_that_cannot_send_fails_instead_of_being_skipped(mail_servers: MailServers, manifest: Manifest, option: tuple[str, ...]) -> None:
    manifest.add("receiver", mail_servers.users[ALICE], incoming=imap(mail_servers, "tls"))
    code, document, _ = manifest.run(*option, ca=mail_servers.cafile)
    assert code == 1
    assert [f[2] for f in failures(document)["receiver"]] == ["check-roundtrip"]


# -- the command line ---------------------------------------------------------------------------


def test_an_unknown_account_or_an_invalid_manifest_is_a_usage_error(manifest: Manifest, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifest.add("real", "x", outgoing={"host": "127.0.0.1", "port": 465})
    manifest.run(ca=None)  # writes the manifest
    assert main(["check", str(tmp_path / "mail.yaml"), "--account", "ghost"]) == 1
    assert "no account named ghost (the manifest has: real" in capsys.readouterr().err
    for bad in (["--concurrency", "0"], ["--timeout", "0"], ["--ca-file", str(tmp_path / "missing.pem")]):
        assert main(["check", str(tmp_path / "mail.yaml"), *bad]) == 1
        assert "mailconf: error: " in capsys.readouterr().err
    (tmp_path / "mail.yaml").write_text("version: 1\naccounts: {a: {address: nope}}\n", encoding="utf-8")
    assert main(["check", str(tmp_path / "mail.yaml")]) == 1
    assert "the manifest has errors" in capsys.readouterr().err


# -- helpers: servers the fixture cannot be -----------------------------------------------------


def certificate(servers: MailServers, kind: str) -> tuple[str, str]:
    """A server certificate signed by the fixture's CA: `good`, `expired` (valid until yesterday) or
    `wrong-name` (for another host), made with the openssl CLI."""
    d = Path(servers.dir) / f"cert-{kind}"
    if not d.exists():
        d.mkdir()
        name = "elsewhere.example" if kind == "wrong-name" else "localhost"
        subprocess.run(["openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                        "-keyout", f"{d}/key.pem", "-out", f"{d}/req.csr", "-subj", f"/CN={name}"], check=True, capture_output=True)
        (d / "ext").write_text(f"subjectAltName=DNS:{name}\nextendedKeyUsage=serverAuth\n", encoding="utf-8")
        subprocess.run(["openssl", "x509", "-req", "-in", f"{d}/req.csr", "-CA", servers.cafile, "-CAkey", f"{servers.dir}/ca.key",
                        "-days", "-1" if kind == "expired" else "2", "-extfile", f"{d}/ext", "-out", f"{d}/cert.pem"], check=True, capture_output=True)
    return f"{d}/cert.pem", f"{d}/key.pem"


def _serve(listener: socket.socket, handle: Callable[[socket.socket], None]) -> threading.Thread:
    def loop() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return  # the listener was closed: the test is over
            threading.Thread(target=_guarded, args=(handle, conn), daemon=True).start()

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    return thread


def _guarded(handle: Callable[[socket.socket], None], conn: socket.socket) -> None:
    with conn:
        try:
            conn.settimeout(10)
            handle(conn)
        except (OSError, ssl.SSLError):
            pass  # the client gave up (as a certificate check must)


def _listener() -> socket.socket:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    return listener


class _Running:
    def __init__(self, handle: Callable[[socket.socket], None] | None) -> None:
        self.listener = _listener()
        if handle is not None:
            _serve(self.listener, handle)

    def __enter__(self) -> int:
        return self.listener.getsockname()[1]

    def __exit__(self, *exc: object) -> None:
        self.listener.close()


def tls_imap_server(cert: tuple[str, str]) -> _Running:
    """An implicit-TLS port that greets as IMAP and refuses every login."""
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(*cert)

    def handle(conn: socket.socket) -> None:
        with ctx.wrap_socket(conn, server_side=True) as tls:
            tls.sendall(b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] test server ready\r\n")
            for line in tls.makefile("rb"):
                tag = line.split(b" ", 1)[0]
                if b"CAPABILITY" in line.upper():
                    tls.sendall(b"* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n" + tag + b" OK done\r\n")
                elif b"LOGOUT" in line.upper():
                    tls.sendall(b"* BYE\r\n" + tag + b" OK bye\r\n")
                    return
                else:
                    tls.sendall(tag + b" NO [AUTHENTICATIONFAILED] no\r\n")

    return _Running(handle)


def plain_smtp_server() -> _Running:
    """An SMTP server that offers AUTH but no STARTTLS (as a badly configured relay does)."""

    def handle(conn: socket.socket) -> None:
        conn.sendall(b"220 plain.example.test ESMTP\r\n")
        for line in conn.makefile("rb"):
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                conn.sendall(b"250-plain.example.test\r\n250 AUTH PLAIN LOGIN\r\n")
            elif verb == b"QUIT":
                conn.sendall(b"221 bye\r\n")
                return
            else:
                conn.sendall(b"502 5.5.2 not here\r\n")

    return _Running(handle)


def silent_server() -> _Running:
    """A port that accepts connections (the kernel's backlog) and never says a word."""
    return _Running(None)


def _imap_uids(servers: MailServers, user: str, message_id: str) -> list[bytes]:
    with imaplib.IMAP4_SSL("127.0.0.1", servers.dovecot.imaps, ssl_context=ssl.create_default_context(cafile=servers.cafile), timeout=10) as box:
        box.login(user, servers.users[user])
        box.select("INBOX")
        return (box.uid("SEARCH", "HEADER", "Message-ID", f'"{message_id}"')[1][0] or b"").split()


def _imap_append_flagged_deleted(servers: MailServers, user: str) -> str:
    """Put a mail flagged \\Deleted (as a client that marks instead of removing leaves it) in `user`'s INBOX."""
    message_id = f"<kept-{time.time_ns()}@test.example>"
    text = f"From: x@test.example\r\nTo: {user}\r\nSubject: kept\r\nMessage-ID: {message_id}\r\n\r\nkeep me\r\n"
    with imaplib.IMAP4_SSL("127.0.0.1", servers.dovecot.imaps, ssl_context=ssl.create_default_context(cafile=servers.cafile), timeout=10) as box:
        box.login(user, servers.users[user])
        box.append("INBOX", "(\\Deleted)", None, text.encode())
    return message_id


def _arrives(servers: MailServers, user: str, message_id: str) -> bool:
    """Whether the mail shows up in `user`'s INBOX (delivery through LMTP takes ~20 ms), asked for up to 10 s."""
    for _ in range(100):
        if _imap_uids(servers, user, message_id):
            return True
        time.sleep(0.1)
    return False


def _imap_delete(servers: MailServers, user: str, message_id: str) -> None:
    with imaplib.IMAP4_SSL("127.0.0.1", servers.dovecot.imaps, ssl_context=ssl.create_default_context(cafile=servers.cafile), timeout=10) as box:
        box.login(user, servers.users[user])
        box.select("INBOX")
        for uid in (box.uid("SEARCH", "HEADER", "Message-ID", f'"{message_id}"')[1][0] or b"").split():
            box.uid("STORE", uid, "+FLAGS", "(\\Deleted)")
        box.expunge()
