"""Real servers on loopback for integration tests (see /work/shared/recipes/realservers.md).

Each server runs in its own 0755 temp dir (daemons running as their own users must be able to
enter it, which pytest's 0700 tmp_path forbids) on free 127.0.0.1 ports, in its own session so
that `stop()` can signal the whole process group. Set RS_KEEP=1 to keep the dirs for debugging.

Helpers for more servers (PowerDNS, BIND, Dovecot, ...) belong here too, next to `KnotServer`.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence


def free_port() -> int:
    """A TCP port that is free on 127.0.0.1 right now (the kernel picks it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_dir(prefix: str) -> str:
    """A fresh temp dir that every user can enter."""
    d = tempfile.mkdtemp(prefix=f"rs-{prefix}-", dir="/tmp")
    os.chmod(d, 0o755)
    return d


def remove_dir(d: str) -> None:
    if not os.environ.get("RS_KEEP"):
        shutil.rmtree(d, ignore_errors=True)


def spawn(cmd: Sequence[str], d: str, name: str) -> subprocess.Popen:
    """Start a server in the foreground of its own session, logging to d/name.log."""
    with open(f"{d}/{name}.log", "ab") as log:
        return subprocess.Popen(
            cmd, cwd=d, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )


def alive(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        raise RuntimeError(f"{proc.args} exited with {proc.returncode}; see its log")


def wait_zone(port: int, zone: str, proc: subprocess.Popen, serial: int | None = None, timeout: float = 15) -> None:
    """Wait until the server answers authoritatively for `zone` (at `serial` if given).

    An open port is not enough: a server refuses or SERVFAILs until the zone is loaded. The probe
    uses TCP, where a closed port fails at once instead of waiting out a UDP timeout.
    """
    import dns.flags
    import dns.message
    import dns.query
    import dns.rcode

    query = dns.message.make_query(zone, "SOA")
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        alive(proc)
        try:
            response = dns.query.tcp(query, "127.0.0.1", port=port, timeout=1)
            if (
                response.rcode() == dns.rcode.NOERROR
                and response.flags & dns.flags.AA
                and response.answer
                and (serial is None or response.answer[0][0].serial == serial)
            ):
                return
        except (OSError, EOFError):
            pass
        time.sleep(0.01)
    raise TimeoutError(f"zone {zone} not served on port {port}")


def stop(proc: subprocess.Popen, timeout: float = 10) -> None:
    """TERM the server's process group, KILL it if it lingers."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


#: The server part of a Knot configuration on loopback; callers add keys, ACLs and zones.
KNOT_SERVER_CONF = """\
server:
    rundir: "{d}"
    listen: 127.0.0.1@{port}
    tcp-workers: 2
    udp-workers: 2
log:
  - target: stderr
    any: warning
database:
    storage: "{d}"
"""

_KNOT_CONF = KNOT_SERVER_CONF + """\
control:
    listen: "{d}/knot.sock"
template:
  - id: default
    storage: "{d}"
    file: "%s.zone"
    journal-content: none
    semantic-checks: off
zone:
{zones}
"""


class KnotServer:
    """Knot DNS (`knotd -c`) serving zones given as {zone name: [zone-file lines]}.

    Lines are relative to the zone origin, e.g. ``'@ TXT "v=spf1 -all"'`` or ``'mail A 192.0.2.1'``;
    the SOA and NS records are added. `load()` replaces all zones and waits until every one is
    served with its new serial, so a test can change DNS between two checks. Zones named in
    `broken` are configured with a zone file that cannot load: Knot answers SERVFAIL for them.
    """

    def __init__(self) -> None:
        self.dir = server_dir("knot")
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self._serial = 0

    def start(self, zones: Mapping[str, Sequence[str]], broken: Sequence[str] = ()) -> KnotServer:
        self._write(zones, broken)
        self.proc = spawn(["knotd", "-c", f"{self.dir}/knot.conf"], self.dir, "knotd")
        self._wait(zones)
        return self

    def load(self, zones: Mapping[str, Sequence[str]], broken: Sequence[str] = ()) -> None:
        """Replace every zone: rewrite config and zone files, then reload the running server."""
        assert self.proc is not None, "start() first"
        self._write(zones, broken)
        subprocess.run(
            ["knotc", "-c", f"{self.dir}/knot.conf", "reload"], check=True, capture_output=True, timeout=15
        )
        self._wait(zones)

    def stop(self) -> None:
        if self.proc is not None:
            stop(self.proc)
        remove_dir(self.dir)

    def _write(self, zones: Mapping[str, Sequence[str]], broken: Sequence[str]) -> None:
        self._serial += 1
        for zone in broken:
            with open(f"{self.dir}/{zone.rstrip('.').lower()}.zone", "w", encoding="utf-8") as f:
                f.write("this is not a zone file\n")
        for zone, lines in zones.items():
            origin = zone.rstrip(".") + "."
            head = [
                f"$ORIGIN {origin}",
                "$TTL 300",
                f"@ SOA ns.{origin} hostmaster.{origin} {self._serial} 3600 600 86400 300",
                f"@ NS ns.{origin}",
            ]
            # Knot names the file after the zone in lower case (the "%s" of the template).
            with open(f"{self.dir}/{zone.rstrip('.').lower()}.zone", "w", encoding="utf-8") as f:
                f.write("\n".join([*head, *lines]) + "\n")
        listing = "\n".join(f"  - domain: {zone.rstrip('.')}" for zone in [*zones, *broken])
        with open(f"{self.dir}/knot.conf", "w", encoding="utf-8") as f:
            f.write(_KNOT_CONF.format(d=self.dir, port=self.port, zones=listing))

    def _wait(self, zones: Mapping[str, Sequence[str]]) -> None:
        assert self.proc is not None
        for zone in zones:
            wait_zone(self.port, zone, self.proc, serial=self._serial)
