"""A misbehaving HTTP server on loopback, for the tests that check a REST driver distrusts its server.

Each server plays a script of answers, one per request (the last one repeats), and records every
request it gets with its headers, so a test can assert what reached it (an API key, or nothing).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    def send(self, handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(self.status)
        for name, value in self.headers.items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(self.body)))
        handler.end_headers()
        handler.wfile.write(self.body)


def json_answer(status: int, text: str, **headers: str) -> Answer:
    return Answer(status, text.encode(), {"Content-Type": "application/json", **headers})


#: A raw behaviour: gets the handler and the server's release event (set when the test ends).
Behaviour = Callable[[BaseHTTPRequestHandler, threading.Event], None]


def never_answers(handler: BaseHTTPRequestHandler, release: threading.Event) -> None:
    """Accept the request, then say nothing until the test is over."""
    release.wait(30)


def endless_body(handler: BaseHTTPRequestHandler, release: threading.Event) -> None:
    """200 with a body that does not end (no length, read until close) until the client hangs up."""
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Connection", "close")
    handler.end_headers()
    chunk = b"[" * 65536
    try:
        for _ in range(4096):  # 256 MiB at most, so a client that never stops still ends the test
            handler.wfile.write(chunk)
    except OSError:
        pass
    handler.close_connection = True


def hang_up(handler: BaseHTTPRequestHandler, release: threading.Event) -> None:
    """Read the request, then close the connection without a word."""
    handler.close_connection = True


class BadServer:
    """A loopback HTTP server answering each request with the next entry of its script."""

    def __init__(self, script: list[Answer | Behaviour], host: str = "127.0.0.1") -> None:
        self.script = list(script)
        self.requests: list[Seen] = []
        self.release = threading.Event()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                owner.requests.append(Seen(self.command, self.path, dict(self.headers.items()), body))
                step = owner.script[min(len(owner.requests), len(owner.script)) - 1]
                if isinstance(step, Answer):
                    step.send(self)
                else:
                    step(self, owner.release)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - quiet
                pass

        self._server = ThreadingHTTPServer((host, 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://{host}:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)

    def __enter__(self) -> BadServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()


@contextmanager
def bad_server(*script: Answer | Behaviour, host: str = "127.0.0.1") -> Iterator[BadServer]:
    with BadServer(list(script), host) as server:
        yield server
