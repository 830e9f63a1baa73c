"""What the DNS drivers (`rfc2136`, `powerdns`) share: SPF in TXT records, and the read/apply loop.

An `spf` resource is the SPF record of one domain plus the `_spfN.<domain>` records a flattened
record chains to. The TXT rrset that carries them usually holds other records too (site
verifications, DKIM at some names): those are foreign, and every edit here keeps them. So the
unit of work is a *name*: the full TXT rrset as read (`TxtEdit.old`) and the full rrset to leave
behind (`TxtEdit.new`). A driver turns the edits of one change into one write that succeeds only
if every `old` is still what the server holds, so a concurrent edit fails instead of being lost.

Decisions (RFC 7208):
- A TXT record is SPF when its strings, joined without separator (section 3.3), start with
  `v=spf1` followed by a space or nothing, case-insensitively (section 4.5; `v=spf10` is not).
- Two SPF records at one name are a permerror (section 4.5). `read` returns the first one, so one
  broken domain does not block the plan of every other domain, and logs a warning. A change at
  such a name replaces all of them with the desired record, and its result says so.
- On write, text is split into character-strings of at most 255 octets (RFC 1035 section 3.3.14,
  RFC 7208 section 3.3), in UTF-8 (SPF is ASCII, but nothing is lost if it is not).
- `_spfN.<domain>` names (N = 1, 2, ...) are chained records, never domains of their own. One
  whose domain has no SPF record is an orphan: not read, left alone. A change whose names are
  not valid DNS names (over 255 octets with the `_spfN.` label) fails before anything is sent.
"""

from __future__ import annotations

import logging
import re
from abc import abstractmethod
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated

import dns.exception
import dns.name
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.TXT
from pydantic import AfterValidator, Field, field_validator

from mailconf.driver import Action, Change, ChangeResult, Driver, DriverContext, DriverSettings, Resource
from mailconf.errors import DriverError, MailconfError
from mailconf.secrets import is_reference

KIND = "spf"
MAX_STRING = 255

#: One TXT record: its character-strings as they are on the wire.
TxtRecord = tuple[bytes, ...]

_SPF = re.compile(rb"v=spf1(?: |$)", re.IGNORECASE)
_CHAINED = re.compile(r"_spf[1-9][0-9]*\.(?P<domain>.+)")

log = logging.getLogger(__name__)


def split_txt(text: str) -> TxtRecord:
    """`text` as the strings of one TXT record, each at most 255 octets."""
    data = text.encode("utf-8")
    return tuple(data[i : i + MAX_STRING] for i in range(0, len(data), MAX_STRING)) or (b"",)


def join_txt(record: TxtRecord) -> str:
    """The text of a TXT record: its strings concatenated without separator (RFC 7208 section 3.3)."""
    return b"".join(record).decode("utf-8", errors="backslashreplace")


def txt_rdata(record: TxtRecord) -> dns.rdtypes.ANY.TXT.TXT:
    return dns.rdtypes.ANY.TXT.TXT(dns.rdataclass.IN, dns.rdatatype.TXT, record)


def is_spf(record: TxtRecord) -> bool:
    return _SPF.match(b"".join(record)) is not None


def normalise_name(name: str) -> str:
    """Domain names compare case-insensitively; resource keys carry no trailing dot."""
    return name.rstrip(".").lower()


@dataclass(frozen=True)
class TxtRrset:
    """All TXT records at one name, in the order the server gave them, and their common TTL."""

    ttl: int
    records: tuple[TxtRecord, ...]

    def spf(self) -> list[TxtRecord]:
        return [record for record in self.records if is_spf(record)]


def same_records(a: TxtRrset | None, b: TxtRrset | None) -> bool:
    """Equal as DNS compares rrsets: as sets of records, TTL aside (RFC 2136 section 2.4.2)."""
    return set(a.records if a is not None else ()) == set(b.records if b is not None else ())


#: The TXT rrsets of one zone by normalised owner name: what a driver read, and edits against.
ZoneTxt = dict[str, TxtRrset]


