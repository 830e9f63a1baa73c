"""Knot, BIND and PowerDNS on loopback for the DNS driver tests, on top of `tests/realservers.py`.

`realservers.KnotServer` has no TSIG key, so Knot is configured here with a key and an ACL that
allows it to transfer and update the zone. Each server gets its own 0755 temp dir and free ports;
configs follow /work/shared/recipes/realservers.md.

The session fixtures live here, imported by the test modules, rather than in a conftest.py: the
tests in tests/ do `from conftest import ...`, and a second conftest module would shadow theirs.
`realservers` is importable because pytest puts tests/ on sys.path for tests/conftest.py.
"""

from __future__ import annotations

import base64
import json
import os
import sqlite3
import socket
import subprocess
import time
import urllib.request
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import dns.tsig
import dns.update
import pytest

from realservers import KNOT_SERVER_CONF, alive, free_port, remove_dir, server_dir, spawn, stop, wait_zone

from mailconf.driver import Action, Change, Resource

ZONE = "example.test"
KEY = "test-key"

_ZONE_FILE = f"""\
$ORIGIN {ZONE}.
$TTL 300
@   SOA ns1 hostmaster 1 3600 600 86400 300
    NS  ns1
ns1 A   127.0.0.1
"""

_KNOT_CONF = KNOT_SERVER_CONF + """\
key:
  - id: {key}
    algorithm: hmac-sha256
    secret: {secret}
acl:
  - id: tsig
    key: {key}
    action: [transfer, update]
zone:
  - domain: {zone}
    storage: "{d}"
    file: "{zone}.zone"
    acl: tsig
"""

_NAMED_CONF = """\
options {{
    directory "{d}";
    pid-file "named.pid";
    session-keyfile "session.key";
    managed-keys-directory ".";
    listen-on port {port} {{ 127.0.0.1; }};
    listen-on-v6 {{ none; }};
    recursion no;
    dnssec-validation no;
}};
controls {{ }};
key "{key}" {{ algorithm hmac-sha256; secret "{secret}"; }};
zone "{zone}" {{
    type primary;
    file "{zone}.zone";
    allow-transfer {{ key {key}; }};
    update-policy {{ grant {key} zonesub ANY; }};
}};
"""

_PDNS_CONF = """\
launch=gsqlite3
gsqlite3-database={d}/pdns.sqlite3
local-address=127.0.0.1
local-port={port}
socket-dir={d}
daemon=no
guardian=no
disable-syslog=yes
security-poll-suffix=
api=yes
api-key={api_key}
webserver=yes
webserver-address=127.0.0.1
webserver-port={api_port}
webserver-allow-from=127.0.0.0/8
"""


@dataclass
class DnsServer:
    """A running server: where it listens, its credential (TSIG secret or API key) and its process."""

    kind: str
    dir: str
    port: int
    secret: str
    proc: subprocess.Popen = field(repr=False)
    api_port: int = 0

    def stop(self) -> None:
        stop(self.proc)
        remove_dir(self.dir)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"


def start_tsig_server(kind: str) -> DnsServer:
    """Knot or BIND serving ZONE, allowing key KEY to transfer and update it."""
    d, port, secret = server_dir(kind), free_port(), base64.b64encode(os.urandom(32)).decode()
    conf = _KNOT_CONF if kind == "knot" else _NAMED_CONF
    with open(f"{d}/{ZONE}.zone", "w", encoding="utf-8") as f:
        f.write(_ZONE_FILE)
    with open(f"{d}/{kind}.conf", "w", encoding="utf-8") as f:
        f.write(conf.format(d=d, port=port, key=KEY, secret=secret, zone=ZONE))
    cmd = ["knotd", "-c", f"{d}/knot.conf"] if kind == "knot" else ["named", "-g", "-c", f"{d}/bind.conf"]
    server = DnsServer(kind, d, port, secret, spawn(cmd, d, kind))
    try:
        wait_zone(port, ZONE, server.proc)
    except BaseException:
        server.stop()
        raise
    return server


