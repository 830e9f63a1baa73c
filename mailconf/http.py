"""The one HTTP client for REST drivers: a server is distrusted, and a credential never leaks.

Why one client: every REST driver (PowerDNS, ERPNext, HubSpot, ...) needs the same answers to the
same questions, and each answer is easy to get subtly wrong alone:
- Retries: 429 and 503 are retried, honouring `Retry-After` (seconds or an HTTP date, capped),
  with bounded attempts and jittered backoff. A connection error is retried only when the request
  is idempotent (GET/HEAD/OPTIONS/PUT/DELETE, or the caller says it checked first), because a
  write may have landed before the connection broke.
- Deadline: one request, with its name resolution, connection, retries and waits, ends by a
  deadline. Each attempt runs in a worker thread the caller stops waiting for at the deadline
  (name resolution cannot be interrupted any other way); the worker's socket timeouts end it soon after.
- Redirects are never followed: a 3xx is an error naming the Location, so a credential header is
  never forwarded to another host or from https to plain http.
- Bodies are bounded while streaming (16 MiB by default), so a hostile server cannot exhaust memory.
- Credentials travel only in headers marked secret; they are checked for header-safe characters
  before use and redacted from every message. Messages name the method, the URL with query values
  masked, the status and a short excerpt of the body.
- `http://` to a host that is not loopback logs a warning: the credential would cross the
  network unencrypted.

httpx is imported when a client is made, not with this module: `mailconf --version` and
`validate` never pay for it.
"""

from __future__ import annotations

import email.utils
import ipaddress
import json
import logging
import queue
import random
import re
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ValidationError

from mailconf.errors import DriverError
from mailconf.secrets import Secret

if TYPE_CHECKING:
    import httpx

MAX_BODY = 16 * 2**20
MAX_ATTEMPTS = 4
#: The longest `Retry-After` honoured; a server asking for more is not waited for.
MAX_RETRY_AFTER = 60.0
BACKOFF = 0.5
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRIED_STATUSES = frozenset({429, 503})
EXCERPT = 200

#: A header value may hold visible ASCII and inner spaces (RFC 9110 section 5.5), nothing else.
_HEADER_SAFE = re.compile(r"[\x21-\x7e]+(?: [\x21-\x7e]+)*")

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)


class HttpError(DriverError):
    """A request failed; neither message nor `body` (an error answer, credentials masked) holds a
    credential. `status` is None when no answer came."""

    def __init__(self, message: str, status: int | None = None, body: bytes = b"") -> None:
        super().__init__(message)
        self.status = status
        self.body = body


def display_url(url: str) -> str:
    """`url` fit for a message or a log: no user info, query values masked."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    query = "&".join(
        f"{name}=..." for name, _ in urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    )
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def base_url(url: str, what: str, *, path: bool = True) -> str:
    """A REST driver's `url` setting, checked: http(s) with a host, and no query, fragment or
    credentials (they would travel in logs and error messages); no path either unless `path`.
    For a settings model's validator: raises ValueError with what to write instead."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"must be the http:// or https:// address of {what}")
    if parts.query or parts.fragment or parts.username or parts.password or (not path and parts.path.strip("/")):
        extras = "query, fragment or credentials" if path else "path, query, fragment or credentials"
        raise ValueError(f"must be the address of {what} alone, without {extras}")
    return url.rstrip("/")


def is_loopback(host: str) -> bool:
    host = host.strip("[]").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def plain_http_warning(url: str) -> str | None:
    """Why `url` is unsafe for a credential (plain http:// off loopback), or None when it is fine."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme.lower() != "http" or is_loopback(parts.hostname or ""):
        return None
    return f"{display_url(url)} is plain http:// to another machine: the credential crosses the network unencrypted; use https://"


def retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header (delay-seconds or HTTP-date, RFC 9110 10.2.3), capped;
    None when absent or unreadable."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), MAX_RETRY_AFTER)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    wait = when.timestamp() - (time.time() if now is None else now)
    return min(max(wait, 0.0), MAX_RETRY_AFTER)


@dataclass(frozen=True)
class Response:
    """A successful (2xx) answer, read in full within the size bound."""

    method: str
    url: str  # as display_url shows it
    status: int
    body: bytes
    headers: Mapping[str, str] = field(repr=False)
    #: Masks the request's credentials in what an error quotes of the body (a server may echo them).
    redact: Callable[[str], str] = field(default=str, repr=False, compare=False)

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            raise HttpError(
                f"{self.method} {self.url} answered {self.status} with a body that is not JSON: "
                f"{excerpt(self.redact(self.body.decode('utf-8', errors='replace')))!r}",
                self.status,
            ) from None

    def parse(self, model: type[M]) -> M:
        """The JSON body as `model` (the documented response shape); HttpError naming what is missing."""
        data = self.json()
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors(include_url=False)[:3]
            )
            raise HttpError(
                f"{self.method} {self.url} answered {self.status} with JSON not shaped as documented ({problems})",
                self.status,
            ) from None


def excerpt(text: str | bytes) -> str:
    """The start of a body for a message: whitespace collapsed, at most EXCERPT characters."""
    if isinstance(text, bytes):
        text = text[: EXCERPT * 4].decode("utf-8", errors="replace")
    return " ".join(text[: EXCERPT * 4].split())[:EXCERPT]


class _Unreached(Exception):
    """An attempt got no complete answer: the reason, fit for a message."""


class _TooLarge(Exception):
    """The answer passed the size bound while it was read."""


class _Deadline(Exception):
    """The request's deadline passed during an attempt."""


