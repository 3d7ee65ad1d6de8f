"""Who may see and do what. Every service function asks here before it works."""
from ..models import Organization, User
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


def shared_organization_id(actor):
    """The organization whose tickets the actor sees besides their own: theirs, when it shares tickets and the actor
    is a verified customer; else None. Read from the database each time, so turning sharing off hides at once."""
    if actor is None or is_staff(actor) or isinstance(actor, KeyHolder) or not getattr(actor, "id", None):
        return None
    row = (Organization.select(Organization.id)
           .join(User, on=(User.organization == Organization.id))
           .where(User.id == actor.id, User.role == "customer", User.email_verified == True,  # noqa: E712
                  User.is_active == True, Organization.shared_tickets == True)  # noqa: E712
           .tuples()
           .first())
    return row[0] if row else None


def can_see_ticket(actor, ticket):
    """The one rule: staff see every live ticket (admins the trash too), a key holder their one ticket, a customer
    their own and, with a sharing organization, every ticket of it."""
    if actor is None:
        return False
    if ticket.deleted_at is not None:
        return is_admin(actor)
    if is_staff(actor):
        return True
    if isinstance(actor, KeyHolder):
        return ticket.id == actor.ticket_id
    if ticket.customer_id != actor.id:
        return ticket.organization_id is not None and ticket.organization_id == shared_organization_id(actor)
    # A ticket opened through the contact form joins an account only once its address is verified.
    return ticket.access_key_hash is None or actor.email_verified


def check_ticket(actor, ticket):
    """:raises NotFound: when the actor may not see the ticket (never 403: no one learns it exists)."""
    if ticket is None or not can_see_ticket(actor, ticket):
        raise NotFound("No such ticket.")
    return ticket
