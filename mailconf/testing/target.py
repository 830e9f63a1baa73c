"""What a driver's tests hand the conformance suite: a fresh target and sample manifests per kind."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mailconf.driver import Resource


@dataclass(frozen=True)
class Sample:
    """Manifest fragments (the YAML document as Python values) for one kind.

    `declare` declares one or more resources of the kind; `needs` declares what they reference
    (the accounts a project names) and stays in the manifest throughout, so that removing
    `declare` deletes exactly the kind's resources. `update` is merged over `declare` and must
    change exactly one field of one of them (not a write-only one), to a value the target accepts.

    `refused`, optional, is a resource of the kind as the engine hands it to `apply` (every field
    set) whose create the target or the driver refuses: a value it cannot hold, a name outside
    what it serves. The suite expects that change to fail alone, without an exception.
    """

    declare: Mapping[str, Any]
    update: Mapping[str, Any]
    needs: Mapping[str, Any] = field(default_factory=dict)
    refused: Resource | None = None


@dataclass(frozen=True)
class TargetUnderTest:
    """A fresh target: it holds none of the samples' resources (anything else it holds is left alone).

    `settings` is the target's `settings:` block, credentials as `${env:NAME}` references whose
    values go in `env`; a relative path in it starts at the directory the suite writes the
    manifest to (pytest's `tmp_path` of the test). `samples` has one entry per kind the driver
    declares `write` or `manual`; the suite fails a kind without one, so none is skipped silently.
    """

    settings: Mapping[str, Any]
    samples: Mapping[str, Sample]
    env: Mapping[str, str] = field(default_factory=dict)


def merged(*fragments: Mapping[str, Any]) -> dict[str, Any]:
    """The fragments merged left to right: mappings key by key, anything else replaced."""
    out: dict[str, Any] = {}
    for fragment in fragments:
        for key, value in fragment.items():
            if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
                out[key] = merged(out[key], value)
            else:
                out[key] = merged(value) if isinstance(value, Mapping) else value
    return out
