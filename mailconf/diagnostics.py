"""The diagnostic: one located problem with a stable code, as every output format prints it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from mailconf.yamlsource import Path_


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Diagnostic:
    """A problem at file:line:column; `path` is the key path inside the manifest value."""

    code: str
    severity: Severity
    message: str
    file: str
    line: int
    column: int
    path: Path_

    @property
    def dotted_path(self) -> str:
        """`accounts.invoices.outgoing.port`, with keys holding dots quoted: `spf."acme.example"`."""
        parts = []
        for part in self.path:
            if isinstance(part, int):
                parts.append(f"[{part}]")
            else:
                text = f'"{part}"' if "." in part or " " in part else part
                parts.append(("." if parts else "") + text)
        return "".join(parts)
