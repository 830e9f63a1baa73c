"""The HTTP client REST drivers share: retries, deadline, redirects, size bound, redaction.

Servers are real sockets on loopback (`badhttp`); only the https->http redirect uses httpx's
MockTransport, since the client never follows a redirect and so never opens the second URL.
"""

from __future__ import annotations

import email.utils
import logging
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest
from badhttp import Answer, bad_server, endless_body, hang_up, json_answer, never_answers
from pydantic import BaseModel

from mailconf.http import MAX_RETRY_AFTER, HttpClient, HttpError, display_url, plain_http_warning, retry_after
from mailconf.secrets import Secret

KEY = "s3cr3t-Key.value"
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


class Sleeps(list[float]):
    """Records the waits instead of sleeping: the tests assert what was honoured, not how long it took."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def client(url: str, **options: object) -> HttpClient:
    return HttpClient(url, **{"timeout": 2, "deadline": 10, "sleep": Sleeps(), **options})


def key_header() -> dict[str, Secret]:
    return {"X-API-Key": Secret(KEY)}


@pytest.mark.parametrize("header", ["5", "120", "http-date", "past-date"])
def test_429_then_success_honours_retry_after_in_seconds_or_as_a_date_capped(header: str) -> None:
    value = {
        "http-date": email.utils.formatdate(10**10, usegmt=True),  # far future: capped
        "past-date": "Wed, 21 Oct 2015 07:28:00 GMT",
    }.get(header, header)
    sleeps = Sleeps()
    with bad_server(Answer(429, headers={"Retry-After": value}), json_answer(200, '{"ok": true}')) as server:
        response = client(server.url, sleep=sleeps, deadline=600).request("GET", "/x")
    assert response.json() == {"ok": True}
    assert len(server.requests) == 2
    assert sleeps == [{"5": 5.0, "120": MAX_RETRY_AFTER, "http-date": MAX_RETRY_AFTER, "past-date": 0.0}[header]]


def test_retry_after_parsing() -> None:
    now = 1_700_000_000.0
    assert retry_after(email.utils.formatdate(now + 12, usegmt=True), now) == 12.0
    assert retry_after(" 3 ") == 3.0
    for unreadable in (None, "", "soon", "-1", "1.5", "Wed, 99 Foo 2015"):
        assert retry_after(unreadable) is None


def test_a_503_storm_ends_after_bounded_attempts_with_jittered_waits_and_a_clear_error() -> None:
    sleeps = Sleeps()
    with bad_server(Answer(503, b"upstream down")) as server, pytest.raises(HttpError) as raised:
        client(server.url, sleep=sleeps, max_attempts=4).request("GET", "/zones")
    assert len(server.requests) == 4
    assert len(sleeps) == 3 and all(0 <= wait <= 0.5 * 2**i for i, wait in enumerate(sleeps))
    assert str(raised.value) == f"GET {server.url}/zones answered 503 4 times in a row: upstream down"
    assert raised.value.status == 503


def test_a_retry_that_would_pass_the_deadline_is_not_waited_for() -> None:
    sleeps = Sleeps()
    with bad_server(Answer(429, headers={"Retry-After": "30"})) as server, pytest.raises(HttpError) as raised:
        client(server.url, sleep=sleeps, deadline=5).request("GET", "/x")
    assert len(server.requests) == 1 and sleeps == []
    assert "answered 429 (attempt 1; the next would end past the deadline of 5 s)" in str(raised.value)


def test_a_server_that_never_answers_is_bounded_by_the_deadline() -> None:
    with bad_server(never_answers) as server, pytest.raises(HttpError) as raised:
        client(server.url, timeout=30, deadline=0.5).request("GET", "/x")
    assert str(raised.value) == f"GET {server.url}/x got no answer within the deadline of 0.5 s (attempt 1)"


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_a_broken_connection_is_retried_only_for_idempotent_requests(method: str) -> None:
    with bad_server(hang_up) as server, pytest.raises(HttpError) as raised:
        client(server.url).request(method, "/x", json_body={})
    assert len(server.requests) == 1
    assert "not retried: the server may have acted on it" in str(raised.value)

    with bad_server(hang_up) as server, pytest.raises(HttpError, match=r"got no answer: .* \(4 attempts\)"):
        client(server.url).request("GET", "/x")
    assert len(server.requests) == 4

    with bad_server(hang_up, json_answer(200, "{}")) as server:  # the caller checked that repeating is harmless
        assert client(server.url).request(method, "/x", json_body={}, idempotent=True).status == 200
    assert len(server.requests) == 2


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_an_error_naming_the_location_and_the_key_never_reaches_the_other_host(status: int) -> None:
    with bad_server(Answer(200), host="127.0.0.2") as elsewhere:
        location = f"{elsewhere.url}/steal?token=abc"
        with bad_server(Answer(status, headers={"Location": location})) as server, pytest.raises(HttpError) as raised:
            client(server.url).request("PUT", "/x", json_body={}, secret_headers=key_header())
    assert elsewhere.requests == []
    assert server.requests[0].headers["X-API-Key"] == KEY
    assert f"answered {status}, a redirect to {elsewhere.url}/steal?token=...: redirects are not followed" in str(raised.value)


def test_an_https_to_http_redirect_is_not_followed() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(302, headers={"Location": "http://api.example/v1"})

    with pytest.raises(HttpError, match="a redirect to http://api.example/v1: redirects are not followed"):
        client("https://api.example", transport=httpx.MockTransport(handler)).request(
            "GET", "/v1", secret_headers=key_header()
        )
    assert [str(r.url) for r in seen] == ["https://api.example/v1"]


def test_an_empty_body_where_one_is_required_is_not_success() -> None:
    for empty in (Answer(200), Answer(201, b"  \r\n")):
        with bad_server(empty) as server, pytest.raises(HttpError, match="with an empty body: nothing confirms"):
            client(server.url).request("POST", "/resource", json_body={"a": 1}, body_required=True)


def test_an_oversized_body_is_refused_while_streaming_and_by_its_declared_length() -> None:
    with bad_server(endless_body) as server, pytest.raises(HttpError, match="larger than 1000000 bytes"):
        client(server.url, max_body=1_000_000).request("GET", "/x")
    with bad_server(Answer(200, b"x" * 2000)) as server, pytest.raises(HttpError, match="larger than 1000 bytes"):
        client(server.url, max_body=1000).request("GET", "/x")
    with bad_server(Answer(200, b"x" * 1000)) as server:
        assert len(client(server.url, max_body=1000).request("GET", "/x").body) == 1000


class Shape(BaseModel):
    items: list[int]


@pytest.mark.parametrize("body", ['{"items": [1,', "<html>login</html>", '{"item": []}', '{"items": ["a"]}', "[]", "null"])
def test_a_malformed_or_misshapen_answer_is_an_error_naming_the_request(body: str) -> None:
    with bad_server(json_answer(200, body)) as server, pytest.raises(HttpError) as raised:
        client(server.url).request("GET", "/x").parse(Shape)
    assert str(raised.value).startswith(f"GET {server.url}/x answered 200 with ")


@pytest.mark.parametrize("bad", ["line\nbreak", "crlf\r\nX-Evil: 1", "nul\x00", "tab\tin", "caf\u00e9", "", " lead"])
def test_a_key_with_characters_a_header_cannot_carry_is_refused_before_sending_and_never_shown(bad: str) -> None:
    with bad_server(Answer(200)) as server, pytest.raises(HttpError) as raised:
        client(server.url).request("GET", "/x", secret_headers={"X-API-Key": Secret(bad)})
    assert server.requests == []
    assert "the credential for the X-API-Key header" in str(raised.value)
    assert (bad or "\x01") not in str(raised.value)


def test_credentials_never_appear_in_errors_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    echo = json_answer(500, f'{{"error": "bad key {KEY}"}}')
    with caplog.at_level(logging.DEBUG), bad_server(echo) as server, pytest.raises(HttpError) as raised:
        client(server.url).request("GET", "/x?api_key=query-secret&page=2", secret_headers=key_header())
    shown = str(raised.value) + repr(raised.value) + caplog.text
    assert server.requests[0].headers["X-API-Key"] == KEY
    assert KEY not in shown and "query-secret" not in shown
    assert f"GET {server.url}/x?api_key=...&page=... answered 500: " in str(raised.value)
    assert "(redacted)" in str(raised.value)


def test_a_body_echoing_the_credential_is_quoted_masked() -> None:
    echo = f"<html>key {KEY} is not JSON</html>".encode()
    with bad_server(Answer(200, echo), Answer(401, echo)) as server:
        http = client(server.url)
        with pytest.raises(HttpError) as not_json:
            http.request("GET", "/x", secret_headers=key_header()).json()
        with pytest.raises(HttpError) as refused:
            http.request("GET", "/x", secret_headers=key_header())
    for raised in (not_json.value, refused.value):
        assert KEY not in str(raised) and "key (redacted) is not JSON" in str(raised)
    assert KEY.encode() not in refused.value.body


def test_display_url_masks_query_values_and_user_info() -> None:
    assert display_url("https://user:pw@api.example:8443/v1?token=t&x=") == "https://api.example:8443/v1?token=...&x=..."
    assert display_url("http://[::1]:80/") == "http://[::1]:80/"


def test_plain_http_is_warned_about_only_off_loopback(caplog: pytest.LogCaptureFixture) -> None:
    for unsafe in ("http://192.0.2.10:8081", "http://pdns.example", "HTTP://10.0.0.1"):
        assert "plain http:// to another machine" in (plain_http_warning(unsafe) or "")
    for fine in ("https://pdns.example", "http://127.0.0.1:8081", "http://localhost", "http://[::1]:8081", "http://127.1.2.3"):
        assert plain_http_warning(fine) is None
    with caplog.at_level(logging.WARNING):
        HttpClient("http://pdns.example:8081").close()
    assert "http://pdns.example:8081 is plain http:// to another machine" in caplog.text


def test_a_hang_anywhere_in_an_attempt_is_bounded_by_the_deadline() -> None:
    """Name resolution cannot be interrupted; a transport that blocks stands for it."""
    release = threading.Event()

    def stuck(request: httpx.Request) -> httpx.Response:
        release.wait(10)
        return httpx.Response(200)

    try:
        with pytest.raises(HttpError, match="got no answer within the deadline of 0.2 s"):
            client("https://api.example", transport=httpx.MockTransport(stuck), deadline=0.2).request("GET", "/")
    finally:
        release.set()


@pytest.mark.parametrize("argv", [["--version"], ["validate", str(EXAMPLES / "broken" / "plain-http.yaml")]])
def test_the_cli_does_not_import_httpx_where_no_request_is_made(argv: list[str]) -> None:
    code = f"import sys; from mailconf.cli import main; main({argv!r}); print('httpx' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().endswith("False")
