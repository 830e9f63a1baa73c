"""The rfc2136 driver passes the driver conformance suite (`mailconf.testing`) against real Knot and BIND."""

from __future__ import annotations

import pytest
from dnsservers import tsig_server  # noqa: F401 (a fixture)
from dnsservers import KEY, ZONE, DnsServer, unique_name
from test_conformance_powerdns import spf_sample

from mailconf.testing import DriverConformance, TargetUnderTest


class TestRfc2136Conformance(DriverConformance):
    driver = "rfc2136"

    @pytest.fixture
    def target(self, tsig_server: DnsServer) -> TargetUnderTest:  # noqa: F811 (the fixture imported above)
        """The shared zone: records other tests left are unmanaged and kept; a fresh name is empty."""
        return TargetUnderTest(
            settings={"server": "127.0.0.1", "port": tsig_server.port, "zones": [ZONE], "tsig": {"name": KEY, "secret": "${env:CONF_TSIG}"}},
            samples={"spf": spf_sample(f"{unique_name('conf')}.{ZONE}", ZONE)},
            env={"CONF_TSIG": tsig_server.secret},
        )
