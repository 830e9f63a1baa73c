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
from pathlib import Path
from typing import Any

from mailconf.driver import Resource
from mailconf.engine.desired import PRIMARY_KEY
from mailconf.engine.state import Managed
from mailconf.model import Target

_FILE_REFERENCE = re.compile(r"^\$\{file:(?P<path>[^}]+)\}$")


def password_variable(target: str, key: str) -> str:
    return re.sub(r"[^A-Z0-9]+", "_", f"MAILCONF_{target}_{key}_PASSWORD".upper())


def has_password(fields: Mapping[str, Any]) -> bool:
    """Whether a live account needs a password: it logs in to send, or it receives."""
    outgoing = fields.get("outgoing") or {}
    return bool(outgoing.get("auth")) or fields.get("incoming") is not None


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


def rebase(value: Any, source: Path, destination: Path, key: str = "") -> Any:
    """Settings whose relative paths (a `path` key, `${file:...}` references) are relative to
    `destination` instead of `source` (both directories), naming the same files."""

    def moved(path: str) -> str:
        return path if Path(path).expanduser().is_absolute() else os.path.relpath(source.resolve() / path, destination.resolve())

    if isinstance(value, dict):
        return {k: rebase(v, source, destination, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [rebase(v, source, destination) for v in value]
    if isinstance(value, str) and (match := _FILE_REFERENCE.match(value)):
        return f"${{file:{moved(match['path'])}}}"
    if isinstance(value, str) and key == "path":
        return moved(value)
    return value


def _account(target: str, key: str, fields: dict[str, Any], with_password: bool) -> dict[str, Any]:
    account: dict[str, Any] = {"address": fields["address"]}
    if fields.get("username") not in (None, fields["address"]):
        account["username"] = fields["username"]
    if with_password:
        account["password"] = f"${{env:{password_variable(target, key)}}}"
    for name in ("display_name", "signature", "salutation", "reply_to"):
        if fields.get(name) is not None:
            account[name] = fields[name]
    account["outgoing"] = fields["outgoing"]
    account["incoming"] = fields["incoming"]
    if fields.get("notify_if_unreplied"):
        account["notify_if_unreplied"] = fields["notify_if_unreplied"]
    for flag in ("default_outgoing", "default_incoming"):
        if fields.get(flag):
            account[flag] = True
    return account


def _spf(record: str) -> dict[str, Any]:
    """The record as an exact-mode policy: its terms, and the qualifier of its `all`."""
    terms = record.split()[1:]
    qualifiers = {"+": "pass", "-": "fail", "~": "softfail", "?": "neutral"}
    policy: dict[str, Any] = {"mode": "exact", "mechanisms": []}
    for term in terms:
        bare = term.lstrip("+-~?")
        if bare.lower() == "all":
            policy["all"] = qualifiers.get(term[0], "pass")
        else:
            policy["mechanisms"].append(term)
    return policy


def manifest_from(target_name: str, target: Target, live: Iterable[Resource], passwords: Iterable[str]) -> dict[str, Any]:
    """A manifest (as plain data) declaring every live resource of a target; `passwords` are
    the keys of the accounts that get a password reference."""
    with_password = set(passwords)
    manifest: dict[str, Any] = {"version": 1, "targets": {target_name: target.model_dump(exclude_defaults=True)}}
    for resource in sorted(live, key=lambda r: r.address):
        f = resource.fields
        if resource.kind == "account":
            manifest.setdefault("accounts", {})[resource.key] = _account(target_name, resource.key, f, resource.key in with_password)
        elif resource.kind == "primary_sender" and resource.key == PRIMARY_KEY:
            manifest["primary_sender"] = f["account"]
        elif resource.kind == "project":
            manifest.setdefault("projects", {})[resource.key] = {"senders": f["senders"]}
        elif resource.kind == "employee":
            manifest.setdefault("employees", {})[resource.key] = {k: v for k, v in f.items() if v is not None}
        elif resource.kind == "team_inbox":
            manifest.setdefault("team_inboxes", {})[resource.key] = {k: v for k, v in f.items() if v is not None}
        elif resource.kind == "spf":
            manifest.setdefault("spf", {})[resource.key] = _spf(f["record"])
    return manifest
