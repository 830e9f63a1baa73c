"""`mailconf check` on many accounts against real local servers (Dovecot, and Postfix as root).

Starts the test fixtures' servers (tests/support/mailservers.py), writes a manifest of N
accounts (SMTP STARTTLS or implicit TLS, IMAP or POP3, STARTTLS or implicit TLS), one of whose
servers accepts connections and never answers, and runs the check in-process. Prints:
  - the total wall time beside the slowest single account check,
  - the bound's queueing: how long accounts waited for a free worker (max, mean),
  - the hung account's time beside its phase timeout (it must not cost more than that per server).
  - the sum of the account times (what one at a time would roughly cost).
Run: python bench/check.py [--accounts 200] [--concurrency 8] [--timeout 2] [--roundtrip]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from mailconf.probe.run import Request, check_accounts  # noqa: E402
from mailconf.probe.service import Options  # noqa: E402
from mailconf.validate import validate_path  # noqa: E402
from support.mailservers import MailServers, start_mail_servers  # noqa: E402


def manifest(servers: MailServers, count: int, hung_port: int) -> dict:
    accounts = {}
    users = list(servers.users)
    for i in range(count - 1):
        user = users[i % len(users)]
        account: dict = {"address": user, "password": f"${{env:BENCH_{user.split('@')[0].upper()}}}", "outgoing": None, "incoming": None}
        if servers.postfix is not None:
            tls = i % 2 == 0
            account["outgoing"] = {"host": "127.0.0.1", "port": servers.postfix.submissions if tls else servers.postfix.submission, "security": "tls" if tls else "starttls"}
        protocol, tls = ("imap", "pop3")[i % 3 == 0], i % 4 < 2
        ports = {("imap", True): servers.dovecot.imaps, ("imap", False): servers.dovecot.imap, ("pop3", True): servers.dovecot.pop3s, ("pop3", False): servers.dovecot.pop3}
        account["incoming"] = {"protocol": protocol, "host": "127.0.0.1", "port": ports[protocol, tls], "security": "tls" if tls else "starttls"}
        accounts[f"acc{i:03d}"] = account
    accounts["hung"] = {"address": users[0], "password": "${env:BENCH_ALICE}", "outgoing": {"host": "127.0.0.1", "port": hung_port, "security": "starttls"}, "incoming": None}
    primary = next((name for name, a in accounts.items() if a["outgoing"]), "hung")
    return {"version": 1, "primary_sender": primary, "accounts": accounts}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--accounts", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--timeout", type=float, default=2.0)
    parser.add_argument("--roundtrip", action="store_true", help="also send each account a mail and wait for it")
    args = parser.parse_args()
    servers = start_mail_servers()
    hung = socket.socket()
    hung.bind(("127.0.0.1", 0))
    hung.listen(1024)  # accepts (the kernel's backlog) and never speaks
    try:
        for user, password in servers.users.items():
            os.environ[f"BENCH_{user.split('@')[0].upper()}"] = password
        with tempfile.TemporaryDirectory() as d:
            path = Path(d) / "mail.yaml"
            path.write_text(yaml.safe_dump(manifest(servers, args.accounts, hung.getsockname()[1])), encoding="utf-8")
            validated = validate_path(path)
            assert validated.manifest is not None, validated.diagnostics
            request = Request(Options(args.timeout, servers.cafile), roundtrip=args.roundtrip)
            start = time.monotonic()
            results = check_accounts(dict(validated.manifest.accounts), validated.source.base_dir, request, args.concurrency)
            total = time.monotonic() - start
    finally:
        hung.close()
        servers.stop()
    by_name = {r.name: r for r in results}
    hung_result = by_name.pop("hung")
    failed = [r.name for r in by_name.values() if not r.ok]
    slowest = max(by_name.values(), key=lambda r: r.seconds)
    queued = [r.queued for r in results]
    smtp = "Postfix" if servers.postfix is not None else "no SMTP (Postfix needs root)"
    print(f"mailconf check: {len(results)} accounts ({smtp}, Dovecot), concurrency {args.concurrency}, phase timeout {args.timeout:g} s"
          + (", with round trip" if args.roundtrip else ""))
    print(f"  total                      {total:7.2f} s   ({len(failed)} healthy accounts failed{': ' + ', '.join(failed[:5]) if failed else ''})")
    for name in failed[:3]:
        print(f"    {name}: " + "; ".join(f"{c.service} {p.name} {p.code} {p.detail}" for c in by_name[name].checks for p in c.phases if not p.ok))
    print(f"  slowest single account     {slowest.seconds:7.2f} s   ({slowest.name}; median {statistics.median(r.seconds for r in by_name.values()):.3f} s)")
    print(f"  queueing for a worker      {max(queued):7.2f} s max, {statistics.mean(queued):.2f} s mean")
    codes = [p.code for c in hung_result.checks for p in c.phases if not p.ok]
    print(f"  hung server                {hung_result.seconds:7.2f} s   (phase timeout {args.timeout:g} s; diagnosis {', '.join(codes)})")
    print(f"  sum of account times       {sum(r.seconds for r in results):7.2f} s   (each measured under the concurrency)")


if __name__ == "__main__":
    main()
