"""`mailconf autoconfig`: the servers a domain's accounts use, as the domain's autoconfig document.

A domain serves one document for every address in it, so a username can only be published as
a template: the whole address (%EMAILADDRESS%) or the part before the @ (%EMAILLOCALPART%). An
account whose username is neither cannot be described and is left out, with the reason.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from mailconf import endpoints
from mailconf.discover.clientconfig import ADDRESS, LOCAL_PART, Server
from mailconf.errors import MailconfError
from mailconf.model import Account, Manifest, address_key, domain_key
from mailconf.presets import Endpoint


@dataclass(frozen=True)
class Published:
    servers: list[Server]
    #: Accounts of the domain left out, with the reason.
    skipped: list[str]


def publish(manifest: Manifest, domain: str) -> Published:
    """The servers of the manifest's accounts at `domain`, the most used first."""
    domain = domain_key(domain)
    accounts = {k: a for k, a in manifest.accounts.items() if address_key(a.address).rpartition("@")[2] == domain}
    if not accounts:
        raise MailconfError(f"no account in the manifest has an address at {domain}")
    uses: Counter[Server] = Counter()
    skipped = []
    for key, account in accounts.items():
        try:
            uses.update(_servers(account))
        except (MailconfError, _Unpublishable) as exc:
            skipped.append(f"account {key}: {exc}")
    if not uses:
        raise MailconfError(f"no account at {domain} can be published: " + "; ".join(skipped))
    # Counter.most_common keeps first-seen order among equals: the manifest's order breaks ties.
    return Published([server for server, _ in uses.most_common()], skipped)


class _Unpublishable(Exception):
    """An account the document cannot describe."""


def _servers(account: Account) -> list[Server]:
    username = _username_template(account)
    found = []
    smtp = endpoints.smtp(account)
    if smtp is not None:
        auth = account.outgoing is None or account.outgoing.auth
        found.append(_server("smtp", smtp, username, "password-cleartext" if auth else "none"))
    incoming = endpoints.incoming(account)
    if incoming is not None:
        settings, endpoint = incoming
        found.append(_server(settings.protocol, endpoint, username, "password-cleartext"))
    return found


def _server(protocol: str, endpoint: Endpoint, username: str, authentication: str) -> Server:
    return Server(protocol, endpoint.host.strip().rstrip(".").lower(), endpoint.port, endpoint.security, username, (authentication,))


def _username_template(account: Account) -> str:
    address = account.address.strip()
    username = (account.username or address).strip()
    if address_key(username) == address_key(address):
        return ADDRESS
    if username.lower() == address.rpartition("@")[0].lower():
        return LOCAL_PART
    raise _Unpublishable(
        f"its username {username!r} is neither its address nor the part before the @, which is all a domain's "
        "autoconfig can say; its users must enter it themselves"
    )
