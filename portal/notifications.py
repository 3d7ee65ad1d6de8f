"""E-mail people about what happened on their tickets, listening to the services' domain events.

Customers hear about public staff replies and tickets opened for them; the assigned agent hears about customer
replies. Internal notes never leave the desk. Outside a web request (the CLI, demo data) nothing is sent.
"""
from flask import has_request_context, url_for

from .services import mail, signals


def _ticket_link_for_customer(ticket):
    if ticket.access_key_hash and not ticket.customer.password_hash:
        # The private link is stored hashed; it cannot be rebuilt, only pointed to.
        return None
    return url_for("customer.show", ticket_id=ticket.id, _external=True)


def _customer_text(ticket, opening):
    link = _ticket_link_for_customer(ticket)
    where = (f"Read and reply here:\n\n{link}\n" if link
             else "Open the private link from the e-mail we sent when you contacted us to read and reply.\n")
    return f"Hello {ticket.customer.name},\n\n{opening}\n\n{where}"


def on_reply(message, ticket, actor):
    if not has_request_context():
        return
    author = message.author
    if author is not None and author.is_staff:
        mail.send(
            ticket.customer.email,
            f"[#{ticket.id}] {ticket.subject}",
            _customer_text(ticket, f"{author.name} replied to your ticket:\n\n{message.body}"),
        )
    elif ticket.assignee_id and ticket.assignee.is_active and ticket.assignee_id != getattr(author, "id", None):
        link = url_for("agent.show", ticket_id=ticket.id, _external=True)
        mail.send(
            ticket.assignee.email,
            f"[#{ticket.id}] Customer reply: {ticket.subject}",
            f"{ticket.customer.name} replied on ticket #{ticket.id}:\n\n{message.body}\n\nOpen it: {link}\n",
        )


def on_ticket_created(ticket, actor):
    if not has_request_context() or actor.id == ticket.customer_id:
        return
    mail.send(
        ticket.customer.email,
        f"[#{ticket.id}] {ticket.subject}",
        _customer_text(ticket, f"{actor.name} opened ticket #{ticket.id} for you."),
    )


def init_app(app):
    # weak=False: the handlers are module functions, kept for the life of the process anyway.
    signals.reply_added.connect(on_reply, weak=False)
    signals.ticket_created.connect(on_ticket_created, weak=False)
