"""Kind `primary_sender`: the one account that sends documents needing no reply (a singleton)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TypedDict

from mailconf.driver import Resource
from mailconf.kinds.base import ImportContext, ManifestData, Secrets
from mailconf.model import Manifest

DEPENDS_ON: tuple[str, ...] = ("account",)
#: The key of the only resource of this kind.
PRIMARY_KEY = "primary"


class PrimarySenderFields(TypedDict):
    account: str  #: the key of the account that sends


def desired(manifest: Manifest, secrets: Secrets) -> Iterator[Resource]:
    if manifest.primary_sender is not None:
        yield Resource("primary_sender", PRIMARY_KEY, {"account": manifest.primary_sender})


def to_manifest(manifest: ManifestData, resource: Resource, context: ImportContext) -> None:
    if resource.key == PRIMARY_KEY:
        manifest["primary_sender"] = resource.fields["account"]
