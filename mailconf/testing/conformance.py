"""The checks every driver passes: `DriverConformance`, subclassed by a driver's own test module."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import pytest

from mailconf.driver import Action, Capability, Change, FieldChange, Resource
from mailconf.testing.harness import TARGET, Workspace, changes, driver_class, leaves
from mailconf.testing.target import Sample, TargetUnderTest, merged


class DriverConformance:
    """Subclass as `Test...`, set `driver` (the entry-point name) and define a `target` fixture
    that yields a fresh `TargetUnderTest` for each test. Tests are generated per kind: those
    taking `kind` for every `write` kind the driver declares, `manual_kind` for every `manual` one
    (skipped, with the reason, when it declares none)."""

    #: The driver's name in the `mailconf.providers` entry-point group.
    driver: ClassVar[str]

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        cls = driver_class(self.driver)
        for name, capability in (("kind", Capability.WRITE), ("manual_kind", Capability.MANUAL)):
            if name in metafunc.fixturenames:
                kinds = sorted(k for k in cls.kinds if cls.capability(k) is capability)
                skip = pytest.mark.skip(reason=f"driver {self.driver} declares no {capability.value} kind")
                metafunc.parametrize(name, kinds or [pytest.param(None, marks=skip, id="none")])

    @pytest.fixture
    def target(self) -> TargetUnderTest:
        pytest.fail(f"{type(self).__name__} must define a `target` fixture yielding a mailconf.testing.TargetUnderTest")

    @pytest.fixture
    def workspace(self, target: TargetUnderTest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
        for name, value in target.env.items():
            monkeypatch.setenv(name, value)
        return Workspace(tmp_path, self.driver, target.settings, target.env)

    # -- write kinds ------------------------------------------------------------------------

    def test_create_reads_back_and_plans_nothing_more(self, kind: str, target: TargetUnderTest, workspace: Workspace) -> None:
        """What apply creates, `read` returns field for field (a write-only field never comes back),
        the same over two reads; the next plan is empty, with the same live fingerprint twice."""
        created = _of_kind(_apply_sample(workspace, kind, _sample(target, kind)), kind)
        cls = driver_class(self.driver)
        with workspace.open_driver() as driver:
            readable = {k for k in cls.kinds if cls.capability(k) is not Capability.MANUAL}
            first, second = driver.read(readable), driver.read(readable)
        assert len({r.address for r in first}) == len(first), "read returned an address twice"
        live = {r.address: r for r in first}
        assert live == {r.address: r for r in second}, "two reads of an unchanged target differ"
        write_only = cls.write_only.get(kind, frozenset())
        wrong = []
        for address, entry in sorted(created.items()):
            assert address in live, f"{address} was created, but read does not return it"
            desired = {f["path"]: f["new"] for f in entry["fields"] if _top(f["path"]) not in write_only}
            read = {path: value for path, value in leaves(live[address].fields).items() if _top(path) not in write_only}
            for path in sorted(desired.keys() | read.keys()):
                if desired.get(path) != read.get(path):
                    wrong.append(f"{address} {path}: applied {desired.get(path)!r}, read back {read.get(path)!r}")
            stored = {f["path"] for f in entry["fields"] if f["path"] in write_only}
            for name in sorted(write_only):
                if live[address].fields.get(name) is not None:
                    wrong.append(f"{address} {name}: write-only, but read back a value")
                elif name in stored and name in live[address].fields:
                    wrong.append(f"{address} {name}: applied, but read says nothing is stored (None)")
        assert not wrong, "\n".join(wrong)
        run = workspace.plan("--detailed-exitcode")
        assert run.code == 0, f"the plan right after apply is not empty:\n{run}"
        prints = [[t["live_fingerprint"] for t in workspace.plan_json()["targets"]] for _ in range(2)]
        assert prints[0] == prints[1], "two plans of an unchanged target give different live fingerprints"

    def test_one_field_update_shows_that_field_and_applies(self, kind: str, target: TargetUnderTest, workspace: Workspace) -> None:
        entry = _plan_update(workspace, kind, _sample(target, kind))
        assert entry["fields"][0]["sensitive"] is False, "Sample.update must change a field that read returns"
        run = workspace.apply()
        assert run.code == 0, f"apply of the update failed:\n{run}"
        assert workspace.plan("--detailed-exitcode").code == 0, "the plan right after the update is not empty"
        path, new = entry["fields"][0]["path"], entry["fields"][0]["new"]
        assert leaves(workspace.read(kind)[entry["address"]].fields).get(path) == new, f"{path} did not read back {new!r}"

    def test_removing_from_manifest_deletes(self, kind: str, target: TargetUnderTest, workspace: Workspace) -> None:
        """Removing `Sample.declare` from the manifest deletes what it created, and nothing else."""
        sample = _sample(target, kind)
        workspace.write(sample.needs)
        kept = {c["address"] for c in changes(workspace.plan_json())}
        created = _apply_sample(workspace, kind, sample)
        workspace.write(sample.needs)
        planned = {c["address"]: c["action"] for c in changes(workspace.plan_json())}
        expected = dict.fromkeys(sorted(set(created) - kept), "delete")
        assert planned == expected, f"removing Sample.declare must plan exactly {expected}, not {planned}"
        run = workspace.apply()
        assert run.code == 0, f"apply of the deletes failed:\n{run}"
        assert workspace.plan("--detailed-exitcode").code == 0, "the plan right after the deletes is not empty"
        assert not set(planned) & set(workspace.read(kind)), "read still returns a deleted resource"

    def test_failed_change_is_reported_and_the_others_made(self, kind: str, target: TargetUnderTest, workspace: Workspace) -> None:
        """An update of a resource deleted since it was read (a conflicting live edit) fails, and so
        does the create of `Sample.refused`, each alone: the create after them in the same batch is
        made, and `apply` returns one result per change, never raises."""
        sample = _sample(target, kind)
        entry = _plan_update(workspace, kind, sample)
        address, field = entry["address"], entry["fields"][0]
        with workspace.open_driver() as driver:
            live = {r.address: r for r in driver.read({kind})}[address]
            deleted = driver.apply([Change(Action.DELETE, kind, live.key, None, live)])
            assert [r.status for r in deleted] == ["ok"], f"the delete failed: {deleted}"
            write_only = dict.fromkeys(driver.write_only.get(kind, ()))  # as the engine passes them: None, nothing to store
            updated = Resource(kind, live.key, write_only | _with(live.fields, field["path"], field["new"]))
            again = Resource(kind, live.key, write_only | dict(live.fields))
            batch = [Change(Action.UPDATE, kind, live.key, updated, live, (FieldChange(field["path"], field["old"], field["new"]),))]
            if sample.refused is not None:
                batch.append(Change(Action.CREATE, kind, sample.refused.key, sample.refused, None))
            batch.append(Change(Action.CREATE, kind, live.key, again, None))
            results = driver.apply(batch)
        assert len(results) == len(batch), f"{len(batch)} changes, {len(results)} results"
        assert [r.change for r in results] == batch, "results must come in the order of the changes"
        statuses = [(r.change.action.value, r.status, r.message) for r in results]
        assert [r.status for r in results] == ["failed"] * (len(batch) - 1) + ["ok"], statuses
        assert all(r.message.strip() for r in results[:-1]), f"a failed change must say what went wrong: {statuses}"
        back = workspace.read(kind).get(address)
        assert back is not None and _readable(back, write_only) == _readable(live, write_only), "the create was not made as asked"

    # -- manual kinds -----------------------------------------------------------------------

    def test_manual_steps_pending_confirm_and_ask_again(self, manual_kind: str, target: TargetUnderTest, workspace: Workspace) -> None:
        """Plan shows a step per resource, apply reports them pending (exit 0), `confirm` records
        them, the next plan is empty, and a changed desired value asks again."""
        sample = _sample(target, manual_kind)
        workspace.write(merged(sample.needs, sample.declare))
        steps = _steps(workspace.plan_json(), manual_kind)
        run = workspace.apply()
        assert run.code == 0, f"apply of manual steps alone must exit 0:\n{run}"
        for address, step in steps.items():
            assert f"{address}: pending: {step['title']}" in run.out, f"apply does not report {address} pending:\n{run}"
        assert f"{len(steps)} pending." in run.out and f"mailconf confirm {TARGET}" in run.out, run.out
        confirmed = workspace.cli("confirm", TARGET, "-m", str(workspace.manifest), "--yes")
        assert confirmed.code == 0, f"confirm failed:\n{confirmed}"
        assert workspace.plan("--detailed-exitcode").code == 0, "a confirmed, unchanged step is asked again"
        assert workspace.cli("confirm", TARGET, "-m", str(workspace.manifest), "--yes").code == 1, "nothing left to confirm must exit 1"
        workspace.write(merged(sample.needs, sample.declare, sample.update))
        assert workspace.plan("--detailed-exitcode").code == 2, "a changed desired value must ask again"
        again = _steps(workspace.plan_json(), manual_kind)
        assert len(again) == 1, f"Sample.update changes one {manual_kind}, so exactly its step is asked again, not {sorted(again)}"


def _sample(target: TargetUnderTest, kind: str) -> Sample:
    if kind not in target.samples:
        pytest.fail(f"the target under test has no sample for kind {kind!r}: add TargetUnderTest.samples[{kind!r}]")
    return target.samples[kind]


def _apply_sample(workspace: Workspace, kind: str, sample: Sample) -> dict[str, dict[str, Any]]:
    """Apply `needs` and `declare` to the fresh target; the plan JSON entries of every create, by address."""
    workspace.write(merged(sample.needs, sample.declare))
    planned = changes(workspace.plan_json())
    created = {c["address"]: c for c in planned if c["action"] == "create"}
    assert any(a.startswith(f"{kind}/") for a in created), f"Sample.declare creates no {kind} on the fresh target: {planned}"
    for entry in created.values():
        assert entry.get("capability", "write") == "write" and entry.get("step") is None, f"{entry['address']}: {entry}"
    run = workspace.apply()
    assert run.code == 0, f"apply of the sample failed:\n{run}"
    return created


def _plan_update(workspace: Workspace, kind: str, sample: Sample) -> dict[str, Any]:
    """Apply the sample, write it with `update` merged in; the one change that plan must show."""
    _apply_sample(workspace, kind, sample)
    workspace.write(merged(sample.needs, sample.declare, sample.update))
    planned = changes(workspace.plan_json())
    assert len(planned) == 1 and planned[0]["action"] == "update", f"Sample.update must plan one update, not {planned}"
    assert planned[0]["address"].startswith(f"{kind}/"), f"Sample.update must change a {kind}, not {planned[0]['address']}"
    assert len(planned[0]["fields"]) == 1, f"a one-field update must show exactly that field: {planned[0]['fields']}"
    return planned[0]


def _steps(plan: Mapping[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    """Every manual step the plan shows, by address, each checked for its documented shape;
    every change of `kind` must be one."""
    steps = {}
    for entry in changes(plan):
        step = entry.get("step")
        if entry["address"].startswith(f"{kind}/"):
            assert entry.get("capability") == "manual" and step is not None, f"{entry['address']} has no manual step: {entry}"
        if step is not None:
            assert step["title"] and step["instructions"] and step["verification"], f"{entry['address']}: incomplete step {step}"
            assert all(isinstance(line, str) and line.strip() for line in step["instructions"]), step["instructions"]
            steps[entry["address"]] = step
    assert any(address.startswith(f"{kind}/") for address in steps), f"the plan shows no step for a {kind}: {plan}"
    return steps


def _of_kind(entries: Mapping[str, Any], kind: str) -> dict[str, Any]:
    return {address: entry for address, entry in entries.items() if address.startswith(f"{kind}/")}


def _top(path: str) -> str:
    return path.split(".", 1)[0]


def _readable(resource: Resource, write_only: Mapping[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in resource.fields.items() if name not in write_only}


def _with(fields: Mapping[str, Any], path: str, value: Any) -> dict[str, Any]:
    """`fields` with the leaf at dotted `path` set to `value` (a key may itself hold dots: a DNS name)."""
    if path in fields or "." not in path:
        return {**fields, path: value}
    head, rest = path.split(".", 1)
    return {**fields, head: _with(fields.get(head) or {}, rest, value)}
