"""E-mail people about what happened on their tickets, listening to the services' domain events.

Customers (and the ticket's CC addresses) hear about public staff replies; a new contact-form or e-mail ticket gets
a receipt with its private link; the assigned agent hears about customer replies. Internal notes never leave the
desk. Every ticket mail is threaded and answerable by mail (services.mail). Inside `muted()` (demo data) nothing is
sent.
"""
from contextlib import contextmanager
from contextvars import ContextVar

from .emails import external_url, site_name
from .mail.parse import DESK_MARKER as REPLY_ABOVE  # the line above which an answer by mail is read
from .services import mail, ratings, signals, sla

_muted = ContextVar("notifications_muted", default=False)


@contextmanager
def muted():
    """Send no notification inside this block (loading demo data, imports)."""
    token = _muted.set(True)
    try:
        yield
    finally:
        _muted.reset(token)


def _subject(ticket):
    return f"[#{ticket.id}] {ticket.subject}"


def _where_to_read(ticket, key=None):
    if key:
        return ("Reply to this e-mail, or follow the conversation here:\n\n"
                f"{external_url('public.guest_ticket', key=key)}\n\n"
                "Keep this link private: anyone who has it can read and answer this ticket.\n")
    if ticket.access_key_hash and not ticket.customer.password_hash:
        # The private link is stored hashed; it cannot be rebuilt, only pointed to.
        return ("Reply to this e-mail to answer, or open the private link from our first e-mail. Lost it? Ask for a "
                f"new one at {external_url('public.resend_links')}\n")
    return f"Reply to this e-mail, or read and reply here:\n\n{external_url('customer.show', ticket_id=ticket.id)}\n"


def _to_customer(ticket, text, key=None):
    customer = ticket.customer
    if customer.anonymized_at is not None:
        return  # their address was replaced by one that cannot receive mail
    cc = [address for address in mail.cc_addresses(ticket.id) if address != customer.email]
    body = f"{REPLY_ABOVE}\n\nHello {customer.name},\n\n{text}\n\n{_where_to_read(ticket, key)}"
    mail.send_about_ticket(ticket, customer.email, _subject(ticket), body, cc=cc)


def on_reply(message, ticket, actor):
    if _muted.get():
        return
    author = message.author
    if author is not None and author.is_staff:
        text = f"{author.name} replied to your ticket #{ticket.id}:\n\n{message.body}"
        if ticket.status == "resolved" and ratings.rating_of(ticket) is None:
            # "Send and mark resolved": one mail with the answer and the question, not two.
            text += f"\n\n---\n\nWe marked the ticket as resolved. {_rating_question(ticket)}"
            ticket.__dict__["rating_asked"] = True
        _to_customer(ticket, text)
    elif ticket.assignee_id and ticket.assignee.is_active and ticket.assignee_id != getattr(author, "id", None):
        who = author.name if author is not None else ticket.customer.name
        link = external_url("agent.show", ticket_id=ticket.id)
        mail.send(
            ticket.assignee.email,
            f"[#{ticket.id}] Customer reply: {ticket.subject}",
            f"{who} replied on ticket #{ticket.id}:\n\n{message.body}\n\nOpen it: {link}\n",
        )


def on_ticket_created(ticket, actor, key=None):
    if _muted.get():
        return
    if ticket.channel in ("contact_form", "email"):
        _to_customer(ticket, f"We received your message and opened ticket #{ticket.id}. We will answer soon.", key)
    elif actor is not None and actor.id != ticket.customer_id:
        _to_customer(ticket, f"{actor.name} opened ticket #{ticket.id} for you.")


def on_mail_refused(ticket, to, subject, reason):
    if _muted.get():
        return
    mail.send(
        to,
        f"Re: {subject}",
        f"Hello,\n\nWe could not add your e-mail to {'ticket #%d' % ticket.id if ticket else 'a ticket'}: {reason}\n\n"
        f"To reach us again, write a new e-mail without the ticket number in the subject, or use "
        f"{external_url('public.contact')}\n\n{site_name()}\n",
    )


def on_links_renewed(customer, links):
    if _muted.get() or not links:
        return
    lines = "\n\n".join(f"#{ticket.id} {ticket.subject}\n{external_url('public.guest_ticket', key=key)}"
                        for ticket, key in links)
    mail.send(
        customer.email,
        f"Your private links for {site_name()}",
        f"Hello {customer.name},\n\nHere are new private links to your tickets. The links we sent before no longer "
        f"work.\n\n{lines}\n\nKeep them private: anyone who has one can read and answer that ticket.\n",
    )


def on_ticket_updated(ticket, actor, changes):
    """Resolved: ask the customer "How did we do?" with two one-click links (unless they already answered)."""
    if _muted.get() or not any(field == "status" and new == "resolved" for field, _, new in changes):
        return
    if ticket.__dict__.pop("rating_asked", False) or ratings.rating_of(ticket) is not None:
        return
    _to_customer(ticket, f"We marked ticket #{ticket.id} as resolved. {_rating_question(ticket)}")


def _rating_question(ticket):
    good = external_url("public.rate", token=ratings.link_token(ticket, "good"))
    bad = external_url("public.rate", token=ratings.link_token(ticket, "bad"))
    return (f"{ratings.QUESTION} One click is enough:\n\nGood, I'm satisfied:\n{good}\n\n"
            f"Bad, I'm not satisfied:\n{bad}\n\nIf something is still not right, just reply: the ticket opens again.")


def on_sla_breached(ticket, target):
    """A promised time passed: the assignee hears of it, or every admin when nobody is assigned."""
    if _muted.get():
        return
    what = "first response" if target == "first_response" else "resolution"
    due = ticket.first_response_due_at if target == "first_response" else ticket.resolution_due_at
    link = external_url("agent.show", ticket_id=ticket.id)
    for person in sla.breach_recipients(ticket):
        whose = "your ticket" if ticket.assignee_id == person.id else "an unassigned ticket"
        mail.send(
            person.email,
            f"[#{ticket.id}] Overdue {what}: {ticket.subject}",
            f"Hello {person.name},\n\nThe {what} promised on {whose}, #{ticket.id} “{ticket.subject}”, was due "
            f"{due:%d %b %Y, %H:%M} UTC and has passed.\n\nOpen it: {link}\n",
        )


def init_app(app):
    # weak=False: the handlers are module functions, kept for the life of the process anyway.
    signals.reply_added.connect(on_reply, weak=False)
    signals.ticket_created.connect(on_ticket_created, weak=False)
    signals.mail_refused.connect(on_mail_refused, weak=False)
    signals.links_renewed.connect(on_links_renewed, weak=False)
    signals.ticket_updated.connect(on_ticket_updated, weak=False)
    signals.sla_breached.connect(on_sla_breached, weak=False)
