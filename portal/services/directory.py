"""The people and labels behind tickets, as the API serves them: customers, users and tags.

Agents read all three and manage customers and tags; admins also write users and delete customers and tags.
Where customers.py or admin.py already has the operation with these access rules, this module calls it.
"""
from peewee import fn

from ..db import write
from ..models import ROLES, Tag, Ticket, User
from . import accounts, admin, customers, organizations, paging
from .errors import Conflict, NotFound, ValidationError
from .paging import MAX_ID
from .permissions import require_admin, require_staff

_UNSET = object()


def _by_id(query, model, row_id, message):
    try:
        row_id = int(row_id)
    except (TypeError, ValueError):
        raise NotFound(message)
    if not 1 <= row_id <= MAX_ID:
        raise NotFound(message)
    row = query.where(model.id == row_id).first()
    if row is None:
        raise NotFound(message)
    return row


def _text_filter(query, text):
    text = (text or "").strip()[:120]
    if not text:
        return query
    pattern = f"%{text}%"
    return query.where((User.name ** pattern) | (User.email ** pattern) | (User.company ** pattern))


# -------------------------------------------------------------------------------------------------------- customers


def _ticket_count():
    return (
        Ticket.select(fn.COUNT(Ticket.id))
        .where(Ticket.customer == User.id, Ticket.deleted_at.is_null())
        .alias("ticket_count")
    )


def list_customers(actor, search="", cursor=None, limit=25):
    """Customers whose name, e-mail or company contains `search`, by name, each with its ticket_count (agents)."""
    return customers.search_customers(actor, search, cursor, limit)


def get_customer(actor, customer_id):
    """One customer with ticket_count. :raises NotFound: for staff accounts and unknown ids."""
    require_staff(actor)
    query = User.select(User, _ticket_count()).where(User.role == "customer")
    return _by_id(query, User, customer_id, "No such customer.")


def create_customer(actor, email, name, phone=None, company=None):
    """A new customer without a password (they can claim the address by registering). Agents only.

    :raises ValidationError: beside each field, and for an address already in use.
    """
    require_staff(actor)
    errors = {}
    email = accounts.normalize_email(email, errors=errors)
    name = accounts.check_length(errors, "name", name, 2, 120, "a name")
    phone, company = accounts.check_contact_fields(errors, phone, company)
    if errors:
        raise ValidationError(errors)
    with write():
        if User.select().where(User.email == email).exists():
            raise ValidationError({"email": "Someone with this e-mail address already exists."})
        customer = User.create(email=email, name=name, role="customer", phone=phone, company=company)
    return get_customer(actor, customer.id)


def update_customer(actor, customer_id, name=_UNSET, phone=_UNSET, company=_UNSET, organization_id=_UNSET):
    """Change only the given fields of a customer: name, phone, company (None clears the last two), organization_id
    (None takes them out of theirs; their tickets move with them).

    :raises NotFound: for staff accounts and unknown ids.
    :raises ValidationError: for an organization that does not exist.
    """
    current = get_customer(actor, customer_id)
    if organization_id is not _UNSET and organization_id is not None:
        try:
            organizations.get_organization(actor, organization_id)
        except NotFound:
            raise ValidationError({"organization_id": "There is no such organization."})
    with write():
        customers.update_customer(
            actor,
            current.id,
            current.name if name is _UNSET else name,
            phone=current.phone if phone is _UNSET else phone,
            company=current.company if company is _UNSET else company,
        )
        if organization_id is not _UNSET:
            organizations.set_organization(actor, current.id, organization_id)
    return get_customer(actor, current.id)


def delete_customer(actor, customer_id):
    """Delete a customer who has no tickets (admins); their tokens go with them.

    :raises Conflict: while any ticket, trashed ones included, belongs to them: tickets are never lost this way.
    """
    require_admin(actor)
    with write():
        customer = _by_id(User.select().where(User.role == "customer"), User, customer_id, "No such customer.")
        if Ticket.select().where(Ticket.customer == customer.id).exists():
            raise Conflict("This customer has tickets; they cannot be deleted while their tickets exist.")
        customer.delete_instance(recursive=True)


# ------------------------------------------------------------------------------------------------------------ users