@dataclass
class _Answer:
    status: int
    headers: dict[str, str]
    body: bytes


class HttpClient:
    """Requests to one service at `base_url`; pooled connections, TLS verified, no redirects followed.

    `timeout` bounds each network step, `deadline` a whole request (retries included). `verify=False`
    turns the TLS certificate check off (a target's explicit choice, for a self-signed site). `sleep` and
    `transport` are for tests (an `httpx.MockTransport` needs no server). Proxies and a private CA
    come from the environment as httpx reads them (HTTPS_PROXY, SSL_CERT_FILE).
    """

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 5,
        deadline: float = 30,
        max_attempts: int = MAX_ATTEMPTS,
        max_body: int = MAX_BODY,
        headers: Mapping[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        verify: bool = True,
    ) -> None:
        import httpx

        self.base_url = base_url.rstrip("/")
        self.timeout, self.deadline = timeout, deadline
        self.max_attempts, self.max_body = max_attempts, max_body
        self._sleep = sleep
        self._client = httpx.Client(
            headers=dict(headers or {}), follow_redirects=False, verify=verify, transport=transport
        )
        _redact_httpx_log(httpx)
        if (warning := plain_http_warning(self.base_url)) is not None:
            log.warning("%s", warning)

    def close(self) -> None:
        self._client.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        secret_headers: Mapping[str, Secret] | None = None,
        idempotent: bool | None = None,
        body_required: bool = False,
    ) -> Response:
        """`method` of `base_url + path`; the 2xx answer, or HttpError saying what went wrong.

        `idempotent=True` lets a connection error be retried for a method that is not idempotent by
        nature (the caller checked that repeating it is harmless). `body_required`: a 2xx without
        a body is not success (the write cannot be confirmed).
        """
        url = self.base_url + path
        shown = display_url(url)
        secrets = {name: _header_value(name, value) for name, value in (secret_headers or {}).items()}
        redact = _redactor(secrets.values())
        retry_unreached = method in IDEMPOTENT if idempotent is None else idempotent
        data = None if json_body is None else json.dumps(json_body).encode()
        headers = {**secrets, **({"Content-Type": "application/json"} if data is not None else {})}
        end = time.monotonic() + self.deadline
        attempt = 0
        while True:
            attempt += 1
            try:
                answer = self._attempt(method, url, headers, data, end)
            except _Unreached as exc:
                problem, status = f"got no answer: {redact(str(exc))}", None
                if not retry_unreached:
                    raise HttpError(f"{method} {shown} {problem} (not retried: the server may have acted on it)") from None
                wait = _backoff(attempt)
            except _TooLarge:
                raise HttpError(f"{method} {shown}: the answer is larger than {self.max_body} bytes; not read further") from None
            except _Deadline:
                raise HttpError(f"{method} {shown} got no answer within the deadline of {self.deadline:g} s (attempt {attempt})") from None
            else:
                log.debug("%s %s -> %d (%d bytes, attempt %d)", method, shown, answer.status, len(answer.body), attempt)
                if answer.status not in RETRIED_STATUSES or attempt >= self.max_attempts:
                    return self._outcome(method, shown, answer, attempt, body_required, redact)
                problem, status = f"answered {answer.status}", answer.status
                asked = retry_after(answer.headers.get("retry-after"))
                wait = _backoff(attempt) if asked is None else asked
            if attempt >= self.max_attempts:
                raise HttpError(f"{method} {shown} {problem} ({attempt} attempts)", status)
            if time.monotonic() + wait >= end:
                raise HttpError(
                    f"{method} {shown} {problem} (attempt {attempt}; the next would end past the deadline of "
                    f"{self.deadline:g} s)",
                    status,
                )
            self._sleep(wait)

    def _attempt(self, method: str, url: str, headers: Mapping[str, str], data: bytes | None, end: float) -> _Answer:
        """One exchange, in a worker thread so that the deadline also bounds name resolution."""
        remaining = end - time.monotonic()
        if remaining <= 0:
            raise _Deadline
        results: queue.SimpleQueue[_Answer | Exception] = queue.SimpleQueue()

        def work() -> None:
            try:
                # A second past the deadline: the deadline is the waiting thread's to report, not a socket's.
                results.put(self._exchange(method, url, headers, data, min(self.timeout, remaining + 1)))
            except Exception as exc:  # noqa: BLE001 - handed to the waiting thread
                results.put(exc)

        threading.Thread(target=work, name="mailconf-http", daemon=True).start()
        try:
            outcome = results.get(timeout=remaining)
        except queue.Empty:
            raise _Deadline from None
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def _exchange(self, method: str, url: str, headers: Mapping[str, str], data: bytes | None, timeout: float) -> _Answer:
        import httpx

        try:
            request = self._client.build_request(method, url, headers=headers, content=data, timeout=timeout)
            response = self._client.send(request, stream=True)
            try:
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > self.max_body:
                    raise _TooLarge
                chunks, size = [], 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > self.max_body:
                        raise _TooLarge
                    chunks.append(chunk)
                return _Answer(response.status_code, dict(response.headers), b"".join(chunks))
            finally:
                response.close()
        except httpx.TimeoutException:
            raise _Unreached(f"nothing within {timeout:g} s") from None
        except httpx.HTTPError as exc:
            raise _Unreached(_reason(exc)) from None

    def _outcome(
        self, method: str, shown: str, answer: _Answer, attempts: int, body_required: bool, redact: Callable[[str], str]
    ) -> Response:
        status, body = answer.status, answer.body
        if 200 <= status < 300:
            if body_required and not body.strip():
                raise HttpError(f"{method} {shown} answered {status} with an empty body: nothing confirms it was done", status)
            return Response(method, shown, status, body, answer.headers, redact)
        if 300 <= status < 400:
            location = answer.headers.get("location")
            where = display_url(urllib.parse.urljoin(shown, location)) if location else "nowhere"
            raise HttpError(
                f"{method} {shown} answered {status}, a redirect to {where}: redirects are not followed "
                "(they could carry the credential elsewhere); set the URL to the final address",
                status,
            )
        again = f" {attempts} times in a row" if status in RETRIED_STATUSES and attempts > 1 else ""
        text = redact(body.decode("utf-8", errors="replace"))
        detail = excerpt(text) or "no details"
        raise HttpError(f"{method} {shown} answered {status}{again}: {detail}", status, text.encode())


