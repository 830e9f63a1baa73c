"""One real Knot DNS server for the SPF tests, serving the zones below, and ways to reach it.

Documentation addresses only: 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32.
"""

from __future__ import annotations

import shutil
import socket
from collections.abc import Iterator

import pytest

from mailconf.spf.resolver import DnsResolver
from realservers import KnotServer

SPF_TEST = [
    # --- mechanisms ---------------------------------------------------------------------
    'ip TXT "v=spf1 ip4:192.0.2.0/25 ip6:2001:db8:1::/48 -all"',
    'a TXT "v=spf1 a a:host.spf.test/24 a:dual.spf.test//64 -all"',
    "a A 192.0.2.10",
    "host A 198.51.100.7",
    "dual A 203.0.113.1",
    "dual AAAA 2001:db8:2::1",
    'mx TXT "v=spf1 mx mx:other-mx.spf.test/30 -all"',
    "mx MX 10 mx1.spf.test.",
    "mx MX 20 mx2.spf.test.",
    "mx1 A 192.0.2.20",
    "mx2 AAAA 2001:db8:3::25",
    "other-mx MX 0 mxo.spf.test.",
    "mxo A 198.51.100.100",
    'nullmx TXT "v=spf1 mx ?all"',
    "nullmx MX 0 .",
    'ptr TXT "v=spf1 ptr -all"',
    "good.ptr A 192.0.2.50",
    "good.ptr A 192.0.2.52",
    "liar.ptr A 192.0.2.99",
    'ptr-other TXT "v=spf1 ptr:ptr.spf.test -all"',
    'exists TXT "v=spf1 exists:%{ir}.list.spf.test -all"',
    "60.2.0.192.list A 127.0.0.2",
    'exists6 TXT "v=spf1 exists:host.spf.test exists:dualonly.spf.test -all"',
    "dualonly AAAA 2001:db8:2::2",
    # --- include ----------------------------------------------------------------------------
    'inc TXT "v=spf1 include:prov-pass.spf.test include:prov-fail.spf.test include:prov-soft.spf.test '
    'include:prov-neutral.spf.test ~all"',
    'prov-pass TXT "v=spf1 ip4:192.0.2.1 -all"',
    'prov-fail TXT "v=spf1 -ip4:192.0.2.2 ip4:192.0.2.3"',
    'prov-soft TXT "v=spf1 ~ip4:192.0.2.2 ~all"',
    'prov-neutral TXT "v=spf1 ?all"',
    'inc-none TXT "v=spf1 include:no-spf.spf.test -all"',
    'no-spf TXT "just a verification string"',
    'inc-perm TXT "v=spf1 include:syntax-error.spf.test -all"',
    'syntax-error TXT "v=spf1 ip4:192.0.2.1/33 -all"',
    'inc-temp TXT "v=spf1 include:x.broken.test ip4:192.0.2.1 -all"',
    'inc-loop TXT "v=spf1 include:loop2.spf.test -all"',
    'loop2 TXT "v=spf1 include:inc-loop.spf.test -all"',
    'inc-cname TXT "v=spf1 include:alias.spf.test -all"',
    "alias CNAME target.other.test.",
    # --- modifiers and explanations ------------------------------------------------------
    'redir TXT "v=spf1 ip4:198.51.100.1 redirect=prov-pass.spf.test"',
    'redir-none TXT "v=spf1 redirect=no-spf.spf.test"',
    'redir-all TXT "v=spf1 ?all redirect=prov-pass.spf.test"',
    'redir-implicit TXT "v=spf1 redirect=implicit-target.spf.test"',
    "redir-implicit A 192.0.2.40",
    'implicit-target TXT "v=spf1 a -all"',
    "implicit-target A 192.0.2.41",
    'exp TXT "v=spf1 ip4:192.0.2.1 -all exp=why.spf.test"',
    'why TXT "%{i} may not send for %{d} as %{l}: see https://spf.test/%{L}?ip=%{C}"',
    'exp-redirect TXT "v=spf1 exp=why.spf.test redirect=exp-target.spf.test"',
    'exp-target TXT "v=spf1 -all exp=why-target.spf.test"',
    'why-target TXT "from the target"',
    'exp-include TXT "v=spf1 include:exp-target.spf.test -all"',
    'exp-two TXT "v=spf1 -all exp=two-texts.spf.test"',
    'two-texts TXT "one"',
    'two-texts TXT "two"',
    'exp-bad TXT "v=spf1 -all exp=bad-text.spf.test"',
    'bad-text TXT "The %{x}-files"',
    'exp-p TXT "v=spf1 -all exp=p-text.spf.test"',
    'p-text TXT "connect from %{p}"',
    'unknown-mod TXT "v=spf1 foo=bar.%{d} default=pass"',
    # --- record selection ----------------------------------------------------------------
    'two TXT "v=spf1 -all"',
    'two TXT "v=spf1 +all"',
    'split TXT "v=spf1 ip4:192.0.2.1" " -all"',
    'nospace TXT "v=spf1" "ip4:192.0.2.1 -all"',
    'upper TXT "V=SPF1 IP4:192.0.2.1 -ALL"',
    'spf10 TXT "v=spf10 +all"',
    'type99 SPF "v=spf1 +all"',
    'non-ascii TXT "v=spf1 a:\\239\\187\\191garbage.spf.test -all"',
    # --- limits ----------------------------------------------------------------------------
    'at-limit TXT "v=spf1 a:host.spf.test a:host.spf.test a:host.spf.test a:host.spf.test '
    'a:host.spf.test a:host.spf.test a:host.spf.test a:host.spf.test include:prov-neutral.spf.test '
    'mx:other-mx.spf.test ip4:192.0.2.9 -all"',
    'over-limit TXT "v=spf1 a:host.spf.test a:host.spf.test a:host.spf.test a:host.spf.test '
    'a:host.spf.test a:host.spf.test a:host.spf.test a:host.spf.test include:prov-neutral.spf.test '
    'mx:other-mx.spf.test a:host.spf.test ip4:192.0.2.9 -all"',
    'void2 TXT "v=spf1 a:nx1.spf.test mx:nx2.spf.test ip4:192.0.2.9 -all"',
    'void3 TXT "v=spf1 a:nx1.spf.test mx:nx2.spf.test exists:nx3.spf.test ip4:192.0.2.9 -all"',
    'mx11 TXT "v=spf1 mx -all"',
    *(f"mx11 MX {n} m{n:02d}.spf.test." for n in range(11)),
    *(f"m{n:02d} A 192.0.2.{100 + n}" for n in range(11)),
    'mx10 TXT "v=spf1 mx -all"',
    *(f"mx10 MX {n} m{n:02d}.spf.test." for n in range(10)),
    'ptr-limit TXT "v=spf1 ptr:ptrlimit.spf.test -all"',
    # --- analysis only ---------------------------------------------------------------------
    'clean TXT "v=spf1 include:prov-pass.spf.test mx -all"',
    'warn TXT "v=spf1 ptr ?all"',
    'pass-all TXT "v=spf1 +all"',
    'near TXT "v=spf1 a:host.spf.test mx:mx.spf.test include:prov-pass.spf.test include:inc.spf.test -all"',
    'all-first TXT "v=spf1 -all mx"',
    'inc-macro TXT "v=spf1 include:%{l}.spf.test -all"',
    "h00.ptrlimit A 192.0.2.71",
    "h10.ptrlimit A 192.0.2.70",
]

