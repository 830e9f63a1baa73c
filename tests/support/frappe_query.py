"""The list query of the fake: `filters` and their operators, compared the way MariaDB compares
(text case-insensitively, numbers by value), and the database error an unknown column raises.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from typing import Any

from .frappe_errors import MessageLog


class OperationalError(Exception):
    """What MariaDB raises for an unknown column (pymysql.err.OperationalError): an unhandled 500."""

    __module__ = "pymysql.err"


def same(a: Any, b: Any) -> bool:
    """MariaDB equality: case-insensitive text, numbers by value."""
    if isinstance(a, str) and isinstance(b, str):
        return a.casefold() == b.casefold()
    if a is None or b is None:
        return a is b
    return str(a).casefold() == str(b).casefold()


_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "=": same,
    "!=": lambda a, b: not same(a, b),
    "like": lambda a, b: _like(a, b),
    "not like": lambda a, b: not _like(a, b),
    "in": lambda a, b: any(same(a, x) for x in _values(b)),
    "not in": lambda a, b: not any(same(a, x) for x in _values(b)),
    "is": lambda a, b: (a not in (None, "")) == (str(b).lower() == "set"),
    ">": lambda a, b: _order(a, b) > 0,
    "<": lambda a, b: _order(a, b) < 0,
    ">=": lambda a, b: _order(a, b) >= 0,
    "<=": lambda a, b: _order(a, b) <= 0,
}


def _values(value: Any) -> list[Any]:
    return [v.strip() for v in value.split(",")] if isinstance(value, str) else list(value)


def _like(value: Any, pattern: Any) -> bool:
    regex = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in str(pattern))
    return value is not None and re.fullmatch(regex, str(value), re.IGNORECASE | re.DOTALL) is not None


def _order(a: Any, b: Any) -> int:
    try:
        x, y = float(a), float(b)
    except (TypeError, ValueError):
        x, y = str(a or "").casefold(), str(b or "").casefold()
    return (x > y) - (x < y)


def conditions(filters: str | None, columns: Sequence[str], log: MessageLog) -> list[tuple[str, str, Any]]:
    """`filters`: a JSON list of [field, op, value] or [doctype, field, op, value], or a dict."""
    parsed = json.loads(filters) if filters else []
    if isinstance(parsed, dict):
        parsed = [[f, *(v if isinstance(v, list) else ["=", v])] for f, v in parsed.items()]
    conditions = [(c[-3], str(c[-2]).lower(), c[-1]) for c in parsed]
    for f, op, _ in conditions:
        if f not in columns:
            raise OperationalError(f"(1054, \"Unknown column '{f}' in 'where clause'\")")
        if op not in _OPERATORS:
            log.throw(f"Operator must be one of {', '.join(_OPERATORS)}")
    return conditions


def where(rows: Sequence[dict[str, Any]], filters: str | None, columns: Sequence[str],
          log: MessageLog) -> list[dict[str, Any]]:
    """The rows that meet every condition; the conditions are checked even when there is no row."""
    checks = conditions(filters, columns, log)
    return [row for row in rows if all(_OPERATORS[op](row.get(f), value) for f, op, value in checks)]
