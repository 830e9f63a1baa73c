"""The provider driver contract: what every target implements, in-tree or third-party.

A driver is found by name through the `mailconf.providers` entry-point group. It reads
live resources into the same shape the manifest produces (so diffing is like against
like) and applies changes, returning one result per change, so a partial failure is
reported change by change and a re-run finishes the job.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from mailconf.secrets import Secret, resolve

Fields = dict[str, Any]


@dataclass(frozen=True)
class Resource:
    """One thing a target holds: `kind/key` is its address. Fields are plain JSON-like values;
    write-only fields hold a `mailconf.secrets.Secret` on the desired side and are absent on read."""

    kind: str
    key: str
    fields: Fields
    protect: bool = False

    @property
    def address(self) -> str:
        return f"{self.kind}/{self.key}"


class Action(str, Enum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


@dataclass(frozen=True)
class FieldChange:
    """One field of an update: `path` inside the fields, old and new values (secrets never revealed)."""

    path: str
    old: Any
    new: Any
    sensitive: bool = False


@dataclass(frozen=True)
class Change:
    """What to do to one resource. `desired` is None for deletes, `live` None for creates."""

    action: Action
    kind: str
    key: str
    desired: Resource | None
    live: Resource | None
    fields: tuple[FieldChange, ...] = ()

    @property
    def address(self) -> str:
        return f"{self.kind}/{self.key}"


@dataclass(frozen=True)
class ChangeResult:
    """The outcome of one change: ok, or the driver's message saying what went wrong."""

    change: Change
    ok: bool
    message: str = ""


class DriverSettings(BaseModel):
    """Base of a driver's settings model: unknown keys are errors, like in the manifest."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(frozen=True)
class DriverContext:
    """What a driver may need from its surroundings: its target's name and where relative paths start."""

    base_dir: Path
    target: str

    def secret(self, reference: str) -> Secret:
        """Resolve a `${env:...}`/`${file:...}` reference from the driver's settings (never log the value)."""
        return resolve(reference, self.base_dir)


class Driver(ABC):
    """Implement `read` and `apply`; declare `kinds`, `write_only` and `Settings`."""

    #: The resource kinds this driver manages.
    kinds: ClassVar[frozenset[str]]
    #: Per kind, the fields the driver cannot read back (passwords): compared through state fingerprints.
    write_only: ClassVar[Mapping[str, frozenset[str]]] = {}
    #: The model that checks this driver's `settings:` block.
    Settings: ClassVar[type[DriverSettings]] = DriverSettings

    def __init__(self, settings: DriverSettings, context: DriverContext) -> None:
        self.settings = settings
        self.context = context

    @abstractmethod
    def read(self, kinds: Collection[str]) -> list[Resource]:
        """Every live resource of these kinds, normalised to manifest shape, write-only fields left out."""

    @abstractmethod
    def apply(self, changes: Sequence[Change]) -> list[ChangeResult]:
        """Make these independent changes; one result per change, in order. Must not raise for one failed change."""

    def close(self) -> None:
        """Release connections; called once the engine is done with the target."""
