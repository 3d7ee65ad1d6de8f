"""Mail in: every raw message that reaches the desk (IMAP, a mail server's pipe, the API) goes through `ingest`.

The order of the checks is the contract (SPEC §10): a Message-ID seen before is a duplicate; auto-replies and bounces
are ignored and never answered; then threading by In-Reply-To/References, by the signed reply address, by `[#id]` in
the subject (only from the ticket's customer or CC addresses); otherwise a new ticket. Every message leaves one
log entry; the ticket work and that entry commit together, so a failure halfway leaves no half-made ticket.
"""
import hashlib
import io
import logging
import os
from dataclasses import dataclass

from flask import current_app
from peewee import JOIN, fn

from ..db import write
from ..mail.parse import UnreadableMail, find_ticket_number, parse
from ..models import INBOUND_OUTCOMES, InboundEmail, MailReference, Ticket, TicketCC, User, utcnow
from . import attachments, mail, signals, tickets
from .errors import Conflict, NotFound, ValidationError
from .paging import keyset_page
from .permissions import KeyHolder, require_admin

log = logging.getLogger(__name__)

NO_TEXT = "(This e-mail had no text.)"


@dataclass
class Outcome:
    outcome: str
    reason: str
    ticket: Ticket | None = None


# ------------------------------------------------------------------------------------------------------- raw storage


def _raw_path(sha256):
    return os.path.join(current_app.instance_path, "mail", "inbound", sha256[:2], sha256 + ".eml")


