"""Plan renderers: text (Terraform-like) for people, markdown for a PR comment, JSON for machines.

Secrets never reach a renderer's output: a `Secret` prints as "(sensitive)", a changed one
as "(changed)". A blocked plan never reads as "No changes": each format says "Blocked" with
its reasons. The JSON shape (version 1) is also the saved plan file::

    {"version": 1, "manifest": str, "manifest_fingerprint": str, "secrets_fingerprint": str,
     "targets": [{"target": str, "driver": str, "live_count": int, "live_fingerprint": str,
                  "state_fingerprint": str (saved plans only),
                  "changes": [{"action": "create" | "update" | "delete", "address": str,
                               "capability": "write" | "read" | "manual",
                               "fields": [{"path": str, "old": any, "new": any, "sensitive": bool}],
                               "step": {"title": str, "instructions": [str], "verification": str} | null,
                               "rename_hint": str (optional: the address this may be a rename of/to)}],
                  "ignored": {kind: [field]},
                  "protect": [{"address": str, "old": bool, "new": bool}],
                  "unmanaged": [str], "blocked": [str], "needs_force": [str]}],
     "blocked": [str],
     "summary": {"create": int, "update": int, "delete": int, "unmanaged": int}}

Deletes list the live fields they remove (`new` is null). Top-level "blocked" holds every
reason the plan cannot be applied (protected resources, thresholds needing --force).

A change of a `read` or `manual` kind carries the step a person follows (numbered
instructions, and how it is verified); an update of a `manual` kind, whose live values are
never read, shows its old values as "(not read)". "ignored" names, per kind, the fields the
manifest sets that the target has no place for (dropped before the diff); every format says
it once per target.
"""

from __future__ import annotations

import json
from typing import Any

from mailconf.driver import Action, Capability, Change, FieldChange, ManualStep
from mailconf.engine.diff import SENSITIVE
from mailconf.engine.plan import Plan, TargetPlan
from mailconf.engine.review import Review, TargetReview, leaves
from mailconf.secrets import Secret
from mailconf.terminal import Painter

JSON_VERSION = 1
_SYMBOL = {Action.CREATE: "+", Action.UPDATE: "~", Action.DELETE: "-"}
_COLOUR = {Action.CREATE: "green", Action.UPDATE: "yellow", Action.DELETE: "red"}
LEGEND = "Legend: + create, ~ update, - delete, ! blocked, ? unmanaged (kept)"
NOT_READ = "(not read)"


def field_changes(change: Change) -> list[FieldChange]:
    """What a reviewer sees for a change: every set field of a create or a delete, the differences of an
    update (of a `manual` kind, whose live side is unknown: every desired value)."""
    if change.action is Action.UPDATE and change.live is not None:
        return list(change.fields)
    resource = change.live if change.action is Action.DELETE else change.desired
    if resource is None:
        return list(change.fields)
    shown = [(path, SENSITIVE if isinstance(v, Secret) else v, isinstance(v, Secret)) for path, v in leaves(resource.fields) if v is not None and v != {} and v != []]
    if change.action is Action.DELETE:
        return [FieldChange(path, value, None, sensitive=secret) for path, value, secret in shown]
    unread = change.action is Action.UPDATE  # of a manual kind: every desired value, the live ones were never read
    return [FieldChange(path, NOT_READ if unread else None, value, sensitive=secret) for path, value, secret in shown]


def _protect_field(address: str, review: TargetReview) -> list[FieldChange]:
    new = review.protect.get(address)
    return [] if new is None else [FieldChange("protect", not new, new)]


def _show(value: Any) -> str:
    if value in (SENSITIVE, "(changed)", NOT_READ):
        return str(value)
    return json.dumps(value, ensure_ascii=False, default=str)


def _field_line(action: Action, f: FieldChange) -> str:
    if action is Action.CREATE:
        return f"{f.path}: {_show(f.new)}"
    if action is Action.DELETE:
        return f"{f.path}: {_show(f.old)}"
    return f"{f.path}: {_show(f.old)} -> {_show(f.new)}"


