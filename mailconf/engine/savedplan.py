"""Saved plans: `plan --out FILE` writes the JSON plan; `apply FILE` applies it only if nothing moved.

The file holds no secret values. Applying it re-plans from the same manifest and checks,
per target, that the live state, the manifest and the secrets are exactly what the plan
was made against; any difference refuses the apply, so what was reviewed is what runs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mailconf.engine.plan import Plan
from mailconf.engine.render import JSON_VERSION, as_json
from mailconf.errors import StateError, UsageError


def save(plan: Plan, path: Path) -> None:
    try:
        path.write_text(as_json(plan) + "\n", encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write the plan to {path}: {exc.strerror or exc}") from None


def load(path: Path) -> dict[str, Any] | None:
    """The saved plan in `path`, or None when the file is not one (then it is a manifest)."""
    if path.is_dir() or path.suffix != ".json":
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"{path} is not a readable saved plan: {exc}") from None
    if not isinstance(data, dict) or data.get("version") != JSON_VERSION or "manifest_fingerprint" not in data:
        raise UsageError(f"{path} is not a mailconf plan file (version {JSON_VERSION})")
    return data


def verify(saved: dict[str, Any], fresh: Plan) -> None:
    """Refuse when anything the saved plan depended on has changed since it was made."""
    if saved["manifest_fingerprint"] != fresh.manifest_fingerprint:
        raise StateError("the manifest changed since this plan was saved: run `mailconf plan --out` again and review it")
    if saved["secrets_fingerprint"] != fresh.secrets_fingerprint:
        raise StateError("a secret changed since this plan was saved: run `mailconf plan --out` again and review it")
    live = {t["target"]: t["live_fingerprint"] for t in saved["targets"]}
    now = {t.target: t.live_fingerprint for t in fresh.targets}
    if live.keys() != now.keys():
        raise StateError("the saved plan covers other targets than this run: pass the same --target options")
    moved = sorted(name for name in live if live[name] != now[name])
    if moved:
        raise StateError(f"the live state of {', '.join(moved)} changed since this plan was saved: run `mailconf plan --out` again and review it")
