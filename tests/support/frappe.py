"""A loopback HTTP server that answers like Frappe v15's REST API (v1) for `Email Account` (with its
`IMAP Folder` rows) and `Email Domain`, for testing the ERPNext driver against what a real site does.
A save logs in to the mail servers the account declares, as Frappe's does: point it at the
`mail_servers` fixture (support/mailservers.py) and a wrong password fails the way it fails on a site.

Research: /work/shared/research/apis.md (1.x, 7 "Frappe fake") and
/work/shared/research/erpnext/email-account.md ("point n" below). The documents and the save
pipeline are in frappe_site.py (tests seed and inspect them through `FrappeServer.site`: `seed`,
`doc`, `names`, `password`, `connections`), the mail checks in frappe_login.py, the doctype
fields in frappe_meta.py, list filters in frappe_query.py. What it reproduces:
- Routes `/api/resource/<DocType>[/<name>]` and `/api/v1/...`, names URL-decoded, trailing slash
  optional; GET list, GET one, POST create (200), PUT partial update, DELETE (202 `"ok"`) (1.1).
- Auth `Authorization: token key:secret` or `Basic base64(key:secret)`: a wrong pair is 401
  `AuthenticationError`; no header (Guest) or a role without the right is 403 `PermissionError`
  with `_error_message`; System Manager may do anything, Inbox User only read accounts (1.1).
- List: only `name` unless `fields` (JSON, `["*"]` = every column); `filters` as a JSON list of
  `[field, op, value]` / `[doctype, field, op, value]` or a dict; `order_by` (default
  `creation desc`); `limit_start`, `limit_page_length` (alias `limit`; default 20, 0 = all); no total.
- Values as MariaDB returns them: Check and Int as 0/1 ints, Data (ports too) as strings, text
  compared case-insensitively in filters and unique keys; a single document without its null fields
  (so no `password` when none is stored), with its standard fields and child rows ("Observed").
  A POST/PUT reply echoes a port as it was sent ("Observed").
- Errors (1.2): `exc_type`, `exception`, `_server_messages` double-encoded, with the status of the
  class: 417 validation (`ValidationError`, `MandatoryError`, `InvalidEmailAddressError`,
  `LinkValidationError`, `UniqueValidationError` "Email Address must be unique" on the
  (email_id, enable_incoming, enable_outgoing) index, `InvalidEmailCredentials`, `LinkExistsError`),
  404 `DoesNotExistError`, 409 `DuplicateEntryError` for a name taken, 500 for an OSError escaping
  the incoming check (POP3/IMAP server refused) and for an unknown column. Every save is one
  transaction: an error leaves nothing changed.
- Passwords (1.4, point 11): stored apart, masked as `*` x length; writing the mask back keeps the
  stored password (and still counts as a password, so the save logs in again); writing "" or null
  deletes it, if the save passes validation.
- Naming (point 1): a `name` in the body, else `email_account_name`, else the title-cased local part
  of `email_id`; a domain by `domain_name`.
- EmailAccount.validate (point 2): address check, login_id rules, Sendgrid login `apikey`, one IMAP
  folder needed, STARTTLS only with IMAP without SSL, OAuth clears the password, the **live login**
  (L174-189, points 3, 8, 9: IMAP/POP3 with `use_ssl`/`use_starttls`, default ports 993/143/995/110
  written back into `incoming_port`; SMTP with `use_ssl_for_outgoing`/`use_tls`, port
  `smtp_port or 465/587`, AUTH when a password exists; the same messages and classes:
  "Please check your email login credentials. <last traceback line>", "Invalid Outgoing Mail Server
  or Port: ...", "Invalid Mail Server. Please rectify and try again.", "Password is required or
  select Awaiting Password", "Password not found for ..." 401), skipped with `awaiting_password`;
  `notify_if_unreplied` needs valid addresses; IMAP folder `append_to` must be an append-to doctype.
- before_save (point 4): a default flag without its direction is cleared with the orange
  "Defaults Updated" message. Select values are checked, `reqd` fields are mandatory.
- on_update (point 5): automatic linking on one account only and only with incoming; a default
  flag set here is cleared on every other account, which is saved in full (logging in again).
- Email Domain (points 7, 10): its save connects (no login) to both servers, "Error connecting via
  IMAP/POP3|SMTP: ...", then pushes its server fields into every linked account and saves each;
  an account with a `domain` takes the domain's values for the fetched fields on every save.
- Rate limit (1.3), off unless configured: 429, plain text `Too Many Requests`, `Retry-After` and
  `X-RateLimit-*` headers.

Left out: Frappe budgets request processing time per window, this server counts requests; no
tracebacks (`exc`); `run_method`, `/api/method`, v2 routes, renames; OAuth tokens, Connected Apps
and the Frappe Mail service (not in v15); User Email rows (`setup_user_email_inbox`); the
scheduler (`pull`); Select/Link checks beyond the values above; HTML in the LinkExistsError text;
form-encoded bodies; a Basic value that is not base64 (Frappe: InvalidAuthorizationToken) is a plain 401.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import threading
import time
import urllib.parse
from collections.abc import Iterator, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from .frappe_errors import AuthenticationError, MessageLog, error_body
from .frappe_site import ApiUser, FrappeSite

_ROUTE = re.compile(r"^/api(?:/v1)?/resource/(?P<doctype>[^/]+)(?:/(?P<name>.+?))?/?$")
_PTYPE = {("GET", False): "read", ("GET", True): "read", ("POST", False): "create",
          ("PUT", True): "write", ("DELETE", True): "delete"}


class RateLimit:
    """At most `limit` requests per `window` seconds; the window starts with its first request."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit, self.window = limit, window
        self.start, self.used = 0.0, 0

    def take(self) -> tuple[bool, dict[str, str]]:
        now = time.monotonic()
        if now - self.start >= self.window:
            self.start, self.used = now, 0
        reset = max(1, int(self.start + self.window - now + 0.999))
        allowed = self.used < self.limit
        self.used += allowed
        headers = {"X-RateLimit-Limit": str(self.limit), "X-RateLimit-Remaining": str(self.limit - self.used),
                   "X-RateLimit-Reset": str(reset)}
        if not allowed:
            headers["Retry-After"] = str(reset)
        return allowed, headers


