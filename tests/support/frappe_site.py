"""The in-memory Frappe v15 site behind the fake REST server: `Email Account` (with its `IMAP Folder`
rows) and `Email Domain` documents, the save pipeline Frappe runs on them, and a Python API for
tests to seed and inspect the state (stored passwords included).

Research: /work/shared/research/erpnext/email-account.md (numbers below are its points) and
/work/shared/research/apis.md 1.4-1.9. Field lists are the v15.55.1 ones (research/erpnext/v15/).
"""

from __future__ import annotations

import copy
import datetime
import json
import re
import threading
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from .frappe_errors import (
    AuthenticationError,
    DoesNotExistError,
    DuplicateEntryError,
    FrappePermissionError,
    InvalidEmailAddressError,
    LinkExistsError,
    LinkValidationError,
    MandatoryError,
    MessageLog,
    UniqueValidationError,
)
from .frappe_login import Connection, MailCheck, cint
from .frappe_meta import ACCOUNT, APPEND_TO, DOMAIN, EMAIL_DOMAIN_FIELDS, FETCHED_FROM_DOMAIN, META, PERMISSIONS
from .frappe_query import OperationalError, same, where

_STANDARD = ("name", "owner", "creation", "modified", "modified_by", "docstatus", "idx")
_NUMERIC = ("Check", "Int")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class ApiUser:
    """The User an API key belongs to, with its roles."""

    secret: str
    user: str
    roles: frozenset[str]

    def can(self, ptype: str, doctype: str) -> bool:
        return any(ptype in PERMISSIONS.get(role, {}).get(doctype, ()) for role in self.roles)


def _is_dummy(password: Any) -> bool:
    """base_document `is_dummy_password`: only asterisks (what a read returns)."""
    return bool(password) and set(str(password)) == {"*"}


def _now() -> str:
    return datetime.datetime.now().strftime("%Y-%m-%d %H:%M:%S.%f")


def _bold(text: Any) -> str:
    return f"<strong>{text}</strong>"


