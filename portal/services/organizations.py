"""Organizations: the companies customers belong to, who is a member, and which tickets a member shares.

Agents read organizations and move customers in and out; admins create, change and delete them. A customer joins
on their own when their address is verified and its domain is one of an organization's. With `shared_tickets` on,
every verified member sees and answers every ticket of the organization (see permissions.shared_organization_id).
"""
import re

from peewee import fn

from .. import search
from ..db import write
from ..models import Organization, Ticket, User
from . import paging
from .errors import NotFound, ValidationError
from .paging import MAX_ID
from .permissions import require_admin, require_staff, shared_organization_id

NAME_MAX = 120
MAX_DOMAINS = 50
_UNSET = object()
# Labels of letters, digits and inner hyphens, at least two of them; the last is letters (or an IDNA "xn--" form).
_DOMAIN = re.compile(r"^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+([a-z]{2,63}|xn--[a-z0-9-]{1,59})$")


# ------------------------------------------------------------------------------------------------------------ reading


def _member_count():
    return (User.select(fn.COUNT(User.id))
            .where(User.organization == Organization.id, User.role == "customer")
            .alias("member_count"))


def _with_counts():
    return Organization.select(Organization, _member_count())


def _by_id(query, organization_id):
    try:
        organization_id = int(organization_id)
    except (TypeError, ValueError):
        raise NotFound("No such organization.")
    if not 1 <= organization_id <= MAX_ID:
        raise NotFound("No such organization.")
    row = query.where(Organization.id == organization_id).first()
    if row is None:
        raise NotFound("No such organization.")
    return row


def list_organizations(actor, search_text="", cursor=None, limit=25):
    """Organizations by name, each with its member_count; `search_text` looks in the name and the domains (agents)."""
    require_staff(actor)
    query = _with_counts()
    text = (search_text or "").strip()[:120]
    if text:
        pattern = f"%{text}%"
        query = query.where((Organization.name ** pattern) | (Organization.domains ** pattern))
    return paging.keyset_page(query, Organization.name, Organization.id, "organization", cursor, limit,
                              descending=False)


def all_organizations(actor):
    """Every organization by name (for a picker): agents."""
    require_staff(actor)
    return list(Organization.select().order_by(Organization.name, Organization.id))


def get_organization(actor, organization_id):
    """One organization with its member_count (agents). :raises NotFound:"""
    require_staff(actor)
    return _by_id(_with_counts(), organization_id)


def members(actor, organization, cursor=None, limit=50):
    """The organization's customers by name, one page (agents)."""
    require_staff(actor)
    query = User.select().where(User.organization == organization.id, User.role == "customer")
    return paging.keyset_page(query, User.name, User.id, "name", cursor, limit, descending=False)


# ----------------------------------------------------------------------------------------------------------- checking


def parse_domains(value):
    """Domains from a list or from text separated by commas, spaces or lines: lower-cased, without "@", each once."""
    if value is None:
        return []
    parts = value if isinstance(value, (list, tuple)) else re.split(r"[\s,;]+", str(value))
    domains = []
    for part in parts:
        domain = str(part).strip().lower().lstrip("@").rstrip(".")
        if domain and domain not in domains:
            domains.append(domain)
    return domains


def _check(errors, name, domains, organization_id=None):
    """Clean the name and domains in place of `errors`; returns (name, domains)."""
    if name is not _UNSET:
        name = " ".join((name or "").split())
        if not name:
            errors["name"] = "Enter the organization's name."
        elif len(name) > NAME_MAX:
            errors["name"] = f"The name can be at most {NAME_MAX} characters."
    if domains is not _UNSET:
        domains = parse_domains(domains)
        bad = [d for d in domains if not _DOMAIN.match(d)]
        if bad:
            errors["domains"] = f"“{bad[0][:80]}” is not a domain name; write it like example.com."
        elif len(domains) > MAX_DOMAINS:
            errors["domains"] = f"An organization can have at most {MAX_DOMAINS} domains."
        else:
            taken = _domain_owners(domains, organization_id)
            if taken:
                domain, owner = taken[0]
                errors["domains"] = f"{domain} already belongs to {owner}."
    return name, domains


def _domain_owners(domains, organization_id=None):
    """(domain, organization name) for each of `domains` that another organization already has."""
    if not domains:
        return []
    condition = None
    for domain in domains:
        # Narrow with LIKE, then compare whole entries: "acme.com" must not match "notacme.com".
        term = Organization.domains ** f"%{domain}%"
        condition = term if condition is None else condition | term
    query = Organization.select(Organization.id, Organization.name, Organization.domains).where(condition)
    if organization_id is not None:
        query = query.where(Organization.id != organization_id)
    found = []
    for row in query:
        for domain in domains:
            if domain in row.domain_list:
                found.append((domain, row.name))
    return found


