"""A project sender for a document type nobody knows: most often a typo such as `invocie`.

The business application never asks for an unknown type, so such a sender is silently never
used and the documents go out from the primary sender. A type of your own is declared in
the top-level `document_types:` list.

Passing::

    document_types: [customs_declaration]
    projects: {shop: {senders: {invoice: billing, customs_declaration: shipping}}}

Failing (a warning)::

    projects: {shop: {senders: {invocie: billing}}}
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator

from mailconf.diagnostics import Severity
from mailconf.model import DOCUMENT_TYPES, Manifest
from mailconf.rules import Problem

ID = "document-type"
SEVERITY = Severity.WARNING


def check(manifest: Manifest) -> Iterator[Problem]:
    known = [*DOCUMENT_TYPES, *manifest.document_types]
    allowed = frozenset(known)
    for name, project in manifest.projects.items():
        for doc_type in project.senders:
            if doc_type not in allowed:
                close = difflib.get_close_matches(doc_type, known, n=1, cutoff=0.7)
                hint = f"did you mean {close[0]!r}? If not, " if close else ""
                yield Problem(
                    ("projects", name, "senders", doc_type),
                    f"unknown document type {doc_type!r}, so this sender is never used: {hint}"
                    f"declare it in the top-level document_types: list (known: {', '.join(known)})",
                    key=True,
                )