@dataclass(frozen=True)
class TxtEdit:
    """One name touched by a change: the rrset as read and the rrset to leave (None: absent)."""

    name: str
    old: TxtRrset | None
    new: TxtRrset | None

    @property
    def changed(self) -> bool:
        return not same_records(self.old, self.new)


class ConflictError(DriverError):
    """The live records are no longer what was read: writing would clobber someone else's edit."""

    def __init__(self, what: str) -> None:
        super().__init__(f"changed since they were read: {what}. Nothing was written; run plan again.")


def spf_resources(txt: Mapping[str, TxtRrset]) -> list[Resource]:
    """The `spf` resources of one zone, sorted by domain."""
    resources = []
    for name in sorted(txt):
        if (count := len(txt[name].spf())) > 1:
            log.warning("%s has %d SPF records (an RFC 7208 4.5 permerror); reading the first", name, count)
        if _CHAINED.fullmatch(name) is None and (resource := spf_resource(txt, name)) is not None:
            resources.append(resource)
    return resources


def spf_resource(txt: Mapping[str, TxtRrset], domain: str) -> Resource | None:
    """The `spf` resource at `domain`, or None when it has no SPF record."""
    record = _first_spf(txt, domain)
    if record is None:
        return None
    chained = {}
    for name in _chained_names(txt, domain):
        chained_record = _first_spf(txt, name)
        if chained_record is not None:
            chained[name] = chained_record
    return Resource(KIND, domain, {"record": record, "chained": chained})


def _first_spf(txt: Mapping[str, TxtRrset], name: str) -> str | None:
    rrset = txt.get(name)
    found = rrset.spf() if rrset is not None else []
    return join_txt(found[0]) if found else None


def _chained_names(txt: Mapping[str, TxtRrset], domain: str) -> list[str]:
    return sorted(
        (name for name in txt if (m := _CHAINED.fullmatch(name)) is not None and m["domain"] == domain),
        key=lambda name: int(name.split(".", 1)[0].removeprefix("_spf")),
    )


def plan_edits(change: Change, txt: Mapping[str, TxtRrset], ttl: int) -> list[TxtEdit]:
    """The per-name edits that carry out `change` against the rrsets `txt` that were read.

    Raises ConflictError when the SPF records in `txt` are not the ones the plan was made from
    (`change.live`), and DriverError when the desired resource cannot be written as asked.
    """
    live = spf_resource(txt, change.key)
    if (None if live is None else live.fields) != (None if change.live is None else change.live.fields):
        raise ConflictError(f"the SPF records of {change.key}")
    wanted = _wanted_records(change)
    names = [change.key, *sorted((set(_chained_names(txt, change.key)) | set(wanted)) - {change.key})]
    return [_edit(name, txt.get(name), wanted.get(name), ttl) for name in names]


def _wanted_records(change: Change) -> dict[str, str]:
    """SPF text to publish by name; empty for a delete. Checks what read could not see again."""
    if change.action is Action.DELETE or change.desired is None:
        return {}
    fields = change.desired.fields
    wanted = {change.key: fields["record"], **fields.get("chained", {})}
    for name, text in wanted.items():
        _check_name(name)
        if name != change.key:
            match = _CHAINED.fullmatch(name)
            if match is None or match["domain"] != change.key:
                raise DriverError(f"chained record name {name} must be _spfN.{change.key} (N = 1, 2, ...)")
        if not is_spf(split_txt(text)):
            raise DriverError(f"the record for {name} must start with 'v=spf1 ': {text[:40]!r}")
    return wanted


def _check_name(name: str) -> None:
    """A name DNS can carry: the manifest bounds a domain, but `_spfN.` added to a long one may
    exceed 255 octets, which a server cannot hold and dnspython will not even encode."""
    try:
        dns.name.from_text(name)
    except dns.exception.DNSException as exc:
        raise DriverError(f"cannot publish a record at {name}: not a valid DNS name ({exc})") from None


