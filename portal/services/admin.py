"""Administration: users and roles, categories, tags and the ticket trash. Admins only, every function."""
import re

from peewee import JOIN, fn

from ..db import write
from ..models import ROLES, Category, SuspendedSubmission, Tag, Ticket, TicketTag, User
from . import accounts, paging, tickets
from .customers import page_by_name
from .errors import Conflict, NotFound, ValidationError
from .permissions import require_admin, require_staff

COLOR = re.compile(r"#[0-9a-fA-F]{6}")
SLUG = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


# ------------------------------------------------------------------------------------------------------------ users


def list_users(actor, q="", role=None, cursor=None, limit=50):
    """Users by name, narrowed to a role ("staff" means agents and admins) and a text in name, e-mail or company."""
    require_admin(actor)
    query = User.select()
    if role == "staff":
        query = query.where(User.role.in_(("agent", "admin")))
    elif role in ROLES:
        query = query.where(User.role == role)
    text = (q or "").strip()[:120]
    if text:
        pattern = f"%{text}%"
        query = query.where((User.name ** pattern) | (User.email ** pattern) | (User.company ** pattern))
    return page_by_name(query, cursor, limit)


def _user(user_id):
    try:
        user = User.get_or_none(User.id == int(user_id))
    except (TypeError, ValueError):
        user = None
    if user is None:
        raise NotFound("No such user.")
    return user


def create_user(actor, email, name, role, password):
    """A new user who can sign in at once: usually an agent or an admin. :raises ValidationError: beside each field."""
    require_admin(actor)
    errors = {}
    # Staff must be able to sign in, so a password is required here (create_user allows none for guests).
    accounts.check_password(errors, password)
    if errors:
        accounts.normalize_email(email, errors=errors)
        accounts.check_length(errors, "name", name, 2, 120, "a name")
        if role not in ROLES:
            errors["role"] = f"Choose one of: {', '.join(ROLES)}."
        raise ValidationError(errors)
    return accounts.create_user(email, name, role, password, actor=actor, verified=True)


def _other_active_admins(user):
    return (
        User.select()
        .where(User.role == "admin", User.is_active == True, User.id != user.id)  # noqa: E712
        .exists()
    )


def change_role(actor, user_id, role):
    """Give a user another role. :raises Conflict: when that would leave no active admin or demote yourself."""
    require_admin(actor)
    if role not in ROLES:
        raise ValidationError({"role": f"Choose one of: {', '.join(ROLES)}."})
    with write():
        user = _user(user_id)
        if user.role == role:
            return user
        if user.role == "admin":
            if user.id == actor.id:
                raise Conflict("You cannot take away your own admin role; ask another admin.")
            if not _other_active_admins(user):
                raise Conflict("This is the last active admin; make someone else an admin first.")
        user.role = role
        user.save()
        if role == "customer":
            # A customer cannot work tickets: hand theirs back to the unassigned queue.
            Ticket.update(assignee=None).where(Ticket.assignee == user.id).execute()
    return user


def set_user_active(actor, user_id, active):
    """Deactivate a user (they can no longer sign in and their API tokens stop working) or reactivate them.

    :raises Conflict: when deactivating yourself or the last active admin.
    """
    require_admin(actor)
    with write():
        user = _user(user_id)
        if not active and user.id == actor.id:
            raise Conflict("You cannot deactivate your own account.")
        if not active and user.role == "admin" and not _other_active_admins(user):
            raise Conflict("This is the last active admin; make someone else an admin first.")
        user.is_active = bool(active)
        user.save()
    return user


# ------------------------------------------------------------------------------------------------------- categories


def list_categories(actor):
    """Every category, active or not, in display order, each with ticket_count."""
    require_admin(actor)
    return list(
        Category.select(Category, fn.COUNT(Ticket.id).alias("ticket_count"))
        .join(Ticket, JOIN.LEFT_OUTER, on=((Ticket.category == Category.id) & Ticket.deleted_at.is_null()))
        .group_by(Category.id)
        .order_by(Category.position, Category.name)
    )


def _slugify(text):
    return re.sub(r"[^a-z0-9]+", "_", (text or "").lower()).strip("_")[:64]


def _category(category_id):
    try:
        category = Category.get_or_none(Category.id == int(category_id))
    except (TypeError, ValueError):
        category = None
    if category is None:
        raise NotFound("No such category.")
    return category


