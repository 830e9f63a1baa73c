"""How the suite drives a target: manifests in a directory, the CLI in-process, the driver directly.

Only stable ground is used: `mailconf.cli.main` with its documented exit codes and plan JSON,
and the driver contract (`mailconf.driver`) with the driver loaded from its entry point, so the
suite checks what users and the engine rely on, not how the engine is built inside.
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import yaml

from mailconf.cli import main
from mailconf.driver import Driver, DriverContext, Resource

#: The name of the one target in every manifest the suite writes.
TARGET = "conformance"


def driver_class(name: str) -> type[Driver]:
    """The class registered under `name` in the `mailconf.providers` entry-point group."""
    found = [ep for ep in entry_points(group="mailconf.providers") if ep.name == name]
    if not found:
        raise LookupError(f"no driver {name!r} in the mailconf.providers entry-point group: is its package installed?")
    cls = found[0].load()
    if not (isinstance(cls, type) and issubclass(cls, Driver)):
        raise TypeError(f"the entry point {name!r} does not name a mailconf.driver.Driver subclass")
    return cls


@dataclass(frozen=True)
class Run:
    """One CLI run: its exit code and what it printed."""

    code: int
    out: str
    err: str

    def json(self) -> dict[str, Any]:
        return json.loads(self.out)

    def __str__(self) -> str:
        return f"exit {self.code}\n--- stdout\n{self.out}--- stderr\n{self.err}"


class Workspace:
    """A directory holding one manifest (target `conformance`), its state, and the secrets' environment."""

    def __init__(self, root: Path, driver: str, settings: Mapping[str, Any], secrets: Mapping[str, str]) -> None:
        self.root, self.driver, self.settings, self.secrets = root, driver, dict(settings), secrets
        self.manifest = root / "mailconf.yaml"

    def write(self, document: Mapping[str, Any]) -> None:
        """Write `document` (resources only) as the manifest, with the target under test."""
        target = {"driver": self.driver, "settings": self.settings}
        text = yaml.safe_dump({"version": 1, "targets": {TARGET: target}, **document}, sort_keys=False)
        self.manifest.write_text(text, encoding="utf-8")

    def cli(self, *args: str) -> Run:
        """`mailconf ARGS...` in-process; a secret value in its output fails the test at once."""
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(list(args))
        run = Run(code, out.getvalue(), err.getvalue())
        leaked = [name for name, value in self.secrets.items() if value and value in run.out + run.err]
        assert not leaked, f"mailconf {' '.join(args)} printed the value of {', '.join(leaked)}"
        return run

    def plan(self, *extra: str) -> Run:
        return self.cli("plan", str(self.manifest), *extra)

    def plan_json(self) -> dict[str, Any]:
        run = self.plan("--format", "json")
        assert run.code == 0, f"plan failed:\n{run}"
        return run.json()

    def apply(self) -> Run:
        return self.cli("apply", str(self.manifest), "--auto-approve")

    @contextlib.contextmanager
    def open_driver(self) -> Iterator[Driver]:
        """The driver as the engine opens it for the target, closed afterwards."""
        cls = driver_class(self.driver)
        driver = cls(cls.Settings.model_validate(self.settings), DriverContext(base_dir=self.root, target=TARGET))
        try:
            yield driver
        finally:
            driver.close()

    def read(self, kind: str) -> dict[str, Resource]:
        """The live resources of `kind` by address, through a driver of its own."""
        with self.open_driver() as driver:
            return {r.address: r for r in driver.read({kind})}


def changes(plan: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every change entry of a plan JSON document, over all its targets."""
    return [change for target in plan["targets"] for change in target["changes"]]


def leaves(value: Any, prefix: str = "") -> dict[str, Any]:
    """The set leaves of nested fields by dotted path, as plan JSON lists a create's fields:
    values as JSON has them (tuples become lists), None and empty collections left out."""
    if isinstance(value, Mapping):
        found: dict[str, Any] = {}
        for key, item in value.items():
            found |= leaves(item, f"{prefix}.{key}" if prefix else str(key))
        return found
    plain = json.loads(json.dumps(value, default=str))
    return {} if plain in (None, [], {}) else {prefix: plain}
