"""Tickets, their threads and their history."""
from flask import url_for

from ..services import merge, ratings, tickets
from . import schemas as s
from . import serializers as out
from .core import TOKEN, idempotency_key, list_meta, operation, whole_list_meta

TAG = "Tickets"


def _split(value):
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def _detail(actor, ticket_id):
    ticket = tickets.get_ticket(actor, ticket_id)
    return s.TicketDetailResponse(data=out.ticket_detail(ticket, tickets.thread(actor, ticket)))


@operation("GET", "/tickets", tag=TAG, summary="List tickets", query=s.TicketListQuery, response=s.TicketList,
           aliases={"assignee": "assignee_id"})
def list_tickets(actor, query):
    """Customers get their own tickets, agents every ticket; all filters combine.

    The order is stable while tickets keep arriving: follow `meta.next_cursor` to walk every page and each ticket
    comes exactly once.
    """
    flt = tickets.TicketFilter(
        statuses=_split(query.status),
        priorities=_split(query.priority),
        categories=_split(query.category),
        assignee="none" if query.unassigned else query.assignee_id,
        customer_id=query.customer_id,
        organization_id=query.organization_id,
        tags=_split(query.tags),
        search=query.search or "",
        sla=query.sla or "",
        order_by=query.order_by,
        order_dir=query.order_dir,
    )
    page = tickets.list_tickets(actor, flt, cursor=query.cursor or None, limit=query.limit)
    tickets.attach_cc(page.items)
    return s.TicketList(data=[out.ticket(t) for t in page.items], meta=list_meta(page))


@operation("POST", "/tickets", tag=TAG, summary="File a ticket", body=s.TicketCreate,
           response=s.TicketDetailResponse, status=201, idempotent=True)
def create_ticket(actor, body):
    """A new open ticket whose description is its first public message.

    Agents may file on behalf of a customer (`customer_email`), tag and assign it. Resending the same
    `Idempotency-Key` returns the ticket the first request created.
    """
    ticket = tickets.create_ticket(
        actor,
        subject=body.subject,
        description=body.description,
        category=body.category,
        priority=body.priority,
        channel="api",
        customer_email=body.customer_email,
        customer_name=body.customer_name,
        tags=body.tags,
        assignee_id=body.assignee_id,
        attachment_ids=body.attachment_ids,
        submission_key=idempotency_key(),
        fields=body.fields or {},
    )
    return _detail(actor, ticket.id), {"Location": url_for("api.get_ticket", ticket_id=ticket.id)}


@operation("GET", "/tickets/{ticket_id}", tag=TAG, summary="Get a ticket with its thread",
           response=s.TicketDetailResponse)
def get_ticket(actor, ticket_id):
    """The ticket and its messages, oldest first; customers never get internal notes.

    Reading it as its customer marks the agents' replies read.
    """
    ticket = tickets.get_ticket(actor, ticket_id)
    messages = tickets.thread(actor, ticket)
    tickets.mark_read(actor, ticket)
    return s.TicketDetailResponse(data=out.ticket_detail(ticket, messages))


@operation("PATCH", "/tickets/{ticket_id}", tag=TAG, summary="Change ticket fields (agents)",
           body=s.TicketUpdate, response=s.TicketResponse, errors=(403,))
def update_ticket(actor, ticket_id, body):
    """Only the fields sent change; each real change is recorded in the history. Locking also closes."""
    ticket = tickets.update_ticket(actor, ticket_id, **body.model_dump(exclude_unset=True))
    return s.TicketResponse(data=out.ticket(ticket))


@operation("DELETE", "/tickets/{ticket_id}", tag=TAG, summary="Move a ticket to the trash (admins)",
           status=204, errors=(403,))
def delete_ticket(actor, ticket_id):
    """The ticket leaves every list; an admin can restore it from the trash."""
    tickets.delete_ticket(actor, ticket_id)


@operation("POST", "/tickets/{ticket_id}/close", tag=TAG, summary="Close a ticket", response=s.TicketResponse,
           errors=(409,))
