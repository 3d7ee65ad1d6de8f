"""Satisfaction: the customer's answer to "How did we do?" once a ticket is resolved.

A ticket has at most one rating; its customer may change it until the ticket is closed. The customer answers in the
portal, on the private ticket page, or with one of two signed links mailed on resolution, which need no sign-in and
stop working when the ticket closes.
"""
from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from ..db import write
from ..models import RATING_SCORES, Rating, Ticket, utcnow
from . import signals
from .errors import Conflict, NotFound, PermissionDenied, ValidationError
from .permissions import KeyHolder, check_ticket, is_staff

MAX_COMMENT = 2000
_SALT = "rating-link"
QUESTION = "How did we do?"


def can_rate(ticket, rating=None):
    """Resolved tickets may be rated; a rating may be changed until the ticket is closed."""
    if ticket.deleted_at is not None or ticket.status == "closed":
        return False
    return ticket.status == "resolved" or rating is not None


def _check(score, comment):
    errors = {}
    if score not in RATING_SCORES:
        errors["score"] = "Choose good or bad."
    if comment is not None:
        comment = comment.strip()
        if len(comment) > MAX_COMMENT:
            errors["comment"] = f"A comment can be at most {MAX_COMMENT:,} characters."
    if errors:
        raise ValidationError(errors)
    return comment


def _save(ticket, score, comment):
    """Record or change the rating inside the caller's transaction; returns (rating, created, changed)."""
    rating = Rating.get_or_none(Rating.ticket == ticket.id)
    if not can_rate(ticket, rating):
        if ticket.status == "closed":
            raise Conflict("This ticket is closed, so its rating can no longer be given or changed.")
        raise Conflict("A ticket can be rated once it is resolved.")
    if rating is None:
        rating = Rating.create(ticket=ticket, score=score, comment=comment or "", rated_at=utcnow())
        return rating, True, True
    if rating.score == score and (comment is None or comment == rating.comment):
        return rating, False, False  # the same link clicked twice, a page refreshed
    rating.score = score
    if comment is not None:
        rating.comment = comment
    rating.rated_at = utcnow()
    rating.save()
    return rating, False, True


def rate(actor, ticket_id, score, comment=None):
    """The customer (or the holder of the ticket's private link) rates their ticket; returns (rating, created).

    `comment=None` keeps the comment already given.
    :raises NotFound: when the actor may not see the ticket. :raises PermissionDenied: for staff.
    :raises Conflict: when the ticket is not resolved, or closed.
    """
    comment = _check(score, comment)
    with write():
        ticket = Ticket.get_or_none(Ticket.id == ticket_id)
        check_ticket(actor, ticket)
        # Other members of a sharing organization read and answer the ticket, but the answer is its customer's.
        if is_staff(actor) or (not isinstance(actor, KeyHolder) and actor.id != ticket.customer_id):
            raise PermissionDenied("Only the ticket's customer can rate it.")
        rating, created, changed = _save(ticket, score, comment)
    if changed:
        signals.announce(signals.ticket_rated, rating, ticket=ticket)
    return rating, created


def _serializer():
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def link_token(ticket, score):
    """The signed token of a one-click rating link: it names the ticket, its customer and the score."""
    return _serializer().dumps([ticket.id, ticket.customer_id, score])


def _from_token(token):
    try:
        ticket_id, customer_id, score = _serializer().loads(token or "")
    except (BadSignature, ValueError, TypeError):
        raise NotFound("This rating link is not valid. Please use the link from our e-mail as it was sent.")
    ticket = Ticket.get_or_none(Ticket.id == ticket_id)
    if ticket is None or ticket.customer_id != customer_id or ticket.deleted_at is not None or score not in RATING_SCORES:
        raise NotFound("This rating link is not valid. Please use the link from our e-mail as it was sent.")
    return ticket, score


def rate_by_link(token, comment=None):
    """Record the score a mailed link stands for (and a comment, when given); returns (ticket, rating).

    :raises NotFound: for a tampered or foreign link. :raises Conflict: once the ticket is closed.
    """
    with write():
        ticket, score = _from_token(token)
        comment = _check(score, comment)
        rating, _, changed = _save(ticket, score, comment)
    if changed:
        signals.announce(signals.ticket_rated, rating, ticket=ticket)
    return ticket, rating


def link_state(token):
    """The ticket and its rating (or None) a link stands for, changing nothing. :raises NotFound: as above."""
    ticket, _ = _from_token(token)
    return ticket, Rating.get_or_none(Rating.ticket == ticket.id)


def rating_of(ticket):
    """The ticket's rating or None (read from the join the ticket was loaded with, when there was one)."""
    if "rating_row" in ticket.__dict__:
        joined = ticket.__dict__["rating_row"]
        return joined if joined is not None and joined.id is not None else None
    return Rating.get_or_none(Rating.ticket == ticket.id)
