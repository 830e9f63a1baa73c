"""The embedded default target: a business application's mail settings kept in a SQLite file.

It behaves like the systems it stands in for (ERPNext's Email Account, Xentral's project
senders), so a newcomer can plan and apply with no server and tests exercise real rules:
- tables per concept, with foreign keys: a project sender must name an existing account,
  an account still in use cannot be deleted (so apply order matters, as in a real ERP);
- passwords are stored in a separate table and never returned on read (write-only, as
  Frappe keeps them in `__Auth` and masks them in its API); an account without a stored
  password reads `password: None`, so the plan sets it again;
- each `apply` batch is one transaction, each change a savepoint: a failed change is
  rolled back alone and reported, the others commit;
- an update or delete is compare-and-set: inside the batch's write transaction (which no
  other writer can interleave), the resource must still hold the values the change was
  planned against (`Change.live`), or the change fails instead of overwriting a concurrent
  edit; a delete of a resource already gone succeeds;
- the file and its -wal/-shm are created 0600: they hold passwords in the clear.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import Any

from mailconf.driver import Action, Change, ChangeResult, Driver, DriverSettings, Fields, Resource
from mailconf.errors import DriverError
from mailconf.private import create_private
from mailconf.secrets import Secret

SCHEMA = """
PRAGMA journal_mode = WAL;
CREATE TABLE IF NOT EXISTS email_account (
    name TEXT PRIMARY KEY, email_id TEXT NOT NULL, display_name TEXT, login_id TEXT NOT NULL,
    smtp_server TEXT, smtp_port INTEGER, smtp_security TEXT, use_auth INTEGER,
    incoming_protocol TEXT, incoming_server TEXT, incoming_port INTEGER, incoming_security TEXT, incoming_folder TEXT,
    signature TEXT, salutation TEXT, reply_to TEXT, notify_minutes INTEGER, notify_recipient TEXT,
    default_outgoing INTEGER NOT NULL, default_incoming INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS account_password (
    name TEXT PRIMARY KEY REFERENCES email_account(name) ON DELETE CASCADE, password TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS primary_sender (name TEXT PRIMARY KEY, account TEXT NOT NULL REFERENCES email_account(name));
CREATE TABLE IF NOT EXISTS project (name TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS project_sender (
    project TEXT NOT NULL REFERENCES project(name) ON DELETE CASCADE, document_type TEXT NOT NULL,
    account TEXT NOT NULL REFERENCES email_account(name), PRIMARY KEY (project, document_type));
CREATE TABLE IF NOT EXISTS employee (id TEXT PRIMARY KEY, name TEXT NOT NULL, mailbox TEXT REFERENCES email_account(name));
CREATE TABLE IF NOT EXISTS team_inbox (
    name TEXT PRIMARY KEY, account TEXT NOT NULL REFERENCES email_account(name), sender_name TEXT);
CREATE TABLE IF NOT EXISTS team_inbox_member (
    inbox TEXT NOT NULL REFERENCES team_inbox(name) ON DELETE CASCADE, position INTEGER NOT NULL,
    employee TEXT NOT NULL REFERENCES employee(id), PRIMARY KEY (inbox, position));
CREATE TABLE IF NOT EXISTS spf_record (domain TEXT PRIMARY KEY, record TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS spf_chain (
    domain TEXT NOT NULL REFERENCES spf_record(domain) ON DELETE CASCADE, name TEXT NOT NULL, record TEXT NOT NULL,
    PRIMARY KEY (domain, name));
"""

_ACCOUNT_COLUMNS = (
    "name, email_id, display_name, login_id, smtp_server, smtp_port, smtp_security, use_auth, incoming_protocol, "
    "incoming_server, incoming_port, incoming_security, incoming_folder, signature, salutation, reply_to, "
    "notify_minutes, notify_recipient, default_outgoing, default_incoming"
)


class SqliteSettings(DriverSettings):
    """`path`: the SQLite file, relative to the manifest's directory; created on first apply."""

    path: str = "mailconf-live.db"


def _account_row(key: str, f: Fields) -> tuple[Any, ...]:
    out, inc, notify = f["outgoing"] or {}, f["incoming"] or {}, f["notify_if_unreplied"] or {}
    return (
        key, f["address"], f["display_name"], f["username"],
        out.get("host"), out.get("port"), out.get("security"), None if not out else int(out["auth"]),
        inc.get("protocol"), inc.get("host"), inc.get("port"), inc.get("security"), inc.get("folder"),
        f["signature"], f["salutation"], f["reply_to"], notify.get("minutes"), notify.get("recipient"),
        int(f["default_outgoing"]), int(f["default_incoming"]),
    )  # fmt: skip


def _account_fields(row: tuple[Any, ...]) -> Fields:
    (_, address, display_name, username, smtp_host, smtp_port, smtp_security, use_auth, protocol,
     in_host, in_port, in_security, folder, signature, salutation, reply_to, minutes, recipient,
     default_out, default_in) = row  # fmt: skip
    return {
        "address": address,
        "display_name": display_name,
        "username": username,
        "outgoing": None if smtp_host is None else {"host": smtp_host, "port": smtp_port, "security": smtp_security, "auth": bool(use_auth)},
        "incoming": None if protocol is None else {"protocol": protocol, "host": in_host, "port": in_port, "security": in_security, "folder": folder},
        "signature": signature,
        "salutation": salutation,
        "reply_to": reply_to,
        "notify_if_unreplied": None if minutes is None else {"minutes": minutes, "recipient": recipient},
        "default_outgoing": bool(default_out),
        "default_incoming": bool(default_in),
    }


class SqliteDriver(Driver):
    kinds = frozenset({"account", "primary_sender", "project", "employee", "team_inbox", "spf"})
    write_only = {"account": frozenset({"password"})}
    Settings = SqliteSettings
    # each `apply` opens its own connection, and SQLite serialises the writers (BEGIN IMMEDIATE)
    max_concurrency = 4

    @property
    def path(self) -> Path:
        assert isinstance(self.settings, SqliteSettings)
        return self.context.base_dir / self.settings.path

    def _connect(self) -> sqlite3.Connection:
        try:
            create_private(self.path)
            db = sqlite3.connect(self.path, timeout=60, isolation_level=None)
            db.executescript(SCHEMA)
            db.execute("PRAGMA foreign_keys = ON")
        except (OSError, sqlite3.Error) as exc:
            raise DriverError(f"target {self.context.target}: cannot open {self.path}: {exc}") from None
        return db

    # -- read ---------------------------------------------------------------------------

    def read(self, kinds: Collection[str]) -> list[Resource]:
        try:
            if not self.path.exists():
                return []
        except OSError as exc:  # a name too long for the file system, a loop of links
            raise DriverError(f"target {self.context.target}: cannot use {self.settings.path!r}: {exc.strerror or exc}") from None  # type: ignore[attr-defined]
        db = self._connect()
        try:
            found: list[Resource] = []
            for kind in sorted(kinds):
                found.extend(_READERS[kind](db, None))
            return found
        finally:
            db.close()

    # -- apply --------------------------------------------------------------------------

    def apply(self, changes: Sequence[Change]) -> list[ChangeResult]:
        db = self._connect()
        results = []
        try:
            db.execute("BEGIN IMMEDIATE")
            for change in changes:
                db.execute("SAVEPOINT change")
                try:
                    _apply_one(db, change)
                    db.execute("RELEASE change")
                    results.append(ChangeResult(change, True))
                except (sqlite3.IntegrityError, _Conflict) as exc:
                    db.execute("ROLLBACK TO change")
                    db.execute("RELEASE change")
                    results.append(ChangeResult(change, False, _explain(change, exc)))
            db.execute("COMMIT")
        except sqlite3.Error as exc:
            if db.in_transaction:
                db.execute("ROLLBACK")
            return [ChangeResult(c, False, f"{self.path}: {exc}") for c in changes]
        finally:
            db.close()
        return results


class _Conflict(Exception):
    """The target moved since it was read: the change no longer applies."""


def _explain(change: Change, exc: Exception) -> str:
    text = str(exc)
    if isinstance(exc, _Conflict):
        return text
    if "FOREIGN KEY" in text:
        if change.action is Action.DELETE:
            return f"{change.address} is still referenced by another resource: remove or repoint that first"
        return f"{change.address} references something the target does not hold (an account or employee): create it first"
    if "UNIQUE" in text:
        return f"{change.address} already exists on the target: plan again"
    return text


def _only(column: str, key: str | None) -> tuple[str, tuple[str, ...]]:
    """A WHERE clause narrowing a read to one resource, or none to read them all."""
    return (f" WHERE {column} = ?", (key,)) if key is not None else ("", ())


def _read_accounts(db: sqlite3.Connection, key: str | None) -> list[Resource]:
    where, args = _only("name", key)
    no_password = "NOT EXISTS (SELECT 1 FROM account_password p WHERE p.name = email_account.name)"
    rows = db.execute(f"SELECT {_ACCOUNT_COLUMNS}, {no_password} FROM email_account{where}", args)
    return [Resource("account", row[0], _account_fields(row[:-1]) | ({"password": None} if row[-1] else {})) for row in rows]


def _read_primary(db: sqlite3.Connection, key: str | None) -> list[Resource]:
    where, args = _only("name", key)
    return [Resource("primary_sender", name, {"account": account}) for name, account in db.execute(f"SELECT name, account FROM primary_sender{where}", args)]


def _read_projects(db: sqlite3.Connection, key: str | None) -> list[Resource]:
    senders: dict[str, dict[str, str]] = defaultdict(dict)
    where, args = _only("project", key)
    for project, doc_type, account in db.execute(f"SELECT project, document_type, account FROM project_sender{where}", args):
        senders[project][doc_type] = account
    where, args = _only("name", key)
    return [Resource("project", name, {"senders": senders.get(name, {})}) for (name,) in db.execute(f"SELECT name FROM project{where}", args)]


def _read_employees(db: sqlite3.Connection, key: str | None) -> list[Resource]:
    where, args = _only("id", key)
    return [Resource("employee", k, {"name": name, "mailbox": mailbox}) for k, name, mailbox in db.execute(f"SELECT id, name, mailbox FROM employee{where}", args)]


def _read_team_inboxes(db: sqlite3.Connection, key: str | None) -> list[Resource]:
    members: dict[str, list[str]] = defaultdict(list)
    where, args = _only("inbox", key)
    for inbox, employee in db.execute(f"SELECT inbox, employee FROM team_inbox_member{where} ORDER BY inbox, position", args):
        members[inbox].append(employee)
    where, args = _only("name", key)
    return [
        Resource("team_inbox", name, {"account": account, "members": members.get(name, []), "sender_name": sender_name})
        for name, account, sender_name in db.execute(f"SELECT name, account, sender_name FROM team_inbox{where}", args)
    ]


def _read_spf(db: sqlite3.Connection, key: str | None) -> list[Resource]:
    chains: dict[str, dict[str, str]] = defaultdict(dict)
    where, args = _only("domain", key)
    for domain, name, record in db.execute(f"SELECT domain, name, record FROM spf_chain{where}", args):
        chains[domain][name] = record
    return [Resource("spf", domain, {"record": record, "chained": chains.get(domain, {})}) for domain, record in db.execute(f"SELECT domain, record FROM spf_record{where}", args)]


_READERS: dict[str, Callable[[sqlite3.Connection, str | None], list[Resource]]] = {
    "account": _read_accounts,
    "primary_sender": _read_primary,
    "project": _read_projects,
    "employee": _read_employees,
    "team_inbox": _read_team_inboxes,
    "spf": _read_spf,
}

# Per kind: the table holding the resource, its key column, and how to write its fields.
_TABLES = {
    "account": ("email_account", "name"),
    "primary_sender": ("primary_sender", "name"),
    "project": ("project", "name"),
    "employee": ("employee", "id"),
    "team_inbox": ("team_inbox", "name"),
    "spf": ("spf_record", "domain"),
}


def _apply_one(db: sqlite3.Connection, change: Change) -> None:
    table, key_column = _TABLES[change.kind]
    if change.action is not Action.CREATE:
        now = _READERS[change.kind](db, change.key)
        if not now:
            if change.action is Action.DELETE:
                return  # already gone: what the delete wanted
            raise _Conflict(f"{change.address} disappeared from the target since the plan: plan again")
        if change.live is not None and now[0].fields != change.live.fields:
            raise _Conflict(f"{change.address} was changed on the target since the plan: plan again")
    if change.action is Action.DELETE:
        db.execute(f"DELETE FROM {table} WHERE {key_column} = ?", (change.key,))
        return
    assert change.desired is not None
    verb = "INSERT" if change.action is Action.CREATE else "REPLACE"
    _WRITERS[change.kind](db, verb, change.key, change.desired.fields)


def _write_account(db: sqlite3.Connection, verb: str, key: str, fields: Fields) -> None:
    if verb == "INSERT":
        db.execute(f"INSERT INTO email_account ({_ACCOUNT_COLUMNS}) VALUES ({', '.join('?' * 20)})", _account_row(key, fields))
    else:
        assignments = ", ".join(f"{column.strip()} = ?" for column in _ACCOUNT_COLUMNS.split(",")[1:])
        db.execute(f"UPDATE email_account SET {assignments} WHERE name = ?", (*_account_row(key, fields)[1:], key))
    password = fields.get("password")
    if isinstance(password, Secret):
        db.execute("INSERT OR REPLACE INTO account_password VALUES (?, ?)", (key, password.reveal()))
    else:
        db.execute("DELETE FROM account_password WHERE name = ?", (key,))


def _write_primary(db: sqlite3.Connection, verb: str, key: str, fields: Fields) -> None:
    if verb == "INSERT":
        db.execute("INSERT INTO primary_sender VALUES (?, ?)", (key, fields["account"]))
    else:
        db.execute("UPDATE primary_sender SET account = ? WHERE name = ?", (fields["account"], key))


def _write_project(db: sqlite3.Connection, verb: str, key: str, fields: Fields) -> None:
    if verb == "INSERT":
        db.execute("INSERT INTO project VALUES (?)", (key,))
    db.execute("DELETE FROM project_sender WHERE project = ?", (key,))
    db.executemany("INSERT INTO project_sender VALUES (?, ?, ?)", [(key, t, a) for t, a in fields["senders"].items()])


def _write_employee(db: sqlite3.Connection, verb: str, key: str, fields: Fields) -> None:
    if verb == "INSERT":
        db.execute("INSERT INTO employee VALUES (?, ?, ?)", (key, fields["name"], fields["mailbox"]))
    else:
        db.execute("UPDATE employee SET name = ?, mailbox = ? WHERE id = ?", (fields["name"], fields["mailbox"], key))


def _write_team_inbox(db: sqlite3.Connection, verb: str, key: str, fields: Fields) -> None:
    if verb == "INSERT":
        db.execute("INSERT INTO team_inbox VALUES (?, ?, ?)", (key, fields["account"], fields["sender_name"]))
    else:
        db.execute("UPDATE team_inbox SET account = ?, sender_name = ? WHERE name = ?", (fields["account"], fields["sender_name"], key))
    db.execute("DELETE FROM team_inbox_member WHERE inbox = ?", (key,))
    db.executemany("INSERT INTO team_inbox_member VALUES (?, ?, ?)", [(key, i, m) for i, m in enumerate(fields["members"])])


def _write_spf(db: sqlite3.Connection, verb: str, key: str, fields: Fields) -> None:
    if verb == "INSERT":
        db.execute("INSERT INTO spf_record VALUES (?, ?)", (key, fields["record"]))
    else:
        db.execute("UPDATE spf_record SET record = ? WHERE domain = ?", (fields["record"], key))
    db.execute("DELETE FROM spf_chain WHERE domain = ?", (key,))
    db.executemany("INSERT INTO spf_chain VALUES (?, ?, ?)", [(key, n, r) for n, r in fields["chained"].items()])


_WRITERS: dict[str, Callable[[sqlite3.Connection, str, str, Fields], None]] = {
    "account": _write_account,
    "primary_sender": _write_primary,
    "project": _write_project,
    "employee": _write_employee,
    "team_inbox": _write_team_inbox,
    "spf": _write_spf,
}
