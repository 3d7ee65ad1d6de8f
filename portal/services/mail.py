"""Mail the desk sends: composed at once, delivered by a job with retries, threaded per ticket.

Every mail about a ticket carries In-Reply-To/References of the ticket's mail thread and a Reply-To address with a
signed per-ticket token (support+<id>-<signature>@domain), so an answer from any mail client comes back to it.
"""
import hashlib
import hmac
import re
from datetime import timedelta
from email.utils import getaddresses

from flask import current_app

from ..db import write
from ..mail import outgoing
from ..models import MailReference, OutgoingMail, TicketCC, utcnow
from .errors import Conflict, NotFound
from .permissions import require_admin

REFERENCES_KEPT = 10  # enough for every mail client to thread; a 500-message ticket does not make a 40 kB header
MAX_ATTEMPTS = 12
FIRST_RETRY = timedelta(seconds=30)  # doubled after every failure: the last try comes about a day and a half later
CLAIM = timedelta(minutes=10)  # a delivery in progress holds its row this long; a dead worker's row is free after
KEEP_SENT = timedelta(days=30)
FAILED_SHOWN = 50
_TOKEN = re.compile(r"^[^+@]+\+(\d{1,15})-([0-9a-f]{16})@", re.IGNORECASE)


def send(to, subject, text, cc=(), auto_submitted=True):
    """Compose one message and queue its delivery; returns the composed message."""
    message = outgoing.compose(to, subject, text, cc=cc, auto_submitted=auto_submitted)
    _queue(message)
    return message


def send_about_ticket(ticket, to, subject, text, cc=()):
    """A message in the ticket's mail thread, answerable by mail; its Message-ID joins the thread."""
    references = thread_references(ticket.id)
    message_id = outgoing.new_message_id()
    message = outgoing.compose(
        to, subject, text, cc=cc, reply_to=reply_address(ticket.id), message_id=message_id,
        in_reply_to=references[-1] if references else None, references=references,
    )
    with write():
        MailReference.create(ticket=ticket.id, message_id=message_id, direction="out")
    _queue(message)
    return message


def _queue(message):
    """Store the message for delivery (that is what cannot be lost), then ask the worker to send it."""
    from .. import jobs  # the job queue imports the services its jobs call

    recipients = [address for _, address in getaddresses(message.get_all("To", []) + message.get_all("Cc", []))]
    with write():
        row = OutgoingMail.create(sender=outgoing.desk_address(), recipients=",".join(recipients),
                                  subject=str(message["Subject"] or "")[:250], raw=message.as_bytes())
    jobs.deliver_mail(row.id)


# --------------------------------------------------------------------------------------------------------- delivery


def deliver(mail_id):
    """Send one stored message if it is due and no other worker is sending it.

    Safe to call twice: the row is claimed first, and a sent or failed row is left alone. Returns how long to wait
    before the next try after a failure, or None (sent, failed for good, or not this caller's to send).
    """
    now = utcnow()
    with write():
        claimed = (OutgoingMail
                   .update(next_attempt_at=now + CLAIM, attempts=OutgoingMail.attempts + 1)
                   .where(OutgoingMail.id == mail_id, OutgoingMail.sent_at.is_null(), OutgoingMail.failed_at.is_null(),
                          OutgoingMail.next_attempt_at <= now + timedelta(seconds=1))
                   .execute())
    if not claimed:
        return None
    row = OutgoingMail.get_by_id(mail_id)
    try:
        outgoing.deliver(bytes(row.raw), row.sender, row.recipients.split(","))
    except Exception as error:  # a mail server that is down, refuses, or anything else: the row says what and when
        return _failed_attempt(row, error)
    with write():
        OutgoingMail.update(sent_at=utcnow(), last_error="").where(OutgoingMail.id == mail_id).execute()
    return None


def _failed_attempt(row, error):
    text = f"{type(error).__name__}: {error}"[:2000]
    current_app.logger.warning("mail %d to %s failed (try %d): %s", row.id, row.recipients, row.attempts, text)
    with write():
        if row.attempts >= MAX_ATTEMPTS:
            OutgoingMail.update(failed_at=utcnow(), last_error=text).where(OutgoingMail.id == row.id).execute()
            return None
        delay = FIRST_RETRY * 2 ** (row.attempts - 1)
        OutgoingMail.update(next_attempt_at=utcnow() + delay, last_error=text).where(OutgoingMail.id == row.id).execute()
    return delay


