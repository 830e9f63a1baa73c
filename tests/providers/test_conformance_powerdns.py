"""The powerdns driver passes the driver conformance suite (`mailconf.testing`) against a real PowerDNS."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from dnsservers import powerdns  # noqa: F401 (a fixture)
from dnsservers import DnsServer, pdns_api, unique_name

from mailconf.driver import Resource
from mailconf.testing import DriverConformance, Sample, TargetUnderTest


def spf_sample(domain: str, zone: str) -> Sample:
    """An SPF record long enough to span two TXT strings, so splitting and joining are read back too.
    Refused: a flattened record whose domain is a valid name, but whose `_spf1.` name is not (over 255 octets)."""
    includes = [f"include:_spf{n}.mail-provider-with-a-long-name.example" for n in range(6)]
    long_domain = _name_of_length(250, zone)
    return Sample(
        declare={"spf": {domain: {"mechanisms": [*includes, "ip4:192.0.2.1", "ip6:2001:db8::/32"], "all": "fail"}}},
        update={"spf": {domain: {"all": "softfail"}}},
        refused=Resource("spf", long_domain, {"record": f"v=spf1 include:_spf1.{long_domain} -all", "chained": {f"_spf1.{long_domain}": "v=spf1 ip4:192.0.2.1 -all"}}),
    )


def _name_of_length(length: int, zone: str) -> str:
    """A name in `zone` of `length` characters, in labels of at most 61."""
    labels, rest = [], length - len(zone)
    while rest > 0:
        size = min(61, rest - 1)
        labels.append("x" * size)
        rest -= size + 1
    return ".".join([*labels, zone])


class TestPowerDnsConformance(DriverConformance):
    driver = "powerdns"

    @pytest.fixture
    def target(self, powerdns: DnsServer) -> Iterator[TargetUnderTest]:  # noqa: F811 (the fixture imported above)
        """A zone of its own, made and dropped through the API."""
        zone = f"{unique_name('conf')}.test"
        pdns_api(powerdns, "POST", "/zones", {"name": f"{zone}.", "kind": "Native", "nameservers": [f"ns1.{zone}."]})
        yield TargetUnderTest(
            settings={"url": powerdns.api_url, "api_key": "${env:CONF_PDNS_KEY}", "zones": [zone]},
            samples={"spf": spf_sample(zone, zone)},
            env={"CONF_PDNS_KEY": powerdns.secret},
        )
        pdns_api(powerdns, "DELETE", f"/zones/{zone}.")
