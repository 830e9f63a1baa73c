"""TLS contexts and what a failed certificate verification means for a person."""

from __future__ import annotations

import ssl

from mailconf.probe.outcome import CheckFailure

# OpenSSL X509_V_ERR_* codes, as ssl.SSLCertVerificationError.verify_code carries them.
_EXPIRED, _NOT_YET_VALID, _HOSTNAME_MISMATCH = 10, 9, 62
_UNTRUSTED = {18, 19, 20, 21, 2, 27, 28}


def context(cafile: str | None) -> ssl.SSLContext:
    """A client context verifying trust, expiry and name (against `cafile` when given, else the system's CAs)."""
    return ssl.create_default_context(cafile=cafile)


def certificate_diagnosis(exc: ssl.SSLCertVerificationError, host: str) -> CheckFailure:
    code = exc.verify_code
    if code == _EXPIRED:
        return CheckFailure("check-cert-expired", f"the server's certificate has expired: the provider must renew it (a client that ignores this can be intercepted)")
    if code == _NOT_YET_VALID:
        return CheckFailure("check-cert-expired", "the server's certificate is not valid yet: check this machine's clock, or the provider's certificate")
    if code == _HOSTNAME_MISMATCH:
        return CheckFailure("check-cert-name", f"the server's certificate is not issued for {host}: use the host name the provider documents (the one its certificate names)")
    if code in _UNTRUSTED:
        return CheckFailure("check-cert-untrusted", f"the server's certificate is not signed by a trusted authority ({exc.verify_message}): use the provider's documented host, or give its CA with --ca-file")
    return CheckFailure("check-cert-untrusted", f"the server's certificate was rejected: {exc.verify_message}")


def describe(sock: ssl.SSLSocket) -> str:
    """The negotiated version and the certificate's expiry, for the phase's detail."""
    cert = sock.getpeercert() or {}
    until = f", certificate valid until {cert['notAfter']}" if cert.get("notAfter") else ""
    return f"{sock.version()}{until}"
