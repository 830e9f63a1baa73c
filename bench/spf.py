"""Benchmark: `mailconf spf check` over 500 domains beside checkdmarc's SPF check on the same DNS.

    python bench/spf.py [--domains 500] [--workers 32]

Starts its own Knot DNS on loopback (tests/realservers.py) serving 500 customer domains, each
including 2-3 of 30 shared providers, some providers nested three deep (provider -> sub-provider
-> sub-sub-provider), with a, mx and ip4 terms along the way. Then, cold caches each:

- mailconf: the analysis behind `mailconf spf check` over all domains in one run (one resolver
  and cache shared by a thread pool), and the same with one worker for comparison;
- checkdmarc: `checkdmarc.spf.check_spf()` for each domain, pointed at the same server through a
  dnspython resolver (its module cache cleared first).

It prints both times, their ratio (the target is mailconf <= 0.5x checkdmarc) and the domains
where the two disagree on the DNS look-up count. checkdmarc is not a mailconf dependency: install
it in the benchmark's environment only (`pip install checkdmarc`); without it only mailconf runs.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from realservers import KnotServer  # noqa: E402

from mailconf.spf.analyze import analyze_domains  # noqa: E402
from mailconf.spf.resolver import DnsResolver  # noqa: E402

ZONE = "bench.test"


def build_zone(domains: int, seed: int = 7) -> tuple[list[str], list[str]]:
    """Zone-file lines and the customer domain names."""
    rng = random.Random(seed)
    lines: list[str] = []
    for k in range(5):  # sub-sub-providers: 1 look-up each
        lines += [f'r{k}.prov TXT "v=spf1 ip4:198.18.{k}.0/24 a -all"', f"r{k}.prov A 198.18.{k}.10"]
    for j in range(10):  # sub-providers: include of an r (1 + 1) and mx (1) = 3
        lines += [
            f'q{j}.prov TXT "v=spf1 include:r{j % 5}.prov.{ZONE} ip4:198.18.{10 + j}.0/24 mx ~all"',
            f"q{j}.prov MX 10 mx.q{j}.prov.{ZONE}.",
            f"mx.q{j}.prov A 198.18.{10 + j}.25",
        ]
    for i in range(30):  # providers: half nest three deep (1 + 3 + 1 = 5), half are flat (0)
        if i < 15:
            lines += [
                f'p{i}.prov TXT "v=spf1 include:q{i % 10}.prov.{ZONE} ip4:198.18.{40 + i}.0/24 a ~all"',
                f"p{i}.prov A 198.18.{40 + i}.1",
            ]
        else:
            lines.append(f'p{i}.prov TXT "v=spf1 ip4:198.18.{40 + i}.0/24 ip4:198.19.{i}.0/24 ?all"')
    names = []
    for n in range(domains):
        providers = rng.sample(range(30), rng.choice((2, 2, 3)))
        includes = " ".join(f"include:p{p}.prov.{ZONE}" for p in providers)
        lines += [
            f'c{n} TXT "v=spf1 {includes} a mx ip4:203.0.113.{n % 256} -all"',
            f"c{n} A 192.0.2.{n % 256}",
            f"c{n} MX 10 mx.c{n}.{ZONE}.",
            f"mx.c{n} A 198.51.100.{n % 256}",
        ]
        names.append(f"c{n}.{ZONE}")
    return lines, names


def time_mailconf(nameserver: str, names: list[str], workers: int) -> tuple[float, dict[str, int]]:
    start = time.perf_counter()
    reports = analyze_domains(names, DnsResolver(nameserver), workers=workers)
    elapsed = time.perf_counter() - start
    return elapsed, {report.domain: report.tree.dns_lookups for report in reports}


def time_checkdmarc(port: int, names: list[str]) -> tuple[float, dict[str, int | None]] | None:
    try:
        import checkdmarc.spf
        import checkdmarc.utils
        import dns.resolver
    except ImportError:
        return None
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = ["127.0.0.1"]
    resolver.port = port
    resolver.timeout = resolver.lifetime = 2.0
    checkdmarc.utils.DNS_CACHE.clear()
    start = time.perf_counter()
    results = {name: checkdmarc.spf.check_spf(name, resolver=resolver) for name in names}
    elapsed = time.perf_counter() - start
    return elapsed, {name: result.get("dns_lookups") for name, result in results.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--domains", type=int, default=500)
    parser.add_argument("--workers", type=int, default=32)
    args = parser.parse_args()

    lines, names = build_zone(args.domains)
    server = KnotServer().start({ZONE: lines})
    try:
        nameserver = f"127.0.0.1:{server.port}"
        mailconf_time, mailconf_counts = time_mailconf(nameserver, names, args.workers)
        serial_time, _ = time_mailconf(nameserver, names, 1)
        other = time_checkdmarc(server.port, names)
    finally:
        server.stop()

    over = sum(count > 10 for count in mailconf_counts.values())
    print(f"{len(names)} domains ({over} over the 10-look-up limit), Knot on {nameserver}")
    print(f"mailconf spf check:   {mailconf_time:7.3f} s  ({args.workers} workers, one shared cache)")
    print(f"  same, one worker:   {serial_time:7.3f} s")
    if other is None:
        print("checkdmarc:           not installed (pip install checkdmarc in this environment to compare)")
        return 0
    checkdmarc_time, checkdmarc_counts = other
    ratio = mailconf_time / checkdmarc_time
    print(f"checkdmarc check_spf: {checkdmarc_time:7.3f} s")
    print(f"ratio mailconf/checkdmarc: {ratio:.3f}x (target <= 0.5x: {'met' if ratio <= 0.5 else 'NOT met'})")
    mismatches = [(name, mailconf_counts[name], checkdmarc_counts[name])
                  for name in names if mailconf_counts[name] != checkdmarc_counts[name]]
    if mismatches:
        both_over = sum(ours > 10 and theirs is not None and theirs > 10 for _, ours, theirs in mismatches)
        print(f"look-up counts differ for {len(mismatches)} domains, {both_over} of them over the limit in both "
              "(checkdmarc stops counting inside the include that crosses 10) (domain: mailconf vs checkdmarc):")
        for name, ours, theirs in mismatches:
            print(f"  {name}: {ours} vs {theirs}")
    else:
        print(f"look-up counts: identical for all {len(names)} domains")
    return 0


if __name__ == "__main__":
    sys.exit(main())
