"""`mailconf discover DOMAIN`: what the domain publishes about its mail, and an account block from it."""

from __future__ import annotations

import argparse

from mailconf.spf.cli import _seconds  # the same "positive number of seconds" as the spf commands

DEFAULT_TIMEOUT = 5.0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "discover",
        help="find a domain's mail settings (MX, SRV, autoconfig, ISPDB, SPF, DMARC)",
        description="Ask every source at once: MX records (matched to presets), RFC 6186 SRV records, the domain's "
        "autoconfig document, the Thunderbird ISPDB, the SPF and DMARC records. Prints each source's finding and a "
        "ready account block for a manifest. Exit 0 when any source found something, 1 when none did.",
    )
    parser.add_argument("domain", metavar="DOMAIN")
    parser.add_argument("--format", choices=("yaml", "json"), default="yaml", help="yaml (default: the account block, sources as comments) or json (versioned shape)")
    parser.add_argument("--nameserver", metavar="HOST[:PORT]", help="ask this DNS server instead of the system's ([IPv6]:PORT with a port)")
    parser.add_argument("--ispdb", metavar="URL", help="base URL of the ISP database, the domain is appended (default: Thunderbird's)")
    parser.add_argument(
        "--autoconfig-url", action="append", metavar="URL",
        help="look for the domain's autoconfig document here instead of the two standard places; {domain} is "
        "replaced (repeatable, tried in order)",
    )
    parser.add_argument("--timeout", type=_seconds, default=DEFAULT_TIMEOUT, metavar="SECONDS", help=f"limit per DNS query and per HTTP request (default {DEFAULT_TIMEOUT:g})")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import json
    import re

    from mailconf.discover import fetch
    from mailconf.discover.discovery import discover
    from mailconf.discover.render import as_yaml
    from mailconf.errors import UsageError
    from mailconf.model import DOMAIN_PATTERN
    from mailconf.spf.resolver import DnsResolver

    domain = args.domain.strip().rstrip(".").lower()
    if not re.fullmatch(DOMAIN_PATTERN, domain) or len(domain) > 253:
        raise UsageError(f"{args.domain!r} is not a domain name")
    ispdb = fetch.check_url(args.ispdb, "--ispdb") if args.ispdb else fetch.ISPDB_URL
    urls = [fetch.check_url(u, "--autoconfig-url") for u in args.autoconfig_url] if args.autoconfig_url else fetch.AUTOCONFIG_URLS
    resolver = DnsResolver(args.nameserver, args.timeout)
    found = discover(domain, resolver, args.timeout, autoconfig_urls=urls, ispdb_url=ispdb)
    print(json.dumps(found.to_dict(), indent=2) + "\n" if args.format == "json" else as_yaml(found), end="")
    return 0 if found.found_anything else 1
