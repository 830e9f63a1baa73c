"""The manifest language as pydantic models: the single source of the JSON Schemas in schemas/.

Fields keep exactly what a user wrote; derived values (preset endpoints, default ports)
are computed in `mailconf.endpoints`, so diagnostics always point at what is in the file.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

MANIFEST_VERSION = 1

# Surrounding whitespace is allowed by these patterns on purpose: the `whitespace` rule
# reports it with a precise message instead of a generic pattern mismatch.
EMAIL_PATTERN = r"^\s*[^@\s]+@[^@\s]+\.[^@\s]+\s*$"
# RFC 1123 host names: labels of 1-63 letters, digits and inner hyphens (no `_`, no empty label).
HOST_PATTERN = r"^\s*[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?\s*$"
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.@-]*$"
SECRET_REF_PATTERN = r"^\$\{(env|file):[^}]+\}$"
DOMAIN_PATTERN = r"^([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z0-9-]{2,63}\.?$"


def domain_key(name: str) -> str:
    """The identity of a DNS name: case does not matter, nor does the trailing dot of `acme.example.`."""
    return name.strip().rstrip(".").lower()


def address_key(address: str) -> str:
    """The identity of an address: mail systems match the mailbox case-insensitively, and its domain is a DNS name."""
    return domain_key(address)  # the same folding: case, and a trailing dot (which only a domain can end in)


Email = Annotated[str, Field(pattern=EMAIL_PATTERN, max_length=320, examples=["invoices@acme.example"])]
Host = Annotated[str, Field(pattern=HOST_PATTERN, max_length=253, examples=["smtp.office365.com"])]
Port = Annotated[int, Field(ge=1, le=65535)]
Name = Annotated[str, Field(pattern=NAME_PATTERN, max_length=128)]
SecretRef = Annotated[
    str,
    Field(
        description="A secret by reference, never literal: ${env:NAME} or ${file:PATH}",
        json_schema_extra={"pattern": SECRET_REF_PATTERN},
        examples=["${env:SMTP_PASSWORD}"],
    ),
]
Security = Literal["tls", "starttls", "none"]
Kind = Literal["account", "primary_sender", "project", "employee", "team_inbox", "spf"]
DOCUMENT_TYPES = ("invoice", "order_confirmation", "delivery_note", "tracking", "reminder", "quote", "credit_note", "dunning")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Resource(_Strict):
    protect: bool = Field(False, description="Refuse to delete this resource from any target")


class Outgoing(_Strict):
    """SMTP submission; host, port and security may come from the account's preset."""

    host: Host | None = None
    port: Port | None = None
    security: Security | None = Field(None, description="tls = implicit TLS (465), starttls (587), none (25)")
    auth: bool = Field(True, description="Log in with the account's username and password")


class Incoming(_Strict):
    """IMAP or POP3 retrieval; host, port and security may come from the account's preset."""

    protocol: Literal["imap", "pop3"] = "imap"
    host: Host | None = None
    port: Port | None = None
    security: Security | None = Field(None, description="tls = implicit TLS (993/995), starttls (143/110)")
    folder: str = Field("INBOX", min_length=1, max_length=255)


class NotifyIfUnreplied(_Strict):
    """Remind `recipient` when a received mail has had no reply for `minutes`."""

    minutes: int = Field(ge=1, le=525600)
    recipient: Email


class Account(_Resource):
    """A mailbox the business applications send from and/or receive into."""

    address: Email
    display_name: str | None = Field(None, max_length=255)
    username: str | None = Field(None, max_length=320, description="Defaults to the address")
    password: SecretRef | None = None
    preset: str | None = Field(None, description="A known service that fills host, port and security (see `mailconf presets`)")
    outgoing: Outgoing | None = None
    incoming: Incoming | None = None
    signature: str | None = Field(None, max_length=10000)
    salutation: str | None = Field(None, max_length=255)
    reply_to: Email | None = None
    notify_if_unreplied: NotifyIfUnreplied | None = None
    default_outgoing: bool = Field(False, description="The account a target sends from when nothing else is said")
    default_incoming: bool = Field(False, description="The account a target receives into when nothing else is said")


