"""Plan renderers: text (Terraform-like) for people, markdown for a PR comment, JSON for machines.

Secrets never reach a renderer's output: a `Secret` prints as "(sensitive)", a changed one
as "(changed)". The JSON shape (version 1) is also the saved plan file::

    {"version": 1, "manifest": str, "manifest_fingerprint": str, "secrets_fingerprint": str,
     "targets": [{"target": str, "driver": str, "live_count": int, "live_fingerprint": str,
                  "changes": [{"action": "create" | "update" | "delete", "address": str,
                               "fields": [{"path": str, "old": any, "new": any, "sensitive": bool}]}],
                  "unmanaged": [str], "blocked": [str], "needs_force": [str]}],
     "summary": {"create": int, "update": int, "delete": int, "unmanaged": int}}
"""

from __future__ import annotations

import json
from typing import Any

from mailconf.driver import Action, Change, FieldChange
from mailconf.engine.diff import SENSITIVE
from mailconf.engine.plan import Plan, TargetPlan
from mailconf.secrets import Secret
from mailconf.terminal import Painter

JSON_VERSION = 1
_SYMBOL = {Action.CREATE: "+", Action.UPDATE: "~", Action.DELETE: "-"}
_COLOUR = {Action.CREATE: "green", Action.UPDATE: "yellow", Action.DELETE: "red"}


def _leaves(value: Any, prefix: str = "") -> list[tuple[str, Any]]:
    if isinstance(value, dict) and value:
        return [leaf for key, item in value.items() for leaf in _leaves(item, f"{prefix}.{key}" if prefix else str(key))]
    return [(prefix, value)]


def field_changes(change: Change) -> list[FieldChange]:
    """What a reviewer sees for a change: every set field of a create, the differences of an update."""
    if change.action is Action.CREATE and change.desired is not None:
        return [
            FieldChange(path, None, SENSITIVE if isinstance(v, Secret) else v, sensitive=isinstance(v, Secret))
            for path, v in _leaves(change.desired.fields)
            if v is not None and v != {} and v != []
        ]
    return list(change.fields)


def _show(value: Any) -> str:
    if value in (SENSITIVE, "(changed)"):
        return str(value)
    return json.dumps(value, ensure_ascii=False, default=str)


def _summary(plan: Plan) -> dict[str, int]:
    return {
        "create": sum(t.count(Action.CREATE) for t in plan.targets),
        "update": sum(t.count(Action.UPDATE) for t in plan.targets),
        "delete": sum(t.count(Action.DELETE) for t in plan.targets),
        "unmanaged": sum(len(t.unmanaged) for t in plan.targets),
    }


def _target_line(t: TargetPlan) -> str:
    return (
        f"{t.count(Action.CREATE)} to create, {t.count(Action.UPDATE)} to update, {t.count(Action.DELETE)} to delete, "
        f"{len(t.unmanaged)} unmanaged kept"
    )


def text(plan: Plan, paint: Painter) -> str:
    lines: list[str] = []
    for t in plan.targets:
        lines.append(paint(f"Target {t.target} ({t.driver}): {_target_line(t)}", "bold"))
        for change in t.changes:
            symbol, colour = _SYMBOL[change.action], _COLOUR[change.action]
            lines.append(paint(f"  {symbol} {change.address}", colour))
            for f in field_changes(change):
                arrow = _show(f.new) if change.action is Action.CREATE else f"{_show(f.old)} -> {_show(f.new)}"
                lines.append(f"      {f.path}: {arrow}")
        for resource in t.unmanaged:
            lines.append(paint(f"  ? {resource.address} (not in the manifest: kept; `prune: true` on the target deletes it)", "dim"))
        for reason in t.blocked + t.needs_force:
            lines.append(paint(f"  ! {reason}", "red"))
        lines.append("")
    totals = _summary(plan)
    lines.append(
        "No changes. Live state matches the manifest."
        if not plan.has_changes
        else f"Plan: {totals['create']} to create, {totals['update']} to update, {totals['delete']} to delete."
    )
    return "\n".join(lines)


def markdown(plan: Plan) -> str:
    """A PR comment: a summary table, then the details of each target in a collapsible block."""
    totals = _summary(plan)
    lines = [
        "### mailconf plan",
        "",
        "| target | driver | create | update | delete | unmanaged |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for t in plan.targets:
        lines.append(f"| {t.target} | {t.driver} | {t.count(Action.CREATE)} | {t.count(Action.UPDATE)} | {t.count(Action.DELETE)} | {len(t.unmanaged)} |")
    lines.append(f"| **total** | | {totals['create']} | {totals['update']} | {totals['delete']} | {totals['unmanaged']} |")
    for t in plan.targets:
        if not (t.changes or t.blocked or t.needs_force):
            continue
        lines += ["", f"<details><summary>{t.target}: {_target_line(t)}</summary>", "", "```diff"]
        for change in t.changes:
            lines.append(f"{_SYMBOL[change.action].replace('~', '!')} {change.address}")
            for f in field_changes(change):
                lines.append(f"    {f.path}: {_show(f.new) if change.action is Action.CREATE else _show(f.old) + ' -> ' + _show(f.new)}")
        lines += ["```", ""] + [f"> :warning: {r}" for r in t.blocked + t.needs_force] + ["</details>"]
    if not plan.has_changes:
        lines += ["", "No changes."]
    return "\n".join(lines)


def to_dict(plan: Plan) -> dict[str, Any]:
    return {
        "version": JSON_VERSION,
        "manifest": plan.manifest,
        "manifest_fingerprint": plan.manifest_fingerprint,
        "secrets_fingerprint": plan.secrets_fingerprint,
        "targets": [
            {
                "target": t.target,
                "driver": t.driver,
                "live_count": t.live_count,
                "live_fingerprint": t.live_fingerprint,
                "changes": [
                    {
                        "action": c.action.value,
                        "address": c.address,
                        "fields": [{"path": f.path, "old": f.old, "new": f.new, "sensitive": f.sensitive} for f in field_changes(c)],
                    }
                    for c in t.changes
                ],
                "unmanaged": [r.address for r in t.unmanaged],
                "blocked": t.blocked,
                "needs_force": t.needs_force,
            }
            for t in plan.targets
        ],
        "summary": _summary(plan),
    }


def as_json(plan: Plan) -> str:
    return json.dumps(to_dict(plan), indent=2, ensure_ascii=False, default=str)
