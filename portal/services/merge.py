"""Merging tickets: one conversation that arrived twice becomes one ticket.

The source's replies and notes (with their attachments) move to the target, where they fall into place by time; both
tickets get an event line; the source is closed, locked and points at the target; its customer, when another person,
is copied on the target's public replies from then on. The source keeps its own event lines and history, which
describe that ticket.
"""
import re
from dataclasses import dataclass, field

from peewee import fn

from .. import search
from ..db import write
from ..models import OPEN_STATUSES, Message, Ticket, utcnow
from . import tickets
from .errors import Conflict, ValidationError
from .permissions import can_see_ticket, check_ticket, require_staff

MOVED_KINDS = ("reply", "note")
_NUMBER = re.compile(r"^#?\s*(\d{1,12})$")


@dataclass
class MergePlan:
    """What a merge will do, for the confirmation step."""

    source: Ticket
    target: Ticket
    replies: int = 0  # public replies that move
    notes: int = 0  # internal notes that move
    new_cc: list = field(default_factory=list)  # addresses the target will copy its public replies to


def ticket_number(text):
    """The ticket number in what someone typed ("12" or "#12"), or None when it is not a number."""
    match = _NUMBER.match((text or "").strip())
    return int(match.group(1)) if match else None


def _target_id(into_id):
    if isinstance(into_id, bool):
        into_id = None
    number = into_id if isinstance(into_id, int) else ticket_number(str(into_id or ""))
    if not number or number < 1:
        raise ValidationError({"into_id": "Enter the number of the ticket to merge into."})
    return number


def _check(source, target, into_id):
    """:raises Conflict: for every merge that would lose or tangle a conversation."""
    if source.merged_into_id:
        raise Conflict(f"Ticket #{source.id} is already merged into #{source.merged_into_id}.")
    if source.deleted_at is not None:
        raise Conflict(f"Ticket #{source.id} is in the trash; restore it before merging it.")
    if target is None:
        raise ValidationError({"into_id": f"There is no ticket #{into_id}."})
    if target.id == source.id:
        raise Conflict("A ticket cannot be merged into itself; choose another ticket.")
    if target.merged_into_id:
        raise Conflict(f"Ticket #{target.id} was itself merged into #{target.merged_into_id}; "
                       f"merge into #{target.merged_into_id} instead.")
    if target.deleted_at is not None:
        raise Conflict(f"Ticket #{target.id} is in the trash; it cannot take another ticket's messages.")


def _load_pair(actor, ticket_id, into_id):
    number = _target_id(into_id)
    source = tickets.load_ticket(ticket_id) if str(ticket_id).isdigit() else None
    check_ticket(actor, source)
    target = tickets.load_ticket(number)
    _check(source, target, number)
    return source, target


def _cc_to_add(source, target):
    """The source's customer (when another person) and its CC addresses, less those the target already reaches."""
    wanted = [source.customer.email] + list(source.cc_list)
    known = set(target.cc_list) | {target.customer.email}
    return [address for address in dict.fromkeys(wanted) if address not in known]


def preview(actor, ticket_id, into_id):
    """What merging `ticket_id` into `into_id` would move and change, checked as the merge itself checks.

    :raises NotFound: when the source does not exist (or is in the trash, for agents).
    :raises PermissionDenied: for customers.
    :raises Conflict: when the merge is not possible.
    :raises ValidationError: when `into_id` names no ticket.
    """
    require_staff(actor)
    source, target = _load_pair(actor, ticket_id, into_id)
    counts = dict(
        Message.select(Message.kind, fn.COUNT(Message.id))
        .where(Message.ticket == source.id, Message.kind.in_(MOVED_KINDS))
        .group_by(Message.kind)
        .tuples()
    )
    return MergePlan(source=source, target=target, replies=counts.get("reply", 0), notes=counts.get("note", 0),
                     new_cc=_cc_to_add(source, target))


