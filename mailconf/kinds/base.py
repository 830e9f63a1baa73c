"""What every kind module shares: the secrets it is given, and the contexts of its hooks.

A kind module (`mailconf/kinds/<kind>.py`) declares:
- `<Kind>Fields`: a TypedDict of its live fields, in the exact shape drivers read back
  (resources stay plain dicts, so a plan over 100,000 of them stays fast);
- `DEPENDS_ON`: the kinds its fields reference (creates run after them, deletes before);
- `desired(manifest, secrets)`: its resources as the manifest declares them;
- `to_manifest(manifest, resource, context)`: the manifest entry `mailconf import` writes for a live one;
- optionally `UNORDERED`: the (top-level) list fields whose order means nothing (sets), so the
  live-state fingerprint does not move when an API returns them in another order;
- optionally `finish(desired, live, context)`: the desired resource completed once the live one
  is known (SPF merges into the live record), used by `plan` and `validate --online` alike.
"""

from __future__ import annotations

import json
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


#: Sorted keys make the text independent of mapping order; the C encoder keeps 100,000 resources fast.
_ENCODER = json.JSONEncoder(sort_keys=True, ensure_ascii=False, check_circular=False, default=repr)


def canonical(fields: Mapping[str, Any], unordered: frozenset[str] = frozenset()) -> str:
    """`fields` as text that depends neither on the order of mappings nor, for the list fields
    named in `unordered`, on the order of their items: what the live-state fingerprint hashes."""
    if unordered:
        fields = {k: sorted(v, key=repr) if k in unordered and isinstance(v, list) else v for k, v in fields.items()}
    return _ENCODER.encode(fields)
