"""The test mail (`--send-test-to`) and the round trip (`--roundtrip`): sent through the account's
SMTP session, found in its incoming mailbox by Message-ID, then deleted."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from mailconf.probe.outcome import Check, CheckFailure
from mailconf.probe.service import Mailbox
from mailconf.probe.smtp import SmtpClient

#: How often the mailbox is asked whether the mail has arrived: an IMAP session asks again cheaply;
#: POP3 sees new mail only in a new session, a full login each time, which providers throttle.
POLL = 0.1
SNAPSHOT_POLL = 1.0


def test_message(sender: str, recipient: str, display_name: str | None) -> EmailMessage:
    message = EmailMessage()
    message["From"] = f"{display_name} <{sender}>" if display_name else sender
    message["To"] = recipient
    message["Subject"] = f"mailconf check: test mail from {sender}"
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(f"mailconf-check.{uuid.uuid4().hex[:12]}", domain=sender.rpartition("@")[2])
    message.set_content(f"This is a test mail sent by `mailconf check` through the account {sender}.\nIt needs no answer.\n")
    return message


def _explain(phase: str, exc: Exception) -> CheckFailure:
    if phase == "send":
        return CheckFailure("check-send-refused", f"sending the test mail failed: {type(exc).__name__}: {exc}")
    return CheckFailure("check-roundtrip", f"{phase} failed: {type(exc).__name__}: {exc}")


def send(smtp: SmtpClient, message: EmailMessage, sender: str, recipient: str, check: Check) -> None:
    with check.phase("send", _explain) as note:
        smtp.send(message, sender, recipient)
        note.detail = f"to {recipient}, {message['Message-ID']}"


def roundtrip(smtp: SmtpClient, message: EmailMessage, sender: str, mailbox: Mailbox, reopen: Callable[[], Mailbox], wait: float, check: Check) -> None:
    """Send `message` to the account itself, wait up to `wait` seconds for it in the mailbox, delete it.
    `mailbox` is the logged-in incoming client; `reopen` logs in anew (POP3 sees new mail only so),
    and whoever made the sessions closes them (closing commits a POP3 deletion)."""
    send(smtp, message, sender, sender, check)
    sent, message_id = time.monotonic(), str(message["Message-ID"])
    with check.phase("arrive", _explain) as note:
        known: set[bytes] = set()  # mails looked at already (POP3 fetches each one's headers once)
        while (found := mailbox.find(message_id, known)) is None:
            if time.monotonic() - sent > wait:
                raise CheckFailure("check-roundtrip", f"the test mail {message_id} did not arrive in {sender}'s INBOX within {wait:g} s: check the server's delivery (or its spam filter)")
            time.sleep(SNAPSHOT_POLL if mailbox.snapshot else POLL)
            if mailbox.snapshot:
                mailbox.close()  # the POP3 session must end for the next one to see new mail
                mailbox = reopen()
        note.detail = f"after {time.monotonic() - sent:.2f} s"
    with check.phase("delete", _explain) as note:
        note.detail = f"{message_id}: {mailbox.delete(found)}"
