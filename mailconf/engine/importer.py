"""`mailconf import`: a manifest written from what a target holds today, to adopt an existing setup.

Secrets cannot be read back, so each password becomes an `${env:...}` reference to fill in;
everything else is written so that a plan right after the import shows no change but those.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from mailconf.driver import Resource
from mailconf.engine.desired import PRIMARY_KEY
from mailconf.model import Target


def password_variable(target: str, key: str) -> str:
    return re.sub(r"[^A-Z0-9]+", "_", f"MAILCONF_{target}_{key}_PASSWORD".upper())


def _account(target: str, key: str, fields: dict[str, Any], has_password: bool) -> dict[str, Any]:
    account: dict[str, Any] = {"address": fields["address"]}
    if fields.get("username") not in (None, fields["address"]):
        account["username"] = fields["username"]
    if has_password:
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


def manifest_from(target_name: str, target: Target, live: Iterable[Resource], write_only_kinds: Iterable[str]) -> dict[str, Any]:
    """A manifest (as plain data) declaring every live resource of a target."""
    secret_kinds = set(write_only_kinds)
    manifest: dict[str, Any] = {"version": 1, "targets": {target_name: target.model_dump(exclude_defaults=True)}}
    for resource in sorted(live, key=lambda r: r.address):
        f = resource.fields
        if resource.kind == "account":
            manifest.setdefault("accounts", {})[resource.key] = _account(target_name, resource.key, f, "account" in secret_kinds)
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
