"""Building raw mails for tests, and reading what the desk sent."""
from email import policy
from email.message import EmailMessage
from email.utils import make_msgid

from portal.services import mail

DESK = "support@localhost"


def raw_mail(frm="cara@example.com", subject="Printer jam", body="The printer jams on every page.", to=DESK,
             cc=None, message_id=None, in_reply_to=None, references=None, headers=None, attachments=()):
    """One raw RFC 5322 message as bytes; `attachments` are (filename, content type, bytes)."""
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = frm
    message["To"] = to
    if cc:
        message["Cc"] = cc
    message["Subject"] = subject
    message["Message-ID"] = message_id or make_msgid(domain="mail.example.com")
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    if references:
        message["References"] = references
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    for filename, content_type, data in attachments:
        maintype, _, subtype = content_type.partition("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return message.as_bytes()


def answer_to(sent, frm, text):
    """The reply a person's mail client makes to a mail of the desk: to its Reply-To, threaded, the original quoted."""
    quoted = "\n".join("> " + line for line in sent.get_content().splitlines())
    references = " ".join(filter(None, [sent.get("References"), sent["Message-ID"]]))
    return raw_mail(
        frm=frm,
        to=sent["Reply-To"] or sent["From"],
        subject="Re: " + sent["Subject"],
        body=f"{text}\n\nOn Tue, 1 Dec 2026 at 10:00, Support Desk <{DESK}> wrote:\n{quoted}\n",
        in_reply_to=sent["Message-ID"],
        references=references,
    )


def outbox(app):
    """Every message the desk has sent so far, oldest first."""
    with app.app_context():
        return mail.sent_messages()


def sent_to(app, address):
    return [m for m in outbox(app) if address in (m["To"] or "") or address in (m["Cc"] or "")]
