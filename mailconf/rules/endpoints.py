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
from mailconf.presets import UnknownPresetError, get_preset
from mailconf.rules import Problem

ID = "endpoint"
SEVERITY = Severity.ERROR


def check(manifest: Manifest) -> Iterator[Problem]:
    for name, account in manifest.accounts.items():
        base = ("accounts", name)
        if account.preset is not None:
            try:  # looked up first: endpoints only consult the preset for fields the account leaves out
                get_preset(account.preset)
            except UnknownPresetError as exc:
                yield Problem((*base, "preset"), str(exc))
                continue
        try:
            endpoints.smtp(account)
        except endpoints.IncompleteEndpoint as exc:
            yield Problem((*base, "outgoing"), f"outgoing server: {exc}")
        try:
            endpoints.incoming(account)
        except endpoints.IncompleteEndpoint as exc:
            yield Problem((*base, "incoming"), f"incoming server: {exc}")
