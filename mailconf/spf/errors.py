"""SPF error classes, shaped after the RFC 7208 results they lead to.

Evaluation turns `SpfPermError` into "permerror" and `SpfTempError` into "temperror"; everywhere
else they are ordinary `MailconfError`s that the command line prints without a traceback.
"""

from mailconf.errors import MailconfError


class SpfError(MailconfError):
    """Base of every SPF problem."""


class SpfPermError(SpfError):
    """A record, or one it refers to, is broken in a way only its publisher can fix (permerror)."""


class SpfSyntaxError(SpfPermError):
    """A record or a term does not match the RFC 7208 grammar (section 12)."""


class SpfTempError(SpfError):
    """A DNS query failed in a way that may go away on retry: timeout, SERVFAIL, REFUSED (temperror)."""
