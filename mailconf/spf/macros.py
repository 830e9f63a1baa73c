"""RFC 7208 section 7 macros: tokenising macro-strings, then expanding them.

The two steps are apart because a record is syntax-checked as a whole before any term is
evaluated (section 4.6), while expansion needs the data of one SMTP connection.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv6Address
from urllib.parse import quote

from mailconf.spf.errors import SpfSyntaxError

#: Letters valid in every domain-spec (7.2).
DOMAIN_LETTERS = frozenset("slodiphv")
#: Letters valid only in explanation text fetched through exp= (7.2).
EXPLANATION_ONLY_LETTERS = frozenset("crt")
#: Maximum length of a name sent to DNS; longer expansions lose labels on the left (7.3).
MAX_NAME_LENGTH = 253

_EXPAND = re.compile(r"%\{([A-Za-z])([0-9]*)([rR]?)([.\-+,/_=]*)\}", re.ASCII)
_ESCAPES = {"%": "%", "_": " ", "-": "%20"}


@dataclass(frozen=True)
class Literal:
    """Text copied as is. `escaped` marks %%, %_ and %-, which end a domain-spec like a macro does."""

    text: str
    escaped: bool = False


@dataclass(frozen=True)
class Macro:
    """One %{...}: letter, keep the rightmost `keep` parts, reversal, split delimiters, URL escaping."""

    letter: str
    url_escape: bool
    keep: int | None
    reverse: bool
    delimiters: str


Token = Literal | Macro


def has_macros(tokens: tuple[Token, ...] | None) -> bool:
    """True if the text depends on the connection (a %{...}, not just %%, %_ or %-)."""
    return tokens is not None and any(isinstance(token, Macro) for token in tokens)


def tokenize(text: str, *, explanation: bool = False) -> tuple[Token, ...]:
    """Split a macro-string into tokens, or raise `SpfSyntaxError`.

    `explanation=True` reads an explain-string (6.2): spaces are literal and c, r, t are allowed.
    """
    tokens: list[Token] = []
    literal: list[str] = []

    def flush() -> None:
        if literal:
            tokens.append(Literal("".join(literal)))
            literal.clear()

    pos = 0
    while pos < len(text):
        char = text[pos]
        if char != "%":
            if not ("!" <= char <= "~" or (explanation and char == " ")):
                raise SpfSyntaxError(f"character {char!r} is not allowed in {text!r}")
            literal.append(char)
            pos += 1
            continue
        flush()
        escape = _ESCAPES.get(text[pos + 1 : pos + 2])
        if escape is not None:
            tokens.append(Literal(escape, escaped=True))
            pos += 2
            continue
        match = _EXPAND.match(text, pos)
        if match is None:
            raise SpfSyntaxError(f"'%' must start %{{...}}, %%, %_ or %- in {text!r}")
        tokens.append(_macro(match, text, explanation))
        pos = match.end()
    flush()
    return tuple(tokens)


def _macro(match: re.Match[str], text: str, explanation: bool) -> Macro:
    letter, digits, reverse, delimiters = match.groups()
    lower = letter.lower()
    if lower in EXPLANATION_ONLY_LETTERS and not explanation:
        raise SpfSyntaxError(f"macro letter {letter!r} is only allowed in explanation text, not in {text!r}")
    if lower not in DOMAIN_LETTERS | EXPLANATION_ONLY_LETTERS:
        raise SpfSyntaxError(f"unknown macro letter {letter!r} in {text!r}")
    keep = int(digits) if digits else None
    if keep == 0:
        raise SpfSyntaxError(f"a macro cannot keep 0 parts in {text!r}")
    return Macro(lower, letter.isupper(), keep, bool(reverse), delimiters)


@dataclass(frozen=True)
class MacroContext:
    """The values behind the letters for one check_host() call at one recursion level.

    `validated_name` is a callable because %{p} costs DNS queries and is rarely used.
    """

    sender: str
    domain: str
    ip: IPv4Address | IPv6Address
    helo: str
    receiver: str = "unknown"
    validated_name: Callable[[], str] = field(default=lambda: "unknown", compare=False)
    now: Callable[[], float] = field(default=time.time, compare=False)

    def value(self, letter: str) -> str:
        """The raw value of a macro letter, before transformers."""
        local, _, sender_domain = self.sender.rpartition("@")
        if letter == "i":
            return dotted_ip(self.ip)
        if letter == "v":
            return "in-addr" if self.ip.version == 4 else "ip6"
        if letter == "p":
            return self.validated_name()
        if letter == "t":
            return str(int(self.now()))
        return {
            "s": self.sender,
            "l": local,
            "o": sender_domain,
            "d": self.domain,
            "h": self.helo,
            "c": str(self.ip),
            "r": self.receiver,
        }[letter]


def dotted_ip(ip: IPv4Address | IPv6Address) -> str:
    """%{i}: dotted quad for IPv4, dot-separated nibbles for IPv6 (7.3)."""
    if ip.version == 4:
        return str(ip)
    return ".".join(ip.exploded.replace(":", ""))


def expand(tokens: tuple[Token, ...], context: MacroContext) -> str:
    """Expand tokens into text (7.3)."""
    return "".join(
        token.text if isinstance(token, Literal) else _expand_macro(token, context) for token in tokens
    )


def _expand_macro(macro: Macro, context: MacroContext) -> str:
    value = context.value(macro.letter)
    if macro.delimiters or macro.keep is not None or macro.reverse:
        parts = re.split("[" + re.escape(macro.delimiters or ".") + "]", value)
        if macro.reverse:
            parts.reverse()
        if macro.keep is not None:
            parts = parts[-macro.keep :]
        value = ".".join(parts)
    return quote(value, safe="") if macro.url_escape else value


def expand_domain(tokens: tuple[Token, ...], context: MacroContext) -> str:
    """Expand a domain-spec into the name to query: no trailing dot, at most 253 characters (7.3)."""
    name = expand(tokens, context)
    if name.endswith("."):
        name = name[:-1]
    while len(name) > MAX_NAME_LENGTH and "." in name:
        name = name.split(".", 1)[1]
    return name
