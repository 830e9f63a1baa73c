"""Every server an account uses must be complete: a host, and a port or a security.

A preset fills them; otherwise the manifest must. A port with no standard security (2525,
8025, ...) needs `security:`: a guess fails the handshake. An unknown preset is reported here too.

Passing::

    accounts:
      sales: {address: sales@acme.example, preset: microsoft365}

Failing::

    accounts:
      sales: {address: sales@acme.example, outgoing: {port: 587}}
      relay: {address: relay@acme.example, outgoing: {host: smtp.relay.example, port: 2525}}
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
        for block, endpoint in (("outgoing", endpoints.smtp), ("incoming", endpoints.incoming)):
            try:
                endpoint(account)
            except endpoints.UnknownPortSecurity as exc:
                if endpoints.port_owner(exc.port) in (None, exc.protocol):  # another protocol's port: port-protocol reports it
                    yield Problem((*base, block, "port"), f"{block} server: {exc}")
            except endpoints.EndpointError as exc:
                yield Problem((*base, block), f"{block} server: {exc}")