def _keep_raw(raw):
    """Keep the raw message (once per content) so an entry that ended in `error` can be tried again."""
    sha256 = hashlib.sha256(raw).hexdigest()
    path = _raw_path(sha256)
    if not os.path.exists(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        temp = f"{path}.{os.getpid()}.part"
        with open(temp, "wb") as out:
            out.write(raw)
        os.replace(temp, path)
    return sha256


# The raw message stays for entries an admin may retry or look into; for the rest the ticket holds what counts.
RAW_KEPT_FOR = ("error", "rejected")


def _release_raw(entry):
    if entry.outcome in RAW_KEPT_FOR:
        return
    still_needed = InboundEmail.select().where(InboundEmail.raw_sha256 == entry.raw_sha256,
                                               InboundEmail.outcome.in_(RAW_KEPT_FOR)).exists()
    if not still_needed:
        try:
            os.remove(_raw_path(entry.raw_sha256))
        except FileNotFoundError:
            pass


def raw_message(entry):
    """The bytes of a logged message. :raises NotFound: when they are gone."""
    try:
        with open(_raw_path(entry.raw_sha256), "rb") as f:
            return f.read()
    except OSError:
        raise NotFound("The original message is no longer stored.")


# ---------------------------------------------------------------------------------------------------------- the log


def list_entries(actor, outcome=None, cursor=None, limit=25):
    """The inbound log, newest first, optionally one outcome only (admins).

    :raises PermissionDenied: for anyone but admins.
    :raises ValidationError: for an unknown outcome or a bad cursor.
    """
    require_admin(actor)
    query = InboundEmail.select()
    if outcome:
        if outcome not in INBOUND_OUTCOMES:
            raise ValidationError({"outcome": f"Outcomes are: {', '.join(INBOUND_OUTCOMES)}."})
        query = query.where(InboundEmail.outcome == outcome)
    return keyset_page(query, InboundEmail.received_at, InboundEmail.id, "inbound", cursor, limit)


def outcome_counts(actor):
    """How many logged messages ended in each outcome (admins)."""
    require_admin(actor)
    rows = InboundEmail.select(InboundEmail.outcome, fn.COUNT(InboundEmail.id).alias("n")).group_by(InboundEmail.outcome)
    found = {row.outcome: row.n for row in rows}
    return {outcome: found.get(outcome, 0) for outcome in INBOUND_OUTCOMES}


# ------------------------------------------------------------------------------------------------------------ ingest


def ingest(raw, source):
    """Take one raw RFC 5322 message; returns its log entry (outcome, reason, ticket). Never raises for bad mail."""
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogateescape")
    entry = InboundEmail(source=source, size=len(raw), raw_sha256=_keep_raw(raw), received_at=utcnow())
    _process(entry, raw)
    _release_raw(entry)
    return entry


def submit(actor, raw):
    """An admin hands in one raw message (the API's way in). :raises PermissionDenied: for anyone else."""
    require_admin(actor)
    return ingest(raw, "api")


def retry(actor, entry_id):
    """Run a message whose entry ended in `error` through the desk again, updating that entry.

    :raises PermissionDenied: for anyone but admins.
    :raises NotFound: for an unknown entry.
    :raises Conflict: when the entry did not end in error.
    """
    require_admin(actor)
    entry = InboundEmail.get_or_none(InboundEmail.id == entry_id)
    if entry is None:
        raise NotFound("No such inbound e-mail.")
    if entry.outcome != "error":
        raise Conflict("Only a message that ended in an error can be tried again.")
    _process(entry, raw_message(entry))
    _release_raw(entry)
    return entry


def _process(entry, raw):
    try:
        parsed = parse(raw, max_bytes=int(current_app.config["MAX_INBOUND_MB"] * 1024 * 1024))
    except UnreadableMail as error:
        entry.message_id = entry.message_id or f"sha256-{entry.raw_sha256}@unreadable.invalid"
        return _log(entry, Outcome("rejected", error.reason))
    entry.message_id = parsed.message_id[:255]
    entry.from_address = parsed.from_address[:254]
    entry.subject = parsed.subject[:250]
    known_id = entry.id  # a retry updates its entry; a first try must not keep an id its rollback took back
    stored = []
    try:
        stored, dropped = _store_attachments(parsed.attachments)
        with signals.held(), write():
            _log(entry, _decide(entry, parsed, stored, dropped))
        return entry
    except _Refused as refused:
        entry.id = known_id
        _log(entry, Outcome("rejected", refused.reason, refused.ticket))
        signals.announce(signals.mail_refused, refused.ticket, to=parsed.from_address, subject=parsed.subject,
                         reason=refused.reason)
        return entry
    except Exception as error:  # a defect or a database failure: nothing of the ticket stays, the raw mail does
        log.exception("inbound message %s failed", entry.message_id)
        entry.id = known_id
        return _log(entry, Outcome("error", f"{type(error).__name__}: {error}"[:1000]))
    finally:
        attachments.forget(stored)


def _log(entry, result):
    entry.outcome, entry.reason, entry.ticket = result.outcome, result.reason, result.ticket
    with write():
        entry.save()
    return entry


def _decide(entry, parsed, stored, dropped):
    if _seen_before(entry, parsed.message_id):
        return Outcome("duplicate", "This Message-ID was seen before.")
    if parsed.auto_reason:
        return Outcome("ignored", f"Automatic mail ({parsed.auto_reason}): never answered, so mail cannot loop.")
    if mail.is_desk_address(parsed.from_address):
        return Outcome("ignored", "Sent from the desk's own address.")
    if not parsed.from_address:
        return Outcome("rejected", "The message has no sender address.")
    ticket, how = _find_ticket(parsed)
    if ticket is not None:
        return _add_to_ticket(ticket, how, parsed, stored, dropped)
    return _open_ticket(parsed, stored, dropped)


def _seen_before(entry, message_id):
    earlier = InboundEmail.select().where(InboundEmail.message_id == message_id, InboundEmail.outcome != "error")
    if entry.id is not None:
        earlier = earlier.where(InboundEmail.id != entry.id)
    sent_by_us = MailReference.select().where(MailReference.message_id == message_id,
                                              MailReference.direction == "out")
    return earlier.exists() or sent_by_us.exists()


# ---------------------------------------------------------------------------------------------------------- threading


def _live(ticket_id):
    return (Ticket.select(Ticket, User).join(User, on=(Ticket.customer == User.id), attr="customer")
            .where(Ticket.id == ticket_id, Ticket.deleted_at.is_null()).first())


def _find_ticket(parsed):
    """(ticket, how) for the first rule that matches, or (None, None)."""
    named = [m for m in parsed.in_reply_to + parsed.references if m]
    if named:
        row = (MailReference.select(MailReference.ticket)
               .join(Ticket, JOIN.INNER, on=(MailReference.ticket == Ticket.id))
               .where(MailReference.message_id.in_(named[-50:]), Ticket.deleted_at.is_null())
               .order_by(MailReference.id.desc()).first())
        if row is not None:
            return _live(row.ticket_id), "In-Reply-To/References"
    for address in parsed.delivered_to + parsed.to + parsed.cc:
        ticket_id = mail.ticket_id_for_address(address)
        if ticket_id is not None:
            ticket = _live(ticket_id)
            if ticket is not None:
                return ticket, "its reply address"
    number = find_ticket_number(parsed.subject)
    if number is not None:
        ticket = _live(number)
        # A ticket number alone proves nothing: only the people on the ticket may add to it that way.
        if ticket is not None and _is_on_ticket(ticket, parsed.from_address):
            return ticket, f"[#{number}] in the subject"
    return None, None


def _is_on_ticket(ticket, address):
    return address == ticket.customer.email or TicketCC.select().where(
        TicketCC.ticket == ticket.id, TicketCC.email == address).exists()


def _other_addresses(parsed, customer_email):
    """The To/Cc addresses that are neither the desk's own nor the ticket's customer: the ticket's CC list."""
    found = []
    for address in parsed.to + parsed.cc:
        if address and address != customer_email and not mail.is_desk_address(address) and address not in found:
            found.append(address)
    return found


# -------------------------------------------------------------------------------------------------- the ticket work


def _store_attachments(parts):
    """Write the mail's files into the store; a file over the limit or beyond the count is dropped and named."""
    stored, dropped = [], []
    for part in parts:
        if len(stored) >= attachments.MAX_FILES:
            dropped.append(f"{part.filename} (more than {attachments.MAX_FILES} files)")
            continue
        try:
            stored.append(attachments.store(io.BytesIO(part.data), part.filename, part.content_type))
        except attachments.PayloadTooLarge:
            dropped.append(f"{part.filename} (larger than {current_app.config['MAX_ATTACHMENT_MB']:g} MB)")
        except ValidationError:
            dropped.append(f"{part.filename} (empty)")
    return stored, dropped


def _body(parsed, dropped):
    body = parsed.body.strip() or NO_TEXT
    if len(body) > tickets.MAX_BODY - 2000:
        body = body[: tickets.MAX_BODY - 2000].rstrip() + "\n\n(The rest of this long e-mail was cut.)"
    if dropped:
        body += "\n\nAttachments not kept: " + "; ".join(dropped)[:1500]
    return body


def _sender(parsed):
    """The person behind the From address, created as an unverified customer when new."""
    user = User.get_or_none(User.email == parsed.from_address)
    if user is None:
        name = (parsed.from_name or parsed.from_address.split("@")[0]).strip()[:120]
        user = User.create(email=parsed.from_address, name=name if len(name) >= 2 else parsed.from_address[:120])
    return user


def _attachment_ids(stored, owner):
    return [row.id for row in attachments.record(stored, owner)]


def _add_to_ticket(ticket, how, parsed, stored, dropped):
    sender = _sender(parsed)
    body = _body(parsed, dropped)
    ids = _attachment_ids(stored, sender)
    MailReference.create(ticket=ticket.id, message_id=parsed.message_id[:255], direction="in")
    if sender.is_staff:
        # A From line is easy to forge: mail from a staff address never speaks to the customer, it becomes a note.
        tickets.reply(sender, ticket.id, body, internal=True, attachment_ids=ids)
        return Outcome("threaded", f"Matched by {how}; from a staff address, so added as an internal note.", ticket)
    try:
        tickets.reply(KeyHolder(ticket, sender), ticket.id, body, attachment_ids=ids)
    except Conflict as error:
        raise _Refused(ticket, error.message)
    tickets.add_cc(ticket, _other_addresses(parsed, ticket.customer.email))
    return Outcome("threaded", f"Matched by {how}.", ticket)


def _open_ticket(parsed, stored, dropped):
    sender = _sender(parsed)
    if sender.is_staff:
        return Outcome("rejected", "Mail from a staff address opens no ticket: file it in the agent workspace.")
    if not sender.is_active:
        return Outcome("rejected", "The sender's account is deactivated.")
    subject = parsed.subject if len(parsed.subject) >= 2 else "(no subject)"
    ids = _attachment_ids(stored, sender)
    ticket = tickets.create_ticket(sender, subject, _body(parsed, dropped), channel="email", attachment_ids=ids,
                                   with_access_key=True)
    MailReference.create(ticket=ticket.id, message_id=parsed.message_id[:255], direction="in")
    tickets.add_cc(ticket, _other_addresses(parsed, sender.email))
    return Outcome("new_ticket", "No earlier ticket matched: a new ticket was opened.", ticket)


class _Refused(Exception):
    def __init__(self, ticket, reason):
        super().__init__(reason)
        self.ticket, self.reason = ticket, reason
