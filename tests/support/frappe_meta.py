"""What the fake knows of the Frappe v15 doctypes: fields with type, label, default, options and
`reqd` (research/erpnext/v15/*.fields.json, layout fields left out), the fields an Email Domain
shares with its accounts (email-account.md point 7), and the role permissions (apis.md 1.1).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

ACCOUNT, DOMAIN, FOLDER = "Email Account", "Email Domain", "IMAP Folder"


class Field(NamedTuple):
    fieldtype: str
    label: str
    default: Any
    options: Any  # Select: the allowed values; Table: the child doctype
    reqd: int


def _meta(*rows: tuple) -> dict[str, Field]:
    return {row[0]: Field(*row[1:]) for row in rows}


# fieldname, fieldtype, label, default, options, reqd (layout fields left out)
META: dict[str, dict[str, Field]] = {
    ACCOUNT: _meta(
        ("email_id", "Data", "Email Address", None, None, 1),
        ("email_account_name", "Data", "Email Account Name", None, None, 0),
        ("domain", "Link", "Domain", None, None, 0),
        ("service", "Select", "Service", None,
         ("", "GMail", "Sendgrid", "SparkPost", "Yahoo Mail", "Outlook.com", "Yandex.Mail"), 0),
        ("auth_method", "Select", "Method", "Basic", ("Basic", "OAuth"), 0),
        ("backend_app_flow", "Check", "Authenticate as Service Principal", 0, None, 0),
        ("password", "Password", "Password", None, None, 0),
        ("awaiting_password", "Check", "Awaiting password", 0, None, 0),
        ("ascii_encode_password", "Check", "Use ASCII encoding for password", 0, None, 0),
        ("connected_app", "Link", "Connected App", None, None, 0),
        ("connected_user", "Link", "Connected User", None, None, 0),
        ("login_id_is_different", "Check", "Use different Email ID", 0, None, 0),
        ("login_id", "Data", "Alternative Email ID", None, None, 0),
        ("enable_incoming", "Check", "Enable Incoming", 0, None, 0),
        ("default_incoming", "Check", "Default Incoming", 0, None, 0),
        ("use_imap", "Check", "Use IMAP", 0, None, 0),
        ("use_ssl", "Check", "Use SSL", 0, None, 0),
        ("use_starttls", "Check", "Use STARTTLS", 0, None, 0),
        ("email_server", "Data", "Incoming Server", None, None, 0),
        ("incoming_port", "Data", "Port", None, None, 0),
        ("attachment_limit", "Int", "Attachment Limit (MB)", None, None, 0),
        ("email_sync_option", "Select", "Email Sync Option", "UNSEEN", ("ALL", "UNSEEN"), 0),
        ("initial_sync_count", "Select", "Initial Sync Count", "250", ("100", "250", "500"), 0),
        ("imap_folder", "Table", "IMAP Folder", None, FOLDER, 0),
        ("append_emails_to_sent_folder", "Check", "Append Emails to Sent Folder", 0, None, 0),
        ("sent_folder_name", "Data", "Sent Folder Name", None, None, 0),
        ("append_to", "Link", "Append To", None, None, 0),
        ("create_contact", "Check", "Create Contacts from Incoming Emails", 1, None, 0),
        ("enable_automatic_linking", "Check", "Enable Automatic Linking in Documents", 0, None, 0),
        ("notify_if_unreplied", "Check", "Notify if unreplied", 0, None, 0),
        ("unreplied_for_mins", "Int", "Notify if unreplied for (in mins)", 30, None, 0),
        ("send_notification_to", "Small Text", "Send Notification to", None, None, 0),
        ("enable_outgoing", "Check", "Enable Outgoing", 0, None, 0),
        ("use_tls", "Check", "Use TLS", 0, None, 0),
        ("use_ssl_for_outgoing", "Check", "Use SSL", 0, None, 0),
        ("smtp_server", "Data", "Outgoing Server", None, None, 0),
        ("smtp_port", "Data", "Port", None, None, 0),
        ("default_outgoing", "Check", "Default Outgoing", 0, None, 0),
        ("always_use_account_email_id_as_sender", "Check", "Always use this email address as sender address", 0, None, 0),
        ("always_use_account_name_as_sender_name", "Check", "Always use this name as sender name", 0, None, 0),
        ("send_unsubscribe_message", "Check", "Send unsubscribe message in email", 1, None, 0),
        ("track_email_status", "Check", "Track Email Status", 1, None, 0),
        ("no_smtp_authentication", "Check", "Disable SMTP server authentication", 0, None, 0),
        ("add_signature", "Check", "Add Signature", 0, None, 0),
        ("signature", "Text Editor", "Signature", None, None, 0),
        ("enable_auto_reply", "Check", "Enable Auto Reply", 0, None, 0),
        ("auto_reply_message", "Text Editor", "Auto Reply Message", None, None, 0),
        ("footer", "Text Editor", "Footer Content", None, None, 0),
        ("brand_logo", "Attach Image", "Brand Logo", None, None, 0),
        ("uidvalidity", "Data", "UIDVALIDITY", None, None, 0),
        ("uidnext", "Int", "UIDNEXT", None, None, 0),
        ("no_failed", "Int", "no failed attempts", None, None, 0),
    ),
    DOMAIN: _meta(
        ("domain_name", "Data", "Domain Name", None, None, 1),
        ("email_server", "Data", "Incoming Server", None, None, 1),
        ("use_imap", "Check", "Use IMAP", 0, None, 0),
        ("use_ssl", "Check", "Use SSL", 0, None, 0),
        ("use_starttls", "Check", "Use STARTTLS", 0, None, 0),
        ("incoming_port", "Data", "Port", None, None, 0),
        ("attachment_limit", "Int", "Attachment Limit (MB)", None, None, 0),
        ("smtp_server", "Data", "Outgoing Server", None, None, 1),
        ("use_tls", "Check", "Use TLS", 0, None, 0),
        ("use_ssl_for_outgoing", "Check", "Use SSL", 0, None, 0),
        ("smtp_port", "Data", "Port", None, None, 0),
        ("append_emails_to_sent_folder", "Check", "Append Emails to Sent Folder", 0, None, 0),
        ("sent_folder_name", "Data", "Sent Folder Name", "Sent", None, 0),
    ),
    FOLDER: _meta(
        ("folder_name", "Data", "Folder Name", None, None, 1),
        ("append_to", "Link", "Append To", None, None, 0),
        ("uidvalidity", "Data", "UIDVALIDITY", None, None, 0),
        ("uidnext", "Data", "UIDNEXT", None, None, 0),
    ),
}

#: Account fields with `fetch_from: domain.<same name>` (point 7); none has fetch_if_empty.
FETCHED_FROM_DOMAIN = (
    "use_imap", "email_server", "use_ssl", "attachment_limit", "smtp_server", "use_tls", "smtp_port",
    "incoming_port", "use_ssl_for_outgoing", "use_starttls", "sent_folder_name",
)
#: email_domain.py EMAIL_DOMAIN_FIELDS: what saving a domain pushes into its accounts (point 7).
EMAIL_DOMAIN_FIELDS = (
    "email_server", "use_imap", "use_ssl", "use_starttls", "use_tls", "attachment_limit", "smtp_server",
    "smtp_port", "use_ssl_for_outgoing", "append_emails_to_sent_folder", "incoming_port",
)
#: Doctypes with `email_append_to` on a plain ERPNext site: what `get_append_to()` offers.
APPEND_TO = ("Issue", "Job Applicant", "Lead", "Opportunity")
#: Who may do what (the doctypes' `permissions`): role -> doctype -> allowed operations.
PERMISSIONS: Mapping[str, Mapping[str, frozenset[str]]] = {
    "System Manager": {ACCOUNT: frozenset({"read", "create", "write", "delete"}),
                       DOMAIN: frozenset({"read", "create", "write", "delete"})},
    "Inbox User": {ACCOUNT: frozenset({"read"})},
}
