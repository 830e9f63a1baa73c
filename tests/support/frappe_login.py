"""The live mail-server checks Frappe runs when an Email Account or Email Domain is saved.

Same libraries and calls as Frappe (imaplib, poplib, smtplib without a certificate check: Frappe
passes no SSL context, so the stdlib's unverified one is used), same error handling and
messages. Research: /work/shared/research/erpnext/email-account.md points 2, 3, 8, 9 and 10
(email_account.py L174-189, L210, L304, L314; frappe/email/receive.py `connect_imap`/`connect_pop`;
frappe/email/smtp.py `SMTPServer.session`; email_domain.py `validate_*_server_conn`).
"""

from __future__ import annotations

import imaplib
import poplib
import smtplib
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .frappe_errors import InvalidEmailCredentials, MessageLog

#: Substrings (lower case, spaces removed) of an IMAP/POP error that mean "wrong credentials".
_AUTH_ERROR_CODES = ("authenticationfailed", "loginfailed")
#: POP replies Frappe treats as a passing problem: the connect "succeeds" without a login.
_TEMPORARY = ("-ERR [SYS/TEMP] Temporary system problem. Please try again later.", "Connection timed out")


@dataclass(frozen=True)
class Connection:
    """One connection the server made: what a test checks to see that a save logged in (or not)."""

    doctype: str
    name: str
    protocol: str  # "imap", "pop3" or "smtp"
    host: str
    port: int
    security: str  # "ssl", "starttls" or "none"
    user: str | None  # None: connected without logging in
    ok: bool


def cint(value: Any) -> int:
    """Frappe's `cint`: int of anything, 0 when it is not a number."""
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return 0


def incoming_port(doc: dict[str, Any]) -> Any:
    """support/utils.py `get_port`: the declared port, else the protocol's default."""
    if doc.get("incoming_port"):
        return doc["incoming_port"]
    if cint(doc.get("use_imap")):
        return 993 if cint(doc.get("use_ssl")) else 143
    return 995 if cint(doc.get("use_ssl")) else 110


def _credentials_error(log: MessageLog, error: BaseException) -> None:
    """`SMTPServer.throw_invalid_credentials_exception`: the message ends with the traceback's last line."""
    last_line = traceback.format_exception_only(type(error), error)[-1].strip()
    log.throw(f"Please check your email login credentials. {last_line}", InvalidEmailCredentials, title="Invalid Credentials")