def merge_tickets(actor, ticket_id, into_id):
    """Merge a ticket into another in one transaction; returns the target ticket, now holding both threads.

    :raises NotFound: when the source does not exist (or is in the trash, for agents).
    :raises PermissionDenied: for customers.
    :raises Conflict: merging into itself, into a merged or trashed ticket, or a ticket already merged.
    :raises ValidationError: when `into_id` names no ticket.
    """
    require_staff(actor)
    number = _target_id(into_id)
    with write():
        source, target = _load_pair(actor, ticket_id, number)
        now = utcnow()
        moved = list(
            Message.select(Message.id, Message.kind, Message.is_public)
            .where(Message.ticket == source.id, Message.kind.in_(MOVED_KINDS))
        )
        public_replies = sum(1 for m in moved if m.kind == "reply" and m.is_public)
        if moved:
            Message.update(ticket=target.id).where(Message.id.in_([m.id for m in moved])).execute()

        source.merged_into = target.id
        source.message_count = max(0, source.message_count - public_replies)
        # Its conversation left with the messages: nothing there waits on anyone any more.
        last_customer, last_agent = source.last_customer_message_at, source.last_agent_message_at
        source.last_customer_message_at = source.last_agent_message_at = None
        tickets._set_status(source, "closed", actor, now)
        if not source.locked:
            source.locked = True
            tickets._record(source, actor, "locked", "false", "true", now)
        # One customer: both lines are theirs to read. Two customers: the numbers are staff business, and each
        # customer gets a plain notice instead.
        same_customer = source.customer_id == target.customer_id
        tickets._record(source, actor, "merged_into", None, target.id, now,
                        text=f"Merged into #{target.id} by {actor.name}", public=same_customer)
        source.updated_at = now
        source.save()

        tickets._record(target, actor, "merged_from", None, source.id, now,
                        text=f"#{source.id} merged into this ticket by {actor.name}", public=same_customer)

        new_cc = _cc_to_add(source, target)
        if new_cc:
            before = list(target.cc_list)
            added = tickets.add_cc(target, new_cc)
            if added:
                tickets._record(target, actor, "cc", ", ".join(before), ", ".join(before + added), now)

        target.message_count += public_replies
        target.last_customer_message_at = _latest(target.last_customer_message_at, last_customer)
        target.last_agent_message_at = _latest(target.last_agent_message_at, last_agent)
        target.updated_at = now
        target.save()

        search.index_ticket(source)
        search.index_ticket(target)
    tickets.announce_changes(source, actor)
    tickets.announce_changes(target, actor)
    return tickets.get_ticket(actor, target.id)


def _latest(a, b):
    return max(a, b) if a and b else (a or b)


def candidates(actor, ticket_id, text="", limit=6):
    """Tickets the agent may merge `ticket_id` into: the one numbered `text`, then the same customer's open tickets,
    then the tickets matching the words of `text`; never itself, a merged or a trashed ticket.

    :raises NotFound: when the source does not exist.
    :raises PermissionDenied: for customers.
    """
    require_staff(actor)
    source = tickets.get_ticket(actor, ticket_id)
    text = (text or "").strip()[:200]
    found = {}

    def keep(items):
        for ticket in items:
            if len(found) < limit and ticket.id != source.id and not ticket.merged_into_id and not ticket.deleted_at:
                found.setdefault(ticket.id, ticket)

    number = ticket_number(text)
    if number:
        exact = tickets.load_ticket(number)
        if exact is not None and can_see_ticket(actor, exact):
            keep([exact])
    words = "" if number else text
    mine = tickets.TicketFilter(customer_id=source.customer_id, statuses=list(OPEN_STATUSES), search=words)
    keep(tickets.list_tickets(actor, mine, limit=limit + 1).items)
    if words:
        keep(tickets.list_tickets(actor, tickets.TicketFilter(search=words), limit=limit * 2).items)
    return list(found.values())


def visible_target(actor, ticket):
    """The ticket a merged ticket went into, when `actor` may open it; None otherwise (or when not merged)."""
    if not ticket.merged_into_id:
        return None
    target = Ticket.get_or_none(Ticket.id == ticket.merged_into_id)
    if target is None or not can_see_ticket(actor, target):
        return None
    return target