class _UrlRedaction(logging.Filter):
    """httpx logs each request's full URL (at INFO): mask query values there too."""

    def __init__(self, url_type: type) -> None:
        super().__init__()
        self._url_type = url_type

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(display_url(str(a)) if isinstance(a, self._url_type) else a for a in record.args)
        return True


def _redact_httpx_log(httpx: Any) -> None:
    logger = logging.getLogger("httpx")
    if not any(isinstance(f, _UrlRedaction) for f in logger.filters):
        logger.addFilter(_UrlRedaction(httpx.URL))


def _header_value(name: str, secret: Secret) -> str:
    value = secret.reveal()
    if not _HEADER_SAFE.fullmatch(value):
        raise HttpError(
            f"the credential for the {name} header is empty or holds a character an HTTP header cannot carry "
            "(a line break, a control character or non-ASCII): fix it where the secret is stored"
        )
    return value


def _redactor(secrets: Iterable[str]) -> Callable[[str], str]:
    values = sorted({s for s in secrets if s}, key=len, reverse=True)

    def redact(text: str) -> str:
        for value in values:
            text = text.replace(value, "(redacted)")
        return text

    return redact


def _backoff(attempt: int) -> float:
    """Full jitter (AWS architecture blog, "Exponential Backoff And Jitter"): clients spread out."""
    return random.uniform(0, BACKOFF * 2 ** (attempt - 1))


def _reason(exc: BaseException) -> str:
    """The most specific OS-level reason in an exception chain ("Connection refused"), else its text."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OSError) and seen.strerror:
            return seen.strerror
        seen = seen.__cause__ or seen.__context__
    return str(exc) or type(exc).__name__