class MailCheck:
    """Runs the checks for one save and records every connection in `record`."""

    def __init__(
        self, doctype: str, name: str, log: MessageLog, record: Callable[[Connection], None],
        pop_timeout: float | None, smtp_timeout: float,
    ) -> None:
        self.doctype, self.name, self.log, self.record = doctype, name, log, record
        self.pop_timeout, self.smtp_timeout = pop_timeout, smtp_timeout

    def incoming_login(self, doc: dict[str, Any], user: str, password: str | None) -> None:
        """`get_incoming_server` + `check_email_server_connection` (the account's save)."""
        if not doc.get("email_server"):
            self.log.throw("Email Server is required")
        doc["incoming_port"] = incoming_port(doc)
        imap = bool(cint(doc.get("use_imap")))
        try:
            (self._imap if imap else self._pop)(doc, user, password)
        except (poplib.error_proto, imaplib.IMAP4.error) as error:
            text = str(error).lower().replace(" ", "")
            if any(code in text for code in _AUTH_ERROR_CODES):
                _credentials_error(self.log, error)
            self.log.throw(str(error))
        # OSError is re-raised unchanged by Frappe: the request fails with a 500.

    def _probe(self, protocol: str, host: str, port: int, security: str, user: str | None,
               connect: Callable[[], None]) -> None:
        """Run `connect` and record the connection, whether it worked or raised."""
        ok = False
        try:
            connect()
            ok = True
        finally:
            self.record(Connection(self.doctype, self.name, protocol, host, port, security, user, ok))

    def _imap(self, doc: dict[str, Any], user: str, password: str | None) -> None:
        host, port = doc["email_server"], cint(doc["incoming_port"])
        ssl, starttls = cint(doc.get("use_ssl")), cint(doc.get("use_starttls"))

        def connect() -> None:
            try:
                imap = imaplib.IMAP4_SSL(host, port, timeout=self.pop_timeout) if ssl else imaplib.IMAP4(
                    host, port, timeout=self.pop_timeout)
                if not ssl and starttls:
                    imap.starttls()
                imap.login(user, password)
            except OSError:
                self.log.msgprint("Invalid Mail Server. Please rectify and try again.")
                raise
            imap.logout()

        self._probe("imap", host, port, "ssl" if ssl else "starttls" if starttls else "none", user, connect)

    def _pop(self, doc: dict[str, Any], user: str, password: str | None) -> None:
        host, port, ssl = doc["email_server"], cint(doc["incoming_port"]), cint(doc.get("use_ssl"))

        def connect() -> None:
            try:
                pop = poplib.POP3_SSL(host, port, timeout=self.pop_timeout) if ssl else poplib.POP3(
                    host, port, timeout=self.pop_timeout)
                pop.user(user)
                pop.pass_(password)
            except OSError:
                self.log.msgprint("Invalid Mail Server. Please rectify and try again.")
                raise
            except poplib.error_proto as error:
                if any(text in str(error) for text in _TEMPORARY):
                    return
                self.log.msgprint("Invalid User Name or Support Password. Please rectify and try again.")
                raise
            pop.quit()

        self._probe("pop3", host, port, "ssl" if ssl else "none", user, connect)

    def smtp_login(self, doc: dict[str, Any], user: str, password: str | None) -> None:
        """`validate_smtp_conn` -> `SMTPServer.session`: connect, STARTTLS if use_tls, login if a password."""
        if not doc.get("smtp_server"):
            self.log.throw("SMTP Server is required")
        ssl, tls = cint(doc.get("use_ssl_for_outgoing")), cint(doc.get("use_tls"))
        host = str(doc["smtp_server"])
        port = cint(doc.get("smtp_port") or (ssl and 465) or (tls and 587))

        def connect() -> None:
            smtp = (smtplib.SMTP_SSL if ssl else smtplib.SMTP)(host, port, timeout=self.smtp_timeout)
            if tls:
                smtp.ehlo()
                smtp.starttls()
                smtp.ehlo()
            if password:
                smtp.login(str(user or ""), str(password))
            smtp.quit()

        try:
            self._probe("smtp", host, port, "ssl" if ssl else "starttls" if tls else "none",
                        user if password else None, connect)
        except smtplib.SMTPAuthenticationError as error:
            _credentials_error(self.log, error)
        except OSError as error:
            self.log.throw(f"Invalid Outgoing Mail Server or Port: {error}", title="Incorrect Configuration")

    def domain_connect(self, doc: dict[str, Any]) -> None:
        """EmailDomain.validate: connect (no login) to both servers; any failure is a ValidationError."""
        doc["incoming_port"] = incoming_port(doc)
        imap, ssl = cint(doc.get("use_imap")), cint(doc.get("use_ssl"))
        host, port = doc.get("email_server") or "", cint(doc["incoming_port"])

        def incoming() -> None:
            if imap:
                (imaplib.IMAP4_SSL if ssl else imaplib.IMAP4)(host, port=port, timeout=30).logout()
            else:
                (poplib.POP3_SSL if ssl else poplib.POP3)(host, port=port, timeout=30).quit()

        try:
            self._probe("imap" if imap else "pop3", host, port, "ssl" if ssl else "none", None, incoming)
        except Exception as error:
            self.log.throw(f"Error connecting via IMAP/POP3: {error}", title="Incoming email account not correct")
        ssl, tls = cint(doc.get("use_ssl_for_outgoing")), cint(doc.get("use_tls"))
        if ssl:
            doc["smtp_port"] = doc.get("smtp_port") or 465
        elif tls:
            doc["smtp_port"] = doc.get("smtp_port") or 587
        host, port = doc.get("smtp_server") or "", cint(doc.get("smtp_port"))
        try:
            self._probe("smtp", host, port, "ssl" if ssl else "none", None,
                        lambda: (smtplib.SMTP_SSL if ssl else smtplib.SMTP)(host, port, timeout=30).quit())
        except Exception as error:
            self.log.throw(f"Error connecting via SMTP: {error}", title="Outgoing email account not correct")
