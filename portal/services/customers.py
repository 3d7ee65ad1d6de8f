"""Customers as agents see them: search, a customer's details and tickets, edits, and tickets opened for them."""
from peewee import fn

from ..db import write
from ..models import STATUSES, Ticket, User
from . import paging, tickets
from .accounts import check_contact_fields, check_length, normalize_email
from .errors import NotFound, ValidationError
from .permissions import require_staff


def page_by_name(query, cursor=None, limit=25):
    """One keyset page of a User query in (name, id) order: returns paging.Page."""
    return paging.keyset_page(query, User.name, User.id, "name", cursor, limit, descending=False)


def _matching(query, text):
    text = (text or "").strip()[:120]
    if not text:
        return query
    pattern = f"%{text}%"
    return query.where((User.name ** pattern) | (User.email ** pattern) | (User.company ** pattern))


def search_customers(actor, q="", cursor=None, limit=25):
    """Customers whose name, e-mail or company contains `q`, by name, each with its ticket_count."""
    require_staff(actor)
    ticket_count = (
        Ticket.select(fn.COUNT(Ticket.id))
        .where(Ticket.customer == User.id, Ticket.deleted_at.is_null())
    )
    query = _matching(User.select(User, ticket_count.alias("ticket_count")).where(User.role == "customer"), q)
    return page_by_name(query, cursor, limit)


def get_customer(actor, customer_id):
    """One customer. :raises NotFound: for staff accounts and ids that do not exist."""
    require_staff(actor)
    try:
        customer = User.get_or_none((User.id == int(customer_id)) & (User.role == "customer"))
    except (TypeError, ValueError):
        customer = None
    if customer is None:
        raise NotFound("No such customer.")
    return customer


def ticket_counts(actor, customer):
    """How many of the customer's tickets are in each status, plus "total"."""
    require_staff(actor)
    counts = {status: 0 for status in STATUSES}
    rows = (
        Ticket.select(Ticket.status, fn.COUNT(Ticket.id))
        .where(Ticket.customer == customer.id, Ticket.deleted_at.is_null())
        .group_by(Ticket.status)
        .tuples()
    )
    for status, n in rows:
        counts[status] = n
    counts["total"] = sum(counts.values())
    return counts


def update_customer(actor, customer_id, name, phone=None, company=None):
    """Change a customer's name, phone and company. :raises ValidationError: beside each field."""
    customer = get_customer(actor, customer_id)
    errors = {}
    name = check_length(errors, "name", name, 2, 120, "a name")
    phone, company = check_contact_fields(errors, phone, company)
    if errors:
        raise ValidationError(errors)
    with write():
        User.update(name=name, phone=phone, company=company).where(User.id == customer.id).execute()
    customer.name, customer.phone, customer.company = name, phone, company
    return customer


def open_ticket_for(actor, customer_email, subject, description, customer_name=None, channel="portal", **options):
    """An agent opens a ticket on behalf of a customer by e-mail, creating the customer when the address is new.

    :raises ValidationError: without an e-mail address, or for any field create_ticket refuses.
    """
    require_staff(actor)
    errors = {}
    if not (customer_email or "").strip():
        errors["customer_email"] = "Enter the customer's e-mail address."
    else:
        customer_email = normalize_email(customer_email, "customer_email", errors)
        if customer_email and User.select().where(User.email == customer_email, User.role != "customer").exists():
            errors["customer_email"] = "This address belongs to a support team member, not a customer."
    if channel not in ("portal", "email"):
        errors["channel"] = "Choose portal or e-mail."
    name = (customer_name or "").strip()
    if len(name) > 120:
        errors["customer_name"] = "A name can be at most 120 characters."
    if errors:
        # Report the ticket's own fields too, so the agent fixes everything in one go.
        check_length(errors, "subject", subject, 2, 250, "a subject")
        tickets._check_body(errors, description, "description", "a description")
        raise ValidationError(errors)
    return tickets.create_ticket(actor, subject, description, channel=channel, customer_email=customer_email,
                                 customer_name=name or None, **options)
