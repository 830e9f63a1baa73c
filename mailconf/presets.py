"""Presets for well-known mail services (``preset: gmail`` in a manifest).

The data lives in ``mailconf/data/presets.yaml``; it is read once, on first use.
"""

from __future__ import annotations

import difflib
import functools
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType
from typing import Any, Literal, Mapping, get_args

from mailconf.errors import MailconfError

Security = Literal["tls", "starttls", "none"]
_SECURITY_VALUES: frozenset[str] = frozenset(get_args(Security))
_PROTOCOLS = ("smtp", "imap", "pop3")


class UnknownPresetError(MailconfError):
    """A manifest names a preset that does not exist."""


@dataclass(frozen=True)
class Endpoint:
    host: str
    port: int
    security: Security


@dataclass(frozen=True)
class Preset:
    name: str
    title: str
    docs: tuple[str, ...]
    smtp: Endpoint | None
    imap: Endpoint | None
    pop3: Endpoint | None
    spf_include: str | None
    #: Domains whose hosts receive the service's mail: a domain whose MX is under one uses the service.
    mx: tuple[str, ...] = ()


def presets() -> Mapping[str, Preset]:
    """All known presets by name (read-only, loaded once)."""
    return _load()


def preset_for_smtp_host(host: str) -> Preset | None:
    """The preset whose SMTP server is `host` (an account that writes the host out still uses the service)."""
    host = host.strip().lower().rstrip(".")
    return next((p for p in _load().values() if p.smtp and p.smtp.host == host), None)


def presets_for_mx(host: str) -> list[Preset]:
    """The presets whose mail servers receive at `host` (an MX target): `alt1.aspmx.l.google.com` is gmail."""
    host = host.strip().lower().rstrip(".")
    return [p for p in _load().values() if any(host == d or host.endswith("." + d) for d in p.mx)]


def get_preset(name: str) -> Preset:
    """The preset called ``name``; raises UnknownPresetError with a suggestion."""
    known = _load()
    try:
        return known[name]
    except KeyError:
        pass
    message = f"unknown preset {name!r}"
    close = difflib.get_close_matches(name.lower(), list(known), n=1)
    if close:
        message += f" (did you mean {close[0]!r}?)"
    message += "; known presets: " + ", ".join(sorted(known))
    raise UnknownPresetError(message)


@functools.cache
def _load() -> Mapping[str, Preset]:
    import yaml  # imported here so that importing this module stays cheap

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    text = resources.files("mailconf").joinpath("data/presets.yaml").read_text(encoding="utf-8")
    raw = yaml.load(text, Loader=loader)
    if not isinstance(raw, dict):
        raise ValueError("presets.yaml: top level must be a mapping of preset names")
    return MappingProxyType({str(name): _preset(str(name), entry) for name, entry in raw.items()})


def _preset(name: str, entry: Any) -> Preset:
    if not isinstance(entry, dict):
        raise ValueError(f"presets.yaml: {name}: entry must be a mapping")
    unknown = set(entry) - {"title", "docs", "spf_include", "mx", *_PROTOCOLS}
    if unknown:
        raise ValueError(f"presets.yaml: {name}: unknown keys {sorted(unknown)}")
    title = entry.get("title")
    docs = entry.get("docs")
    spf = entry.get("spf_include")
    if not isinstance(title, str) or not title:
        raise ValueError(f"presets.yaml: {name}: 'title' must be a non-empty string")
    if not isinstance(docs, list) or not all(isinstance(d, str) for d in docs):
        raise ValueError(f"presets.yaml: {name}: 'docs' must be a list of URLs")
    if spf is not None and not isinstance(spf, str):
        raise ValueError(f"presets.yaml: {name}: 'spf_include' must be a string or null")
    mx = entry.get("mx", [])
    if not isinstance(mx, list) or not all(isinstance(d, str) and d for d in mx):
        raise ValueError(f"presets.yaml: {name}: 'mx' must be a list of domain names")
    endpoints = {proto: _endpoint(name, proto, entry.get(proto)) for proto in _PROTOCOLS}
    return Preset(name=name, title=title, docs=tuple(docs), spf_include=spf, mx=tuple(d.lower() for d in mx), **endpoints)


def _endpoint(name: str, proto: str, raw: Any) -> Endpoint | None:
    if raw is None:
        return None
    where = f"presets.yaml: {name}.{proto}"
    if not isinstance(raw, dict) or set(raw) != {"host", "port", "security"}:
        raise ValueError(f"{where}: must have exactly host, port and security")
    host, port, security = raw["host"], raw["port"], raw["security"]
    if not isinstance(host, str) or not host:
        raise ValueError(f"{where}: host must be a non-empty string")
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        raise ValueError(f"{where}: port must be an integer 1-65535")
    if security not in _SECURITY_VALUES:
        raise ValueError(f"{where}: security must be one of {sorted(_SECURITY_VALUES)}")
    return Endpoint(host=host, port=port, security=security)
