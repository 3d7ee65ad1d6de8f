"""What anyone may call without a token: the contact form (the categories are in categories.py)."""
from flask import current_app, request, url_for

from ..extensions import contact_accepted, contact_address_key, limiter
from ..services import accounts, spam, tickets
from . import schemas as s
from . import serializers as out
from .core import PUBLIC, TOKEN, idempotency_key, operation


@operation("GET", "/me", tag="Account", summary="The token's user", response=s.MeResponse, auth=TOKEN)
def me(actor):
    """Who this token belongs to, with their role and chosen theme."""
    return s.MeResponse(data=out.me(actor))


@operation("PATCH", "/me", tag="Account", summary="Change my theme", body=s.MeUpdate, response=s.MeResponse,
           auth=TOKEN)
def update_me(actor, body):
    """Choose the theme of the portals: light, dark, or system to follow the device."""
    return s.MeResponse(data=out.me(accounts.set_theme(actor, body.theme)))


@operation("POST", "/contact", tag="Tickets", summary="Submit the contact form", body=s.ContactRequest,
           response=s.ContactResponse, status=201, auth=PUBLIC, idempotent=True, rate_limited=True)
@limiter.limit(lambda: current_app.config["CONTACT_LIMIT_PER_IP"])
@limiter.limit(lambda: current_app.config["CONTACT_LIMIT_PER_ADDRESS"], key_func=contact_address_key,
               deduct_when=contact_accepted)
def submit_contact(actor, body):
    """Open a ticket without an account, like the public contact form.

    The answer carries the ticket's secret link (`access_url`) once: whoever holds it can read and answer that
    one ticket. Rate limited per IP address and per sender address. A submission that looks like spam (more than
    three links, or a blocked domain in the address or a link) is held for the admins instead, and answered the
    same way: 201 with a ticket number and a link that open nothing until an admin releases it (the sender then gets
    the real link by e-mail).
    """
    ticket, key = spam.submit_contact(
        ip=request.remote_addr or "",
        form=False,
        name=body.name,
        email=body.email,
        subject=body.subject,
        body=body.body,
        category=body.category,
        fields=body.fields or {},
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
