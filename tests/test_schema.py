"""The checked-in JSON Schema: in sync with the model, valid 2020-12, and agreeing with the validator."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from mailconf import schema
from mailconf.cli import main
from mailconf.diagnostics import Severity
from mailconf.validate import validate
from mailconf.yamlsource import YamlProblem, load, read_text

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ROOT / "schemas"
EXAMPLES = ROOT / "examples"


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    checked_in = json.loads((SCHEMAS / "manifest.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(checked_in)
    return jsonschema.Draft202012Validator(checked_in, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def _value(path: Path):
    return load(read_text(path)).value


def test_checked_in_schemas_match_the_model(capsys):
    assert schema.stale(SCHEMAS) == [], "schemas/ is stale: run `mailconf schema --write schemas` and commit it"
    assert main(["schema"]) == 0
    assert capsys.readouterr().out == (SCHEMAS / "manifest.schema.json").read_text(encoding="utf-8")
    assert sorted(p.name for p in SCHEMAS.iterdir()) == sorted(schema.schemas())


def test_staleness_is_detected(tmp_path, capsys):
    schema.write(tmp_path)
    assert main(["schema", "--check", str(tmp_path)]) == 0
    (tmp_path / "manifest.schema.json").write_text("{}\n")
    assert main(["schema", "--check", str(tmp_path)]) == 1
    assert "manifest.schema.json is stale" in capsys.readouterr().out


@pytest.mark.parametrize(
    "path",
    sorted(p for p in EXAMPLES.rglob("*.yaml") if "broken" not in p.parts),
    ids=lambda p: str(p.relative_to(EXAMPLES)),
)
def test_schema_accepts_every_example_file(validator, path):
    assert [e.message for e in validator.iter_errors(_value(path))] == []


BROKEN_BY_SCHEMA = [
    "schema-unknown-key.yaml",
    "schema-wrong-type.yaml",
    "schema-bad-address.yaml",
    "literal-secret.yaml",  # the schema's secret pattern: editors flag it as you type
]


@pytest.mark.parametrize("name", BROKEN_BY_SCHEMA)
def test_schema_rejects_broken_examples(validator, name):
    assert list(validator.iter_errors(_value(EXAMPLES / "broken" / name)))


def _broken_values():
    for path in sorted((EXAMPLES / "broken").glob("*.yaml")):
        try:
            yield path.name, _value(path)
        except YamlProblem:
            continue  # not YAML a schema could see


@pytest.mark.parametrize(("name", "value"), list(_broken_values()), ids=[name for name, _ in _broken_values()])
def test_what_the_schema_rejects_validate_rejects(validator, name, value):
    # Agreement in the direction that matters: an editor's red squiggle is never a manifest that validate passes.
    if list(validator.iter_errors(value)):
        assert validate([EXAMPLES / "broken" / name]).count(Severity.ERROR) > 0


@pytest.mark.parametrize(
    "manifest",
    [
        {"version": 1, "accounts": {"a": {"address": "a@x.example", "outgoing": {"port": "587"}}}},
        {"version": 1, "accounts": {"a": {"address": "a@x.example", "default_incoming": "true"}}},
        {"version": 1, "accounts": {"a": {"address": "a@x.example", "colour": "blue"}}},
        {"version": 1, "spf": {"notadomain": {}}},
        {"version": 2},
        {"accounts": {}},
    ],
)
def test_schema_and_validator_both_reject(validator, write, manifest):
    assert list(validator.iter_errors(manifest))
    assert [d.code for d in validate([write(json.dumps(manifest))]).diagnostics] == ["schema"]


@pytest.mark.parametrize(
    "manifest",
    [
        # Bug: keys that miss the name/domain pattern were unconstrained (patternProperties without
        # additionalProperties: false), so anything under them passed, even a number as an account.
        {"version": 1, "accounts": {"bad name!": 42}},
        {"version": 1, "projects": {"p": {"senders": {"Invoice": 1}}}},
    ],
)
def test_schema_refuses_keys_outside_the_pattern(validator, write, manifest):
    assert list(validator.iter_errors(manifest))
    assert {d.code for d in validate([write(json.dumps(manifest))]).diagnostics} == {"schema"}
