"""The mail server fixtures behave like a real provider: TLS a client can verify, AUTH that tells
a right password from a wrong one, STARTTLS ports that refuse a login in the clear, and a mail
submitted with SMTP AUTH that lands in the recipient's IMAP INBOX."""

from __future__ import annotations

import imaplib
import poplib
import smtplib
import ssl
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Callable
from email.message import EmailMessage

import pytest

from support.mailservers import MailServers

ALICE = "alice@example.test"
BOB = "bob@example.test"


def _context(servers: MailServers) -> ssl.SSLContext:
    """A client context that verifies the server certificate and host name against the test CA."""
    return ssl.create_default_context(cafile=servers.cafile)


def imap_starttls(servers: MailServers, user: str, password: str) -> None:
    with imaplib.IMAP4("localhost", servers.dovecot.imap, timeout=10) as imap:
        imap.starttls(ssl_context=_context(servers))
        imap.login(user, password)


def imaps(servers: MailServers, user: str, password: str) -> None:
    with imaplib.IMAP4_SSL("localhost", servers.dovecot.imaps, ssl_context=_context(servers), timeout=10) as imap:
        imap.login(user, password)


def pop3_stls(servers: MailServers, user: str, password: str) -> None:
    pop = poplib.POP3("localhost", servers.dovecot.pop3, timeout=10)
    try:
        pop.stls(context=_context(servers))
        pop.user(user)
        pop.pass_(password)
    finally:
        pop.close()


def pop3s(servers: MailServers, user: str, password: str) -> None:
    pop = poplib.POP3_SSL("localhost", servers.dovecot.pop3s, context=_context(servers), timeout=10)
    try:
        pop.user(user)
        pop.pass_(password)
    finally:
        pop.close()


def submission(servers: MailServers, user: str, password: str) -> smtplib.SMTP:
    smtp = smtplib.SMTP("localhost", servers.smtp.submission, timeout=10)
    smtp.starttls(context=_context(servers))
    smtp.login(user, password)
    return smtp


def submissions(servers: MailServers, user: str, password: str) -> smtplib.SMTP:
    smtp = smtplib.SMTP_SSL("localhost", servers.smtp.submissions, context=_context(servers), timeout=10)
    smtp.login(user, password)
    return smtp


def smtp_login(connect: Callable[[MailServers, str, str], smtplib.SMTP]) -> Callable[[MailServers, str, str], None]:
    def login(servers: MailServers, user: str, password: str) -> None:
        connect(servers, user, password).quit()

    return login


#: Each protocol and security a mail client can use, and what its library raises on a refused login.
LOGINS = [
    pytest.param(imap_starttls, imaplib.IMAP4.error, id="imap-starttls"),
    pytest.param(imaps, imaplib.IMAP4.error, id="imaps"),
    pytest.param(pop3_stls, poplib.error_proto, id="pop3-stls"),
    pytest.param(pop3s, poplib.error_proto, id="pop3s"),
    pytest.param(smtp_login(submission), smtplib.SMTPAuthenticationError, id="smtp-starttls"),
    pytest.param(smtp_login(submissions), smtplib.SMTPAuthenticationError, id="smtps"),
]


@pytest.mark.parametrize("login", [pytest.param(p.values[0], id=p.id) for p in LOGINS])
def test_the_right_password_logs_in(mail_servers: MailServers, login) -> None:
    for user, password in mail_servers.users.items():
        login(mail_servers, user, password)


@pytest.mark.parametrize(("login", "refused"), LOGINS)
def test_a_wrong_password_is_refused(mail_servers: MailServers, login, refused) -> None:
    # Another user's password: a failed login costs 0.5-1 s on these servers, so one per protocol.
    with pytest.raises(refused):
        login(mail_servers, ALICE, mail_servers.users[BOB])


def test_nearly_right_credentials_are_refused(mail_servers: MailServers) -> None:
    # The mistakes a pasted or retyped password makes, and a user the server does not know. Run
    # together: Dovecot answers failures on a 0.5 s timer, so one by one they would cost seconds.
    password = mail_servers.users[ALICE]
    attempts = [(ALICE, f"{password} "), (ALICE, f" {password}"), (ALICE, password.capitalize()),
                (ALICE, password[:-1]), (ALICE, ""), ("carol@example.test", password)]

    def refused(attempt: tuple[str, str]) -> bool:
        try:
            imaps(mail_servers, *attempt)
        except imaplib.IMAP4.error:
            return True
        return False

    with ThreadPoolExecutor(len(attempts)) as pool:
        assert list(pool.map(refused, attempts)) == [True] * len(attempts)


def test_starttls_ports_refuse_a_login_in_the_clear(mail_servers: MailServers) -> None:
    # 127.0.0.1 -> 127.0.0.1 counts as secure for Dovecot; from 127.0.0.2 it enforces TLS.
    with imaplib.IMAP4("127.0.0.2", mail_servers.dovecot.imap, timeout=10) as imap:
        assert "LOGINDISABLED" in imap.capabilities
        with pytest.raises(imaplib.IMAP4.error):
            imap.login(ALICE, mail_servers.users[ALICE])
    pop = poplib.POP3("127.0.0.2", mail_servers.dovecot.pop3, timeout=10)
    try:
        with pytest.raises(poplib.error_proto, match="Plaintext authentication disallowed"):
            pop.user(ALICE)
            pop.pass_(mail_servers.users[ALICE])
    finally:
        pop.close()
    with smtplib.SMTP("127.0.0.1", mail_servers.smtp.submission, timeout=10) as smtp:
        smtp.ehlo()
        assert not smtp.has_extn("auth")
        with pytest.raises(smtplib.SMTPNotSupportedError):
            smtp.login(ALICE, mail_servers.users[ALICE])


def test_the_certificate_is_rejected_without_the_test_ca(mail_servers: MailServers) -> None:
    with pytest.raises(ssl.SSLCertVerificationError):
        imaplib.IMAP4_SSL("localhost", mail_servers.dovecot.imaps, ssl_context=ssl.create_default_context(), timeout=10)


@pytest.mark.parametrize("connect", [submission, submissions], ids=["smtp-starttls", "smtps"])
def test_a_mail_sent_with_smtp_auth_arrives_in_the_imap_inbox(mail_servers: MailServers, connect) -> None:
    token = uuid.uuid4().hex
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = ALICE, BOB, f"round trip {token}"
    message.set_content("hello")
    smtp = connect(mail_servers, ALICE, mail_servers.users[ALICE])
    try:
        smtp.send_message(message)
    finally:
        smtp.quit()
    assert _wait_for_subject(mail_servers, BOB, token), "the mail did not arrive in the INBOX within 10 s"


def test_nothing_is_relayed_outside_the_test_domain(mail_servers: MailServers) -> None:
    smtp = submission(mail_servers, ALICE, mail_servers.users[ALICE])
    try:
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            smtp.sendmail(ALICE, ["someone@example.com"], b"Subject: out\r\n\r\nno")
    finally:
        smtp.quit()


def _wait_for_subject(servers: MailServers, user: str, token: str, timeout: float = 10) -> bool:
    """Whether a mail whose subject holds `token` shows up in `user`'s INBOX (delivery takes ~20 ms)."""
    end = time.monotonic() + timeout
    with imaplib.IMAP4_SSL("localhost", servers.dovecot.imaps, ssl_context=_context(servers), timeout=10) as imap:
        imap.login(user, servers.users[user])
        while time.monotonic() < end:
            imap.select("INBOX")
            if imap.search(None, "SUBJECT", token)[1][0]:
                return True
            time.sleep(0.05)
    return False
