"""Who may see and do what. Every service function asks here before it works."""
from .errors import NotFound, PermissionDenied


class KeyHolder:
    """Someone holding a ticket's secret: its private link, or its mail thread (a CC address answering by mail).
    They may see and answer that one ticket, nothing else."""

    role = "guest"
    is_staff = False
    is_admin = False

    def __init__(self, ticket, user=None):
        self.ticket_id = ticket.id
        self.user = user or ticket.customer
        self.id = self.user.id


def is_staff(actor):
    return actor is not None and getattr(actor, "is_staff", False)


def is_admin(actor):
    return actor is not None and getattr(actor, "is_admin", False)


def require_staff(actor):
    """:raises PermissionDenied: unless the actor is an agent or admin."""
    if not is_staff(actor):
        raise PermissionDenied("Only support staff can do that.")


def require_admin(actor):
    """:raises PermissionDenied: unless the actor is an admin."""
    if not is_admin(actor):
        raise PermissionDenied("Only administrators can do that.")


def require_user(actor):
    """:raises PermissionDenied: for anonymous callers and key holders."""
    if actor is None or isinstance(actor, KeyHolder):
        raise PermissionDenied("Sign in to do that.")


def can_see_ticket(actor, ticket):
    if actor is None:
        return False
    if ticket.deleted_at is not None:
        return is_admin(actor)
    if is_staff(actor):
        return True
    if isinstance(actor, KeyHolder):
        return ticket.id == actor.ticket_id
    if ticket.customer_id != actor.id:
        return False
    # A ticket opened through the contact form joins an account only once its address is verified.
    return ticket.access_key_hash is None or actor.email_verified


def check_ticket(actor, ticket):
    """:raises NotFound: when the actor may not see the ticket (never 403: no one learns it exists)."""
    if ticket is None or not can_see_ticket(actor, ticket):
        raise NotFound("No such ticket.")
    return ticket
