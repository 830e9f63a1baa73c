"""A target with no API: every change is a checklist for a person, confirmed with `mailconf confirm`.

Many business applications (Billit, Banqup, a hosted shop) keep their e-mail settings behind a
web form only. This driver turns each change into numbered steps with the exact values to
enter, so the manifest stays the one source of truth and the plan says what a person must do;
`mailconf confirm TARGET` records that they did, and the next plan asks again only when the
manifest changes. It reads and writes nothing, so every kind is `manual`, and it is the
complete small example of docs/drivers.md.

The steps are generic English: a driver for one application writes its own menu paths and
field labels, in the application's language where it is known. It keeps no `salutation` (few
applications have a place for one), so a manifest that sets one is told once per plan.
"""

from __future__ import annotations

from typing import Any

from mailconf.driver import Action, Capability, Change, Driver, DriverSettings, Fields, ManualStep
from mailconf.secrets import Secret

_KINDS = ("account", "primary_sender", "project", "employee", "team_inbox", "spf")
_ACCOUNT_FIELDS = frozenset(
    {"address", "display_name", "username", "password", "outgoing", "incoming", "signature", "reply_to",
     "notify_if_unreplied", "default_outgoing", "default_incoming"}
)  # fmt: skip
_SECURITY = {"tls": "SSL/TLS", "starttls": "STARTTLS", "none": "none (unencrypted)"}
_WHAT = {
    "account": "e-mail account",
    "primary_sender": "default sender",
    "project": "project",
    "employee": "employee",
    "team_inbox": "team inbox",
    "spf": "SPF record",
}


class ChecklistSettings(DriverSettings):
    """`system`: the application's name, as the steps call it."""

    system: str = "the application"


def _value(value: Any) -> str:
    """A value as a person types it; a secret as where to find it, never its value."""
    if isinstance(value, Secret):
        return f"the value of {value.reference}" if value.reference else "the secret the manifest names"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


class ChecklistDriver(Driver):
    """Every kind is `manual`: `manual_steps` writes the checklist; nothing is read or applied."""

    kinds = frozenset(_KINDS)
    Settings = ChecklistSettings
    capabilities = {kind: Capability.MANUAL for kind in _KINDS}
    fields = {"account": _ACCOUNT_FIELDS}
    settings: ChecklistSettings

    def manual_steps(self, change: Change) -> ManualStep:
        system = self.settings.system
        verification = (
            f"mailconf cannot read {system}: once done, run `mailconf confirm {self.context.target} {change.address}`; "
            "the next plan asks again only when the manifest changes"
        )
        if change.desired is None:  # a removal: all mailconf knows is the address
            what = _WHAT.get(change.kind, change.kind.replace("_", " "))
            opening = f"Open the DNS zone of {change.key} at its DNS provider." if change.kind == "spf" else f"Open the e-mail settings of {system}."
            return ManualStep(
                f"Remove the {what} {change.key} from {system}",
                (opening, f"Delete the {what} {change.key}: the manifest no longer declares it.", "Save."),
                verification,
            )
        title, instructions = _WRITERS.get(change.kind, _generic)(change, change.desired.fields, system)
        return ManualStep(title, tuple(instructions), verification)


def _verb(change: Change) -> str:
    return "Add" if change.action is Action.CREATE else "Change"


def _account(change: Change, f: Fields, system: str) -> tuple[str, list[str]]:
    address = f["address"]
    which = "add an e-mail account" if change.action is Action.CREATE else f"open the e-mail account {address}"
    lines = [f"Open the e-mail settings of {system} and {which}."]
    lines.append(f"E-mail address: {address}" + (f"; display name: {f['display_name']}" if f.get("display_name") else "") + ".")
    lines.append(f"Login name: {f['username']}" + (f"; password: {_value(f['password'])}." if f.get("password") else "."))
    if (out := f.get("outgoing")) is not None:
        auth = "log in with the login name and password" if out.get("auth", True) else "no login"
        lines.append(f"Outgoing mail (SMTP) server: {out['host']}, port {out['port']}, security {_SECURITY.get(out['security'], out['security'])}, {auth}.")
    if (inc := f.get("incoming")) is not None:
        lines.append(
            f"Incoming mail ({inc['protocol'].upper()}) server: {inc['host']}, port {inc['port']}, "
            f"security {_SECURITY.get(inc['security'], inc['security'])}, folder {inc['folder']}."
        )
    lines += [f"{label}: {f[name]}" for label, name in (("Signature", "signature"), ("Reply-to address", "reply_to")) if f.get(name)]
    if (notify := f.get("notify_if_unreplied")) is not None:
        lines.append(f"Notify {notify['recipient']} when a message is unreplied after {notify['minutes']} minutes.")
    lines.append(f"Default account for outgoing mail: {_value(bool(f.get('default_outgoing')))}; for incoming mail: {_value(bool(f.get('default_incoming')))}.")
    lines.append("Save, and send a test message from the account.")
    return f"{_verb(change)} the e-mail account {address} in {system}", lines


def _primary_sender(change: Change, f: Fields, system: str) -> tuple[str, list[str]]:
    account = f["account"]
    return f"Make account {account} the default sender in {system}", [
        f"Open the e-mail settings of {system}.",
        f"Choose the account {account} (account/{account} of the manifest) as the sender of documents that need no reply "
        "(invoices, order confirmations, tracking).",
        "Save.",
    ]


def _spf(change: Change, f: Fields, system: str) -> tuple[str, list[str]]:
    domain = change.key
    lines = [
        f"Open the DNS zone of {domain} at its DNS provider.",
        f"Set the TXT record of {domain} that starts with v=spf1 to exactly: {f['record']}",
        "Keep one v=spf1 record at that name: replace the old one, never add a second.",
    ]
    lines += [f"Set the TXT record of {name} to exactly: {record}" for name, record in sorted((f.get("chained") or {}).items())]
    lines.append("Save; resolvers see the new record once the old one's TTL has passed.")
    return f"Publish the SPF record of {domain} for {system}", lines


def _generic(change: Change, f: Fields, system: str) -> tuple[str, list[str]]:
    """Any other kind: each field with its exact value (a list in order, a mapping entry by entry)."""
    what = _WHAT.get(change.kind, change.kind.replace("_", " "))
    which = f"add the {what} {change.key}" if change.action is Action.CREATE else f"open the {what} {change.key}"
    lines = [f"Open the e-mail settings of {system} and {which}."]
    for name, value in f.items():
        label = name.replace("_", " ").capitalize()
        if isinstance(value, dict):
            lines += [f"{label}: {k.replace('_', ' ')}: {_value(v)}." for k, v in value.items()] or [f"{label}: none."]
        elif isinstance(value, list):
            lines.append(f"{label}: {', '.join(map(_value, value)) or 'none'}.")
        elif value is not None:
            lines.append(f"{label}: {_value(value)}.")
    lines.append("Save.")
    return f"{_verb(change)} the {what} {change.key} in {system}", lines


_WRITERS = {"account": _account, "primary_sender": _primary_sender, "spf": _spf}
