"""What anyone may call without a token: the categories and the contact form."""
from flask import url_for

from ..extensions import limiter
from ..services import tickets
from . import schemas as s
from . import serializers as out
from .core import PUBLIC, TOKEN, operation, whole_list_meta
from .tickets import idempotency_key


@operation("GET", "/me", tag="Account", summary="The token's user", response=s.UserResponse, auth=TOKEN)
def me(actor):
    """Who this token belongs to, with their role."""
    return s.UserResponse(data=out.user(actor))


@operation("GET", "/categories", tag="Tickets", summary="List ticket categories", response=s.CategoryList,
           auth=PUBLIC)
def list_categories(actor):
    """The categories a ticket can be filed under, in display order; use the slug in `category`."""
    rows = tickets.categories()
    return s.CategoryList(data=[out.category(c) for c in rows], meta=whole_list_meta(rows))


@operation("POST", "/contact", tag="Tickets", summary="Submit the contact form", body=s.ContactRequest,
           response=s.ContactResponse, status=201, auth=PUBLIC, idempotent=True, rate_limited=True)
@limiter.limit("5 per minute; 30 per hour")
def submit_contact(actor, body):
    """Open a ticket without an account, like the public contact form.

    The answer carries the ticket's secret link (`access_url`) once: whoever holds it can read and answer that
    one ticket. Rate limited per address.
    """
    ticket, key = tickets.submit_contact(
        name=body.name,
        email=body.email,
        subject=body.subject,
        body=body.body,
        category=body.category,
        company=body.company,
        phone=body.phone,
        submission_key=idempotency_key(),
    )
    access_url = url_for("public.guest_ticket", key=key, _external=True) if key else None
    return s.ContactResponse(data=s.ContactReceipt(ticket_id=ticket.id, status=ticket.status, access_url=access_url))


@operation("POST", "/contact/resend", tag="Tickets", summary="Send new private links to an address",
           body=s.ResendLinksRequest, response=s.LinksResentResponse, status=202, auth=PUBLIC, rate_limited=True)
@limiter.limit("3 per minute; 10 per hour")
def resend_links(actor, body):
    """Mail fresh private links to the guest tickets of an address; the old links stop working.

    The answer is the same whether or not the address is known, so nobody learns who wrote to support.
    """
    tickets.renew_guest_links(body.email)
    return s.LinksResentResponse(data=s.LinksResent(detail=tickets.LINKS_RENEWED_NOTICE))
