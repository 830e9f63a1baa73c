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

Every request goes through `mailconf.http.HttpClient`, and every answer is distrusted: a zone
is parsed into the documented shape (`Zone`), so a malformed or foreign answer fails the change
with a message instead of a KeyError; redirects are refused (the API key stays on this host); a
PATCH must answer 204 No Content as documented, anything else is not taken for success.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

import dns.exception
import dns.rdata
import dns.rdataclass
import dns.rdatatype
from pydantic import BaseModel, Field, field_validator

from mailconf.driver import DriverContext, DriverSettings
from mailconf.errors import DriverError
from mailconf.http import HttpClient, HttpError, Response, base_url, excerpt

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

if TYPE_CHECKING:
    import httpx


class Record(BaseModel):
    content: str
    disabled: bool


class Rrset(BaseModel):
    name: str
    type: str
    ttl: int
    records: list[Record]


class Zone(BaseModel):
    """The part of a Zone object (GET .../zones/{zone_id}) this driver uses."""

    rrsets: list[Rrset]


class PowerDnsSettings(DnsSettings):
    url: str
    api_key: SecretReference
    server_id: str = "localhost"
    #: The most one API request may take, name resolution, retries and waits included.
    deadline: float = Field(default=30, gt=0)

    @field_validator("url")
    @classmethod
    def _http_url(cls, url: str) -> str:
        return base_url(url, "the PowerDNS webserver")


class PowerDnsDriver(SpfTxtDriver):
    """SPF records through the PowerDNS HTTP API: read with GET, written with PATCH per name."""

    Settings: ClassVar[type[DriverSettings]] = PowerDnsSettings
    settings: PowerDnsSettings

    def __init__(
        self, settings: DriverSettings, context: DriverContext, *, transport: httpx.BaseTransport | None = None
    ) -> None:
        super().__init__(settings, context)
        self._http = HttpClient(
            self.settings.url, timeout=self.settings.timeout, deadline=self.settings.deadline,
            headers={"Accept": "application/json"}, transport=transport,
        )

    def close(self) -> None:
        self._http.close()

    def _fetch(self, zone: str) -> ZoneTxt:
        return _txt_rrsets(self._get(zone))[0]

    def _write(self, zone: str, edits: Sequence[TxtEdit]) -> None:
        if not any(edit.changed for edit in edits):
            return
        served, disabled = _txt_rrsets(self._get(zone))
        if moved := [edit.name for edit in edits if not same_records(edit.old, served.get(edit.name))]:
            raise ConflictError(f"the TXT records at {', '.join(moved)}")
        patch = [_rrset_patch(edit, disabled.get(edit.name, [])) for edit in edits if edit.changed]
        # REPLACE/DELETE of whole rrsets, checked against a fresh read: repeating it is harmless.
        status = self._call("PATCH", zone, {"rrsets": patch}, idempotent=True).status
        if status != 204:
            raise DriverError(
                f"PowerDNS at {self.settings.url} answered {status} to the change of zone {zone}, not 204 No Content "
                "as documented: check the records, then run plan again"
            )

    def _get(self, zone: str) -> Zone:
        response = self._call("GET", zone)
        try:
            return response.parse(Zone)
        except HttpError as exc:
            raise DriverError(f"PowerDNS at {self.settings.url}: {exc}: is this the PowerDNS API?") from None

    def _call(self, method: str, zone: str, body: object = None, *, idempotent: bool | None = None) -> Response:
        """One API request about `zone`; its answer, or a DriverError that says what to fix."""
        settings = self.settings
        server, zone_id = (urllib.parse.quote(part, safe="") for part in (settings.server_id, zone + "."))
        key = {"X-API-Key": self.context.secret(settings.api_key)}
        try:
            return self._http.request(
                method, f"/api/v1/servers/{server}/zones/{zone_id}", json_body=body, secret_headers=key,
                idempotent=idempotent,
            )
        except HttpError as exc:
            raise DriverError(self._refusal(exc, zone)) from None

    def _refusal(self, exc: HttpError, zone: str) -> str:
        """What went wrong, in PowerDNS's terms where the status has a usual cause."""
        where = f"PowerDNS at {self.settings.url}"
        if exc.status not in (401, 404, 422):
            return f"{where}: {exc}"
        try:
            error = excerpt(Error.model_validate_json(exc.body).error) or "no details"
        except ValueError:
            error = excerpt(exc.body) or "no details"
        if exc.status == 401:
            return f"{where} rejected the API key (401: {error}): check api_key against the server's api-key"
        if exc.status == 404:
            server = self.settings.server_id
            return f"{where} has no zone {zone} on server {server} (404: {error}): check zones and server_id"
        return f"{where} refused the change to zone {zone} (422): {error}"


class Error(BaseModel):
    """The documented error body: `{"error": "..."}`."""

    error: str


def _txt_rrsets(zone: Zone) -> tuple[ZoneTxt, dict[str, list[Record]]]:
    """The TXT rrsets as served (enabled records only), and per name the disabled records, verbatim."""
    served: ZoneTxt = {}
    disabled: dict[str, list[Record]] = {}
    for rrset in zone.rrsets:
        if rrset.type != "TXT":
            continue
        name = normalise_name(rrset.name)
        if enabled := tuple(_parse(record.content) for record in rrset.records if not record.disabled):
            served[name] = TxtRrset(rrset.ttl, enabled)
        if off := [record for record in rrset.records if record.disabled]:
            disabled[name] = off
    return served, disabled


def _parse(content: str) -> TxtRecord:
    try:
        return tuple(dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.TXT, content).strings)
    except (dns.exception.DNSException, ValueError):
        raise DriverError(f"PowerDNS returned TXT content not in presentation format: {content[:60]!r}") from None


def _rrset_patch(edit: TxtEdit, disabled: list[Record]) -> dict[str, object]:
    """The PATCH entry that leaves `edit.new` (plus the disabled records) at the name."""
    records = [
        {"content": txt_rdata(record).to_text(), "disabled": False} for record in (edit.new.records if edit.new else ())
    ]
    records += [record.model_dump() for record in disabled]
    if not records:
        return {"name": edit.name + ".", "type": "TXT", "changetype": "DELETE"}
    rrset = edit.new or edit.old
    assert rrset is not None  # records to keep come from one side or the other
    return {"name": edit.name + ".", "type": "TXT", "ttl": rrset.ttl, "changetype": "REPLACE", "records": records}
