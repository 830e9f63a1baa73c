"""The checklist driver (every kind manual) passes the driver conformance suite's manual cycle."""

from __future__ import annotations

import dataclasses

import pytest

from mailconf.testing import DriverConformance, TargetUnderTest

from tests.providers.test_conformance_sqlite import PASSWORDS, SAMPLES

# The sqlite samples without what only a writing target can refuse: a person is never refused.
MANUAL_SAMPLES = {kind: dataclasses.replace(sample, refused=None) for kind, sample in SAMPLES.items()}


class TestChecklistConformance(DriverConformance):
    driver = "checklist"

    @pytest.fixture
    def target(self) -> TargetUnderTest:
        return TargetUnderTest(settings={"system": "ACME ERP"}, samples=MANUAL_SAMPLES, env=PASSWORDS)
