"""What a check found: phases per service per account, each with a diagnosis when it failed."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


class LoginRejected(Exception):
    """The server answered a login with a refusal (its text is the exception's message)."""


class CheckFailure(Exception):
    """A failure with a stable code and a message that says what to change."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


@dataclass
class Phase:
    name: str
    ok: bool
    seconds: float
    detail: str = ""
    code: str = ""


@dataclass
class Note:
    """What a phase that succeeded wants shown (the address connected to, the TLS version, ...)."""

    detail: str = ""


@dataclass
class Check:
    """One service of an account (smtp, imap, pop3, or `mail` for the test mail and round trip)."""

    service: str
    where: str
    phases: list[Phase] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(p.ok for p in self.phases)

    @contextmanager
    def phase(self, name: str, explain: Callable[[str, Exception], CheckFailure]) -> Iterator[Note]:
        """Time one phase; a failure is recorded with its diagnosis and raised as a `CheckFailure`."""
        note, start = Note(), time.monotonic()
        try:
            yield note
        except Exception as exc:  # noqa: BLE001 - every failure of a phase becomes a diagnosis
            diagnosis = exc if isinstance(exc, CheckFailure) else explain(name, exc)
            self.phases.append(Phase(name, False, time.monotonic() - start, diagnosis.message, diagnosis.code))
            raise diagnosis from None
        self.phases.append(Phase(name, True, time.monotonic() - start, note.detail))


@dataclass
class AccountResult:
    name: str
    address: str
    checks: list[Check] = field(default_factory=list)
    queued: float = 0.0  # seconds waiting for a free worker (the concurrency bound)
    seconds: float = 0.0  # seconds checking, once started

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)
