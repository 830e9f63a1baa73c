"""POP3 on an already connected socket: greeting, CAPA, STLS, USER/PASS, a mail by Message-ID."""

from __future__ import annotations

import poplib
import socket
import ssl

from mailconf.probe.outcome import LoginRejected


class _OnSocket(poplib.POP3):
    """poplib connects by itself; this one takes the socket the connect (and TLS) phase made."""

    def __init__(self, sock: socket.socket, host: str) -> None:
        self._given = sock
        super().__init__(host, 0)  # reads the greeting

    def _create_socket(self, timeout: float | None) -> socket.socket:
        return self._given


class Pop3Client:
    snapshot = True  # POP3 shows the mailbox as it was at login: new mail needs a new session

    def __init__(self, sock: socket.socket, host: str) -> None:
        self._pop = _OnSocket(sock, host)
        self._capabilities = self._capa()

    def _capa(self) -> dict[str, list[str]]:
        try:
            return self._pop.capa()
        except poplib.error_proto:  # CAPA is optional (RFC 2449)
            return {}

    @property
    def sock(self) -> socket.socket:
        return self._pop.sock

    def summary(self) -> str:
        return " ".join(self._capabilities) or self._pop.welcome.decode("utf-8", "replace")

    def offers_starttls(self) -> bool:
        return "STLS" in self._capabilities

    def starttls(self, ctx: ssl.SSLContext) -> None:
        self._pop.stls(context=ctx)
        self._capabilities = self._capa()

    def offers_login(self) -> bool:
        return not self._capabilities or "USER" in self._capabilities

    def login(self, username: str, password: str) -> None:
        try:
            self._pop.user(username)
            self._pop.pass_(password)
        except poplib.error_proto as exc:
            raise LoginRejected(str(exc).removeprefix("b'").removesuffix("'")) from None

    def find(self, message_id: str, known: set[bytes]) -> int | None:
        """The number of the mail with this Message-ID, if it has arrived. Only headers are fetched,
        and only of mails not in `known` (the UIDs looked at before, which this adds to)."""
        wanted = f"message-id: {message_id}".lower().encode()
        _, listing, _ = self._pop.uidl()
        for entry in reversed(listing):  # the newest last: search from the end
            number, uid = entry.split(b" ", 1)
            if uid in known:
                continue
            try:
                _, lines, _ = self._pop.top(int(number), 0)
            except poplib.error_proto:  # expunged meanwhile by another client of the mailbox
                continue
            if any(line.lower().strip() == wanted for line in lines):
                return int(number)
            known.add(uid)
        return None

    def delete(self, number: int) -> str:
        self._pop.dele(number)
        return "deleted"

    def close(self) -> None:
        if self._pop.sock is None:  # closed already
            return
        try:
            self._pop.quit()  # commits a DELE
        except (OSError, poplib.error_proto):
            self._pop.close()
