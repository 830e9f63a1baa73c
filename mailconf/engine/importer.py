"""`mailconf import`: a manifest written from what a target holds today, to adopt an existing setup.

Secrets cannot be read back, so each account that has a password gets an `${env:...}`
reference to fill in; everything else is written so that a plan right after the import shows
no change but those. Relative paths in the target's settings (the SQLite `path`, `${file:...}`
references) are rewritten relative to the new manifest, so they name the same files.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mailconf.driver import Resource
from mailconf.engine.manual import readable
from mailconf.engine.state import Managed
from mailconf.kinds import KINDS
from mailconf.kinds.account import has_password
from mailconf.kinds.base import ImportContext
from mailconf.model import Target

if TYPE_CHECKING:
    from mailconf.engine.workspace import Workspace

_FILE_REFERENCE = re.compile(r"^\$\{file:(?P<path>[^}]+)\}$")


def password_variable(target: str, key: str) -> str:
    return re.sub(r"[^A-Z0-9]+", "_", f"MAILCONF_{target}_{key}_PASSWORD".upper())


def accounts_with_password(live: Iterable[Resource], write_only: Mapping[str, Iterable[str]], managed: Mapping[str, Managed]) -> list[str]:
    """Keys of the live accounts to give a password reference. The state knows whether mailconf
    set one; for an account it never applied, one that logs in or receives needs one."""
    if "password" not in write_only.get("account", ()):
        return []  # the target keeps no passwords
    keys = []
    for resource in live:
        if resource.kind == "account":
            known = managed.get(resource.address)
            if ("password" in known.fingerprints) if known else has_password(resource.fields):
                keys.append(resource.key)
    return keys


def rebase(settings: dict[str, Any], source: Path, destination: Path) -> dict[str, Any]:
    """Driver settings whose relative paths (the top-level `path`, `${file:...}` references at any
    depth) are relative to `destination` instead of `source` (both directories), naming the same
    files. A nested `path` (a URL path in a REST driver's settings) is not a file and stays."""

    def moved(path: str) -> str:
        return path if Path(path).expanduser().is_absolute() else os.path.relpath(source.resolve() / path, destination.resolve())

    def references(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: references(v) for k, v in value.items()}
        if isinstance(value, list):
            return [references(v) for v in value]
        if isinstance(value, str) and (match := _FILE_REFERENCE.match(value)):
            return f"${{file:{moved(match['path'])}}}"
        return value

    rebased = references(settings)
    if isinstance(rebased.get("path"), str) and not _FILE_REFERENCE.match(rebased["path"]):
        rebased["path"] = moved(rebased["path"])
    return rebased


def manifest_from(target_name: str, target: Target, live: Iterable[Resource], passwords: Iterable[str]) -> dict[str, Any]:
    """A manifest (as plain data) declaring every live resource of a target; `passwords` are
    the keys of the accounts that get a password reference."""
    context = ImportContext({("account", key, "password"): f"${{env:{password_variable(target_name, key)}}}" for key in passwords})
    manifest: dict[str, Any] = {"version": 1, "targets": {target_name: target.model_dump(exclude_defaults=True)}}
    for resource in sorted(live, key=lambda r: r.address):
        KINDS[resource.kind].to_manifest(manifest, resource, context)
    return manifest


@dataclass
class Imported:
    """A manifest written from a target, the variables to set before planning it, and how many
    live resources it declares."""

    manifest: dict[str, Any]
    variables: list[str]
    resources: int


def import_target(workspace: Workspace, name: str, destination: Path) -> Imported:
    """Read target `name` of the workspace and write it as a manifest to live in the directory
    `destination`; relative paths in its settings are rebased so they name the same files."""
    opened = workspace.target(name)
    live = opened.driver.read(readable(opened.driver, opened.kinds))  # a manual kind cannot be read, so not imported
    passwords = accounts_with_password(live, opened.driver.write_only, workspace.state.managed(name))
    target = workspace.manifest.targets[name]
    settings = dict(target.settings)
    if "path" in type(opened.driver.settings).model_fields:  # a default path is relative to the old manifest too
        settings.setdefault("path", getattr(opened.driver.settings, "path"))
    target = target.model_copy(update={"settings": rebase(settings, workspace.base_dir, destination)})
    return Imported(manifest_from(name, target, live, passwords), [password_variable(name, key) for key in passwords], len(live))
