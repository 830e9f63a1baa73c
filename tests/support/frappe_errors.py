"""Frappe's exception classes and message log, as the v1 REST API turns them into responses.

Research: /work/shared/research/apis.md 1.2 (status per class, body shape) and
/work/shared/research/erpnext/email-account.md (which class each check raises).
"""

from __future__ import annotations

import json
import uuid
from typing import Any


class FrappeError(Exception):
    """A Frappe exception: `exc_type` and `module` name it in the body, `http_status` is its status."""

    http_status = 417
    exc_type = "ValidationError"
    module = "frappe.exceptions"

    def __init__(self, message: str = "", *, detail: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        # What Python prints after the class name, when it is not the message (e.g. the args tuple).
        self.detail = message if detail is None else detail

    @property
    def exception(self) -> str:
        """The body's `exception` field: "module.Class: text", as a traceback's last line."""
        name = f"{self.module}.{self.exc_type}"
        return f"{name}: {self.detail}" if self.detail else name


class ValidationError(FrappeError):
    pass


class MandatoryError(FrappeError):
    exc_type = "MandatoryError"


class InvalidEmailAddressError(FrappeError):
    exc_type = "InvalidEmailAddressError"


class LinkValidationError(FrappeError):
    exc_type = "LinkValidationError"


class LinkExistsError(FrappeError):
    exc_type = "LinkExistsError"


class UniqueValidationError(FrappeError):
    exc_type = "UniqueValidationError"


class InvalidEmailCredentials(FrappeError):
    """A subclass of ValidationError that frappe/email/smtp.py defines."""

    exc_type = "InvalidEmailCredentials"
    module = "frappe.email.smtp"


class DoesNotExistError(FrappeError):
    http_status = 404
    exc_type = "DoesNotExistError"


class AuthenticationError(FrappeError):
    http_status = 401
    exc_type = "AuthenticationError"


class FrappePermissionError(FrappeError):
    http_status = 403
    exc_type = "PermissionError"


class DuplicateEntryError(FrappeError):
    http_status = 409
    exc_type = "DuplicateEntryError"


class MessageLog:
    """`frappe.msgprint` / `frappe.throw` for one request: what ends up in `_server_messages`."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self.error_message: str | None = None  # frappe.flags.error_message -> `_error_message`

    def msgprint(
        self, message: str, *, title: str | None = None, indicator: str | None = None, raise_exception: bool = False,
    ) -> None:
        out: dict[str, Any] = {"message": message, "title": title or "Message"}
        if indicator:
            out["indicator"] = indicator
        if raise_exception:
            out["raise_exception"] = 1
            out["__frappe_exc_id"] = uuid.uuid4().hex
        self.messages.append(out)

    def throw(self, message: str, exc: type[FrappeError] = ValidationError, *, title: str | None = None) -> None:
        """Log the message in red and raise `exc`, as `frappe.throw` does."""
        self.msgprint(message, title=title, indicator="red", raise_exception=True)
        raise exc(message)

    def server_messages(self) -> dict[str, str]:
        """`_server_messages`: a JSON string of a JSON array of JSON strings (double-encoded)."""
        if not self.messages:
            return {}
        return {"_server_messages": json.dumps([json.dumps(m) for m in self.messages])}


def error_body(exc: BaseException, log: MessageLog) -> tuple[int, dict[str, Any]]:
    """Status and body of a v1 error response (frappe/utils/response.py `report_error`).

    A Frappe exception gets its own status; anything else (an OSError escaping the mail check)
    is unhandled: 500, named by its Python class. The `exc` traceback is left out.
    """
    if isinstance(exc, FrappeError):
        status, exc_type, exception = exc.http_status, exc.exc_type, exc.exception
    else:
        status, exc_type = 500, type(exc).__name__
        module = type(exc).__module__
        name = exc_type if module == "builtins" else f"{module}.{type(exc).__qualname__}"
        exception = f"{name}: {exc}" if str(exc) else name
    body: dict[str, Any] = {"exc_type": exc_type, "exception": exception, **log.server_messages()}
    if log.error_message:
        body["_error_message"] = log.error_message
    return status, body