def start_powerdns() -> DnsServer:
    """pdns_server with the gsqlite3 backend and the HTTP API; zones are made per test (`pdns_api`)."""
    d, port, api_port = server_dir("pdns"), free_port(), free_port()
    api_key = base64.b64encode(os.urandom(24)).decode()
    with open("/usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql", encoding="utf-8") as f:
        schema = f.read()
    db = sqlite3.connect(f"{d}/pdns.sqlite3")
    db.executescript(schema)
    db.close()
    with open(f"{d}/pdns.conf", "w", encoding="utf-8") as f:
        f.write(_PDNS_CONF.format(d=d, port=port, api_port=api_port, api_key=api_key))
    server = DnsServer("pdns", d, port, api_key, spawn(["pdns_server", f"--config-dir={d}"], d, "pdns"), api_port)
    try:
        _wait_port(api_port, server.proc)
        pdns_api(server, "POST", "/zones", {"name": f"{ZONE}.", "kind": "Native", "nameservers": [f"ns1.{ZONE}."]})
        wait_zone(port, ZONE, server.proc)
    except BaseException:
        server.stop()
        raise
    return server


@pytest.fixture(scope="session", params=["knot", "bind"])
def tsig_server(request: pytest.FixtureRequest) -> Iterator[DnsServer]:
    server = start_tsig_server(request.param)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def powerdns() -> Iterator[DnsServer]:
    server = start_powerdns()
    yield server
    server.stop()


def pdns_api(server: DnsServer, method: str, path: str, body: object = None) -> object:
    """Call the PowerDNS API as the test's own client (not through the driver)."""
    request = urllib.request.Request(
        f"{server.api_url}/api/v1/servers/localhost{path}", method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"X-API-Key": server.secret, "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        payload = response.read()
    return json.loads(payload) if payload else None


def _wait_port(port: int, proc: subprocess.Popen, timeout: float = 15) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        alive(proc)
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return
        except OSError:
            time.sleep(0.01)
    raise TimeoutError(f"nothing listens on port {port}")


def txt_at(server: DnsServer, name: str) -> list[str]:
    """The TXT records at `name` as the server answers a query now: joined strings, sorted."""
    return sorted(b"".join(record).decode() for record in txt_strings_at(server, name))


def txt_strings_at(server: DnsServer, name: str) -> list[tuple[bytes, ...]]:
    """The TXT records at `name` as their raw character-strings."""
    response = dns.query.tcp(dns.message.make_query(name, "TXT"), "127.0.0.1", port=server.port, timeout=5)
    assert response.rcode() in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN), dns.rcode.to_text(response.rcode())
    return [tuple(rdata.strings) for rrset in response.answer if rrset.rdtype == dns.rdatatype.TXT for rdata in rrset]
def tsig_update(server: DnsServer, name: str, add: Sequence[str] = (), delete: Sequence[str] = ()) -> None:
    """Someone else's signed edit of the TXT records at `name` (each text is one single-string record)."""
    update = dns.update.UpdateMessage(f"{ZONE}.", keyring=dns.tsig.Key(KEY, server.secret, "hmac-sha256"))
    for text in delete:
        update.delete(f"{name}.", "TXT", _quoted(text))
    for text in add:
        update.add(f"{name}.", 300, "TXT", _quoted(text))
    response = dns.query.tcp(update, "127.0.0.1", port=server.port, timeout=5)
    assert response.rcode() == dns.rcode.NOERROR, dns.rcode.to_text(response.rcode())


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# What the engine hands a driver: changes built from resources, as a plan would.


def spf(key: str, record: str, chained: dict[str, str] | None = None) -> Resource:
    return Resource("spf", key, {"record": record, "chained": chained or {}})


def create(desired: Resource) -> Change:
    return Change(Action.CREATE, desired.kind, desired.key, desired, None)


def update(live: Resource, desired: Resource) -> Change:
    return Change(Action.UPDATE, live.kind, live.key, desired, live)


def delete(live: Resource) -> Change:
    return Change(Action.DELETE, live.kind, live.key, None, live)


def unique_name(label: str) -> str:
    """A fresh name, so tests sharing one server never see each other's records."""
    return f"{label}-{uuid.uuid4().hex[:8]}"
