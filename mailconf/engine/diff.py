"""Field-by-field comparison of one desired resource with its live twin.

Equal resources (the common case) are settled by `==`; deepdiff runs only on those that
differ, one resource at a time, so a no-change plan over 100,000 resources stays cheap.
Write-only fields are compared through the state's keyed fingerprints, never by value. A
driver that can tell that a target holds no value for a write-only field (a password deleted
on the target) reads that field as None: then a declared secret must be set, whatever the
fingerprints say. A write-only field absent from the live fields is unknown, not missing.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from mailconf.driver import FieldChange, Fields, Resource
from mailconf.secrets import Secret

SENSITIVE = "(sensitive)"
CHANGED = "(changed)"


def readable(fields: Fields, write_only: Collection[str]) -> Fields:
    """The fields a driver can read back: what `==` may compare."""
    return {k: v for k, v in fields.items() if k not in write_only} if write_only else fields


def secret_fingerprints(fields: Fields, write_only: Collection[str], fingerprint: Any) -> dict[str, str]:
    """Keyed fingerprints of the write-only values set in `fields`."""
    return {name: fingerprint(value.reveal()) for name in write_only if isinstance(value := fields.get(name), Secret)}


def compare(
    desired: Resource,
    live: Resource,
    write_only: Collection[str],
    desired_prints: Mapping[str, str],
    applied_prints: Mapping[str, str],
) -> tuple[FieldChange, ...]:
    """What must change on `live` to make it `desired`; empty when nothing differs."""
    changes: list[FieldChange] = []
    wanted, current = readable(desired.fields, write_only), readable(live.fields, write_only)
    if wanted != current:
        changes.extend(_field_changes(current, wanted))
    for name in sorted(write_only):
        new, old = desired_prints.get(name), applied_prints.get(name)
        if new and _missing(live, name):
            changes.append(FieldChange(name, None, CHANGED, sensitive=True))
        elif new != old:
            changes.append(FieldChange(name, SENSITIVE if old else None, CHANGED if new else None, sensitive=True))
    return tuple(changes)


def _missing(live: Resource, write_only_field: str) -> bool:
    """Whether the target says it holds no value for this write-only field."""
    return write_only_field in live.fields and live.fields[write_only_field] is None


def _field_changes(old: Fields, new: Fields) -> list[FieldChange]:
    from deepdiff import DeepDiff  # heavy import, paid only when something differs

    seen: dict[tuple[Any, ...], FieldChange] = {}
    differing = [k for k in {**old, **new} if old.get(k) != new.get(k)]  # deepdiff only what differs
    tree = DeepDiff({k: old.get(k) for k in differing}, {k: new.get(k) for k in differing}, view="tree", verbose_level=2)
    for items in tree.values():
        for item in items:
            path = _up_to_list(item.path(output_format="list"))
            if path not in seen:
                seen[path] = FieldChange(".".join(map(str, path)), _get(old, path), _get(new, path))
    return [seen[p] for p in sorted(seen, key=lambda p: tuple(map(str, p)))]


def _up_to_list(path: list[Any]) -> tuple[Any, ...]:
    """Lists change as a whole: a member added to a team inbox shows the old and the new list."""
    for index, part in enumerate(path):
        if isinstance(part, int):
            return tuple(path[:index])
    return tuple(path)


def _get(fields: Fields, path: tuple[Any, ...]) -> Any:
    value: Any = fields
    for part in path:
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value
