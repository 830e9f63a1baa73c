"""The `erpnext` driver: e-mail accounts as Frappe `Email Account` documents, through the REST API (v1).

Documented Frappe v15 behaviour it relies on (research: apis.md section 1, erpnext/email-account.md):
- `GET/POST /api/resource/Email Account`, `GET/PUT/DELETE .../Email Account/<name>`; a list holds
  20 names unless asked (`limit_start`, `limit_page_length`, no total: read until a short page);
  `Authorization: token key:secret`; `X-Frappe-Site-Name` picks the site on a multi-site server.
- Values as MariaDB returns them: Check fields 0/1, ports (Data) as strings, an empty port meaning
  the protocol's default (993/143/995/110 incoming, 465/587 outgoing, else 25).
- A POST with `name` names the document (`email_account_name` follows): the manifest key is the name.
- Passwords are write-only: a read returns asterisks (or no `password` when none is stored);
  writing the asterisks back keeps the stored one, so this driver never sends them; "" deletes it.
- Every save with a password logs in to the enabled mail servers, unless `awaiting_password` is
  set. So a create is staged: POST the account awaiting its password, then PUT the password with
  `awaiting_password: 0` in a save that logs in. A refused login rolls back only that save: the
  account stays awaiting its password, which `read` reports as "no password stored", so the next
  plan sets exactly the password (and `default_incoming`) again. Nothing is half-written.
- Errors carry `exc_type` and `_server_messages` (a JSON string of JSON strings); the red ones
  become the change's message, HTML stripped. 401 is a bad API key, except "Password not found"
  (an account saved with no password stored), told apart.
- `default_incoming`/`default_outgoing` are exclusive: setting one clears it on every other
  account and saves that account again (logging in again). `default_outgoing` is written by one
  kind only, `primary_sender` (the issue: "the primary sender is the default outgoing account"),
  so the account field `default_outgoing` has no place here and two manifest places can never
  disagree on the server; ERPNext's re-save of the previous holder is its own step. In a batch of
  accounts, `default_incoming` is cleared before it is set, so the server re-saves no account
  behind the plan's back and one apply converges; its clearing is what the manifest says.
- An account linked to an `Email Domain` takes the domain's server fields on every save. This
  driver never links one, and unlinks (`domain: null`) each account it writes, so a declared
  server is never silently replaced; it manages no `Email Domain` records.
- Not done: compare-and-set on account updates (the research reads v15's PUT as comparing
  `modified` with its own read, not the client's, so there is nothing to send; the default
  outgoing account alone is checked by a read first), OAuth, Frappe Mail, `append_to` routing
  (kept as it is). Every answer is parsed into the documented `{"data": ...}` envelope.

Versions: v14 and v15 share the REST v1 routes, the masking and the live login used here (v14 not
verified against a site). v16 (develop) adds `validate_ssl_certificate`, `api_key`/`api_secret`,
`always_bcc` and the "Frappe Mail" service: none is written here, so a v16 site works the same.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, Field, field_validator

from mailconf.driver import Action, Change, ChangeResult, Driver, DriverContext, DriverSettings, Fields, Resource
from mailconf.errors import DriverError
from mailconf.http import HttpClient, HttpError, Response, base_url, excerpt
from mailconf.secrets import Secret

from ._dns import SecretReference

if TYPE_CHECKING:
    import httpx

ACCOUNTS = "/api/resource/Email%20Account"
PRIMARY = "primary"  # the key of the one primary_sender resource (mailconf.engine.desired.PRIMARY_KEY)
PAGE = 100
_FIELDS = frozenset(
    {"address", "username", "password", "outgoing", "incoming", "signature", "notify_if_unreplied",
     "default_incoming"}
)  # fmt: skip
_DEFAULTS = ("default_incoming",)  # default_outgoing is the primary_sender kind
_SMTP_PORT = {"tls": 465, "starttls": 587, "none": 25}
_INCOMING_PORT = {("imap", "tls"): 993, ("imap", "starttls"): 143, ("imap", "none"): 143,
                  ("pop3", "tls"): 995, ("pop3", "none"): 110}  # fmt: skip
_TAG = re.compile(r"<[^>]+>")


class ErpNextSettings(DriverSettings):
    url: str
    api_key: SecretReference
    api_secret: SecretReference
    #: Sent as `X-Frappe-Site-Name` when one server hosts several sites.
    site: str | None = None
    #: Seconds one network step may take; a save that logs in to a slow mail server needs many.
    timeout: float = Field(default=60, gt=0)
    verify_tls: bool = True
    #: How many changes go to the site at once.
    concurrency: int = Field(default=4, ge=1, le=64)

    @field_validator("url")
    @classmethod
    def _http_url(cls, url: str) -> str:
        return base_url(url, "the ERPNext site (https://erp.example.com)", path=False)


class ErpNextDriver(Driver):
    """Accounts as `Email Account` documents named by their manifest key."""

    kinds = frozenset({"account", "primary_sender"})
    Settings: ClassVar[type[DriverSettings]] = ErpNextSettings
    write_only = {"account": frozenset({"password"})}
    fields = {"account": _FIELDS}
    settings: ErpNextSettings

    def __init__(
        self, settings: DriverSettings, context: DriverContext, *, transport: httpx.BaseTransport | None = None
    ) -> None:
        super().__init__(settings, context)
        self.max_concurrency = self.settings.concurrency  # type: ignore[misc]  # per target, from its settings
        headers = {"Accept": "application/json"}
        if self.settings.site:
            headers["X-Frappe-Site-Name"] = self.settings.site
        self._http = HttpClient(
            self.settings.url, timeout=self.settings.timeout, deadline=self.settings.timeout * 4,
            headers=headers, transport=transport, verify=self.settings.verify_tls,
        )

    def close(self) -> None:
        self._http.close()

    # --- read ---

    def read(self, kinds: Collection[str]) -> list[Resource]:
        if not {"account", "primary_sender"} & set(kinds):
            return []
        docs = {name: self._call("GET", _doc(name)).parse(_One).data for name in self._names()}
        found = [Resource("account", name, _account_fields(doc)) for name, doc in docs.items()] if "account" in kinds else []
        senders = [name for name, doc in docs.items() if _int(doc.get("default_outgoing"))]
        if "primary_sender" in kinds and senders:
            found.append(Resource("primary_sender", PRIMARY, {"account": senders[0]}))
        return found

    def _names(self) -> list[str]:
        """Every account's name, page by page until a short page (v1 gives no total)."""
        names: list[str] = []
        while True:
            query = urllib.parse.urlencode({"fields": '["name"]', "order_by": "name asc",
                                            "limit_start": len(names), "limit_page_length": PAGE})
            page = self._call("GET", f"{ACCOUNTS}?{query}").parse(_Many).data
            names += [row.name for row in page]
            if len(page) < PAGE:
                return names

    # --- apply ---

    def apply(self, changes: Sequence[Change]) -> list[ChangeResult]:
        """Changes that set a default flag go last, so its holder was already cleared (see the module doc)."""
        results: dict[int, ChangeResult] = {}
        for index in sorted(range(len(changes)), key=lambda i: _sets_default(changes[i])):
            change = changes[index]
            try:
                if change.kind == "primary_sender":
                    self._primary_sender(change)
                else:
                    {Action.CREATE: self._create, Action.UPDATE: self._update, Action.DELETE: self._delete}[change.action](change)
                results[index] = ChangeResult(change, True)
            except DriverError as exc:
                results[index] = ChangeResult(change, False, str(exc))
        return [results[i] for i in range(len(changes))]

    def _create(self, change: Change) -> None:
        assert change.desired is not None
        fields = change.desired.fields
        body = {"name": change.key, **_document(fields), **{flag: 0 for flag in _DEFAULTS}, "awaiting_password": 1}
        self._call("POST", ACCOUNTS, body, account=change, stage="create")
        second: dict[str, Any] = {flag: 1 for flag in _DEFAULTS if fields.get(flag)}
        if isinstance(secret := fields.get("password"), Secret):
            second.update(password=secret.reveal(), awaiting_password=0)  # this save logs in
        elif not _needs_login(fields):
            second["awaiting_password"] = 0  # nothing to log in with: the account is complete
        if second:
            self._call("PUT", _doc(change.key), second, account=change, stage="staged")

    def _update(self, change: Change) -> None:
        assert change.desired is not None and change.live is not None
        new, old = change.desired.fields, change.live.fields
        wanted, was = _document(new), _document(old)
        body: dict[str, Any] = {k: v for k, v in wanted.items() if was.get(k) != v}
        body.update({flag: int(bool(new.get(flag))) for flag in _DEFAULTS if bool(new.get(flag)) != bool(old.get(flag))})
        if "imap_folder" in body:
            body["imap_folder"] = self._folders(change.key, body["imap_folder"][0]["folder_name"])
        if any(c.path == "password" for c in change.fields):
            body.update(_password(new))
        body["domain"] = None  # a linked Email Domain would overwrite the declared servers
        self._call("PUT", _doc(change.key), body, account=change, stage="update")

    def _folders(self, name: str, folder: str) -> list[dict[str, Any]]:
        """The account's IMAP Folder rows with the first one renamed: the others and `append_to` stay."""
        rows = self._call("GET", _doc(name)).parse(_One).data.get("imap_folder") or []
        keep = [{k: row.get(k) for k in ("name", "folder_name", "append_to")} for row in rows]
        return [{**(keep[0] if keep else {}), "folder_name": folder}, *keep[1:]]

    def _primary_sender(self, change: Change) -> None:
        """Set `default_outgoing` on the account: the server clears it on the previous one (and saves
        that one again, logging in). A removed primary sender clears the flag where it is. The holder
        is checked first, so a change made by hand since the plan fails instead of being overwritten."""
        query = urllib.parse.urlencode({"filters": '[["default_outgoing", "=", 1]]', "limit_page_length": 0})
        holders = sorted(row.name for row in self._call("GET", f"{ACCOUNTS}?{query}").parse(_Many).data)
        expected = [change.live.fields["account"]] if change.live is not None else []
        if holders != expected:
            now = ", ".join(holders) or "none"
            raise DriverError(f"ERPNext's default outgoing account changed since the plan read it (now {now}): plan again")
        if change.desired is not None:
            self._call("PUT", _doc(change.desired.fields["account"]), {"default_outgoing": 1}, account=change, stage="sender")
        else:
            self._call("PUT", _doc(expected[0]), {"default_outgoing": 0}, account=change, stage="sender")

    def _delete(self, change: Change) -> None:
        try:
            self._call("DELETE", _doc(change.key), account=change, stage="delete")
        except _Gone:
            pass  # already gone: the delete's goal is met

    # --- HTTP ---

    def _call(self, method: str, path: str, body: object = None, *, account: Change | None = None,
              stage: str = "") -> Response:
        """One API request; its answer, or a DriverError in ERPNext's terms (see `_refusal`)."""
        settings = self.settings
        token = Secret(f"token {self.context.secret(settings.api_key).reveal()}:{self.context.secret(settings.api_secret).reveal()}")
        try:
            return self._http.request(method, path, json_body=body, secret_headers={"Authorization": token})
        except HttpError as exc:
            raise _refusal(exc, settings.url, account, stage) from None


