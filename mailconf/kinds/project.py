"""Kind `project`: per-project alternative senders, by document type."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TypedDict

from mailconf.driver import Resource
from mailconf.kinds.base import ImportContext, ManifestData, Secrets
from mailconf.model import Manifest

DEPENDS_ON: tuple[str, ...] = ("account",)


class ProjectFields(TypedDict):
    senders: dict[str, str]  #: document type (invoice, tracking, ...) -> the key of the account that sends it


def desired(manifest: Manifest, secrets: Secrets) -> Iterator[Resource]:
    for key, project in manifest.projects.items():
        yield Resource("project", key, {"senders": dict(project.senders)}, project.protect)


def to_manifest(manifest: ManifestData, resource: Resource, context: ImportContext) -> None:
    manifest.setdefault("projects", {})[resource.key] = {"senders": resource.fields["senders"]}