def create_category(actor, name, slug=None, description=""):
    """A new active category at the end of the list; the slug is derived from the name when left empty."""
    require_admin(actor)
    errors = {}
    name = accounts.check_length(errors, "name", name, 2, 120, "a name")
    slug = (slug or "").strip().lower() or _slugify(name)
    if not SLUG.fullmatch(slug or ""):
        errors["slug"] = "Use lower-case letters, digits, - and _ (at most 64)."
    description = (description or "").strip()
    if len(description) > 500:
        errors["description"] = "The description can be at most 500 characters."
    if errors:
        raise ValidationError(errors)
    with write():
        if Category.select().where(Category.slug == slug).exists():
            raise ValidationError({"slug": "A category with this slug already exists."})
        position = (Category.select(fn.MAX(Category.position)).scalar() or 0) + 1
        return Category.create(slug=slug, name=name, description=description, position=position)


def update_category(actor, category_id, name, description=""):
    """Rename a category or change its description; the slug stays, since API clients use it."""
    require_admin(actor)
    errors = {}
    name = accounts.check_length(errors, "name", name, 2, 120, "a name")
    description = (description or "").strip()
    if len(description) > 500:
        errors["description"] = "The description can be at most 500 characters."
    if errors:
        raise ValidationError(errors)
    with write():
        category = _category(category_id)
        category.name, category.description = name, description
        category.save()
    return category


def set_category_active(actor, category_id, active):
    """Deactivate a category (new tickets can no longer choose it; old ones keep it) or bring it back."""
    require_admin(actor)
    with write():
        category = _category(category_id)
        category.is_active = bool(active)
        category.save()
    return category


# ------------------------------------------------------------------------------------------------------------- tags


def list_tags(actor):
    """Every tag by name, each with ticket_count."""
    require_admin(actor)
    return list(
        Tag.select(Tag, fn.COUNT(TicketTag.id).alias("ticket_count"))
        .join(TicketTag, JOIN.LEFT_OUTER)
        .group_by(Tag.id)
        .order_by(Tag.name)
    )


def _check_tag(errors, name, color):
    name = accounts.check_length(errors, "name", name, 1, 64, "a name")
    if "," in name:
        errors["name"] = "A tag name cannot contain a comma."
    color = (color or "").strip()
    if not COLOR.fullmatch(color):
        errors["color"] = "Choose a colour like #3b5bdb."
    return name, color.lower()


def _tag(tag_id):
    try:
        tag = Tag.get_or_none(Tag.id == int(tag_id))
    except (TypeError, ValueError):
        tag = None
    if tag is None:
        raise NotFound("No such tag.")
    return tag


def _name_taken(name, except_id=None):
    query = Tag.select().where(fn.LOWER(Tag.name) == fn.LOWER(name))
    if except_id is not None:
        query = query.where(Tag.id != except_id)
    return query.exists()


def create_tag(actor, name, color="#64748b"):
    """A new tag (agents and admins). :raises ValidationError: for a taken name or a colour that is not #rrggbb."""
    require_staff(actor)
    errors = {}
    name, color = _check_tag(errors, name, color)
    if errors:
        raise ValidationError(errors)
    with write():
        if _name_taken(name):
            raise ValidationError({"name": "A tag with this name already exists."})
        return Tag.create(name=name, color=color)


def update_tag(actor, tag_id, name, color):
    """Rename a tag or change its colour (agents and admins); tickets keep it."""
    require_staff(actor)
    errors = {}
    name, color = _check_tag(errors, name, color)
    if errors:
        raise ValidationError(errors)
    with write():
        tag = _tag(tag_id)
        if _name_taken(name, tag.id):
            raise ValidationError({"name": "A tag with this name already exists."})
        tag.name, tag.color = name, color
        tag.save()
    return tag


def delete_tag(actor, tag_id):
    """Delete a tag and take it off every ticket."""
    require_admin(actor)
    with write():
        tag = _tag(tag_id)
        tag.delete_instance(recursive=True)


# ------------------------------------------------------------------------------------------------------------ trash


def list_trash(actor, cursor=None, limit=25):
    """Tickets in the trash, most recently deleted first (keyset pagination)."""
    require_admin(actor)
    query = (
        Ticket.select(Ticket, tickets.Customer)
        .join_from(Ticket, tickets.Customer, on=(Ticket.customer == tickets.Customer.id), attr="customer")
        .where(Ticket.deleted_at.is_null(False))
    )
    return paging.keyset_page(query, Ticket.deleted_at, Ticket.id, "deleted_at", cursor, limit)


def overview(actor):
    """Counts for the admin home: users by role, active categories, tags and tickets in the trash."""
    require_admin(actor)
    roles = dict(User.select(User.role, fn.COUNT(User.id)).where(User.is_active == True)  # noqa: E712
                 .group_by(User.role).tuples())
    return {
        "agents": roles.get("agent", 0),
        "admins": roles.get("admin", 0),
        "customers": roles.get("customer", 0),
        "categories": Category.select().where(Category.is_active == True).count(),  # noqa: E712
        "tags": Tag.select().count(),
        "trash": Ticket.select().where(Ticket.deleted_at.is_null(False)).count(),
        "suspended": SuspendedSubmission.select().count(),
    }