class _Row(BaseModel):
    name: str


class _Many(BaseModel):
    """A list answer: `{"data": [{"name": ...}, ...]}`."""

    data: list[_Row]


class _One(BaseModel):
    """A document answer: `{"data": {...}}`."""

    data: dict[str, Any]


class _Gone(DriverError):
    """404: the account does not exist (any more)."""


def _doc(name: str) -> str:
    return f"{ACCOUNTS}/{urllib.parse.quote(name, safe='')}"


def _sets_default(change: Change) -> bool:
    return change.desired is not None and any(change.desired.fields.get(flag) for flag in _DEFAULTS)


def _needs_login(fields: Fields) -> bool:
    outgoing = fields.get("outgoing") or {}
    return fields.get("incoming") is not None or bool(outgoing.get("auth", True) and outgoing)


def _password(fields: Fields) -> dict[str, Any]:
    """The PUT fields that store the declared password in a save that logs in, or remove it."""
    secret = fields.get("password")
    if isinstance(secret, Secret):
        return {"password": secret.reveal(), "awaiting_password": 0}
    return {"password": "", "awaiting_password": int(_needs_login(fields))}


def _document(fields: Fields) -> dict[str, Any]:
    """The `Email Account` fields for manifest fields (the default flags and the password apart)."""
    address, username = fields["address"], fields.get("username") or fields["address"]
    doc: dict[str, Any] = {"email_id": address, "login_id_is_different": int(username != address),
                           "login_id": username if username != address else None}
    out = fields.get("outgoing")
    doc["enable_outgoing"] = int(out is not None)
    if out is not None:
        doc.update(smtp_server=out["host"], smtp_port=str(out["port"]), use_tls=int(out["security"] == "starttls"),
                   use_ssl_for_outgoing=int(out["security"] == "tls"), no_smtp_authentication=int(not out.get("auth", True)))
    inc = fields.get("incoming")
    doc["enable_incoming"] = int(inc is not None)
    if inc is not None:
        if inc["protocol"] == "pop3" and inc["security"] == "starttls":
            raise DriverError(f"ERPNext cannot use STARTTLS with POP3 (account {address}): use security tls, or IMAP")
        imap = inc["protocol"] == "imap"
        doc.update(use_imap=int(imap), email_server=inc["host"], incoming_port=str(inc["port"]),
                   use_ssl=int(inc["security"] == "tls"), use_starttls=int(imap and inc["security"] == "starttls"))
        if imap:
            doc["imap_folder"] = [{"folder_name": inc["folder"]}]
    signature = fields.get("signature")
    doc.update(add_signature=int(signature is not None), signature=signature or "")
    notify = fields.get("notify_if_unreplied")
    doc["notify_if_unreplied"] = int(notify is not None)
    if notify is not None:
        doc.update(unreplied_for_mins=notify["minutes"], send_notification_to=notify["recipient"])
    return doc


