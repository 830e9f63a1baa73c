"""IMAP on an already connected socket: greeting, capabilities, STARTTLS, LOGIN, folders, a mail by Message-ID."""

from __future__ import annotations

import imaplib
import socket
import ssl

from mailconf.probe.outcome import CheckFailure, LoginRejected


class _OnSocket(imaplib.IMAP4):
    """imaplib connects by itself; this one takes the socket the connect (and TLS) phase made."""

    def __init__(self, sock: socket.socket, host: str) -> None:
        self._given = sock
        super().__init__(host, 0)  # reads the greeting and the capabilities

    def _create_socket(self, timeout: float | None) -> socket.socket:
        return self._given


def quoted(mailbox: str) -> str:
    return '"' + mailbox.replace("\\", "\\\\").replace('"', '\\"') + '"'


class ImapClient:
    snapshot = False  # a re-selected mailbox shows mail that arrived since

    def __init__(self, sock: socket.socket, host: str) -> None:
        self._imap = _OnSocket(sock, host)

    @property
    def sock(self) -> socket.socket:
        return self._imap.sock

    def summary(self) -> str:
        return " ".join(self._imap.capabilities)

    def offers_starttls(self) -> bool:
        return "STARTTLS" in self._imap.capabilities

    def starttls(self, ctx: ssl.SSLContext) -> None:
        self._imap.starttls(ssl_context=ctx)

    def offers_login(self) -> bool:
        return "LOGINDISABLED" not in self._imap.capabilities

    def login(self, username: str, password: str) -> None:
        """AUTHENTICATE PLAIN where offered (UTF-8, RFC 4616), else LOGIN (which imaplib sends as ASCII)."""
        try:
            if "AUTH=PLAIN" in self._imap.capabilities:
                self._imap.authenticate("PLAIN", lambda _: f"\0{username}\0{password}".encode("utf-8"))
            else:
                self._imap.login(username, password)
        except imaplib.IMAP4.error as exc:
            if isinstance(exc, imaplib.IMAP4.abort):
                raise
            raise LoginRejected(str(exc).removeprefix("b'").removesuffix("'")) from None

    def folder(self, name: str) -> str:
        """The folder's message count; a diagnosis naming the folders there are when it does not exist."""
        status, data = self._imap.select(quoted(name), readonly=True)
        if status == "OK":
            return f"{name}: {int(data[0] or 0)} messages"
        _, listing = self._imap.list()
        names = [line.decode("utf-8", "replace").rsplit(' "', 1)[-1].rstrip('"') if isinstance(line, bytes) else str(line) for line in listing or []]
        raise CheckFailure("check-folder-missing", f"the folder {name!r} does not exist on the server (there are: {', '.join(sorted(names)) or 'none'}): fix folder:")

    def find(self, message_id: str, known: set[bytes]) -> str | None:
        """The UID of the mail with this Message-ID in INBOX, if it has arrived (the server searches:
        `known`, which POP3 needs, is not)."""
        self._imap.select("INBOX")
        _, data = self._imap.uid("SEARCH", "HEADER", "Message-ID", quoted(message_id))
        uids = (data[0] or b"").split()
        return uids[0].decode() if uids else None

    def delete(self, uid: str) -> str:
        """Remove the test mail alone. A plain EXPUNGE would also remove every other mail a client
        left flagged \\Deleted, so without UIDPLUS (RFC 4315 UID EXPUNGE) the mail stays flagged."""
        self._imap.uid("STORE", uid, "+FLAGS", "(\\Deleted)")
        _, data = self._imap.capability()  # asked again: many servers list UIDPLUS only after login
        if b"UIDPLUS" in (data[0] or b"").upper().split():
            self._imap.uid("EXPUNGE", uid)
            return "deleted"
        return "flagged \\Deleted (the server has no UID EXPUNGE: the next expunge by a client removes it)"

    def close(self) -> None:
        if self._imap.state == "LOGOUT":  # closed already
            return
        try:
            self._imap.logout()
        except (OSError, imaplib.IMAP4.error):
            self._imap.shutdown()