def _shared_flag(errors, value):
    if value is _UNSET:
        return value
    if not isinstance(value, bool):
        errors["shared_tickets"] = "Answer true or false."
    return value


# ----------------------------------------------------------------------------------------------------------- changing


def create_organization(actor, name, domains=None, shared_tickets=False):
    """A new organization (admins); verified customers of its domains join it as they verify.

    Customers already verified at one of its domains join now too.
    :raises ValidationError: beside name, domains and shared_tickets.
    """
    require_admin(actor)
    errors = {}
    shared_tickets = _shared_flag(errors, shared_tickets)
    with write():
        name, domains = _check(errors, name, domains or [])
        if errors:
            raise ValidationError(errors)
        organization = Organization.create(name=name, domains=",".join(domains), shared_tickets=shared_tickets)
        _adopt_domain_members(organization, domains)
    return get_organization(actor, organization.id)


def update_organization(actor, organization_id, name=_UNSET, domains=_UNSET, shared_tickets=_UNSET):
    """Change only the given fields (admins). Turning shared_tickets off hides other members' tickets at once;
    members keep their membership when a domain is taken off.

    :raises NotFound: :raises ValidationError: beside each field.
    """
    require_admin(actor)
    errors = {}
    shared_tickets = _shared_flag(errors, shared_tickets)
    with write():
        organization = _by_id(Organization.select(), organization_id)
        name, domains = _check(errors, name, domains, organization.id)
        if errors:
            raise ValidationError(errors)
        added = []
        if name is not _UNSET:
            organization.name = name
        if domains is not _UNSET:
            added = [d for d in domains if d not in organization.domain_list]
            organization.domains = ",".join(domains)
        if shared_tickets is not _UNSET:
            organization.shared_tickets = shared_tickets
        organization.save()
        _adopt_domain_members(organization, added)
    return get_organization(actor, organization.id)


def delete_organization(actor, organization_id):
    """Delete an organization (admins): its members stay customers without one, its tickets stay theirs.

    :raises NotFound:
    """
    require_admin(actor)
    with write():
        organization = _by_id(Organization.select(), organization_id)
        ticket_ids = [t.id for t in Ticket.select(Ticket.id).where(Ticket.organization == organization.id)]
        User.update(organization=None).where(User.organization == organization.id).execute()
        Ticket.update(organization=None).where(Ticket.organization == organization.id).execute()
        organization.delete_instance()
        search.index_tickets(ticket_ids)


def set_organization(actor, customer_id, organization_id):
    """Move a customer into an organization, or out of theirs with None (agents); their tickets move with them,
    so the organization's members see them (with shared_tickets) or no longer do.

    :raises NotFound: for an unknown customer or organization.
    """
    from .customers import get_customer  # customers → accounts → this module: imported when called

    with write():
        customer = get_customer(actor, customer_id)
        organization = None
        if organization_id not in (None, ""):
            organization = _by_id(Organization.select(), organization_id)
        _move(customer, organization)
    return customer


def _move(customer, organization):
    """Inside the caller's transaction: the customer and every ticket of theirs go to `organization` (or None)."""
    new_id = organization.id if organization is not None else None
    if customer.organization_id == new_id:
        return
    User.update(organization=new_id).where(User.id == customer.id).execute()
    Ticket.update(organization=new_id).where(Ticket.customer == customer.id).execute()
    customer.organization = organization
    search.index_customer_tickets(customer.id)


def _adopt_domain_members(organization, domains):
    """Verified customers without an organization whose address is at one of `domains` join `organization`."""
    for domain in domains:
        candidates = User.select().where(
            User.role == "customer", User.email_verified == True, User.organization.is_null(),  # noqa: E712
            User.email ** f"%@{domain}",
        )
        for customer in candidates:
            if _domain_of(customer.email) == domain:
                _move(customer, organization)


def _domain_of(email):
    return (email or "").rpartition("@")[2].lower()


def organization_for_address(email):
    """The organization whose domains include the address's domain, or None."""
    domain = _domain_of(email)
    if not domain:
        return None
    for row in Organization.select().where(Organization.domains ** f"%{domain}%"):
        if domain in row.domain_list:
            return row
    return None


def join_by_domain(user):
    """Inside the caller's transaction: a verified customer without an organization joins the one of their address's
    domain, if any. Unverified addresses never join: anyone can type an address."""
    if user.role != "customer" or not user.email_verified or user.organization_id is not None:
        return None
    organization = organization_for_address(user.email)
    if organization is not None:
        _move(user, organization)
    return organization


def sharing_organization(actor):
    """The organization whose tickets the actor sees besides their own, or None (see shared_organization_id)."""
    organization_id = shared_organization_id(actor)
    return Organization.get_or_none(Organization.id == organization_id) if organization_id else None
