"""What every kind module shares: the secrets it is given, and the contexts of its hooks.

A kind module (`mailconf/kinds/<kind>.py`) declares:
- `<Kind>Fields`: a TypedDict of its live fields, in the exact shape drivers read back
  (resources stay plain dicts, so a plan over 100,000 of them stays fast);
- `DEPENDS_ON`: the kinds its fields reference (creates run after them, deletes before);
- `desired(manifest, secrets)`: its resources as the manifest declares them;
- `to_manifest(manifest, resource, context)`: the manifest entry `mailconf import` writes for a live one;
- optionally `UNORDERED`: the fields that are lists whose order means nothing (sets), so the
  live-state fingerprint does not move when an API returns them in another order;
- optionally `finish(desired, live, context)`: the desired resource completed once the live one
  is known (SPF merges into the live record), used by `plan` and `validate --online` alike.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mailconf.secrets import Secret
from mailconf.yamlsource import Path_

if TYPE_CHECKING:
    from mailconf.spf.resolver import Resolver

#: Resolved secrets by their key path in the manifest (`("accounts", "sales", "password")`).
Secrets = Mapping[Path_, Secret]
#: A manifest as plain data, the way `mailconf import` writes it.
ManifestData = dict[str, Any]


@dataclass(frozen=True)
class FinishContext:
    """What a `finish` hook may use: DNS, created on first use (most plans never need it)."""

    resolver: Callable[[], Resolver]


@dataclass(frozen=True)
class ImportContext:
    """What `to_manifest` needs beside the live resource: the secret reference to write for each
    write-only field that held a value, by (kind, key, field)."""

    secrets: Mapping[tuple[str, str, str], str]


def canonical(value: Any, unordered: frozenset[str] = frozenset(), path: str = "") -> Any:
    """`value` in a form whose `repr` depends on neither mapping order nor, for the dotted paths
    in `unordered`, list order."""
    if isinstance(value, dict):
        return tuple(sorted((k, canonical(v, unordered, f"{path}.{k}" if path else k)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        items = [canonical(v, unordered, path) for v in value]
        return tuple(sorted(items, key=repr) if path in unordered else items)
    return value
