"""From a validated manifest to the desired resources, in the exact shape drivers read back.

Each kind derives its own resources (`mailconf.kinds`); what is left here is what no kind owns.
Secrets are resolved all at once, before any target is read (`resolve_secrets`), so one run
reports every missing or unusable secret with its location.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from mailconf.diagnostics import Severity
from mailconf.driver import Resource
from mailconf.errors import SecretError
from mailconf.kinds import KINDS, order
from mailconf.kinds.base import Secrets
from mailconf.model import Manifest
from mailconf.secrets import Secret, resolve_all
from mailconf.yamlsource import Path_

if TYPE_CHECKING:
    from mailconf.sources import ManifestSource
    from mailconf.validate import Report


class SecretsInvalid(SecretError):
    """Secrets of the manifest that cannot be used; `report` locates each (printed before the message)."""

    def __init__(self, report: Report) -> None:
        super().__init__(
            f"{report.count(Severity.ERROR)} secret(s) cannot be used (see above); nothing was read or changed. "
            "`mailconf validate --check-secrets` checks them without reading any target"
        )
        self.report = report


def resolve_secrets(source: ManifestSource, manifest: Manifest) -> dict[Path_, Secret]:
    """Every secret of the manifest (account passwords and target settings), through the same code
    as `validate --check-secrets`; SecretsInvalid with a diagnostic per unusable one."""
    from mailconf.validate import Report, Validated

    resolution = resolve_all(source, manifest)
    if resolution.diagnostics:
        raise SecretsInvalid(Report([Validated(source, manifest, resolution.diagnostics)]))
    return resolution.secrets


def desired_resources(manifest: Manifest, secrets: Secrets, kinds: frozenset[str]) -> Iterator[Resource]:
    """Every resource of these kinds the manifest declares, with the secrets `resolve_secrets` gave.
    A generator: the plan compares each with its live twin and keeps only the changed ones."""
    for kind in order():
        if kind in kinds:
            yield from KINDS[kind].desired(manifest, secrets)
