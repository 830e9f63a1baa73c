"""SPF error classes, shaped after the RFC 7208 results they lead to.

Evaluation turns `SpfPermError` into "permerror" and `SpfTempError` into "temperror"; everywhere
else they are ordinary `MailconfError`s that the command line prints without a traceback. Each
carries a stable `code` (like a linter's) so that the analysis can report it without parsing
messages.
"""

from mailconf.errors import MailconfError


class SpfError(MailconfError):
    """Base of every SPF problem."""

    default_code = "spf-error"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code or self.default_code


class SpfPermError(SpfError):
    """A record, or one it refers to, is broken in a way only its publisher can fix (permerror)."""

    default_code = "spf-permerror"


class SpfSyntaxError(SpfPermError):
    """A record or a term does not match the RFC 7208 grammar (section 12)."""

    default_code = "spf-syntax"


class SpfTempError(SpfError):
    """A DNS query failed in a way that may go away on retry: timeout, SERVFAIL, REFUSED (temperror)."""

    default_code = "spf-dns-error"
