"""Every server an account uses must be complete: a host, and a port or a security.

A preset fills them; otherwise the manifest must. An unknown preset is reported here too.

Passing::

    accounts:
      sales: {address: sales@acme.example, preset: microsoft365}

Failing::

    accounts:
      sales: {address: sales@acme.example, outgoing: {port: 587}}
"""

from __future__ import annotations

from collections.abc import Iterator

from mailconf import endpoints
from mailconf.diagnostics import Severity
from mailconf.model import Manifest
from mailconf.presets import UnknownPresetError
from mailconf.rules import Problem

ID = "endpoint"
SEVERITY = Severity.ERROR


def check(manifest: Manifest) -> Iterator[Problem]:
    for name, account in manifest.accounts.items():
        base = ("accounts", name)
        try:
            endpoints.smtp(account)
        except UnknownPresetError as exc:
            yield Problem((*base, "preset"), str(exc))
            continue
        except endpoints.IncompleteEndpoint as exc:
            yield Problem((*base, "outgoing"), f"outgoing server: {exc}")
        try:
            endpoints.incoming(account)
        except endpoints.IncompleteEndpoint as exc:
            yield Problem((*base, "incoming"), f"incoming server: {exc}")
