"""Semantic rules, one module each (as yamllint's): an ID, a severity, a docstring with a
passing and a failing example, and `check(manifest)` yielding located problems.

Rules run on a manifest that passed the schema, so they may trust types and shapes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from mailconf.diagnostics import Severity
from mailconf.model import Manifest
from mailconf.yamlsource import Path_


@dataclass(frozen=True)
class Problem:
    """What a rule found, at a key path of the manifest; `severity` overrides the rule's default."""

    path: Path_
    message: str
    severity: Severity | None = None
    key: bool = False


class Rule(Protocol):
    """What a rule module provides (modules satisfy it structurally)."""

    ID: str
    SEVERITY: Severity

    def check(self, manifest: Manifest) -> Iterator[Problem]: ...


def all_rules() -> list[Rule]:
    """Every rule module, in reporting order."""
    from mailconf.rules import (
        account_no_server,
        default_accounts,
        document_type,
        duplicate_address,
        endpoints,
        literal_secret,
        mailbox_conflict,
        plaintext_password,
        port_protocol,
        plain_http,
        port_security,
        primary_sender,
        references,
        secret_reference,
        spf_domain_unused,
        spf_lookup_limit,
        spf_ptr,
        spf_sender_unauthorised,
        spf_syntax,
        target_kinds,
        target_settings,
        username_differs,
        whitespace,
    )

    return [
        whitespace,
        literal_secret,
        secret_reference,
        endpoints,
        account_no_server,
        port_security,
        port_protocol,
        plaintext_password,
        username_differs,
        duplicate_address,
        primary_sender,
        default_accounts,
        references,
        document_type,
        mailbox_conflict,
        target_settings,
        target_kinds,
        plain_http,
        spf_syntax,
        spf_ptr,
        spf_lookup_limit,
        spf_sender_unauthorised,
        spf_domain_unused,
    ]


def run(manifest: Manifest) -> Iterator[tuple[Rule, Problem]]:
    """Every problem of every rule, tagged with its rule."""
    for rule in all_rules():
        for problem in rule.check(manifest):
            yield rule, problem
