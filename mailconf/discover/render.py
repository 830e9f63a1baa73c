"""`discover`'s YAML output: each source's finding as a comment, then the account block to paste.

Whatever a source returned (a record, a document's host name, an error quoting a server) is
untrusted text: it is made one printable line before it goes into a comment, so it cannot end
the comment and inject YAML into the block below.
"""

from __future__ import annotations

from typing import Any

from mailconf.discover.discovery import FOUND, Discovery
from mailconf.discover.suggest import ACCOUNT_KEY


def as_yaml(found: Discovery) -> str:
    import yaml

    lines = [f"# mailconf discover {found.domain}"]
    for name, source in found.sources.items():
        detail = source.error if source.error is not None else _detail(name, source.data) if source.status == FOUND else ""
        lines.append(_comment(f"{name}: {source.status}" + (f": {detail}" if detail else "")))
    if found.account is None:
        lines.append("# no source offers servers or a preset: no account block to suggest")
        return "\n".join(lines) + "\n"
    lines.append(_comment(f"account from {found.account_from}; replace {ACCOUNT_KEY}@{found.domain} with the real address"))
    block = yaml.safe_dump({"accounts": found.account}, sort_keys=False, allow_unicode=True)
    return "\n".join(lines) + "\n" + block


def _detail(name: str, data: dict[str, Any]) -> str:
    if name == "mx":
        presets = f" (preset {', '.join(data['presets'])})" if data["presets"] else ""
        return ", ".join(data["hosts"]) + presets
    if name == "srv":
        return "; ".join(
            f"{s['service']} " + (", ".join(f"{t['host']}:{t['port']}" for t in s["targets"]) if s["offered"] else "not offered")
            for s in data["services"]
        )
    if name in ("autoconfig", "ispdb"):
        servers = ", ".join(f"{s['protocol']} {s['host']}:{s['port']} {s['security']}" for s in data["servers"])
        return f"{data['url']}: {servers}"
    return str(data.get("record"))


def _comment(text: str) -> str:
    return "# " + "".join(c if c.isprintable() else " " for c in " ".join(text.split()))
