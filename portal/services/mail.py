"""Mail the desk sends: composed at once, delivered by a job with retries, threaded per ticket.

Every mail about a ticket carries In-Reply-To/References of the ticket's mail thread and a Reply-To address with a
signed per-ticket token (support+<id>-<signature>@domain), so an answer from any mail client comes back to it.
"""
import hashlib
import hmac
import re
from email.utils import getaddresses

from flask import current_app

from ..db import write
from ..mail import outgoing
from ..models import MailReference, TicketCC

REFERENCES_KEPT = 10  # enough for every mail client to thread; a 500-message ticket does not make a 40 kB header
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
    from .. import jobs  # the job queue imports the services its jobs call

    recipients = [address for _, address in getaddresses(message.get_all("To", []) + message.get_all("Cc", []))]
    jobs.deliver_mail(message.as_bytes(), outgoing.desk_address(), recipients)


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
    """Messages in the outbox, oldest first (for development and tests)."""
    return outgoing.read_folder(outgoing.outbox_folder())
