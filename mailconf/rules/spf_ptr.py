"""The `ptr` mechanism: slow, unreliable and deprecated (RFC 7208 5.5 says SHOULD NOT be used).

Passing::

    spf: {acme.example: {mechanisms: [ip4:192.0.2.10]}}

Failing (a warning)::

    spf: {acme.example: {mechanisms: [ptr:acme.example]}}
"""

from __future__ import annotations

from collections.abc import Iterator

from mailconf.diagnostics import Severity
from mailconf.model import Manifest
from mailconf.rules import Problem

ID = "spf-ptr"
SEVERITY = Severity.WARNING


def check(manifest: Manifest) -> Iterator[Problem]:
    for domain, spf in manifest.spf.items():
        for index, text in enumerate(spf.mechanisms):
            if text.strip().lstrip("+-~?").lower().split(":")[0].split("/")[0] == "ptr":
                yield Problem(("spf", domain, "mechanisms", index), f"{text!r}: ptr is deprecated (RFC 7208 5.5) and many receivers ignore it: list the sending hosts with ip4/ip6 or a instead")