def _rename_note(change: Change, review: TargetReview) -> str:
    other = review.renames.get(change.address)
    if other is None:
        return ""
    if change.action is Action.CREATE:
        return f"  (may be a rename of {other}: a new key deletes the old resource and creates this one)"
    return f"  (may be renamed to {other})"


def step_lines(step: ManualStep, indent: str, verify: str = "Verify: ") -> list[str]:
    """A manual step as text: its numbered instructions, then how it is verified (markdown makes that
    line a bullet, so it does not run on into the last instruction)."""
    lines = []
    for number, instruction in enumerate(step.instructions, 1):
        prefix = f"{indent}{number}. "
        # a multi-line value (a signature) stays inside its item: later lines never start a new one
        lines.append(prefix + instruction.replace("\n", "\n" + " " * len(prefix)))
    return lines + [f"{indent}{verify}{step.verification}"]


def ignored_line(t: TargetPlan) -> str:
    """What the target has no place for, said once: "checklist keeps no salutation (account)"."""
    return f"{t.driver} keeps no " + "; ".join(f"{', '.join(names)} ({kind})" for kind, names in sorted(t.ignored.items()))


def _manual_note(t: TargetPlan) -> str:
    """How many changes are steps for a person, and how each kind of step is settled."""
    confirm = sum(1 for p in t.manual.values() if p.capability is Capability.MANUAL)
    read = len(t.manual) - confirm
    parts = []
    if confirm:
        parts.append(f"{confirm} to carry out by hand, then `mailconf confirm {t.target}`")
    if read:
        parts.append(f"{read} to carry out by hand (the next plan reads {t.target} to check)")
    return "; ".join(parts)


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


def _entries(t: TargetPlan, review: TargetReview) -> list[tuple[Action, str, str, list[FieldChange]]]:
    """(action, address, note, fields) of each change, then of each resource whose only change is `protect`."""
    entries = [(c.action, c.address, _rename_note(c, review), field_changes(c) + _protect_field(c.address, review)) for c in t.changes]
    changed = {c.address for c in t.changes}
    for address in sorted(set(review.protect) - changed):
        entries.append((Action.UPDATE, address, "  (recorded in the state; nothing changes on the target)", _protect_field(address, review)))
    return entries


def _closing(review: Review) -> list[str]:
    plan, totals = review.plan, _summary(review.plan)
    lines = []
    if plan.has_changes:
        lines.append(f"Plan: {totals['create']} to create, {totals['update']} to update, {totals['delete']} to delete.")
    elif review.has_protect_changes:
        lines.append("No changes on the targets; apply records the protect flags above in the state.")
    elif not review.blockers:
        lines.append("No changes. Live state matches the manifest.")
    return lines


def text(review: Review, paint: Painter) -> str:
    plan = review.plan
    lines: list[str] = []
    if any(t.changes or t.unmanaged for t in plan.targets) or review.blockers or review.has_protect_changes:
        lines += [paint(LEGEND, "dim"), ""]
    for t in plan.targets:
        lines.append(paint(f"Target {t.target} ({t.driver}): {_target_line(t)}", "bold"))
        if t.ignored:
            lines.append(paint(f"  {ignored_line(t)}", "dim"))
        for action, address, note, fields in _entries(t, review.targets[t.target]):
            lines.append(paint(f"  {_SYMBOL[action]} {address}", _COLOUR[action]) + note)
            lines += [f"      {_field_line(action, f)}" for f in fields]
            if (pending := t.manual.get(address)) is not None:
                lines.append(f"      Step for a person: {pending.step.title}")
                lines += step_lines(pending.step, "        ")
        if t.manual:
            lines.append(f"  Steps for a person: {_manual_note(t)}.")
        for resource in t.unmanaged:
            lines.append(paint(f"  ? {resource.address} (not in the manifest: kept; `prune: true` on the target deletes it)", "dim"))
        if review.force:
            lines += [paint(f"  ! {reason} (--force given)", "yellow") for reason in t.needs_force]
        lines.append("")
    lines += _closing(review)
    if review.blockers:
        lines.append(paint("Blocked: this plan cannot be applied as it is:", "red"))
        lines += [paint(f"  ! {reason}", "red") for reason in review.blockers]
    return "\n".join(lines)