def _account_fields(doc: dict[str, Any]) -> Fields:
    """A read `Email Account` in manifest shape (ports as integers, defaults filled in)."""

    def flag(name: str) -> bool:
        return bool(_int(doc.get(name)))

    address = str(doc.get("email_id") or "")
    fields: Fields = {"address": address,
                      "username": doc.get("login_id") if flag("login_id_is_different") and doc.get("login_id") else address}
    if flag("awaiting_password") or not doc.get("password"):
        fields["password"] = None  # nothing stored, or never logged in with: the plan sets it
    outgoing = None
    if flag("enable_outgoing"):
        security = "tls" if flag("use_ssl_for_outgoing") else "starttls" if flag("use_tls") else "none"
        outgoing = {"host": str(doc.get("smtp_server") or "").rstrip("."),
                    "port": _int(doc.get("smtp_port")) or _SMTP_PORT[security],
                    "security": security, "auth": not flag("no_smtp_authentication")}
    incoming = None
    if flag("enable_incoming"):
        protocol = "imap" if flag("use_imap") else "pop3"
        security = "tls" if flag("use_ssl") else "starttls" if protocol == "imap" and flag("use_starttls") else "none"
        rows = sorted(doc.get("imap_folder") or [], key=lambda row: _int(row.get("idx")))
        incoming = {"protocol": protocol, "host": str(doc.get("email_server") or "").rstrip("."),
                    "port": _int(doc.get("incoming_port")) or _INCOMING_PORT[(protocol, security)],
                    "security": security,
                    "folder": str(rows[0].get("folder_name") or "INBOX") if protocol == "imap" and rows else "INBOX"}
    fields.update(outgoing=outgoing, incoming=incoming,
                  signature=doc.get("signature") if flag("add_signature") and doc.get("signature") else None,
                  notify_if_unreplied={"minutes": _int(doc.get("unreplied_for_mins")),
                                       "recipient": str(doc.get("send_notification_to") or "")}
                  if flag("notify_if_unreplied") else None,
                  default_incoming=flag("default_incoming"))
    return fields


