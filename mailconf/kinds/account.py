"""Kind `account`: a mailbox the business applications send from and/or receive into.

Preset and port defaults are resolved here, so a target stores complete endpoints and a plan
compares like with like.
"""

# No `from __future__ import annotations` here: TypedDict sees `NotRequired` only in evaluated annotations.
from collections.abc import Iterator, Mapping
from typing import Any, Literal, NotRequired, TypedDict

from mailconf import endpoints
from mailconf.driver import Resource
from mailconf.kinds.base import ImportContext, ManifestData, Secrets
from mailconf.model import Account, Manifest, Security
from mailconf.secrets import Secret

DEPENDS_ON: tuple[str, ...] = ()


class OutgoingFields(TypedDict):
    """SMTP submission, complete: presets and default ports already resolved."""

    host: str  #: the server's name, without a trailing dot
    port: int
    security: Security  #: "tls" (implicit TLS), "starttls" or "none"
    auth: bool  #: whether it logs in with the account's username and password


class IncomingFields(TypedDict):
    """IMAP or POP3 retrieval, complete like `OutgoingFields`."""

    protocol: Literal["imap", "pop3"]
    host: str
    port: int
    security: Security
    folder: str  #: the folder mail is fetched from (INBOX by default)


class NotifyFields(TypedDict):
    """A reminder to `recipient` when a received mail has had no reply for `minutes`."""

    minutes: int
    recipient: str


class AccountFields(TypedDict):
    """An account as a target holds it."""

    address: str  #: the e-mail address it sends from
    display_name: str | None  #: the name recipients see
    username: str  #: the login name (the address unless the manifest says otherwise)
    #: write-only: the resolved secret on the desired side; on read absent, or None where
    #: the target can tell that nothing is stored
    password: NotRequired[Secret | None]
    outgoing: OutgoingFields | None  #: None: the account does not send
    incoming: IncomingFields | None  #: None: the account does not receive
    signature: str | None
    salutation: str | None  #: the greeting templates start with
    reply_to: str | None  #: where replies go, when not to `address`
    notify_if_unreplied: NotifyFields | None
    default_outgoing: bool  #: the account the target sends from when nothing else is said
    default_incoming: bool  #: the account the target receives into when nothing else is said


def _endpoint(endpoint: endpoints.Endpoint | None) -> dict[str, Any] | None:
    return None if endpoint is None else {"host": endpoint.host.rstrip("."), "port": endpoint.port, "security": endpoint.security}


def fields(account: Account, password: Secret | None) -> AccountFields:
    """The live shape of a manifest account, with its resolved password (None when it has none)."""
    outgoing = _endpoint(endpoints.smtp(account))
    if outgoing is not None:
        outgoing["auth"] = account.outgoing.auth if account.outgoing else True
    received = endpoints.incoming(account)
    incoming = None
    if received is not None:
        own, endpoint = received
        incoming = {"protocol": own.protocol, **(_endpoint(endpoint) or {}), "folder": own.folder}
    notify = account.notify_if_unreplied
    return {
        "address": account.address,
        "display_name": account.display_name,
        "username": account.username or account.address,
        "password": password,
        "outgoing": outgoing,  # type: ignore[typeddict-item]
        "incoming": incoming,  # type: ignore[typeddict-item]
        "signature": account.signature,
        "salutation": account.salutation,
        "reply_to": account.reply_to,
        "notify_if_unreplied": None if notify is None else {"minutes": notify.minutes, "recipient": notify.recipient},
        "default_outgoing": account.default_outgoing,
        "default_incoming": account.default_incoming,
    }


def desired(manifest: Manifest, secrets: Secrets) -> Iterator[Resource]:
    for key, account in manifest.accounts.items():
        password = secrets[("accounts", key, "password")] if account.password else None
        yield Resource("account", key, fields(account, password), account.protect)  # type: ignore[arg-type]


def has_password(fields: Mapping[str, Any]) -> bool:
    """Whether a live account needs a password: it logs in to send, or it receives."""
    outgoing = fields.get("outgoing") or {}
    return bool(outgoing.get("auth")) or fields.get("incoming") is not None


def to_manifest(manifest: ManifestData, resource: Resource, context: ImportContext) -> None:
    f = resource.fields
    account: dict[str, Any] = {"address": f["address"]}
    if f.get("username") not in (None, f["address"]):
        account["username"] = f["username"]
    if (reference := context.secrets.get(("account", resource.key, "password"))) is not None:
        account["password"] = reference
    for name in ("display_name", "signature", "salutation", "reply_to"):
        if f.get(name) is not None:
            account[name] = f[name]
    account["outgoing"] = f["outgoing"]
    account["incoming"] = f["incoming"]
    if f.get("notify_if_unreplied"):
        account["notify_if_unreplied"] = f["notify_if_unreplied"]
    for flag in ("default_outgoing", "default_incoming"):
        if f.get(flag):
            account[flag] = True
    manifest.setdefault("accounts", {})[resource.key] = account
