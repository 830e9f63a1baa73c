"""A real Knot DNS server with the zone the discovery tests ask, and loopback HTTP documents.

Documentation addresses only; MX and SRV targets outside the zone are never resolved.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from realservers import KnotServer

DISC_TEST = [
    # A domain that publishes everything.
    "full MX 10 mx1.full.disc.test.",
    "full MX 20 mx2.full.disc.test.",
    "_submission._tcp.full SRV 0 1 587 smtp.full.disc.test.",
    "_imaps._tcp.full SRV 0 1 993 imap.full.disc.test.",
    "_imap._tcp.full SRV 0 1 143 imap.full.disc.test.",
    "_pop3._tcp.full SRV 0 0 0 .",
    'full TXT "google-site-verification=abc"',
    'full TXT "v=spf1 mx include:_spf.provider.test" " -all"',
    '_dmarc.full TXT "v=DMARC1; p=quarantine; rua=mailto:dmarc@full.disc.test"',
    # Presets by MX, in the spellings DNS hands out.
    "google MX 1 ASPMX.L.GOOGLE.COM.",
    "google MX 5 alt1.aspmx.l.google.com.",
    "google2 MX 1 smtp.google.com.",
    "ms MX 0 ms-disc-test.mail.protection.outlook.com.",
    # Names that only look like a provider's.
    "lookalike MX 10 aspmx.l.google.com.evil.test.",
    "lookalike MX 20 fakemail.protection.outlook.com.",
    # SRV only: several targets, and a service published as not offered.
    "_submission._tcp.srvonly SRV 5 0 465 backup-smtp.srvonly.disc.test.",
    "_submission._tcp.srvonly SRV 1 10 587 smtp.srvonly.disc.test.",
    "_imaps._tcp.srvonly SRV 20 0 993 imap2.srvonly.disc.test.",
    "_imaps._tcp.srvonly SRV 10 0 993 imap1.srvonly.disc.test.",
    "_imap._tcp.srvonly SRV 0 0 0 .",
    # A null MX (RFC 7505): the domain receives no mail.
    "nullmx MX 0 .",
    "nothing A 192.0.2.1",
]


@pytest.fixture(scope="session")
def knot() -> Iterator[KnotServer]:
    if shutil.which("knotd") is None:
        pytest.skip("Knot DNS (knotd) is not installed")
    server = KnotServer().start({"disc.test": DISC_TEST})
    yield server
    server.stop()


@pytest.fixture
def nameserver(knot: KnotServer) -> str:
    return f"127.0.0.1:{knot.port}"