def _int(value: Any) -> int:
    """Frappe's `cint`: ports come as strings, checks as 0/1; anything else is 0."""
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return 0


# --- errors ---


def _exception_text(body: bytes) -> str:
    """The `exception` line of a Frappe error body, or "" when the body is not the JSON it should be."""
    try:
        data = json.loads(body)
    except ValueError:
        return ""
    return excerpt(str(data.get("exception", ""))) if isinstance(data, dict) else ""


def server_messages(body: bytes) -> tuple[str, list[str]]:
    """`exc_type` and the red messages of a Frappe error body (`_server_messages` is a JSON string
    of a JSON list of JSON strings), HTML stripped; the exception text when no message says more."""
    try:
        data = json.loads(body)
    except ValueError:
        return "", [excerpt(body)] if body.strip() else []
    if not isinstance(data, dict):
        return "", []
    messages: list[str] = []
    try:
        for raw in json.loads(data.get("_server_messages") or "[]"):
            message = json.loads(raw)
            if isinstance(message, dict) and (message.get("raise_exception") or message.get("indicator") == "red"):
                messages.append(" ".join(_TAG.sub("", str(message.get("message", ""))).split()))
    except (ValueError, TypeError):
        pass
    if not messages and (text := data.get("_error_message") or data.get("exception")):
        messages.append(excerpt(str(text)))
    return str(data.get("exc_type") or ""), messages


