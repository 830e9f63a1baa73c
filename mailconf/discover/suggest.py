"""The account block `discover` proposes: from the most authoritative source that offers servers.

The domain's own autoconfig document outranks the ISPDB (a third party's copy), which outranks
RFC 6186 SRV records (no username convention), which outrank an MX that matches a preset. The
address is a placeholder (`mailbox@DOMAIN`): discovery knows the domain, not the mailbox.
"""

from __future__ import annotations

from typing import Any

from mailconf.discover.clientconfig import LOCAL_PART, Server

ACCOUNT_KEY = "mailbox"
#: Sources that offer servers, most authoritative first; "mx" offers preset names.
RANKING = ("autoconfig", "ispdb", "srv")


def suggest_account(domain: str, offers: dict[str, list[Any]]) -> tuple[dict[str, Any] | None, str | None]:
    """({key: account fields}, the source it came from), or (None, None) when no source offers enough."""
    for source in RANKING:
        fields = _from_servers(offers.get(source, []))
        if fields:
            return {ACCOUNT_KEY: {**_identity(domain), **fields}}, source
    matched = offers.get("mx", [])
    if len(matched) == 1:
        return {ACCOUNT_KEY: {**_identity(domain), "preset": matched[0]}}, "mx"
    return None, None


def _identity(domain: str) -> dict[str, str]:
    return {"address": f"{ACCOUNT_KEY}@{domain}", "password": "${env:MAILBOX_PASSWORD}"}


def _from_servers(servers: list[Server]) -> dict[str, Any]:
    smtp = next((s for s in servers if s.protocol == "smtp"), None)
    incoming = next((s for s in servers if s.protocol in ("imap", "pop3")), None)
    fields: dict[str, Any] = {}
    if any(s is not None and s.username == LOCAL_PART for s in (smtp, incoming)):
        fields["username"] = ACCOUNT_KEY
    if smtp is not None:
        fields["outgoing"] = {"host": smtp.host, "port": smtp.port, "security": smtp.security}
    if incoming is not None:
        fields["incoming"] = {
            "protocol": incoming.protocol, "host": incoming.host, "port": incoming.port, "security": incoming.security,
        }
    return fields
