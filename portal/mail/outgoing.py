"""Outgoing mail: compose a message with the desk's headers, then deliver it over SMTP or into the outbox folder.

Without MAIL_SERVER every message is written to `<instance>/outbox/` as one .eml file, so a fresh install and the
tests can read what would have been sent. Composing happens in the request (or job) that decides to send; delivery
runs as a job with retries, so a mail server that is down delays mail and never a page.
"""
import os
import smtplib
import uuid
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import formataddr, formatdate, make_msgid, parseaddr

from flask import current_app

from ..models import utcnow


def desk_address():
    """The bare address the desk sends from, e.g. support@example.com."""
    return parseaddr(current_app.config["MAIL_FROM"])[1] or "support@localhost"


def new_message_id():
    """A fresh Message-ID (without angle brackets) on the desk's own domain."""
    return make_msgid(domain=desk_address().rpartition("@")[2] or "localhost").strip("<>")


def compose(to, subject, text, *, cc=(), reply_to=None, message_id=None, in_reply_to=None, references=(),
            auto_submitted=True):
    """One plain-text message with the headers every mail of the desk carries.

    `auto_submitted` marks notifications (RFC 3834) so well-behaved mail servers never answer them automatically.
    """
    config = current_app.config
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = formataddr((config["SITE_NAME"], desk_address()))
    message["To"] = to
    if cc:
        message["Cc"] = ", ".join(cc)
    message["Subject"] = subject
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = f"<{message_id or new_message_id()}>"
    if reply_to:
        message["Reply-To"] = reply_to
    if in_reply_to:
        message["In-Reply-To"] = f"<{in_reply_to}>"
    if references:
        message["References"] = " ".join(f"<{ref}>" for ref in references)
    if auto_submitted:
        message["Auto-Submitted"] = "auto-generated"
        message["X-Auto-Response-Suppress"] = "All"
    message.set_content(text)
    return message


def outbox_folder():
    return os.path.join(current_app.instance_path, "outbox")


def _write(folder, raw):
    os.makedirs(folder, exist_ok=True)
    # Time first so a listing reads oldest first; the random tail keeps two mails of one microsecond apart.
    name = f"{utcnow():%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}.eml"
    temp = os.path.join(folder, "." + name)
    with open(temp, "wb") as out:
        out.write(raw)
    os.replace(temp, os.path.join(folder, name))


def deliver(raw, sender, recipients):
    """Send composed bytes to their recipients. :raises OSError, smtplib.SMTPException: when it did not go."""
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        _write(outbox_folder(), raw)
        return
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=10) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
        smtp.sendmail(sender, recipients, raw)


def read_folder(folder):
    """The messages in one outbox folder, oldest first."""
    if not os.path.isdir(folder):
        return []
    messages = []
    for name in sorted(n for n in os.listdir(folder) if n.endswith(".eml") and not n.startswith(".")):
        with open(os.path.join(folder, name), "rb") as f:
            messages.append(BytesParser(policy=policy.default).parse(f))
    return messages