def _refusal(exc: HttpError, url: str, change: Change | None, stage: str) -> DriverError:
    """An HttpError in ERPNext's terms: which server refused what, and what to do."""
    where = f"ERPNext at {url}"
    if exc.status is None or exc.status == 429:
        again = " (too many requests: lower the target's concurrency or raise the site's rate_limit)" if exc.status == 429 else ""
        return DriverError(f"{where}: {exc}{again}{_stage_note(stage)}")
    exc_type, messages = server_messages(exc.body)
    said = "; ".join(m for m in messages if m) or excerpt(exc.body) or "no details"
    name = ""
    if change is not None:
        primary = change.kind == "primary_sender"
        name = change.key if not primary else (change.desired or change.live).fields["account"]  # type: ignore[union-attr]
    if exc.status == 401 and not any(m.startswith("Password not found") for m in messages):
        return DriverError(f"{where} rejected the API key (401): check api_key and api_secret, and that the key's user is enabled")
    if exc.status == 401:
        return DriverError(f"{where}: account {name} has no password stored, and its save logs in (401: {said}): "
                           f"declare its password{_stage_note(stage)}")
    if exc.status == 403:
        return DriverError(f"{where} refused the API key's user (403: {said}): it needs the System Manager role")
    if exc.status == 404 and exc_type == "DoesNotExistError":  # a 404 from a proxy or a wrong url is no "gone"
        return _Gone(f"{where} has no account {name} (404): it was deleted since the plan read it; plan again")
    if exc.status == 409:
        return DriverError(f"{where} already has an account named {name} (409 DuplicateEntryError): plan again, "
                           "or give the manifest account another key")
    fields = change.desired.fields if change is not None and change.desired is not None else {}
    if exc_type == "InvalidEmailCredentials" or any("Invalid Outgoing Mail Server" in m for m in messages):
        smtp = any("SMTP" in m or "Outgoing" in m for m in messages)
        server = _server(fields, smtp)
        user = fields.get("username") or fields.get("address") or name
        if exc_type == "InvalidEmailCredentials":
            problem = f"the {server} rejected the login for {user}"
        else:
            problem = f"ERPNext could not reach the {server}"
        return DriverError(f"{problem} ({said}){_stage_note(stage)}")
    if exc.status == 500 and b"Invalid Mail Server" in exc.body:  # an OSError escaped the incoming login
        detail = _exception_text(exc.body)
        return DriverError(f"ERPNext could not reach the {_server(fields, False)} ({detail or said}){_stage_note(stage)}")
    if exc_type == "UniqueValidationError":
        return DriverError(f"{where}: another account already has the address {fields.get('address')} with the same "
                           f"directions (incoming/outgoing): ERPNext keeps one per address and directions{_stage_note(stage)}")
    return DriverError(f"{where} refused account {name} ({exc.status} {exc_type or 'error'}): {said}{_stage_note(stage)}")


def _server(fields: Fields, smtp: bool) -> str:
    """'the SMTP server host:port' / 'IMAP server ...' of the declared account."""
    side = fields.get("outgoing" if smtp else "incoming") or {}
    protocol = "SMTP" if smtp else str(side.get("protocol", "incoming")).upper()
    return f"{protocol} server {side.get('host', '?')}:{side.get('port', '?')}"


def _stage_note(stage: str) -> str:
    if stage == "staged":
        return "; the account exists awaiting its password: fix this, then run apply again"
    return ""

