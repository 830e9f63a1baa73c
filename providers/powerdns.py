"""The `powerdns` driver: SPF TXT records through the PowerDNS Authoritative HTTP API.

Documented behaviour used (https://doc.powerdns.com/authoritative/http-api/zone.html):
- read: `GET /api/v1/servers/{server_id}/zones/{zone}.` lists the zone's rrsets; the TXT ones are
  parsed from presentation format (`"v=spf1 ..." "..."`, RFC 1035 section 5.1) with dnspython.
- apply: `PATCH` the same URL with `changetype: REPLACE` and the full TXT rrset of a name (the
  foreign records kept, disabled ones included verbatim; rrset comments are kept because the
  patch sends no `comments`), or `changetype: DELETE` when nothing remains at the name.
- authentication: the `X-API-Key` header. Errors carry a JSON `error` field, quoted in messages.

The API has no conditional PATCH, so the RFC 2136 prerequisite is emulated: right before each
PATCH the zone is fetched again, and the change fails ("plan again") if a TXT rrset it touches is
not what was read. An edit landing in the single round trip between that GET and the PATCH is
still overwritten; PowerDNS offers nothing to close that window.

HTTP goes through `Transport`, a plain function over `urllib.request`, so tests can swap it.
"""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

import dns.exception
import dns.rdata
import dns.rdataclass
import dns.rdatatype
from pydantic import field_validator

from mailconf.driver import DriverContext, DriverSettings
from mailconf.errors import DriverError

from ._dns import (
    ConflictError,
    DnsSettings,
    SecretReference,
    SpfTxtDriver,
    TxtEdit,
    TxtRecord,
    TxtRrset,
    ZoneTxt,
    normalise_name,
    same_records,
    txt_rdata,
)

#: (method, url, headers, body, timeout) -> (HTTP status, response body). Raises OSError when the
#: server cannot be reached; returns error statuses instead of raising them.
Transport = Callable[[str, str, Mapping[str, str], bytes | None, float], tuple[int, bytes]]

Json = dict[str, Any]


def urllib_transport(
    method: str, url: str, headers: Mapping[str, str], body: bytes | None, timeout: float
) -> tuple[int, bytes]:
    """The default `Transport`: one request through `urllib.request`."""
    request = urllib.request.Request(url, data=body, headers=dict(headers), method=method)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, exc.read()


class PowerDnsSettings(DnsSettings):
    url: str
    api_key: SecretReference
    server_id: str = "localhost"

    @field_validator("url")
    @classmethod
    def _http_url(cls, url: str) -> str:
        if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
            raise ValueError("must be the http:// or https:// address of the PowerDNS webserver")
        return url.rstrip("/")


class PowerDnsDriver(SpfTxtDriver):
    """SPF records through the PowerDNS HTTP API: read with GET, written with PATCH per name."""

    Settings: ClassVar[type[DriverSettings]] = PowerDnsSettings
    settings: PowerDnsSettings

    def __init__(
        self, settings: DriverSettings, context: DriverContext, *, transport: Transport = urllib_transport
    ) -> None:
        super().__init__(settings, context)
        self._transport = transport

    def _fetch(self, zone: str) -> ZoneTxt:
        return _txt_rrsets(self._call("GET", zone))[0]

    def _write(self, zone: str, edits: Sequence[TxtEdit]) -> None:
        if not any(edit.changed for edit in edits):
            return
        served, disabled = _txt_rrsets(self._call("GET", zone))
        if moved := [edit.name for edit in edits if not same_records(edit.old, served.get(edit.name))]:
            raise ConflictError(f"the TXT records at {', '.join(moved)}")
        patch = [_rrset_patch(edit, disabled.get(edit.name, [])) for edit in edits if edit.changed]
        self._call("PATCH", zone, {"rrsets": patch})

    def _call(self, method: str, zone: str, body: Json | None = None) -> Json:
        """One API request about `zone`; its JSON answer, or a DriverError that says what to fix."""
        settings = self.settings
        server, zone_id = (urllib.parse.quote(part, safe="") for part in (settings.server_id, zone + "."))
        url = f"{settings.url}/api/v1/servers/{server}/zones/{zone_id}"
        headers = {"X-API-Key": self.context.secret(settings.api_key).reveal(), "Accept": "application/json"}
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body).encode()
        try:
            status, payload = self._transport(method, url, headers, data, settings.timeout)
        except (OSError, http.client.HTTPException) as exc:
            reason = _reason(exc, settings.timeout)
            raise DriverError(f"cannot reach the PowerDNS API at {settings.url}: {reason}") from None
        if status >= 400:
            raise DriverError(self._refusal(status, payload, method, zone))
        try:
            return json.loads(payload) if payload else {}
        except ValueError:
            raise DriverError(f"{settings.url} did not answer with JSON: is it the PowerDNS API?") from None

    def _refusal(self, status: int, payload: bytes, method: str, zone: str) -> str:
        try:
            error = json.loads(payload)["error"]
        except (ValueError, KeyError, TypeError):
            error = payload.decode("utf-8", errors="replace")[:200] or "no details"
        where = f"PowerDNS at {self.settings.url}"
        if status == 401:
            return f"{where} rejected the API key (401: {error}): check api_key against the server's api-key"
        if status == 404:
            server = self.settings.server_id
            return f"{where} has no zone {zone} on server {server} (404: {error}): check zones and server_id"
        if status == 422:
            return f"{where} refused the change to zone {zone} (422): {error}"
        return f"{where} answered {status} to {method} of zone {zone}: {error}"


def _reason(exc: OSError | http.client.HTTPException, timeout: float) -> str:
    reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    if isinstance(reason, TimeoutError):
        return f"no answer within {timeout:g} s"
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror
    return str(reason) or type(reason).__name__


def _txt_rrsets(zone: Json) -> tuple[ZoneTxt, dict[str, list[Json]]]:
    """The TXT rrsets as served (enabled records only), and per name the disabled records, verbatim."""
    served: ZoneTxt = {}
    disabled: dict[str, list[Json]] = {}
    for rrset in zone.get("rrsets", []):
        if rrset["type"] != "TXT":
            continue
        name, records = normalise_name(rrset["name"]), rrset["records"]
        if enabled := tuple(_parse(record["content"]) for record in records if not record["disabled"]):
            served[name] = TxtRrset(rrset["ttl"], enabled)
        if off := [record for record in records if record["disabled"]]:
            disabled[name] = off
    return served, disabled


def _parse(content: str) -> TxtRecord:
    try:
        return tuple(dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.TXT, content).strings)
    except dns.exception.DNSException:
        raise DriverError(f"PowerDNS returned TXT content not in presentation format: {content[:60]!r}") from None


def _rrset_patch(edit: TxtEdit, disabled: list[Json]) -> Json:
    """The PATCH entry that leaves `edit.new` (plus the disabled records) at the name."""
    records = [
        {"content": txt_rdata(record).to_text(), "disabled": False} for record in (edit.new.records if edit.new else ())
    ]
    records += disabled
    if not records:
        return {"name": edit.name + ".", "type": "TXT", "changetype": "DELETE"}
    rrset = edit.new or edit.old
    assert rrset is not None  # records to keep come from one side or the other
    return {"name": edit.name + ".", "type": "TXT", "ttl": rrset.ttl, "changetype": "REPLACE", "records": records}