@dataclass
class FrappeSite:
    """Documents and encrypted passwords (`__Auth`) of one site, and the save pipeline over them.

    Every REST operation runs as one transaction: on any error the documents and passwords are
    rolled back, as Frappe rolls back the request's database transaction. `connections` keeps
    every connection a save made to a mail server (it is not rolled back: it happened).
    """

    append_to: Sequence[str] = APPEND_TO
    pop_timeout: float | None = None  # site_config `pop_timeout` (unset: none), IMAP and POP3
    smtp_timeout: float = 120  # frappe/email/smtp.py: 2 * 60
    api_keys: dict[str, ApiUser] = field(default_factory=dict)
    connections: list[Connection] = field(default_factory=list)
    _docs: dict[str, dict[str, dict[str, Any]]] = field(default_factory=lambda: {ACCOUNT: {}, DOMAIN: {}})
    _auth: dict[tuple[str, str, str], str] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    # --- the Python API for tests ---

    def add_api_key(self, key: str, secret: str, *, user: str = "Administrator",
                    roles: Sequence[str] = ("System Manager",)) -> None:
        self.api_keys[key] = ApiUser(secret, user, frozenset(roles))

    def seed(self, doctype: str, doc: Mapping[str, Any], *, password: str | None = None) -> str:
        """Store a document as if it had been saved long ago: no validation, no login. Returns its name."""
        with self.lock:
            new = self._new_doc(doctype, dict(doc))
            self._set_name(doctype, new, MessageLog())
            if password is not None:
                new["password"] = password
            self._write(doctype, new, None, "Administrator", MessageLog())
            return new["name"]

    def doc(self, doctype: str, name: str) -> dict[str, Any] | None:
        """The stored document (passwords as the asterisks the table holds), or None."""
        with self.lock:
            stored = self._docs[doctype].get(name)
            return copy.deepcopy(stored) if stored is not None else None

    def names(self, doctype: str) -> list[str]:
        with self.lock:
            return sorted(self._docs[doctype])

    def password(self, doctype: str, name: str, fieldname: str = "password") -> str | None:
        """The decrypted stored password, as `get_password()` would return it; None when none is stored."""
        with self.lock:
            return self._auth.get((doctype, name, fieldname))

    # --- REST operations (frappe/api/v1.py), each one transaction ---

    def check(self, user: ApiUser | None, ptype: str, doctype: str, name: str | None, log: MessageLog) -> None:
        """Role permission: no key (Guest) or a role without `ptype` on the doctype -> 403."""
        if doctype not in self._docs:
            log.throw(f"DocType {doctype} not found", DoesNotExistError)
        if user is None or not user.can(ptype, doctype):
            log.error_message = f"No permission for {doctype}" + (f" {name}" if name else "")
            raise FrappePermissionError()

    def list(self, doctype: str, params: Mapping[str, str], log: MessageLog) -> list[dict[str, Any]]:
        """`frappe.client.get_list`: fields, filters, order_by, limit_start, limit_page_length (20; 0 = all)."""
        fields = json.loads(params.get("fields") or '["name"]')
        columns = [*_STANDARD, *(f for f, df in META[doctype].items() if df.fieldtype != "Table")]
        if fields in (["*"], "*"):
            fields = columns
        for name in fields:
            if name not in columns:
                raise OperationalError(f"(1054, \"Unknown column '{name}' in 'field list'\")")
        rows = [self._from_db(doctype, doc) for doc in self._docs[doctype].values()]
        rows = where(rows, params.get("filters"), columns, log)
        order = (params.get("order_by") or "creation desc").split()
        key, descending = order[0].split(".")[-1].strip("`"), len(order) > 1 and order[1].lower() == "desc"
        if key not in columns:
            raise OperationalError(f"(1054, \"Unknown column '{key}' in 'order clause'\")")
        rows.sort(key=lambda row: (row.get(key) is not None, row.get(key) or 0), reverse=descending)
        start = cint(params.get("limit_start"))
        length = cint(params.get("limit_page_length", params.get("limit", 20)))
        rows = rows[start:start + length] if length else rows[start:]
        return [{name: row.get(name) for name in fields} for row in rows]

    def get(self, doctype: str, name: str, log: MessageLog) -> dict[str, Any]:
        return _no_nulls(self._from_db(doctype, self._load(doctype, name, log)))

    def insert(self, doctype: str, data: Mapping[str, Any], user: str, log: MessageLog) -> dict[str, Any]:
        """POST: `frappe.new_doc(doctype, **data).insert()`."""
        with self._transaction():
            doc = self._new_doc(doctype, {k: v for k, v in data.items() if k != "doctype"})
            self._set_name(doctype, doc, log)
            self._save(doctype, doc, None, user, log)
            return _no_nulls(doc)

    def update(self, doctype: str, name: str, data: Mapping[str, Any], user: str, log: MessageLog) -> dict[str, Any]:
        """PUT: `doc.update(data); doc.save()`: a partial update, last writer wins."""
        with self._transaction():
            before = self._load(doctype, name, log)
            doc = copy.deepcopy(before)
            self._apply(doctype, doc, {k: v for k, v in data.items() if k not in ("flags", "doctype", "name")})
            self._save(doctype, doc, before, user, log)
            return _no_nulls(doc)

    def delete(self, doctype: str, name: str, log: MessageLog) -> None:
        with self._transaction():
            self._load(doctype, name, log)
            if doctype == DOMAIN:
                for account in self._docs[ACCOUNT].values():
                    if account.get("domain") == name:
                        log.throw(f"Cannot delete or cancel because {DOMAIN} {name} is linked with {ACCOUNT} "
                                  f"{account['name']}", LinkExistsError)
            del self._docs[doctype][name]
            for key in [k for k in self._auth if k[:2] == (doctype, name)]:
                del self._auth[key]

    # --- documents ---

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        with self.lock:
            # A stored document is never changed in place (a save stores a fresh copy, `_write`), so
            # copying the mappings is a full snapshot, at a cost that does not grow with each document.
            docs, auth = {doctype: dict(stored) for doctype, stored in self._docs.items()}, dict(self._auth)
            try:
                yield
            except BaseException:
                self._docs, self._auth = docs, auth
                raise

    def _load(self, doctype: str, name: str, log: MessageLog) -> dict[str, Any]:
        stored = self._docs[doctype].get(name)
        if stored is None:
            log.throw(f"{doctype} {name} not found", DoesNotExistError)
        return stored

    def _new_doc(self, doctype: str, data: dict[str, Any]) -> dict[str, Any]:
        """`frappe.new_doc`: every field at its default, then the given values."""
        doc: dict[str, Any] = {f: (0 if df.default is None and df.fieldtype in _NUMERIC else df.default)
                               for f, df in META[doctype].items()}
        for f, df in META[doctype].items():
            if df.fieldtype == "Table":
                doc[f] = []
        if data.get("name"):
            doc["name"] = data["name"]
        self._apply(doctype, doc, data)
        return doc

    def _apply(self, doctype: str, doc: dict[str, Any], data: Mapping[str, Any]) -> None:
        """`doc.update(data)`: known fields only; Check/Int cast like `_fix_numeric_types`; rows replaced."""
        for f, value in data.items():
            df = META[doctype].get(f)
            if df is None:
                continue
            if df.fieldtype == "Table":
                old = {row.get("name"): row for row in doc.get(f) or []}
                doc[f] = [self._child(df.options, old.get(row.get("name")), row) for row in value or []]
            elif df.fieldtype in _NUMERIC:
                doc[f] = cint(value)
            else:
                doc[f] = value

    def _child(self, doctype: str, old: dict[str, Any] | None, data: Mapping[str, Any]) -> dict[str, Any]:
        row = copy.deepcopy(old) if old is not None else self._new_doc(doctype, {})
        self._apply(doctype, row, data)
        return row

    def _set_name(self, doctype: str, doc: dict[str, Any], log: MessageLog) -> None:
        """autoname (point 1): a `name` in the body wins; else the account name or the address's local part."""
        if doctype == ACCOUNT:
            if doc.get("name"):
                doc["email_account_name"] = doc["name"]
            if not doc.get("email_account_name"):
                if doc.get("email_id") is None:
                    raise AttributeError("'NoneType' object has no attribute 'split'")
                local = str(doc["email_id"]).split("@", 1)[0]
                doc["email_account_name"] = re.sub(r"[_.-]", " ", local).title()
            doc["name"] = doc["email_account_name"]
        elif doc.get("name"):
            doc["domain_name"] = doc["name"]
        else:
            name = str(doc.get("domain_name") or "").strip()
            if not name:
                log.throw("Domain Name is required")
            doc["name"] = name

    def _from_db(self, doctype: str, doc: Mapping[str, Any]) -> dict[str, Any]:
        """A document read back from MariaDB: text columns (ports too) as strings, rows likewise."""
        out: dict[str, Any] = {}
        for key, value in doc.items():
            df = META[doctype].get(key)
            if df is not None and df.fieldtype == "Table":
                out[key] = [self._from_db(df.options, row) for row in value]
            elif df is not None and df.fieldtype not in _NUMERIC and value is not None:
                out[key] = str(value)
            else:
                out[key] = value
        return out

    # --- the save pipeline (frappe/model/document.py insert/_save) ---

    def _save(self, doctype: str, doc: dict[str, Any], before: dict[str, Any] | None, user: str,
              log: MessageLog) -> None:
        if doctype == ACCOUNT:
            self._fetch_from_domain(doc, log)
            self._validate_account(doc, log)
            self._before_save_account(doc, log)
        else:
            MailCheck(DOMAIN, doc["name"], log, self.connections.append, self.pop_timeout,
                      self.smtp_timeout).domain_connect(doc)
            doc["use_starttls"] = cint(doc.get("use_imap") and doc.get("use_starttls") and not doc.get("use_ssl"))
        self._validate_fields(doctype, doc, log)
        self._write(doctype, doc, before, user, log)
        if doctype == ACCOUNT:
            self._on_update_account(doc, user, log)
        else:
            self._on_update_domain(doc, user, log)

    def _fetch_from_domain(self, doc: dict[str, Any], log: MessageLog) -> None:
        """`_validate_links`: a missing domain fails; a linked one overwrites the fetched fields."""
        if not doc.get("domain"):
            return
        domain = self._docs[DOMAIN].get(doc["domain"])
        if domain is None:
            log.throw(f"Could not find Domain: {doc['domain']}", LinkValidationError)
        fetched = self._from_db(DOMAIN, domain)  # read from the database: ports come as strings
        for f in FETCHED_FROM_DOMAIN:
            doc[f] = fetched.get(f)

    def _validate_account(self, doc: dict[str, Any], log: MessageLog) -> None:
        """EmailAccount.validate() (point 2), in its order."""
        _validate_email(doc.get("email_id"), log)
        if doc.get("login_id_is_different"):
            if not doc.get("login_id"):
                log.throw("Login Id is required")
        else:
            doc["login_id"] = None
        if doc.get("service") == "Sendgrid":
            doc["login_id"] = "apikey"
        if doc.get("enable_incoming") and doc.get("use_imap") and not doc.get("imap_folder"):
            log.throw(f"You need to set one IMAP folder for {doc.get('email_id')}")
        doc["use_starttls"] = cint(doc.get("use_imap") and doc.get("use_starttls") and not doc.get("use_ssl"))
        oauth = doc.get("auth_method") == "OAuth"
        if oauth:
            doc["awaiting_password"], doc["password"] = 0, None
        if not doc.get("awaiting_password"):
            self._live_login(doc, oauth, log)
        if doc.get("notify_if_unreplied"):
            if not doc.get("send_notification_to"):
                log.throw("Send Notification to is mandatory")
            for address in re.split(r"[,\n]", str(doc["send_notification_to"])):
                if address.strip():
                    _validate_email(address.strip(), log)
        if doc.get("enable_incoming"):
            for row in doc.get("imap_folder") or []:
                if row.get("append_to") and row["append_to"] not in self.append_to:
                    log.throw(f"Append To can be one of {_comma_or(self.append_to)}")

    def _live_login(self, doc: dict[str, Any], oauth: bool, log: MessageLog) -> None:
        """L174-189: log in to the enabled servers when there is a password (or the SMTP host is local)."""
        if doc.get("password") or doc.get("smtp_server") in ("127.0.0.1", "localhost"):
            check = MailCheck(ACCOUNT, doc["name"], log, self.connections.append, self.pop_timeout, self.smtp_timeout)
            user = doc.get("login_id") or doc.get("email_id")
            if doc.get("enable_incoming"):
                check.incoming_login(doc, user, self._get_password(doc, log) if doc.get("password") else None)
                doc["no_failed"] = 0
            if doc.get("enable_outgoing"):
                raise_missing = not (oauth or doc.get("no_smtp_authentication"))
                check.smtp_login(doc, user, self._get_password(doc, log, raise_missing))
        elif (doc.get("enable_incoming") or (doc.get("enable_outgoing") and not doc.get("no_smtp_authentication"))) \
                and not oauth:
            log.throw("Password is required or select Awaiting Password")

    def _get_password(self, doc: dict[str, Any], log: MessageLog, raise_missing: bool = True) -> str | None:
        """`get_password()`: the value sent unless it is the mask, else the stored one."""
        value = doc.get("password")
        if value and not _is_dummy(value):
            return str(value)
        stored = self._auth.get((ACCOUNT, doc["name"], "password"))
        if stored is None and raise_missing:
            log.throw(f"Password not found for {ACCOUNT} {doc['name']} password", AuthenticationError)
        return stored

    def _before_save_account(self, doc: dict[str, Any], log: MessageLog) -> None:
        """before_save() (point 4): a default flag without its direction is dropped, with an orange note."""
        for default, enable in (("default_incoming", "enable_incoming"), ("default_outgoing", "enable_outgoing")):
            if doc.get(default) and not doc.get(enable):
                doc[default] = 0
                labels = META[ACCOUNT]
                log.msgprint(f"{_bold(labels[default].label)} has been disabled. It can only be enabled if "
                             f"{_bold(labels[enable].label)} is checked.", title="Defaults Updated", indicator="orange")

    def _validate_fields(self, doctype: str, doc: dict[str, Any], log: MessageLog) -> None:
        """`_validate`: Select values, then mandatory (`reqd`) fields of the document and its rows."""
        for f, df in META[doctype].items():
            if df.fieldtype == "Select":
                doc[f] = str(doc[f] if doc.get(f) is not None else "").strip()
                if doc[f] not in df.options:
                    allowed = '", "'.join(df.options)
                    # The message starts with a row prefix, empty for the document itself.
                    log.throw(f' {df.label} cannot be "{doc[f]}". It should be one of "{allowed}"')
        missing: list[str] = []
        for f, df in META[doctype].items():
            if df.reqd and doc.get(f) in (None, ""):
                log.msgprint(f"Error: Value missing for {doctype}: {df.label}")
                missing.append(f)
            if df.fieldtype == "Table":
                for row in doc.get(f) or []:
                    for cf, cdf in META[df.options].items():
                        if cdf.reqd and row.get(cf) in (None, ""):
                            log.msgprint(f"Error: Value missing for {df.options}: {cdf.label}")
                            missing.append(cf)
        if missing:
            raise MandatoryError(f"[{doctype}, {doc.get('name')}]: {', '.join(missing)}")

    def _write(self, doctype: str, doc: dict[str, Any], before: dict[str, Any] | None, user: str,
               log: MessageLog) -> None:
        """db_insert / db_update with the unique indexes, after `_save_passwords` masked the field."""
        name, now = doc["name"], _now()
        if before is None and name in self._docs[doctype]:
            log.msgprint(f"{doctype} {_bold(name)} already exists", title="Duplicate Name", indicator="red")
            raise DuplicateEntryError(detail=f"('{doctype}', '{name}', IntegrityError(1062, \"Duplicate entry "
                                             f"'{name}' for key 'PRIMARY'\"))")
        if doctype == ACCOUNT:
            key = ("email_id", "enable_incoming", "enable_outgoing")
            for other in self._docs[ACCOUNT].values():
                if other["name"] != name and all(same(other.get(k), doc.get(k)) for k in key):
                    log.msgprint("Email Address must be unique")
                    raise UniqueValidationError(detail=f"('{doctype}', '{name}', IntegrityError(1062, \"Duplicate "
                                                       f"entry for key 'unique_email_account_type'\"))")
            self._save_password(doc)
        doc.update({"owner": before["owner"] if before else user, "creation": before["creation"] if before else now,
                    "modified": now, "modified_by": user, "docstatus": 0, "idx": 0, "doctype": doctype})
        for f, df in META[doctype].items():
            if df.fieldtype == "Table":
                for idx, row in enumerate(doc.get(f) or [], 1):
                    row.update({"name": row.get("name") or uuid.uuid4().hex[:10], "owner": doc["owner"],
                                "creation": row.get("creation") or now, "modified": now, "modified_by": user,
                                "docstatus": 0, "idx": idx, "parent": name, "parentfield": f,
                                "parenttype": doctype, "doctype": df.options})
        self._docs[doctype][name] = copy.deepcopy(doc)

    def _save_password(self, doc: dict[str, Any]) -> None:
        """`_save_passwords` (point 11): empty deletes, the mask keeps, anything else is stored and masked."""
        key, value = (ACCOUNT, doc["name"], "password"), doc.get("password")
        if not value:
            self._auth.pop(key, None)
            doc["password"] = None
        elif not _is_dummy(value):
            self._auth[key] = str(value)
            doc["password"] = "*" * len(str(value))

    def _on_update_account(self, doc: dict[str, Any], user: str, log: MessageLog) -> None:
        """on_update() (point 5): automatic linking checks, then one default per direction."""
        if doc.get("enable_automatic_linking"):
            if not doc.get("enable_incoming"):
                log.throw("Automatic Linking can be activated only if Incoming is enabled.")
            if any(o.get("enable_automatic_linking") and o["name"] != doc["name"] for o in self._docs[ACCOUNT].values()):
                log.throw("Automatic Linking can be activated only for one Email Account.")
        for flag in ("default_incoming", "default_outgoing"):
            if not doc.get(flag):
                continue
            for other in [o for o in self._docs[ACCOUNT].values() if o.get(flag) and o["name"] != doc["name"]]:
                # The other account is saved in full: its validate() logs in again.
                changed = copy.deepcopy(other)
                changed[flag] = 0
                self._save(ACCOUNT, changed, other, user, log)

    def _on_update_domain(self, domain: dict[str, Any], user: str, log: MessageLog) -> None:
        """EmailDomain.on_update (point 7): push the server fields into every linked account and save it."""
        for account in [a for a in self._docs[ACCOUNT].values() if a.get("domain") == domain["name"]]:
            changed = copy.deepcopy(account)
            for f in EMAIL_DOMAIN_FIELDS:
                changed[f] = domain.get(f, 0)
            try:
                self._save(ACCOUNT, changed, account, user, log)
            except Exception:
                log.msgprint(f"Error has occurred in {account['name']}")
                raise


def _validate_email(address: Any, log: MessageLog) -> None:
    if address and not _EMAIL.match(str(address).strip()):
        log.throw(f"{address} is not a valid Email Address", InvalidEmailAddressError)


def _comma_or(items: Sequence[str]) -> str:
    quoted = [f"'{item}'" for item in items]
    return " or ".join([", ".join(quoted[:-1]), quoted[-1]]) if len(quoted) > 1 else "".join(quoted)


def _no_nulls(doc: Mapping[str, Any]) -> dict[str, Any]:
    """`as_dict(no_nulls=True)`, how a single document is sent: unset fields are absent."""
    return {k: ([_no_nulls(r) for r in v] if isinstance(v, list) else v) for k, v in doc.items() if v is not None}
