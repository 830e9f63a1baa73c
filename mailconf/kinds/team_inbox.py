"""Kind `team_inbox`: a shared inbox (e.g. HubSpot Conversations) connected to one account."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TypedDict

from mailconf.driver import Resource
from mailconf.kinds.base import ImportContext, ManifestData, Secrets
from mailconf.model import Manifest

DEPENDS_ON: tuple[str, ...] = ("account", "employee")
#: Who is a member matters, not in which order an API lists them.
UNORDERED = frozenset({"members"})


class TeamInboxFields(TypedDict):
    account: str  #: the key of the account the inbox receives into and sends from
    members: list[str]  #: the keys of the employees who work in it
    sender_name: str | None  #: the name replies are sent under


def desired(manifest: Manifest, secrets: Secrets) -> Iterator[Resource]:
    for key, inbox in manifest.team_inboxes.items():
        yield Resource("team_inbox", key, {"account": inbox.account, "members": list(inbox.members), "sender_name": inbox.sender_name}, inbox.protect)


def to_manifest(manifest: ManifestData, resource: Resource, context: ImportContext) -> None:
    manifest.setdefault("team_inboxes", {})[resource.key] = {k: v for k, v in resource.fields.items() if v is not None}
