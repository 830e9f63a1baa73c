"""JSON Schemas generated from the model; the checked-in copies in schemas/ must match them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mailconf.model import Manifest

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_ID = "https://mailconf.dev/schemas/manifest.schema.json"


def manifest_schema() -> dict[str, Any]:
    schema = _close_pattern_maps(Manifest.model_json_schema(mode="validation"))
    return {"$schema": SCHEMA_DIALECT, "$id": SCHEMA_ID, **schema}


def _close_pattern_maps(node: Any) -> Any:
    """pydantic renders `dict[Pattern-str, X]` as `patternProperties` alone, which lets any key that
    misses the pattern through with any value; the model refuses such keys, so the schema must too."""
    if isinstance(node, dict):
        if "patternProperties" in node:
            node.setdefault("additionalProperties", False)
        for value in node.values():
            _close_pattern_maps(value)
    elif isinstance(node, list):
        for value in node:
            _close_pattern_maps(value)
    return node


def schemas() -> dict[str, dict[str, Any]]:
    """Every schema by its file name in schemas/."""
    return {"manifest.schema.json": manifest_schema()}


def dump(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def write(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in schemas().items():
        path = directory / name
        path.write_text(dump(schema), encoding="utf-8")
        written.append(path)
    return written


def stale(directory: Path) -> list[str]:
    """Names of the schema files in `directory` that differ from what the model generates."""
    return [name for name, schema in schemas().items() if not (directory / name).is_file() or (directory / name).read_text(encoding="utf-8") != dump(schema)]
