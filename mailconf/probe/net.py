"""Name resolution and TCP connect, each bounded by the phase timeout."""

from __future__ import annotations

import socket
import threading


def resolve(host: str, port: int, timeout: float) -> list[str]:
    """The addresses of `host`, asked in a daemon thread: getaddrinfo has no timeout of its own,
    and a hung resolver must cost no more than the phase timeout."""
    found: list[str] = []
    failure: list[BaseException] = []

    def ask() -> None:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            found.extend(dict.fromkeys(str(info[4][0]) for info in infos))
        except OSError as exc:
            failure.append(exc)

    worker = threading.Thread(target=ask, daemon=True, name=f"resolve {host}")
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise socket.timeout(f"resolving {host} took over {timeout:g} s")
    if failure:
        raise failure[0]
    return found


def connect(addresses: list[str], port: int, timeout: float) -> socket.socket:
    """A connection to the first address that accepts; the last error when none does."""
    error: OSError = OSError(f"no address to connect to on port {port}")
    for address in addresses:
        try:
            sock = socket.create_connection((address, port), timeout)
        except OSError as exc:
            error = exc
            continue
        sock.settimeout(timeout)
        return sock
    raise error
