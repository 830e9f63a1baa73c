"""The kind registry: each kind in one module, its typed fields what drivers really hold, an
apply order that respects every reference, and no kind with a hook named by the engine."""

from __future__ import annotations

import ast
import typing
from pathlib import Path

import mailconf.engine
from mailconf import model
from mailconf.engine.workspace import Workspace as Engine
from mailconf.kinds import KINDS, order
from mailconf.kinds.base import FinishContext
from tests.engine.conftest import Workspace, manifest


def test_the_manifest_kind_literal_names_exactly_the_registered_kinds() -> None:
    assert set(typing.get_args(model.Kind)) == set(KINDS)


def test_every_kind_comes_after_each_kind_it_depends_on() -> None:
    ranks = {kind: i for i, kind in enumerate(order())}
    assert set(ranks) == set(KINDS)
    for spec in KINDS.values():
        for dependency in spec.depends_on:
            assert ranks[dependency] < ranks[spec.name], (spec.name, dependency)


def _every_kind() -> dict[str, object]:
    data = manifest(accounts=3)
    data["accounts"]["a1"].update(display_name="Sales", signature="Regards", salutation="Hello", reply_to="x@acme.example", notify_if_unreplied={"minutes": 60, "recipient": "boss@acme.example"})
    data["projects"] = {"p": {"senders": {"invoice": "a1", "tracking": "a2"}}}
    data["employees"] = {"e1": {"name": "Ann", "mailbox": "a1"}, "e2": {"name": "Bob"}}
    data["team_inboxes"] = {"support": {"account": "a2", "members": ["e2", "e1"], "sender_name": "Support"}}
    data["spf"] = {"acme.example": {"mechanisms": ["include:spf.protection.outlook.com"], "all": "softfail", "mode": "exact"}}
    return data


def _keys(fields_type: type) -> tuple[set[str], set[str]]:
    """(all keys, required keys) of a TypedDict."""
    return set(typing.get_type_hints(fields_type)), set(fields_type.__required_keys__)  # type: ignore[attr-defined]


def test_each_kinds_typed_fields_are_what_the_manifest_gives_and_a_driver_reads_back(ws: Workspace) -> None:
    ws.write(_every_kind())
    assert ws.cli("apply", "--auto-approve")[0] == 0
    engine = Engine(ws.root)
    try:
        opened = engine.target("embedded")
        live = opened.driver.read(opened.kinds)
        secrets = {("accounts", key, "password"): None for key in engine.manifest.accounts}
        desired = [r for spec in KINDS.values() for r in spec.desired(engine.manifest, secrets)]  # type: ignore[arg-type]
    finally:
        engine.close()
    assert {r.kind for r in live} == set(KINDS) == {r.kind for r in desired}
    for resource in live + desired:
        spec = KINDS[resource.kind]
        if spec.finish is not None and resource in desired:
            resource = spec.finish(resource, None, FinishContext(lambda: None))  # type: ignore[arg-type, return-value]
        every, required = _keys(spec.fields)
        assert required <= resource.fields.keys() <= every, (resource.address, resource.fields.keys() ^ every)


def test_the_engine_names_no_kind_that_has_a_hook() -> None:
    hooked = {name for name, spec in KINDS.items() if spec.finish is not None}
    assert hooked  # spf merges and flattens in its hook
    for path in Path(mailconf.engine.__file__).parent.glob("*.py"):
        named = {node.value for node in ast.walk(ast.parse(path.read_text())) if isinstance(node, ast.Constant) and isinstance(node.value, str)}
        assert not named & hooked, path.name


def test_import_writes_each_kind_back_as_the_manifest_declared_it(ws: Workspace) -> None:
    import yaml

    data = _every_kind()
    ws.write(data)
    assert ws.cli("apply", "--auto-approve")[0] == 0
    out = ws.root / "imported"
    assert ws.run("import", "embedded", "-o", str(out), "-m", str(ws.root))[0] == 0
    written = yaml.safe_load((out / "mailconf.yaml").read_text())
    assert written["projects"] == data["projects"] and written["employees"] == data["employees"]
    assert written["team_inboxes"] == data["team_inboxes"] and written["primary_sender"] == "a0"
    assert written["spf"]["acme.example"] == {"mode": "exact", "mechanisms": ["include:spf.protection.outlook.com"], "all": "softfail"}
    assert written["accounts"]["a1"]["notify_if_unreplied"] == {"minutes": 60, "recipient": "boss@acme.example"}
    assert written["accounts"]["a1"]["password"].startswith("${env:")

