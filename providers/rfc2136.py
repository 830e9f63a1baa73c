"""The `rfc2136` driver: SPF TXT records on any authoritative DNS server, through standard DNS.

Protocol (the way DNSControl's AXFRDDNS provider works):
- read: a zone transfer, AXFR (RFC 5936) over TCP, TSIG-signed (RFC 8945), of every configured zone.
- apply: one DNS UPDATE message per change (RFC 2136), TSIG-signed, which the server applies
  all-or-nothing (RFC 2136 section 3). Its prerequisite section requires, at every name the change
  touches, the full TXT rrset that was read: "RRset exists (value dependent)" (section 2.4.2), or
  "RRset does not exist" (section 2.4.3) where there was none. Its update section deletes the old
  SPF records one by one ("Delete An RR From An RRset", section 2.5.4) and adds the new one ("Add
  To An RRset", section 2.5.1), so foreign TXT records at the name are never rewritten. If someone
  edited the rrset since it was read, the server answers NXRRSET or YXRRSET (section 3.2.5) and
  the change fails with "plan again" instead of clobbering that edit.

The server must allow the key to transfer and to update the zones (BIND: `allow-transfer { key
K; };` and `update-policy`; Knot: an ACL with `action: [transfer, update]`). The TSIG secret is
only resolved into a `dns.tsig.Key` for the message being signed, and never kept or shown: a
`Key`'s repr prints the secret.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cached_property
from typing import ClassVar, Literal

import dns.exception
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdataset
import dns.rdatatype
import dns.tsig
import dns.update
import dns.xfr
import dns.zone
from pydantic import BaseModel, ConfigDict, Field

from mailconf.driver import DriverSettings
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
    txt_rdata,
)

#: TSIG algorithms (RFC 8945 section 6); HMAC-MD5 is left out on purpose.
TsigAlgorithm = Literal["hmac-sha1", "hmac-sha224", "hmac-sha256", "hmac-sha384", "hmac-sha512"]

#: What the key must be allowed to do to a zone, and how a message names that operation.
Permission = Literal["transfer", "update"]
_DOING: dict[Permission, str] = {
    "transfer": "the zone transfer (AXFR) of {zone}",
    "update": "an update of zone {zone}",
}

#: Answers to an UPDATE whose prerequisites failed (RFC 2136 section 3.2.5).
_PREREQUISITE_FAILED = {dns.rcode.NXRRSET, dns.rcode.YXRRSET}


class TsigSettings(BaseModel):
    """The TSIG key the server knows: its name, algorithm, and a reference to its base64 secret."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    algorithm: TsigAlgorithm = "hmac-sha256"
    secret: SecretReference


class Rfc2136Settings(DnsSettings):
    server: str
    port: int = Field(default=53, ge=1, le=65535)
    tsig: TsigSettings