OTHER_TEST = ['target TXT "v=spf1 ip4:192.0.2.80 -all"']

REVERSE_V4 = [
    "50 PTR good.ptr.spf.test.",
    "51 PTR liar.ptr.spf.test.",
    "52 PTR good.ptr.spf.test.",
    "52 PTR mx.spf.test.",
    *(f"70 PTR h{n:02d}.ptrlimit.spf.test." for n in range(11)),
    *(f"71 PTR h{n:02d}.ptrlimit.spf.test." for n in range(11)),
]

ZONES = {
    "spf.test": SPF_TEST,
    "other.test": OTHER_TEST,
    "2.0.192.in-addr.arpa": REVERSE_V4,
}


@pytest.fixture(scope="session")
def knot() -> Iterator[KnotServer]:
    if shutil.which("knotd") is None:
        pytest.skip("Knot DNS (knotd) is not installed")
    server = KnotServer().start(ZONES, broken=["broken.test"])
    yield server
    server.stop()


@pytest.fixture
def nameserver(knot: KnotServer) -> str:
    return f"127.0.0.1:{knot.port}"


@pytest.fixture
def resolver(nameserver: str) -> DnsResolver:
    """A fresh resolver (and cache) per test, so that tests cannot see each other's answers."""
    return DnsResolver(nameserver, timeout=2)


@pytest.fixture(scope="session")
def silent_nameserver() -> Iterator[str]:
    """A UDP socket on loopback that receives queries and never answers them."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"127.0.0.1:{sock.getsockname()[1]}"
