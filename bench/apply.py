"""Apply throughput of the erpnext driver: 1,000 account changes against the Frappe test server
with a fixed latency added to every request, at a configurable concurrency.

A change is one signature update of an account awaiting its password (so the save logs in to no
mail server: what is measured is the driver and the HTTP path, not Dovecot). The server runs in a
child process, so its Python does not share the driver's GIL; the latency is a sleep before each
request is handled, outside the site's lock, as a network round trip would be. The engine calls
`apply` from up to `max_concurrency` threads; this does the same, one change per call.

Prints the achieved changes per second beside the bound, concurrency / latency (target: >= 80%).
Run: python bench/apply.py [--changes 1000] [--concurrency 8] [--latency-ms 20]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]


def serve(changes: int, latency: float) -> None:
    """The child: a Frappe test server holding `changes` accounts; prints its URL and key, then serves."""
    from support.frappe import FrappeServer
    from support.frappe_meta import ACCOUNT

    class SlowFrappe(FrappeServer):
        def handle(self, method: str, target: str, headers: Any, body: bytes) -> tuple[int, dict[str, str], bytes]:
            time.sleep(latency)  # the round trip, before the site's lock is taken
            return super().handle(method, target, headers, body)

    server = SlowFrappe()
    key, secret = os.urandom(8).hex(), os.urandom(8).hex()
    server.site.add_api_key(key, secret)
    for i in range(changes):
        server.site.seed(ACCOUNT, account_doc(i))
    server.start()
    print(json.dumps({"url": server.url, "key": key, "secret": secret}), flush=True)
    sys.stdin.read()  # until the parent is done
    server.stop()


def account_doc(i: int) -> dict[str, Any]:
    return {"name": f"acc{i:04}", "email_id": f"user{i:04}@acme.example", "enable_outgoing": 1,
            "smtp_server": "smtp.acme.example", "smtp_port": "587", "use_tls": 1, "awaiting_password": 1}


def change(i: int) -> Any:
    """The update of account i's signature, as the engine hands it to the driver."""
    from mailconf.driver import Action, Change, FieldChange, Resource

    live = {"address": f"user{i:04}@acme.example", "username": f"user{i:04}@acme.example", "password": None,
            "outgoing": {"host": "smtp.acme.example", "port": 587, "security": "starttls", "auth": True},
            "incoming": None, "signature": None, "notify_if_unreplied": None, "default_incoming": False}
    desired = {**live, "signature": f"Kind regards, desk {i}"}
    key = f"acc{i:04}"
    return Change(Action.UPDATE, "account", key, Resource("account", key, desired), Resource("account", key, live),
                  (FieldChange("signature", None, desired["signature"]),))


def run(changes: int, concurrency: int, latency: float) -> None:
    from mailconf.driver import DriverContext
    from mailconf_providers.erpnext import ErpNextDriver, ErpNextSettings

    child = subprocess.Popen([sys.executable, __file__, "--serve", "--changes", str(changes), "--latency-ms",
                              str(latency * 1000)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        server = json.loads(child.stdout.readline())
        os.environ["BENCH_ERP_KEY"], os.environ["BENCH_ERP_SECRET"] = server["key"], server["secret"]
        settings = ErpNextSettings(url=server["url"], api_key="${env:BENCH_ERP_KEY}", api_secret="${env:BENCH_ERP_SECRET}",
                                   concurrency=concurrency)
        driver = ErpNextDriver(settings, DriverContext(base_dir=Path(tempfile.gettempdir()), target="bench"))
        work = [change(i) for i in range(changes)]
        driver.apply(work[:1])  # a warm connection, as a run after its plan's reads has
        start = time.perf_counter()
        with ThreadPoolExecutor(max_workers=driver.max_concurrency) as pool:
            results = [r for batch in pool.map(lambda c: driver.apply([c]), work[1:]) for r in batch]
        elapsed = time.perf_counter() - start
        driver.close()
    finally:
        if child.stdin:
            child.stdin.close()
        child.wait(30)
    failed = [r for r in results if not r.ok]
    achieved, bound = len(results) / elapsed, concurrency / latency
    print(f"changes: {len(results)} ({len(failed)} failed), concurrency {concurrency}, latency {latency * 1000:g} ms per request")
    print(f"elapsed: {elapsed:.2f} s; achieved {achieved:.1f} changes/s; bound {bound:.1f} changes/s "
          f"(concurrency / latency); {100 * achieved / bound:.0f}% of the bound (target >= 80%)")
    if failed:
        print(f"first failure: {failed[0].message}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--changes", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.changes, args.latency_ms / 1000)
    else:
        run(args.changes + 1, args.concurrency, args.latency_ms / 1000)


if __name__ == "__main__":
    main()