def markdown(review: Review) -> str:
    """A PR comment: a summary table, what blocks the plan (never folded away), then each target's details folded."""
    plan = review.plan
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
    if review.blockers:
        lines += ["", "**Blocked:** this plan cannot be applied as it is:", ""] + [f"- :no_entry: {reason}" for reason in review.blockers]
    for t in plan.targets:
        if t.ignored:
            lines += ["", f"{t.target}: {ignored_line(t)}"]
    lines += _checklist(plan)
    for t in plan.targets:
        entries = _entries(t, review.targets[t.target])
        if not entries:
            continue
        lines += ["", f"<details><summary>{t.target}: {_target_line(t)}</summary>", "", "```diff"]
        for action, address, note, fields in entries:
            lines.append(f"{_SYMBOL[action].replace('~', '!')} {address}{note}")
            lines += [f"    {_field_line(action, f)}" for f in fields]
        lines += ["```", "", "</details>"]
    lines += [""] + _closing(review)
    return "\n".join(lines)


def _checklist(plan: Plan) -> list[str]:
    """The manual steps as a checklist a person ticks in the pull request (never folded away)."""
    lines = []
    for t in plan.targets:
        if not t.manual:
            continue
        lines += ["", f"**Steps for a person on {t.target}** ({_manual_note(t)}):", ""]
        for change in t.changes:
            if (pending := t.manual.get(change.address)) is not None:
                lines.append(f"- [ ] `{change.address}`: {pending.step.title}")
                lines += step_lines(pending.step, "    ", verify="- Verify: ")
    return lines


def _step(step: ManualStep) -> dict[str, Any]:
    return {"title": step.title, "instructions": list(step.instructions), "verification": step.verification}


def _change(change: Change, t: TargetPlan, review: TargetReview) -> dict[str, Any]:
    pending = t.manual.get(change.address)
    entry: dict[str, Any] = {
        "action": change.action.value,
        "address": change.address,
        "capability": (pending.capability if pending else Capability.WRITE).value,
        "fields": [{"path": f.path, "old": f.old, "new": f.new, "sensitive": f.sensitive} for f in field_changes(change)],
        "step": _step(pending.step) if pending else None,
    }
    if change.address in review.renames:
        entry["rename_hint"] = review.renames[change.address]
    return entry


def _target(t: TargetPlan, review: TargetReview) -> dict[str, Any]:
    entry: dict[str, Any] = {"target": t.target, "driver": t.driver, "live_count": t.live_count, "live_fingerprint": t.live_fingerprint}
    if review.state_fingerprint is not None:
        entry["state_fingerprint"] = review.state_fingerprint
    return entry | {
        "changes": [_change(c, t, review) for c in t.changes],
        "ignored": t.ignored,
        "protect": [{"address": a, "old": not new, "new": new} for a, new in sorted(review.protect.items())],
        "unmanaged": [r.address for r in t.unmanaged],
        "blocked": t.blocked,
        "needs_force": t.needs_force,
    }


def to_dict(review: Review) -> dict[str, Any]:
    plan = review.plan
    return {
        "version": JSON_VERSION,
        "manifest": plan.manifest,
        "manifest_fingerprint": plan.manifest_fingerprint,
        "secrets_fingerprint": plan.secrets_fingerprint,
        "targets": [_target(t, review.targets[t.target]) for t in plan.targets],
        "blocked": review.blockers,
        "summary": _summary(plan),
    }


def as_json(review: Review) -> str:
    return json.dumps(to_dict(review), indent=2, ensure_ascii=False, default=str)