class Rfc2136Driver(SpfTxtDriver):
    """SPF records through AXFR and RFC 2136 UPDATE, both signed with one TSIG key."""

    Settings: ClassVar[type[DriverSettings]] = Rfc2136Settings
    settings: Rfc2136Settings

    def _fetch(self, zone: str) -> ZoneTxt:
        transfer = dns.zone.Zone(zone + ".")
        query, _ = dns.xfr.make_query(transfer, serial=None, keyring=self._key())
        with self._errors(zone, "transfer"):
            dns.query.inbound_xfr(
                self._address, transfer, query, port=self.settings.port,
                timeout=self.settings.timeout, lifetime=self.settings.timeout,
            )
        return {
            normalise_name(name.derelativize(transfer.origin).to_text()): TxtRrset(
                rdataset.ttl, tuple(tuple(rdata.strings) for rdata in rdataset)
            )
            for name, rdataset in transfer.iterate_rdatasets(dns.rdatatype.TXT)
        }

    def _write(self, zone: str, edits: Sequence[TxtEdit]) -> None:
        if not any(edit.changed for edit in edits):
            return
        update = dns.update.UpdateMessage(zone + ".", keyring=self._key())
        for edit in edits:
            name = dns.name.from_text(edit.name)
            if edit.old is None:
                update.absent(name, dns.rdatatype.TXT)
            else:  # prerequisite RRs carry TTL 0 (section 3.2.1)
                update.present(name, _rdataset(0, edit.old.records))
            old = edit.old.records if edit.old is not None else ()
            new = edit.new.records if edit.new is not None else ()
            if gone := [record for record in old if record not in new]:
                update.delete(name, _rdataset(0, gone))
            if edit.new is not None and (added := [record for record in new if record not in old]):
                update.add(name, _rdataset(edit.new.ttl, added))
        with self._errors(zone, "update"):
            answer = dns.query.tcp(update, self._address, port=self.settings.port, timeout=self.settings.timeout)
        rcode = answer.rcode()
        if rcode in _PREREQUISITE_FAILED:
            raise ConflictError(f"the TXT records at {', '.join(edit.name for edit in edits)}")
        if rcode != dns.rcode.NOERROR:
            raise DriverError(self._refusal(rcode, zone, "update"))

    def _key(self) -> dns.tsig.Key:
        tsig = self.settings.tsig
        try:
            return dns.tsig.Key(tsig.name, self.context.secret(tsig.secret).reveal(), tsig.algorithm)
        except ValueError:  # binascii.Error included
            raise DriverError(f"the secret of TSIG key {tsig.name} is not valid base64") from None

    @cached_property
    def _address(self) -> str:
        """dnspython needs an IP address; `server` may be a host name."""
        try:
            return socket.getaddrinfo(self.settings.server, self.settings.port, type=socket.SOCK_STREAM)[0][4][0]
        except OSError as exc:
            raise DriverError(f"cannot find the address of DNS server {self.settings.server}: {exc}") from None

    @property
    def _where(self) -> str:
        return f"DNS server {self.settings.server} port {self.settings.port}"

    @contextmanager
    def _errors(self, zone: str, permission: Permission) -> Iterator[None]:
        """Turn what dnspython and the network raise into a DriverError that says what to fix."""
        where, key, doing = self._where, self.settings.tsig.name, _DOING[permission].format(zone=zone)
        try:
            yield
        except dns.tsig.PeerBadKey:
            raise DriverError(f"{where} does not know TSIG key {key} ({doing}): check the key name") from None
        except dns.tsig.PeerBadSignature:
            raise DriverError(
                f"{where} rejected the signature of TSIG key {key} ({doing}): the secret differs from the server's"
            ) from None
        except dns.tsig.PeerBadTime:
            raise DriverError(f"{where} rejected the TSIG time ({doing}): check both clocks") from None
        except dns.xfr.TransferError as exc:
            raise DriverError(self._refusal(exc.rcode, zone, permission)) from None
        except dns.exception.Timeout:
            raise DriverError(f"no answer from {where} within {self.settings.timeout:g} s ({doing})") from None
        except (dns.tsig.BadSignature, dns.message.UnknownTSIGKey, dns.tsig.PeerError) as exc:
            raise DriverError(f"the answer of {where} failed TSIG verification ({doing}): {exc}") from None
        except EOFError:
            raise DriverError(f"{where} closed the connection during {doing}; see the server's log") from None
        except OSError as exc:
            raise DriverError(f"cannot reach {where} ({doing}): {exc.strerror or exc}") from None
        except dns.exception.DNSException as exc:
            raise DriverError(f"{doing} with {where} failed: {exc}") from None

    def _refusal(self, rcode: dns.rcode.Rcode, zone: str, permission: Permission) -> str:
        where, key, doing = self._where, self.settings.tsig.name, _DOING[permission].format(zone=zone)
        if rcode == dns.rcode.REFUSED:
            return f"{where} refused {doing}: allow key {key} to {permission} zone {zone} on the server"
        if rcode == dns.rcode.NOTAUTH:
            return (
                f"{where} answered NOTAUTH to {doing}: it is not authoritative for {zone}, "
                f"or does not allow key {key} to {permission} it"
            )
        return f"{where} answered {dns.rcode.to_text(rcode)} to {doing}; see the server's log"


def _rdataset(ttl: int, records: Sequence[TxtRecord]) -> dns.rdataset.Rdataset:
    return dns.rdataset.from_rdata_list(ttl, [txt_rdata(record) for record in records])
