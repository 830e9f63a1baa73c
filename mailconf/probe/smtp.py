"""SMTP submission on an already connected socket (so connect and TLS are phases of their own)."""

from __future__ import annotations

import base64
import smtplib
import socket
import ssl
from email.message import EmailMessage

from mailconf.probe.outcome import CheckFailure, LoginRejected

# Our EHLO name: socket.getfqdn() (smtplib's default) may wait on DNS outside any phase timeout.
_EHLO_NAME = socket.gethostname() or "localhost"


class SmtpClient:
    """Reads the greeting and the EHLO answer on construction."""

    snapshot = False

    def __init__(self, sock: socket.socket, host: str) -> None:
        self._smtp = smtplib.SMTP(local_hostname=_EHLO_NAME)
        self._smtp._host = host  # what starttls() checks the certificate against
        self._smtp.sock = sock
        code, text = self._smtp.getreply()
        if code != 220:
            raise CheckFailure("check-protocol", f"the server greeted with {code} {_text(text)}: not an SMTP server ready to take mail")
        self._ehlo()

    def _ehlo(self) -> None:
        code, text = self._smtp.ehlo()
        if code != 250:
            raise CheckFailure("check-protocol", f"the server answered EHLO with {code} {_text(text)}")

    @property
    def sock(self) -> socket.socket:
        return self._smtp.sock

    def summary(self) -> str:
        return "ESMTP " + " ".join(sorted(k.upper() for k in self._smtp.esmtp_features))

    def offers_starttls(self) -> bool:
        return self._smtp.has_extn("starttls")

    def starttls(self, ctx: ssl.SSLContext) -> None:
        code, text = self._smtp.starttls(context=ctx)
        if code != 220:
            raise CheckFailure("check-no-starttls", f"the server refused STARTTLS: {code} {_text(text)}")
        self._ehlo()

    def offers_login(self) -> bool:
        return self._smtp.has_extn("auth")

    def login(self, username: str, password: str) -> None:
        """AUTH PLAIN, or LOGIN where PLAIN is not offered; by hand, because smtplib encodes
        credentials as ASCII and a password may be any UTF-8 (RFC 4616)."""
        offered = self._smtp.esmtp_features.get("auth", "").upper().split()
        if "PLAIN" in offered or "LOGIN" not in offered:
            code, text = self._smtp.docmd("AUTH", "PLAIN " + _b64(f"\0{username}\0{password}"))
        else:
            code, text = self._smtp.docmd("AUTH", "LOGIN " + _b64(username))
            if code == 334:
                code, text = self._smtp.docmd(_b64(password))
        if code != 235:
            raise LoginRejected(f"{code} {_text(text)}")

    def send(self, message: EmailMessage, sender: str, recipient: str) -> None:
        try:
            self._smtp.send_message(message, sender, [recipient])
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = exc.recipients[recipient]
            raise CheckFailure("check-send-refused", f"the server refused the recipient {recipient}: {code} {_text(text)}") from None
        except smtplib.SMTPResponseException as exc:
            raise CheckFailure("check-send-refused", f"the server refused the mail: {exc.smtp_code} {_text(exc.smtp_error)}") from None

    def close(self) -> None:
        try:
            self._smtp.quit()
        except (OSError, smtplib.SMTPException):
            self._smtp.close()


def _b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def _text(raw: bytes | str) -> str:
    return (raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw).replace("\n", " ")