def _edit(name: str, old: TxtRrset | None, spf_text: str | None, ttl: int) -> TxtEdit:
    """Replace every SPF record at `name` by `spf_text` (or by nothing), keeping foreign records."""
    keep = [record for record in old.records if not is_spf(record)] if old is not None else []
    if spf_text is not None:
        keep.append(split_txt(spf_text))
    # An existing rrset keeps its TTL: the foreign records share it and are not ours to change.
    new = TxtRrset(old.ttl if old is not None else ttl, tuple(keep)) if keep else None
    return TxtEdit(name, old, new)


def _duplicates_note(edits: Sequence[TxtEdit]) -> str:
    notes = [
        f"replaced {count} SPF records at {edit.name} (an RFC 7208 4.5 permerror) with one"
        for edit in edits
        if edit.old is not None and (count := len(edit.old.spf())) > 1
    ]
    return "; ".join(notes)


def _reference_only(value: str) -> str:
    if not is_reference(value.strip()):
        raise ValueError("must be a secret reference, ${env:NAME} or ${file:PATH}, never the secret itself")
    return value


#: A setting that holds a credential: only a reference to it, resolved when the driver needs it.
SecretReference = Annotated[str, AfterValidator(_reference_only)]


class DnsSettings(DriverSettings):
    """Settings every DNS driver has: the zones it manages, the TTL of new rrsets, a network timeout."""

    zones: list[str] = Field(min_length=1)
    #: Applies to TXT rrsets this driver creates; an existing rrset keeps its TTL.
    ttl: int = Field(default=300, ge=0, le=2**31 - 1)
    timeout: float = Field(default=5, gt=0)

    @field_validator("zones")
    @classmethod
    def _normalise(cls, zones: list[str]) -> list[str]:
        return [normalise_name(zone) for zone in zones]


class SpfTxtDriver(Driver):
    """The `spf` kind over TXT records; a subclass only fetches a zone's TXT rrsets and writes edits.

    It keeps what `read` fetched per zone, and `apply` edits against that, so every change can
    require the server to still hold what the plan was made from. When `apply` comes without a
    read (a saved plan applied by a new process), the zone is fetched then, and each change must
    find the SPF records its plan saw (`change.live`).
    """

    kinds = frozenset({KIND})
    settings: DnsSettings

    def __init__(self, settings: DriverSettings, context: DriverContext) -> None:
        super().__init__(settings, context)
        self._seen: dict[str, ZoneTxt] = {}

    @abstractmethod
    def _fetch(self, zone: str) -> ZoneTxt:
        """The TXT rrsets of `zone` as the server holds them now; DriverError if it cannot tell."""

    @abstractmethod
    def _write(self, zone: str, edits: Sequence[TxtEdit]) -> None:
        """Make the changed edits in one step, only if every `old` is still live (ConflictError if not)."""

    def read(self, kinds: Collection[str]) -> list[Resource]:
        if KIND not in kinds:
            return []
        resources = []
        for zone in self.settings.zones:
            self._seen[zone] = self._fetch(zone)
            resources += spf_resources(self._seen[zone])
        return resources

    def apply(self, changes: Sequence[Change]) -> list[ChangeResult]:
        return [self._apply(change) for change in changes]

    def _apply(self, change: Change) -> ChangeResult:
        zone = self._zone_of(change.key)
        try:
            if zone is None:
                raise DriverError(f"{change.key} is in none of this target's zones ({', '.join(self.settings.zones)})")
            txt = self._seen[zone] if zone in self._seen else self._fetch(zone)
            edits = plan_edits(change, txt, self.settings.ttl)
            self._write(zone, edits)
        except MailconfError as exc:
            if zone is not None:
                self._seen.pop(zone, None)  # whatever went wrong, what was read may be stale now
            return ChangeResult(change, False, str(exc))
        for edit in edits:
            if edit.new is None:
                txt.pop(edit.name, None)
            else:
                txt[edit.name] = edit.new
        self._seen[zone] = txt
        return ChangeResult(change, True, _duplicates_note(edits))

    def _zone_of(self, domain: str) -> str | None:
        """The most specific configured zone that contains `domain`."""
        candidates = [z for z in self.settings.zones if domain == z or domain.endswith("." + z)]
        return max(candidates, key=len, default=None)