def list_users(actor, search="", role=None, is_active=None, cursor=None, limit=25):
    """Users of every role by name, narrowed by role ("staff": agents and admins), activity and text (agents read)."""
    require_staff(actor)
    query = User.select()
    if role == "staff":
        query = query.where(User.role.in_(("agent", "admin")))
    elif role:
        if role not in ROLES:
            raise ValidationError({"role": f"Choose one of: staff, {', '.join(ROLES)}."})
        query = query.where(User.role == role)
    if is_active is not None:
        query = query.where(User.is_active == bool(is_active))
    return customers.page_by_name(_text_filter(query, search), cursor, limit)


def get_user(actor, user_id):
    """One user of any role (agents read). :raises NotFound:"""
    require_staff(actor)
    return _by_id(User.select(), User, user_id, "No such user.")


def create_user(actor, email, name, role, password, phone=None, company=None):
    """A new user who can sign in at once (admins). :raises ValidationError: beside each field."""
    require_admin(actor)
    errors = {}
    phone, company = accounts.check_contact_fields(errors, phone, company)
    if errors:
        raise ValidationError(errors)
    with write():
        user = admin.create_user(actor, email, name, role, password)
        if phone or company:
            user.phone, user.company = phone, company
            user.save()
    return user


def update_user(actor, user_id, name=_UNSET, email=_UNSET, role=_UNSET, is_active=_UNSET, phone=_UNSET,
                company=_UNSET, password=_UNSET):
    """Change only the given fields of a user, all in one transaction (admins).

    Deactivating a user signs them out and stops their API tokens.

    :raises Conflict: when demoting or deactivating yourself or the last active admin.
    """
    require_admin(actor)
    errors = {}
    changes = {}
    if name is not _UNSET:
        changes["name"] = accounts.check_length(errors, "name", name, 2, 120, "a name")
    if email is not _UNSET:
        changes["email"] = accounts.normalize_email(email, errors=errors)
    if phone is not _UNSET or company is not _UNSET:
        new_phone, new_company = accounts.check_contact_fields(
            errors, None if phone is _UNSET else phone, None if company is _UNSET else company
        )
        if phone is not _UNSET:
            changes["phone"] = new_phone
        if company is not _UNSET:
            changes["company"] = new_company
    if password is not _UNSET:
        accounts.check_password(errors, password)
    if role is not _UNSET and role not in ROLES:
        errors["role"] = f"Choose one of: {', '.join(ROLES)}."
    if errors:
        raise ValidationError(errors)
    with write():
        user = get_user(actor, user_id)
        if "email" in changes and changes["email"] != user.email:
            if User.select().where((User.email == changes["email"]) & (User.id != user.id)).exists():
                raise ValidationError({"email": "Someone with this e-mail address already exists."})
        for field, value in changes.items():
            setattr(user, field, value)
        if password is not _UNSET:
            user.password_hash = accounts.hash_password(password)
        user.save()
        if role is not _UNSET:
            admin.change_role(actor, user.id, role)
        if is_active is not _UNSET:
            admin.set_user_active(actor, user.id, bool(is_active))
    return get_user(actor, user.id)


# ------------------------------------------------------------------------------------------------------------- tags


def list_tags(actor, search="", cursor=None, limit=100):
    """Tags by name, narrowed by a text in the name (agents)."""
    require_staff(actor)
    query = Tag.select()
    text = (search or "").strip()[:64]
    if text:
        query = query.where(Tag.name ** f"%{text}%")
    return paging.keyset_page(query, Tag.name, Tag.id, "tag", cursor, limit, descending=False)


def get_tag(actor, tag_id):
    """One tag (agents). :raises NotFound:"""
    require_staff(actor)
    return _by_id(Tag.select(), Tag, tag_id, "No such tag.")


def create_tag(actor, name, color="#64748b"):
    """A new tag (agents). :raises ValidationError: for a taken name or a colour that is not #rrggbb."""
    return admin.create_tag(actor, name, color)


def update_tag(actor, tag_id, name=_UNSET, color=_UNSET):
    """Rename a tag or change its colour (agents); tickets keep it. :raises NotFound:"""
    tag = get_tag(actor, tag_id)
    return admin.update_tag(actor, tag.id, tag.name if name is _UNSET else name,
                            tag.color if color is _UNSET else color)


def delete_tag(actor, tag_id):
    """Delete a tag and take it off every ticket (admins). :raises NotFound:"""
    require_admin(actor)
    get_tag(actor, tag_id)
    admin.delete_tag(actor, int(tag_id))