def close_ticket(actor, ticket_id):
    """Close the ticket from any status; closing a closed ticket is a conflict."""
    tickets.close_ticket(actor, ticket_id)
    return s.TicketResponse(data=out.ticket(tickets.get_ticket(actor, ticket_id)))


@operation("POST", "/tickets/{ticket_id}/reopen", tag=TAG, summary="Reopen a ticket", response=s.TicketResponse,
           errors=(409,))
def reopen_ticket(actor, ticket_id):
    """Reopen a resolved or closed ticket; a locked one (for customers) or an active one is a conflict."""
    tickets.reopen_ticket(actor, ticket_id)
    return s.TicketResponse(data=out.ticket(tickets.get_ticket(actor, ticket_id)))


@operation("POST", "/tickets/{ticket_id}/rating", tag=TAG, summary="Rate a resolved ticket (its customer)",
           body=s.RatingCreate, response=s.RatingResponse, status=201, errors=(403, 409))
def rate_ticket(actor, ticket_id, body):
    """The customer answers "How did we do?": `good` or `bad`, with an optional comment.

    A ticket has one rating, which its customer may change (post again) until the ticket is closed. Rating a ticket
    that is not resolved, or is closed, is a conflict; staff cannot rate (403); someone else's ticket is a 404.
    """
    rating, _ = ratings.rate(actor, ticket_id, body.score, body.comment)
    return s.RatingResponse(data=out.rating(rating))


@operation("GET", "/tickets/{ticket_id}/messages", tag=TAG, summary="List a ticket's messages",
           query=s.PageQuery, response=s.MessageList)
def list_messages(actor, ticket_id, query):
    """The thread page by page, oldest first; customers never get internal notes."""
    page = tickets.list_messages(actor, ticket_id, cursor=query.cursor or None, limit=query.limit)
    return s.MessageList(data=[out.message(m) for m in page.items], meta=list_meta(page))


@operation("POST", "/tickets/{ticket_id}/messages", tag=TAG, summary="Reply, or write an internal note",
           body=s.MessageCreate, response=s.MessageResponse, status=201, errors=(409,))
def create_message(actor, ticket_id, body):
    """Add a message and apply the status rules in one step.

    A customer's reply reopens a waiting, resolved or closed ticket (a locked one refuses it: 409). Agents may
    write an internal note (`internal`) or set the status with a public reply (`status`).

    Send `after_message_id` (the newest message you had read) to avoid answering twice: when someone else has
    replied publicly since, the reply is held with a 409 whose `messages` lists what is new.
    """
    message = tickets.reply(actor, ticket_id, body.body, internal=body.internal, status=body.status,
                            attachment_ids=body.attachment_ids, after_message_id=body.after_message_id)
    return s.MessageResponse(data=out.message(tickets.get_message(actor, message.id)))


@operation("GET", "/tickets/{ticket_id}/history", tag=TAG, summary="A ticket's field changes (agents)",
           response=s.HistoryList, errors=(403,), auth=TOKEN)
def ticket_history(actor, ticket_id):
    """Every change of a ticket field, oldest first: who changed what, from what, to what, when."""
    entries = tickets.history(actor, ticket_id)
    return s.HistoryList(data=[out.history_entry(e) for e in entries], meta=whole_list_meta(entries))


@operation("POST", "/tickets/{ticket_id}/merge", tag=TAG, summary="Merge a ticket into another (agents)",
           body=s.TicketMerge, response=s.TicketResponse, errors=(403, 409))
def merge_ticket(actor, ticket_id, body):
    """This ticket's replies and notes join `into_id`'s thread in time order, with an event line on both.

    This ticket is closed and locked, and its `merged_into_id` is set; its customer, when another person, becomes a
    CC of the target. Answers with the target ticket. Merging into itself, into a merged or trashed ticket, or a
    ticket already merged is a conflict (409).
    """
    target = merge.merge_tickets(actor, ticket_id, body.into_id)
    return s.TicketResponse(data=out.ticket(target))
