"""Finding drivers by name (the `mailconf.providers` entry points) and opening targets."""

from __future__ import annotations

from functools import cache
from importlib.metadata import entry_points
from pathlib import Path

from pydantic import ValidationError

from mailconf.driver import Capability, Driver, DriverContext
from mailconf.errors import ManifestError, UsageError
from mailconf.model import Target

GROUP = "mailconf.providers"


@cache
def available() -> dict[str, object]:
    return {ep.name: ep for ep in entry_points(group=GROUP)}


def driver_class(name: str) -> type[Driver]:
    """The driver class registered under `name`; UsageError naming the known ones otherwise."""
    entry = available().get(name)
    if entry is None:
        raise UsageError(f"unknown driver {name!r}; installed drivers: {', '.join(sorted(available())) or '(none)'}")
    cls = entry.load()  # type: ignore[attr-defined]
    if not (isinstance(cls, type) and issubclass(cls, Driver)):
        raise UsageError(f"the entry point {name!r} of group {GROUP} does not name a mailconf Driver class")
    for kind in sorted(cls.kinds):
        # a secret a person enters cannot be checked by reading it back, and a read kind is never confirmed
        if cls.capability(kind) is Capability.READ and cls.write_only.get(kind):
            raise UsageError(f"driver {name!r} declares kind {kind} read-only with write-only fields "
                             f"({', '.join(sorted(cls.write_only[kind]))}), which no plan could ever see set: declare it manual")
    return cls


def managed_kinds(target: Target, cls: type[Driver]) -> frozenset[str]:
    """The kinds a target manages: what its driver supports, narrowed by `kinds:`."""
    return cls.kinds if target.kinds is None else cls.kinds & frozenset(target.kinds)


def open_target(name: str, target: Target, base_dir: Path) -> Driver:
    cls = driver_class(target.driver)
    try:
        settings = cls.Settings.model_validate(target.settings)
    except ValidationError as exc:  # validate reports these with locations; this guards direct use
        raise ManifestError(f"target {name!r}: invalid settings: {exc.errors(include_url=False)[0]['msg'].removeprefix('Value error, ')}") from None
    return cls(settings, DriverContext(base_dir=base_dir, target=name))