DocumentType = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]


class Project(_Resource):
    """Per-project alternative senders, by document type (invoice, tracking, ...)."""

    senders: dict[DocumentType, Name] = Field(
        default_factory=dict,
        description=f"Document type -> account key. Known types: {', '.join(DOCUMENT_TYPES)}; declare others in document_types.",
    )


class Employee(_Resource):
    """A person and the account that is their personal mailbox."""

    name: str = Field(min_length=1, max_length=255)
    mailbox: Name | None = None


class TeamInbox(_Resource):
    """A shared inbox (e.g. HubSpot Conversations) connected to one account."""

    account: Name
    members: list[Name] = Field(default_factory=list, description="Employee ids")
    sender_name: str | None = Field(None, max_length=255)


def _not_null_term(value: object) -> object:
    """YAML reads an unquoted `~` (or an empty item) as null: say that, not "should be a valid string"."""
    if value is None:
        raise PydanticCustomError(
            "spf_term_null",
            "empty, or ~ which YAML reads as null: quote a qualified term (\"~include:example.com\"); the final qualifier goes in all: (softfail)",
        )
    return value


class Spf(_Resource):
    """The SPF mechanisms this manifest owns for one domain."""

    mechanisms: list[Annotated[str, BeforeValidator(_not_null_term), Field(min_length=1, max_length=255)]] = Field(
        default_factory=list, examples=[["include:spf.protection.outlook.com", "include:my.billit.be"]]
    )
    all: Literal["pass", "fail", "softfail", "neutral", "+", "-", "~", "?"] | None = Field(
        None, description="The qualifier of the final `all`; in merge mode, unset keeps the live one"
    )
    mode: Literal["merge", "exact"] = Field("merge", description="merge keeps foreign mechanisms; exact replaces the record")
    flatten: bool = Field(False, description="Resolve includes to ip4/ip6 when the record would exceed 10 look-ups")


class Target(_Strict):
    """An instance of a provider driver."""

    driver: Name
    settings: dict[str, Any] = Field(default_factory=dict, description="Checked by the driver's own settings model")
    kinds: list[Kind] | None = Field(None, description="Narrow the kinds this target manages (default: all the driver supports)")
    prune: bool = Field(False, description="Delete live resources that no manifest declares")
    update_threshold: float = Field(30.0, ge=0, le=100, description="Percent of resources a plan may change without --force")
    delete_threshold: float = Field(30.0, ge=0, le=100, description="Percent of resources a plan may delete without --force")


class Manifest(_Strict):
    """A whole manifest: one file, or every file of a directory merged."""

    version: Literal[1] = Field(description="Manifest language version")
    targets: dict[Name, Target] = Field(default_factory=dict)
    accounts: dict[Name, Account] = Field(default_factory=dict)
    primary_sender: Name | None = Field(None, description="The account that sends documents needing no reply")
    document_types: list[DocumentType] = Field(
        default_factory=list,
        description=f"Document types the projects may use besides the known ones ({', '.join(DOCUMENT_TYPES)})",
        examples=[["customs_declaration"]],
    )
    projects: dict[Name, Project] = Field(default_factory=dict)
    employees: dict[Name, Employee] = Field(default_factory=dict)
    team_inboxes: dict[Name, TeamInbox] = Field(default_factory=dict)
    spf: dict[Annotated[str, Field(pattern=DOMAIN_PATTERN, max_length=253)], Spf] = Field(default_factory=dict)


# Top-level sections whose entries are resources merged across files, keyed by name.
RESOURCE_SECTIONS: tuple[str, ...] = ("targets", "accounts", "projects", "employees", "team_inboxes", "spf")
# Top-level settings that only one file of a directory manifest may set.
SINGLETONS: tuple[str, ...] = ("primary_sender", "document_types")
