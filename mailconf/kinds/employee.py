"""Kind `employee`: a person and the account that is their personal mailbox."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TypedDict

from mailconf.driver import Resource
from mailconf.kinds.base import ImportContext, ManifestData, Secrets
from mailconf.model import Manifest

DEPENDS_ON: tuple[str, ...] = ("account",)


class EmployeeFields(TypedDict):
    name: str  #: the person's full name
    mailbox: str | None  #: the key of their personal account, if they have one


def desired(manifest: Manifest, secrets: Secrets) -> Iterator[Resource]:
    for key, employee in manifest.employees.items():
        yield Resource("employee", key, {"name": employee.name, "mailbox": employee.mailbox}, employee.protect)


def to_manifest(manifest: ManifestData, resource: Resource, context: ImportContext) -> None:
    manifest.setdefault("employees", {})[resource.key] = {k: v for k, v in resource.fields.items() if v is not None}
