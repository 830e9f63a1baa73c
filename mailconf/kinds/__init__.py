"""The kind registry: every resource kind mailconf knows, each owned by one module of this package.

A kind lives in `mailconf/kinds/<kind>.py` (see `mailconf.kinds.base` for what it declares) and
is found here by its module name, so adding a kind means writing its module and its section of
the manifest model (`mailconf.model`), nothing in the engine. The apply order is derived from
the kinds' `DEPENDS_ON`: what is referenced is created first and deleted last.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from types import ModuleType

from mailconf.driver import Fields, Resource
from mailconf.kinds.base import FinishContext, ImportContext, ManifestData, Secrets, canonical
from mailconf.model import Manifest

_NOT_KINDS = frozenset({"base"})

Finisher = Callable[[Resource, "Resource | None", FinishContext], Resource]


@dataclass(frozen=True)
class KindSpec:
    """One kind as its module declares it."""

    name: str
    fields: type  #: the `<Kind>Fields` TypedDict: the live fields, documented
    depends_on: tuple[str, ...]
    desired: Callable[[Manifest, Secrets], Iterator[Resource]]
    to_manifest: Callable[[ManifestData, Resource, ImportContext], None]
    finish: Finisher | None = None
    unordered: frozenset[str] = frozenset()  #: fields that are lists whose order means nothing

    @classmethod
    def of(cls, module: ModuleType) -> KindSpec:
        name = module.__name__.rpartition(".")[2]
        return cls(
            name,
            getattr(module, "".join(part.title() for part in name.split("_")) + "Fields"),
            module.DEPENDS_ON,
            module.desired,
            module.to_manifest,
            getattr(module, "finish", None),
            getattr(module, "UNORDERED", frozenset()),
        )

    def canonical(self, fields: Fields) -> str:
        """The fields as text that is the same however an API orders its mappings and the lists
        of this kind that are sets: what the live-state fingerprint hashes."""
        return canonical(fields, self.unordered)


def _load() -> dict[str, KindSpec]:
    names = sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_") and m.name not in _NOT_KINDS)
    return {name: KindSpec.of(importlib.import_module(f"{__name__}.{name}")) for name in names}


KINDS: dict[str, KindSpec] = _load()


@cache
def order() -> tuple[str, ...]:
    """Every kind, each after the kinds it depends on (by name where nothing decides)."""
    done: list[str] = []
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if name in done:
            return
        if name in visiting:
            raise RuntimeError(f"kinds depend on each other in a cycle through {name!r}")
        visiting.add(name)
        for dependency in sorted(KINDS[name].depends_on):
            visit(dependency)
        visiting.discard(name)
        done.append(name)

    for name in KINDS:
        visit(name)
    return tuple(done)
