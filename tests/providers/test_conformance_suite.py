"""The conformance suite fails a driver that breaks the contract, naming what broke.

Each broken driver below is the sqlite driver with one mistake a driver author makes, registered
as an entry point of a throwaway distribution; the suite runs on it in a fresh pytest process
(the engine caches the entry points it found), once per mistake, on the test that must catch it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

BROKEN = '''
import dataclasses
from mailconf.driver import Action, ChangeResult
from mailconf.errors import DriverError
from mailconf_providers.sqlite import SqliteDriver


def _without(resources, field):
    return [dataclasses.replace(r, fields={k: v for k, v in r.fields.items() if k != field}) for r in resources]


class Forgetful(SqliteDriver):
    """Reads no signature back."""
    def read(self, kinds):
        return _without(super().read(kinds), "signature")


class Leaky(SqliteDriver):
    """Reads the stored password back."""
    def read(self, kinds):
        return [dataclasses.replace(r, fields={**r.fields, "password": "stored"}) if r.kind == "account" else r for r in super().read(kinds)]


class Denying(SqliteDriver):
    """Says no password is stored when one is."""
    def read(self, kinds):
        return [dataclasses.replace(r, fields={**r.fields, "password": None}) if r.kind == "account" else r for r in super().read(kinds)]


class Raising(SqliteDriver):
    """Raises for a failed change instead of reporting it."""
    def apply(self, changes):
        results = super().apply(changes)
        for result in results:
            if not result.ok:
                raise DriverError(result.message)
        return results


class Deaf(SqliteDriver):
    """Reports updates done without making them."""
    def apply(self, changes):
        made = super().apply([c for c in changes if c.action is not Action.UPDATE])
        return [ChangeResult(c, True) for c in changes if c.action is Action.UPDATE] + made


class Clinging(SqliteDriver):
    """Reports deletes done without making them."""
    def apply(self, changes):
        results = []
        for change in changes:
            results += [ChangeResult(change, True)] if change.action is Action.DELETE else super().apply([change])
        return results
'''

# (driver class, the test that must catch it, a phrase its failure must carry)
CASES = [
    ("Forgetful", "test_create_reads_back_and_plans_nothing_more", "signature: applied"),
    ("Leaky", "test_create_reads_back_and_plans_nothing_more", "password: write-only, but read back a value"),
    ("Denying", "test_create_reads_back_and_plans_nothing_more", "password: applied, but read says nothing is stored"),
    ("Raising", "test_failed_change_is_reported_and_the_others_made", "DriverError"),
    ("Deaf", "test_one_field_update_shows_that_field_and_applies", "the plan right after the update is not empty"),
    ("Clinging", "test_removing_from_manifest_deletes", "the plan right after the deletes is not empty"),
]


def test_the_suite_fails_each_broken_driver_on_its_mistake(tmp_path: Path) -> None:
    (tmp_path / "broken_drivers.py").write_text(BROKEN, encoding="utf-8")
    dist = tmp_path / "broken_drivers-0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-drivers\nVersion: 0\n", encoding="utf-8")
    points = "".join(f"{name.lower()} = broken_drivers:{name}\n" for name, _, _ in CASES)
    (dist / "entry_points.txt").write_text(f"[mailconf.providers]\n{points}", encoding="utf-8")
    classes = "".join(
        textwrap.dedent(f"""
            class Test{name}(DriverConformance):
                driver = "{name.lower()}"

                @pytest.fixture
                def target(self):
                    return TargetUnderTest(settings={{"path": "live.db"}}, samples=SAMPLES, env=PASSWORDS)
            """)
        for name, _, _ in CASES
    )
    header = "import pytest\nfrom test_conformance_sqlite import PASSWORDS, SAMPLES\nfrom mailconf.testing import DriverConformance, TargetUnderTest\n"
    (tmp_path / "test_broken.py").write_text(header + classes, encoding="utf-8")
    selected = " or ".join(f"(Test{name} and {test} and account)" for name, test, _ in CASES)
    here = Path(__file__).parent
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(here), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-k", selected, "--rootdir", str(tmp_path), "test_broken.py"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )
    out = proc.stdout + proc.stderr
    assert f"{len(CASES)} failed" in out and "passed" not in out, out
    for name, test, phrase in CASES:
        section = out.partition(f"Test{name}.{test}[account]")[2].partition("\n____")[0]
        assert phrase in section, f"Test{name}.{test} did not fail on its mistake ({phrase!r}):\n{out}"
