"""Autoconfig documents over HTTP: the domain's own (two standard places) and the ISPDB's.

Through `mailconf.http.HttpClient`: a deadline per request (name resolution included), a size
bound while reading, no redirect followed. One attempt each: discovery reports a source that
did not answer rather than waiting through retries. A URL given on the command line must be
https://, or http:// to a loopback address (a test's server, a local mirror).
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from mailconf.discover.clientconfig import ClientConfigError, Server, parse
from mailconf.errors import MailconfError, UsageError
from mailconf.http import HttpClient, HttpError, is_loopback

#: Where Thunderbird looks on the domain itself; `{domain}` is replaced.
AUTOCONFIG_URLS = (
    "https://autoconfig.{domain}/mail/config-v1.1.xml",
    "https://{domain}/.well-known/autoconfig/mail/config-v1.1.xml",
)
#: Thunderbird's ISP database; the domain is appended.
ISPDB_URL = "https://autoconfig.thunderbird.net/v1.1/"
#: An autoconfig document is a few KiB; anything near this is not one.
MAX_DOCUMENT = 256 * 1024


def check_url(url: str, option: str) -> str:
    """`url` if it is https:// or http:// to loopback; UsageError otherwise."""
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.lower()
    if (scheme == "https" and parts.hostname) or (scheme == "http" and is_loopback(parts.hostname or "")):
        return url
    raise UsageError(f"{option} {url!r}: use an https:// URL (plain http:// only to a loopback address)")


def autoconfig_urls(domain: str, templates: Sequence[str] = AUTOCONFIG_URLS) -> list[str]:
    return [template.replace("{domain}", domain) for template in templates]


def ispdb_url(domain: str, base: str = ISPDB_URL) -> str:
    return base.rstrip("/") + "/" + domain


def first_document(urls: Sequence[str], domain: str, timeout: float) -> tuple[str, list[Server]] | None:
    """The first of `urls` that serves a usable document, with its servers; None when every one
    answered "not here" (404/410). Any other failure of every URL raises, naming each.

    All are asked at once (as Thunderbird does), so the look-up ends within one timeout."""
    with ThreadPoolExecutor(max_workers=len(urls), thread_name_prefix="mailconf-autoconfig") as pool:
        outcomes = list(pool.map(lambda url: _outcome(url, domain, timeout), urls))
    problems = []
    for url, outcome in zip(urls, outcomes):
        if isinstance(outcome, list):
            return url, outcome
        if outcome is not None:
            problems.append(str(outcome))
    if problems:
        raise MailconfError("; ".join(problems))
    return None


def _outcome(url: str, domain: str, timeout: float) -> list[Server] | MailconfError | None:
    """The document's servers, the error, or None when the server says there is none."""
    try:
        return fetch_document(url, domain, timeout)
    except _Absent:
        return None
    except MailconfError as exc:
        return exc


def fetch_document(url: str, domain: str, timeout: float) -> list[Server]:
    client = HttpClient(url, timeout=timeout, deadline=timeout, max_attempts=1, max_body=MAX_DOCUMENT)
    try:
        body = client.request("GET", "").body
    except HttpError as exc:
        if exc.status in (404, 410):
            raise _Absent from None
        raise
    finally:
        client.close()
    try:
        return parse(body, domain)
    except ClientConfigError as exc:
        raise ClientConfigError(f"{url}: {exc}") from None


class _Absent(Exception):
    """The server says there is no document at this URL."""
