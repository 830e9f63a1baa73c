"""A target setting that is a plain `http://` address of another machine: its credential would
cross the network unencrypted (REST drivers send their API key with every request).

A warning, not an error: a trusted network or a TLS-terminating tunnel may make it acceptable.
Loopback (127.0.0.0/8, ::1, localhost) is fine. The same warning is printed when a plan starts.

Passing::

    targets: {dns: {driver: powerdns, settings: {url: "https://pdns.acme.example", ...}}}

Failing (a warning)::

    targets: {dns: {driver: powerdns, settings: {url: "http://pdns.acme.example:8081", ...}}}
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from mailconf.diagnostics import Severity
from mailconf.http import plain_http_warning
from mailconf.model import Manifest
from mailconf.rules import Problem
from mailconf.yamlsource import Path_

ID = "plain-http"
SEVERITY = Severity.WARNING


def check(manifest: Manifest) -> Iterator[Problem]:
    for name, target in manifest.targets.items():
        for path, value in _strings(("targets", name, "settings"), target.settings):
            if value.lower().startswith("http://") and (warning := plain_http_warning(value)) is not None:
                yield Problem(path, f"{target.driver} setting {path[-1]}: {warning}")


def _strings(path: Path_, value: Any) -> Iterator[tuple[Path_, str]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _strings((*path, key), item)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings((*path, index), item)
    elif isinstance(value, str):
        yield path, value.strip()
