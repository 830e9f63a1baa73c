"""The provider driver contract: what every target implements, in-tree or third-party.

A driver is found by name through the `mailconf.providers` entry-point group. It reads
live resources into the same shape the manifest produces (so diffing is like against
like) and applies changes, returning one result per change, so a partial failure is
reported change by change and a re-run finishes the job.

Most business applications cannot be configured by software, so a driver declares per kind
what it can do (`Capability`): `write` kinds go through `apply`; for `read` and `manual`
kinds the driver writes a `ManualStep` for a person instead, which the plan shows and apply
reports as pending, never as failed.

Threads: the engine calls `read` from one thread. It calls `apply` on the same driver object
from up to `max_concurrency` threads at once (never more, whatever `--concurrency` says), so a
driver that declares more than 1 must make `apply` safe for that (a connection per call, or a
pool). `manual_steps` is pure: it only formats.
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
    write-only fields hold a `mailconf.secrets.Secret` on the desired side. On read a write-only
    field is absent, or None where the target can tell that nothing is stored."""

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


class Capability(str, Enum):
    """What software can do with a kind on a target."""

    WRITE = "write"  #: an API creates, updates and deletes it
    READ = "read"  #: it can be read and compared, but only a person changes it (the next plan sees whether they did)
    MANUAL = "manual"  #: neither read nor written by software: a person changes it and confirms with `mailconf confirm`


@dataclass(frozen=True)
class ManualStep:
    """A change for a person: numbered instructions with the exact values to enter and where
    (the system's own menu path and field labels), and how mailconf verifies it was done.
    Secrets appear as where to find them (the reference), never as their value."""

    title: str
    instructions: tuple[str, ...]
    verification: str


@dataclass(frozen=True)
class ChangeResult:
    """The outcome of one change: ok, failed with the driver's message saying what went wrong,
    or pending: a person must make it (`step`), which is neither done nor a failure."""

    change: Change
    ok: bool
    message: str = ""
    step: ManualStep | None = None

    @property
    def status(self) -> str:
        """"ok", "failed" or "pending"."""
        if self.ok:
            return "ok"
        return "pending" if self.step is not None else "failed"


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
    """Declare `kinds` and `Settings`; implement `read` and `apply` for the kinds software can
    read and write, `manual_steps` for the `read` and `manual` ones."""

    #: The resource kinds this driver manages.
    kinds: ClassVar[frozenset[str]]
    #: Per kind, the fields the driver cannot read back (passwords): compared through state fingerprints.
    write_only: ClassVar[Mapping[str, frozenset[str]]] = {}
    #: The model that checks this driver's `settings:` block.
    Settings: ClassVar[type[DriverSettings]] = DriverSettings
    #: Per kind, what software can do with it; a kind not named here is `Capability.WRITE`.
    capabilities: ClassVar[Mapping[str, Capability]] = {}
    #: Per kind, the fields the target has a place for; a kind not named here holds them all.
    #: A desired field outside this set is dropped before the diff, and the plan says so once.
    fields: ClassVar[Mapping[str, frozenset[str]]] = {}
    #: How many `apply` calls the engine may make at once on this driver object (see the module doc).
    #: A driver may set it per object from its settings (erpnext's `concurrency`): the engine reads the object's.
    max_concurrency: int = 1

    def __init__(self, settings: DriverSettings, context: DriverContext) -> None:
        self.settings = settings
        self.context = context

    @classmethod
    def capability(cls, kind: str) -> Capability:
        return cls.capabilities.get(kind, Capability.WRITE)

    def read(self, kinds: Collection[str]) -> list[Resource]:
        """Every live resource of these kinds (`write` and `read` ones; never `manual`), normalised
        to manifest shape, write-only fields left out. A driver with only manual kinds reads nothing."""
        return []

    def apply(self, changes: Sequence[Change]) -> list[ChangeResult]:
        """Make these independent changes of `write` kinds; one result per change, in order.
        Must not raise for one failed change."""
        raise NotImplementedError(f"{type(self).__name__} declares no kind it can write")

    def manual_steps(self, change: Change) -> ManualStep:
        """The step a person follows to make a change of a `read` or `manual` kind."""
        raise NotImplementedError(f"{type(self).__name__} writes no manual steps")

    def close(self) -> None:
        """Release connections; called once the engine is done with the target."""
