"""Turn a failed phase into advice, by trying: when a TLS handshake or a greeting fails, the other
security mode is tried on a new connection, so the message can say which setting works."""

from __future__ import annotations

import imaplib
import poplib
import smtplib
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass

from mailconf.presets import Endpoint
from mailconf.probe import net, tls
from mailconf.probe.outcome import CheckFailure

_CLOSED = (ConnectionResetError, BrokenPipeError, EOFError, smtplib.SMTPServerDisconnected, imaplib.IMAP4.abort)
_USUAL = "SMTP 465 tls / 587 starttls, IMAP 993 tls / 143 starttls, POP3 995 tls / 110 starttls"


@dataclass(frozen=True)
class Explainer:
    """Explains failures on one endpoint; `client` builds the protocol client on a connected socket."""

    endpoint: Endpoint
    client: Callable[[socket.socket, str], object]
    ctx: ssl.SSLContext
    timeout: float

    @property
    def _where(self) -> str:
        return f"{self.endpoint.host}:{self.endpoint.port}"

    def __call__(self, phase: str, exc: Exception) -> CheckFailure:
        host, port, security = self.endpoint.host, self.endpoint.port, self.endpoint.security
        if isinstance(exc, ssl.SSLCertVerificationError):
            return tls.certificate_diagnosis(exc, host)
        if isinstance(exc, socket.gaierror):
            return CheckFailure("check-resolve", f"cannot resolve {host} ({exc.strerror}): check the host name")
        if isinstance(exc, ConnectionRefusedError):
            return CheckFailure("check-refused", f"{self._where} refused the connection (nothing listens there): check the port ({_USUAL}) and the host")
        if phase == "tls" and isinstance(exc, (ssl.SSLError, *_CLOSED)) and not isinstance(exc, TimeoutError):
            works = self._plain_mode()
            if works == "starttls":
                return CheckFailure("check-wants-starttls", f"port {port} does not speak implicit TLS, it offers STARTTLS: set security: starttls (tried: that works)")
            if works == "none":
                return CheckFailure("check-no-starttls", f"port {port} speaks plain text and offers no TLS at all (no STARTTLS): use the provider's TLS port instead")
        if isinstance(exc, TimeoutError):
            return CheckFailure("check-timeout", f"no answer from {self._where} within {self.timeout:g} s ({phase}): a firewall dropping packets, or a server that accepts and never answers")
        if isinstance(exc, _CLOSED):
            return CheckFailure("check-closed", f"{self._where} closed the connection ({phase}): check the port and security (did it expect {'plain text or STARTTLS' if security == 'tls' else 'implicit TLS'}?)")
        if isinstance(exc, ssl.SSLError):
            return CheckFailure("check-tls", f"the TLS handshake with {self._where} failed: {exc.reason or exc}")
        if isinstance(exc, OSError):
            return CheckFailure("check-connect", f"cannot reach {self._where}: {exc.strerror or exc}")
        if isinstance(exc, (smtplib.SMTPException, imaplib.IMAP4.error, poplib.error_proto)):
            return CheckFailure("check-protocol", f"unexpected answer from {self._where} ({phase}): {exc}")
        return CheckFailure("check-protocol", f"unexpected failure talking to {self._where} ({phase}): {type(exc).__name__}: {exc}")

    def _plain_mode(self) -> str | None:
        """On a port where implicit TLS failed: "starttls" when a plain connection greets and upgrades,
        "none" when it greets without offering TLS, None when it does not speak the protocol in the clear."""
        try:
            sock = net.connect([self.endpoint.host], self.endpoint.port, self.timeout)
        except OSError:
            return None
        try:
            client = self.client(sock, self.endpoint.host)
            if not client.offers_starttls():  # type: ignore[attr-defined]
                return "none"
            client.starttls(self.ctx)  # type: ignore[attr-defined]
            return "starttls"
        except ssl.SSLCertVerificationError:
            return "starttls"  # TLS works there; its certificate is the next thing to fix
        except Exception:  # noqa: BLE001 - anything else: the clear-text mode does not work either
            return None
        finally:
            sock.close()

    def wants_tls(self) -> CheckFailure:
        return CheckFailure("check-wants-tls", f"port {self.endpoint.port} expects implicit TLS (the server waits for a TLS handshake and sends no greeting): set security: tls (tried: that works)")

    def tls_works(self, timeout: float) -> bool:
        """Whether the port completes a TLS handshake and greets inside it (implicit TLS)."""
        try:
            sock = net.connect([self.endpoint.host], self.endpoint.port, timeout)
        except OSError:
            return False
        try:
            sock = self.ctx.wrap_socket(sock, server_hostname=self.endpoint.host)
            self.client(sock, self.endpoint.host)
            return True
        except ssl.SSLCertVerificationError:
            return True
        except Exception:  # noqa: BLE001 - not implicit TLS either
            return False
        finally:
            sock.close()