class FrappeServer:
    """The HTTP side: routing, auth, rate limit, JSON bodies; the documents live in `site`."""

    def __init__(self, site: FrappeSite | None = None, *, rate_limit: tuple[int, float] | None = None) -> None:
        self.site = site or FrappeSite()
        self.token = ""  # the Authorization header value of the key the fixture adds
        self.rate_limit = RateLimit(*rate_limit) if rate_limit else None
        self._rate_lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.frappe = self  # type: ignore[attr-defined]
        # A short poll keeps stop() quick: shutdown() waits for the loop to look at its flag.
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.01,), daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def start(self) -> FrappeServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(10)

    def handle(self, method: str, target: str, headers: Mapping[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
        """One request -> status, headers, body."""
        extra: dict[str, str] = {}
        if self.rate_limit is not None:
            with self._rate_lock:
                allowed, extra = self.rate_limit.take()
            if not allowed:
                return 429, {"Content-Type": "text/plain; charset=utf-8", **extra}, b"Too Many Requests"
        url = urllib.parse.urlsplit(target)
        match = _ROUTE.match(url.path)
        ptype = match and _PTYPE.get((method, match["name"] is not None))
        if not match or not ptype:
            return 404, {"Content-Type": "text/plain; charset=utf-8", **extra}, b"Not Found"
        doctype = urllib.parse.unquote(match["doctype"])
        name = urllib.parse.unquote(match["name"]) if match["name"] else None
        log = MessageLog()
        try:
            user = self._authenticate(headers.get("Authorization", ""))
            with self.site.lock:
                self.site.check(user, ptype, doctype, name, log)
                status, data = self._dispatch(method, doctype, name, dict(urllib.parse.parse_qsl(url.query)),
                                              _payload(body), user, log)
            payload: dict[str, Any] = {"data": data, **log.server_messages()}
        except Exception as exc:  # every error becomes Frappe's error body, as report_error does
            status, payload = error_body(exc, log)
        return status, {"Content-Type": "application/json", **extra}, json.dumps(payload).encode()

    def _authenticate(self, header: str) -> ApiUser | None:
        """frappe/auth.py: `token key:secret` or `Basic base64(key:secret)`; none at all is Guest."""
        if not header:
            return None
        scheme, _, credentials = header.partition(" ")
        if scheme.lower() == "basic":
            try:
                credentials = base64.b64decode(credentials, validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                raise AuthenticationError() from None
        elif scheme.lower() != "token":
            raise AuthenticationError()
        key, _, secret = credentials.partition(":")
        user = self.site.api_keys.get(key)
        if user is None or user.secret != secret:
            raise AuthenticationError()
        return user

    def _dispatch(self, method: str, doctype: str, name: str | None, query: dict[str, str], body: dict[str, Any],
                  user: ApiUser | None, log: MessageLog) -> tuple[int, Any]:
        assert user is not None  # Guest has no right on these doctypes: check() refused it
        if method == "GET" and name is None:
            return 200, self.site.list(doctype, query, log)
        if method == "GET":
            return 200, self.site.get(doctype, name, log)
        if method == "POST":
            return 200, self.site.insert(doctype, body, user.user, log)
        if method == "PUT":
            return 200, self.site.update(doctype, name, body, user.user, log)
        self.site.delete(doctype, name, log)
        return 202, "ok"


def _payload(body: bytes) -> dict[str, Any]:
    """The document sent as a JSON body."""
    return json.loads(body) if body else {}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body leave in two writes: without TCP_NODELAY, Nagle's algorithm holds the body
    # until the client's delayed ACK (~40 ms) on a kept-alive connection.
    disable_nagle_algorithm = True

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        status, headers, payload = self.server.frappe.handle(self.command, self.path, self.headers, body)  # type: ignore[attr-defined]
        self.send_response(status)
        for key, value in {**headers, "Content-Length": str(len(payload))}.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002  (keep test output quiet)
        pass


@pytest.fixture
def frappe_server() -> Iterator[FrappeServer]:
    """A fresh site per test, with one System Manager key (`frappe_server.token` is its header value)."""
    server = FrappeServer()
    key, secret = os.urandom(8).hex(), os.urandom(8).hex()
    server.site.add_api_key(key, secret)
    server.token = f"token {key}:{secret}"
    server.start()
    yield server
    server.stop()
