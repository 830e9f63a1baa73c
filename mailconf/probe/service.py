"""The phases of one server: resolve, connect, TLS as configured, greeting, STARTTLS, login, folder."""

from __future__ import annotations

import functools
import select
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from typing import Protocol

from mailconf.presets import Endpoint
from mailconf.probe import net, tls
from mailconf.probe.diagnose import Explainer
from mailconf.probe.imap import ImapClient
from mailconf.probe.outcome import Check, CheckFailure, LoginRejected
from mailconf.probe.pop3 import Pop3Client
from mailconf.probe.smtp import SmtpClient
from mailconf.secrets import Secret


class Client(Protocol):
    """What the phases need of a protocol client (smtp.py, imap.py, pop3.py), built on a connected
    socket; `snapshot` says whether a session sees mail that arrives after its login (POP3 does not)."""

    snapshot: bool

    @property
    def sock(self) -> socket.socket: ...
    def summary(self) -> str: ...
    def offers_starttls(self) -> bool: ...
    def starttls(self, ctx: ssl.SSLContext) -> None: ...
    def offers_login(self) -> bool: ...
    def login(self, username: str, password: str) -> None: ...
    def close(self) -> None: ...


class Mailbox(Client, Protocol):
    """An incoming client, which the round trip also searches by Message-ID and deletes from."""

    def find(self, message_id: str, known: set[bytes]) -> str | int | None: ...
    def delete(self, found: str | int) -> str: ...


CLIENTS: dict[str, type] = {"smtp": SmtpClient, "imap": ImapClient, "pop3": Pop3Client}


@dataclass(frozen=True)
class Options:
    """How every connection is made: the phase timeout and how certificates are verified."""

    timeout: float = 10.0
    cafile: str | None = None

    @functools.cached_property
    def context(self) -> ssl.SSLContext:
        """One context for every connection: loading the CA store costs milliseconds each time."""
        return tls.context(self.cafile)


@dataclass(frozen=True)
class Login:
    username: str
    address: str
    password: Secret

    def describe_reference(self) -> str:
        return self.password.reference or "the password"


def open_client(kind: str, endpoint: Endpoint, options: Options, check: Check) -> Client:
    """A connected client past its greeting (and STARTTLS), each step a phase of `check`."""
    ctx = options.context
    explain = Explainer(endpoint, CLIENTS[kind], ctx, options.timeout)
    with check.phase("resolve", explain) as note:
        addresses = net.resolve(endpoint.host, endpoint.port, options.timeout)
        note.detail = ", ".join(addresses)
    with check.phase("connect", explain) as note:
        sock = net.connect(addresses, endpoint.port, options.timeout)
        note.detail = str(sock.getpeername()[0])
    try:
        if endpoint.security == "tls":
            with check.phase("tls", explain) as note:
                sock = ctx.wrap_socket(sock, server_hostname=endpoint.host)
                note.detail = tls.describe(sock)  # type: ignore[arg-type]
        with check.phase("greeting", explain) as note:
            if endpoint.security != "tls":
                _await_greeting(sock, explain, options.timeout)
            client: Client = CLIENTS[kind](sock, endpoint.host)
            note.detail = client.summary()
    except CheckFailure:
        sock.close()
        raise
    if endpoint.security == "starttls":
        try:
            with check.phase("starttls", explain) as note:
                if not client.offers_starttls():
                    raise CheckFailure("check-no-starttls", f"the server on port {endpoint.port} offers no STARTTLS: use security: tls on the provider's TLS port, or ask the provider to enable STARTTLS")
                client.starttls(ctx)
                note.detail = tls.describe(client.sock)  # type: ignore[arg-type]
        except CheckFailure:
            client.close()
            raise
    return client


#: How long a server may take to greet before a TLS handshake is tried beside the wait (a server on
#: an implicit-TLS port says nothing until the client starts one; a healthy one greets in milliseconds).
GREETING_GRACE = 0.5


def _await_greeting(sock: socket.socket, explain: Explainer, timeout: float) -> None:
    """Return when the server starts talking. A silent one is meanwhile tried with implicit TLS on a
    second connection, inside the same phase timeout: a hung server costs no more than that timeout."""
    deadline = time.monotonic() + timeout
    if _readable(sock, min(GREETING_GRACE, timeout)):
        return
    tried: list[bool] = []
    threading.Thread(target=lambda: tried.append(explain.tls_works(max(deadline - time.monotonic(), 0.01))), daemon=True).start()
    while (left := deadline - time.monotonic()) > 0:
        if _readable(sock, min(left, 0.05)):
            return
        if tried and tried[0]:
            raise explain.wants_tls()
    raise TimeoutError


def _readable(sock: socket.socket, timeout: float) -> bool:
    return bool(select.select([sock], [], [], timeout)[0])


def authenticate(client: Client, kind: str, endpoint: Endpoint, login: Login, options: Options, check: Check) -> None:
    """Log in; a refusal is retried with what a person would try next (the secret without its
    surrounding whitespace, the address as the username) so the diagnosis can say what works."""
    explain = Explainer(endpoint, CLIENTS[kind], options.context, options.timeout)
    with check.phase("auth", explain) as note:
        if not client.offers_login():
            if endpoint.security == "none":
                raise CheckFailure("check-login-needs-tls", "the server accepts no login before TLS: set security: starttls (or tls on the provider's TLS port)")
            raise CheckFailure("check-auth-rejected", "the server offers no way to log in on this port (no AUTH): use the provider's submission port")
        password = login.password.reveal()
        try:
            client.login(login.username, password)
        except LoginRejected as refused:
            raise _rejected(client, login, password, str(refused)) from None
        note.detail = f"as {login.username}"


def _rejected(client: Client, login: Login, password: str, answer: str) -> CheckFailure:
    reference = login.describe_reference()
    if password != password.strip():
        ends = [end for end, padded in (("start", password != password.lstrip()), ("end", password != password.rstrip())) if padded]
        if _accepted(client, login.username, password.strip()):
            return CheckFailure("check-secret-whitespace", f"the server refused the password of {reference}, which has whitespace at its {' and '.join(ends)}, and accepted it without: remove the whitespace where the secret is stored")
        return CheckFailure("check-auth-rejected", f"the server refused the login of {login.username} ({answer}); the password of {reference} also has whitespace at its {' and '.join(ends)}: remove it where the secret is stored")
    if login.username.strip().lower() != login.address.strip().lower():
        if _accepted(client, login.address, password):
            return CheckFailure("check-auth-rejected", f"the server refused the username {login.username} and accepted the address {login.address} with the same password: set username: {login.address} (or remove username:)")
        return CheckFailure("check-auth-rejected", f"the server refused the login of {login.username} ({answer}); note the username is not the address {login.address}, which most providers expect: check both, and the password of {reference}")
    return CheckFailure("check-auth-rejected", f"the server refused the login of {login.username} ({answer}): check the password of {reference}, and that the account allows this kind of login (app passwords, SMTP AUTH switched off, ...)")


def _accepted(client: Client, username: str, password: str) -> bool:
    try:
        client.login(username, password)
    except Exception:  # noqa: BLE001 - refused, or the server hung up after the first refusal
        return False
    return True


def select_folder(client: ImapClient, endpoint: Endpoint, folder: str, options: Options, check: Check) -> None:
    """That the folder the application reads from exists (IMAP only; POP3 has just the one mailbox)."""
    explain = Explainer(endpoint, ImapClient, options.context, options.timeout)
    with check.phase("folder", explain) as note:
        note.detail = client.folder(folder)
