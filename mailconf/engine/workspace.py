"""A manifest opened for planning: validated model, its state store, its targets' drivers."""

from __future__ import annotations

import gc
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mailconf.diagnostics import Severity
from mailconf.driver import Driver
from mailconf.engine.desired import desired_resources, resolve_secrets
from mailconf.engine.plan import Plan, plan_target
from mailconf.engine.state import KEY_VARIABLE, SqliteStateStore, StateStore, lock_holder
from mailconf.engine.targets import managed_kinds, open_target
from mailconf.errors import MailconfError, UsageError
from mailconf.model import Manifest
from mailconf.secrets import Secret, is_reference, resolve
from mailconf.sources import ManifestSource

if TYPE_CHECKING:
    from mailconf.spf.resolver import Resolver
from mailconf.validate import Report, Validated, validate_path

STATE_FILE = Path(".mailconf") / "state.db"


class ManifestInvalid(MailconfError):
    """The manifest has validation errors; the report says which and where."""

    def __init__(self, report: Report) -> None:
        super().__init__(f"the manifest has {report.count(Severity.ERROR)} error(s): run `mailconf validate` for details")
        self.report = report


@dataclass
class OpenTarget:
    name: str
    driver: Driver
    kinds: frozenset[str]


class Workspace:
    """Everything plan, apply and import need from one manifest path."""

    def __init__(self, path: Path, state_path: Path | None = None, nameserver: str | None = None) -> None:
        validated: Validated = validate_path(path)
        if validated.manifest is None or any(d.severity is Severity.ERROR for d in validated.diagnostics):
            raise ManifestInvalid(Report([validated]))
        self.path = path
        self.source: ManifestSource = validated.source
        self.manifest: Manifest = validated.manifest
        self.source.value = {}  # the model holds it all now; free the raw copy
        self.base_dir = self.source.base_dir
        self.state: StateStore = SqliteStateStore(state_path or self.base_dir / STATE_FILE, state_key(self.base_dir))
        self._open: dict[str, OpenTarget] = {}
        self._locked: list[str] = []
        self._nameserver = nameserver
        self._resolver: Resolver | None = None

    def resolver(self) -> Resolver:
        """DNS for SPF flattening, created on first use (most plans never need it)."""
        if self._resolver is None:
            from mailconf.spf.resolver import DnsResolver

            self._resolver = DnsResolver(self._nameserver)
        return self._resolver

    @property
    def fingerprint(self) -> str:
        """A digest of every manifest file's name and text: a saved plan needs the same manifest."""
        digest = hashlib.sha256()
        for file in self.source.files:
            digest.update(str(file.path.relative_to(self.base_dir) if file.path.is_relative_to(self.base_dir) else file.path).encode())
            digest.update(b"\0" + file.text.encode() + b"\0")
        return digest.hexdigest()

    def target_names(self, only: list[str] | None) -> list[str]:
        names = list(self.manifest.targets)
        if not names:
            raise UsageError("the manifest declares no targets: add one under `targets:` (e.g. driver: sqlite)")
        for name in only or []:
            if name not in self.manifest.targets:
                raise UsageError(f"no target {name!r} in the manifest; targets: {', '.join(names)}")
        return [n for n in names if not only or n in only]

    def target(self, name: str) -> OpenTarget:
        if name not in self._open:
            config = self.manifest.targets[name]
            driver = open_target(name, config, self.base_dir)
            self._open[name] = OpenTarget(name, driver, managed_kinds(config, type(driver)))
        return self._open[name]

    def plan(self, only: list[str] | None = None, lock: bool = False) -> Plan:
        """The plan for these targets. With `lock`, each target's lock is taken before its live state
        is read and held until `close`, so what is applied is what was planned (apply needs it)."""
        names = self.target_names(only)
        secrets = resolve_secrets(self.source, self.manifest)  # all of them, before any target is read or locked
        freeze_long_lived()  # the model is complete and lives to the end of the run
        if lock:
            for name in names:
                self.state.acquire(name, lock_holder())
                self._locked.append(name)
        target_plans = []
        for name in names:
            opened = self.target(name)
            desired = desired_resources(self.manifest, secrets, opened.kinds)
            target_plans.append(plan_target(name, self.manifest.targets[name], opened.driver, opened.kinds, desired, self.state, self.resolver))
        secrets = hashlib.sha256()
        for target_plan in target_plans:
            for address, managed in sorted(target_plan.managed.items()):
                for name, digest in sorted(managed.fingerprints.items()):
                    secrets.update(f"{target_plan.target}/{address}/{name}={digest}\n".encode())
        return Plan(str(self.path), self.fingerprint, secrets.hexdigest(), target_plans)

    def close(self) -> None:
        for opened in self._open.values():
            opened.driver.close()
        for name in self._locked:
            self.state.release(name)
        self.state.close()


_frozen = False


def freeze_long_lived() -> None:
    """Keep the garbage collector from rescanning what lives to the end of the run (the manifest
    model, by far the largest part), once per process: each freeze also pins whatever garbage
    exists at that moment, so freezing again and again would only leak."""
    global _frozen
    if not _frozen:
        _frozen = True
        gc.freeze()


def state_key(base_dir: Path) -> Secret | None:
    """The fingerprint key given in `MAILCONF_STATE_KEY` (the key, or a `${env:...}`/`${file:...}` reference
    to it), or None to use the key the state keeps."""
    value = os.environ.get(KEY_VARIABLE)
    if not value:
        return None
    return resolve(value, base_dir) if is_reference(value) else Secret(value)
