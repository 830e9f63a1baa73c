"""The driver conformance suite: the behaviour every mailconf driver shares, as pytest tests.

A driver, in-tree or third-party, runs it from its own tests by subclassing `DriverConformance`
(the class is not collected itself: its name does not start with `Test`), naming the driver's
entry point and providing a `target` fixture that yields a fresh target::

    from mailconf.testing import DriverConformance, Sample, TargetUnderTest

    class TestMyErpConformance(DriverConformance):
        driver = "myerp"  # the name in the `mailconf.providers` entry-point group

        @pytest.fixture
        def target(self, erp_server):  # a fresh tenant, database or zone: holding none of the samples
            yield TargetUnderTest(
                settings={"url": erp_server.url, "api_key": "${env:MYERP_KEY}"},
                env={"MYERP_KEY": erp_server.key},
                samples={
                    "account": Sample(
                        declare={"accounts": {"sales": {"address": "sales@acme.example", "password": "${env:PW}"}}},
                        update={"accounts": {"sales": {"display_name": "Sales"}}},
                    ),
                },
            )

Samples are manifest fragments (the YAML as Python values), one per kind the driver declares
`write` or `manual` (see `Sample`). The suite writes them as a manifest in the test's `tmp_path`,
with one target named `conformance`, runs `mailconf plan` and `apply` through `mailconf.cli.main`
as a user would, and opens the driver itself (from its entry point, with a `DriverContext`) where
it must look at what `read` and `apply` return. Requires pytest.

For each `write` kind it checks:
- create and read back: every field apply created reads back equal (the fields the plan JSON lists
  for the create); a write-only field (`Driver.write_only`) never reads back a value, nor None
  ("nothing stored") once one was applied;
- the plan right after apply is empty (`plan --detailed-exitcode` exits 0);
- `Sample.update` plans exactly one update showing exactly one field, applies, and reads back;
- removing the sample from the manifest plans exactly its deletes, applies them, and plans nothing after;
- a failed change is reported alone: given an update of a resource deleted since it was read
  (a conflicting live edit), then the create of `Sample.refused` if given, then a create, `apply`
  returns one result per change, in order, failed (with a message) ones then ok, and does not raise;
- two reads of an unchanged target return the same resources, and two plans the same
  `live_fingerprint`.

For each `manual` kind: the plan shows a step (title, instructions, verification) per resource,
apply reports each pending and exits 0, `mailconf confirm conformance --yes` records them, the next
plan is empty, a second confirm has nothing to do (exit 1), and a changed desired value asks again.

Not checked here: `read` kinds (a person changes them), and `max_concurrency` (the engine honours it).
Every CLI run also fails the test if it printed the value of any variable in `TargetUnderTest.env`.
"""

from mailconf.testing.conformance import DriverConformance
from mailconf.testing.target import Sample, TargetUnderTest

__all__ = ["DriverConformance", "Sample", "TargetUnderTest"]