def due_mail(limit=100):
    """Ids of messages still to send whose time has come: retries a stopped worker missed, claims of a dead one."""
    rows = (OutgoingMail.select(OutgoingMail.id)
            .where(OutgoingMail.sent_at.is_null(), OutgoingMail.failed_at.is_null(),
                   OutgoingMail.next_attempt_at <= utcnow())
            .order_by(OutgoingMail.next_attempt_at).limit(limit))
    return [row.id for row in rows]


def failed_mail(actor):
    """Messages whose every try failed, newest first (admins). :raises PermissionDenied: for anyone else."""
    require_admin(actor)
    return list(OutgoingMail.select(OutgoingMail.id, OutgoingMail.recipients, OutgoingMail.subject,
                                    OutgoingMail.attempts, OutgoingMail.failed_at, OutgoingMail.last_error)
                .where(OutgoingMail.failed_at.is_null(False))
                .order_by(OutgoingMail.failed_at.desc()).limit(FAILED_SHOWN))


def send_again(actor, mail_id):
    """Give a message that failed for good a fresh set of tries (admins).

    :raises PermissionDenied: for anyone else. :raises NotFound: for an unknown message.
    :raises Conflict: when it did not fail.
    """
    from .. import jobs

    require_admin(actor)
    with write():
        row = OutgoingMail.get_or_none(OutgoingMail.id == mail_id)
        if row is None:
            raise NotFound("No such message.")
        if row.failed_at is None:
            raise Conflict("Only a message that could not be delivered can be sent again.")
        OutgoingMail.update(failed_at=None, attempts=0, next_attempt_at=utcnow()).where(
            OutgoingMail.id == mail_id).execute()
    jobs.deliver_mail(mail_id)


def forget_sent(older_than=KEEP_SENT):
    """Delete delivered messages older than `older_than`; returns how many went."""
    with write():
        return OutgoingMail.delete().where(OutgoingMail.sent_at < utcnow() - older_than).execute()


def thread_references(ticket_id):
    """The latest Message-IDs sent or received on a ticket, oldest first."""
    rows = (MailReference.select(MailReference.message_id)
            .where(MailReference.ticket == ticket_id)
            .order_by(MailReference.created_at.desc(), MailReference.id.desc())
            .limit(REFERENCES_KEPT))
    return [row.message_id for row in reversed(list(rows))]


def _signature(ticket_id):
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"reply-address:{ticket_id}".encode(), hashlib.sha256).hexdigest()[:16]


def reply_address(ticket_id):
    """The ticket's own answer address: the desk's address with a signed token after a plus."""
    local, _, domain = outgoing.desk_address().partition("@")
    return f"{local}+{ticket_id}-{_signature(ticket_id)}@{domain}"


def ticket_id_for_address(address):
    """The ticket id whose signed token is in this address, or None (no token, or a forged one)."""
    match = _TOKEN.match(address or "")
    if not match:
        return None
    ticket_id = int(match.group(1))
    return ticket_id if hmac.compare_digest(match.group(2).lower(), _signature(ticket_id)) else None


def is_desk_address(address):
    """Whether an address is the desk's own (its sending address, a plus variant of it, or an alias)."""
    address = (address or "").lower()
    own = outgoing.desk_address().lower()
    local, _, domain = own.partition("@")
    aliases = {a.strip().lower() for a in (current_app.config.get("MAIL_ALIASES") or "").split(",") if a.strip()}
    return address == own or address in aliases or (address.startswith(local + "+") and address.endswith("@" + domain))


def cc_addresses(ticket_id):
    """The addresses that receive a ticket's public replies besides its customer."""
    return [row.email for row in TicketCC.select(TicketCC.email).where(TicketCC.ticket == ticket_id)
            .order_by(TicketCC.id)]


def sent_messages():
    """Messages in the outbox folder, oldest first (for development and tests)."""
    return outgoing.read_folder(outgoing.outbox_folder())
