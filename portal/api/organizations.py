"""Organizations: the companies customers belong to (agents read, admins write)."""
from flask import url_for

from ..services import organizations
from . import schemas as s
from . import serializers as out
from .core import list_meta, operation

TAG = "Organizations"


@operation("GET", "/organizations", tag=TAG, summary="List organizations (agents)", query=s.OrganizationListQuery,
           response=s.OrganizationList, errors=(403,))
def list_organizations(actor, query):
    """Organizations by name, each with its member_count; `search` looks in the name and the domains."""
    page = organizations.list_organizations(actor, query.search or "", cursor=query.cursor or None,
                                            limit=query.limit)
    return s.OrganizationList(data=[out.organization(o) for o in page.items], meta=list_meta(page))


@operation("POST", "/organizations", tag=TAG, summary="Create an organization (admins)", body=s.OrganizationCreate,
           response=s.OrganizationResponse, status=201, errors=(403,))
def create_organization(actor, body):
    """A new organization. Verified customers whose address is at one of its `domains` join it, now and as they
    verify; with `shared_tickets`, its members see and answer each other's tickets."""
    organization = organizations.create_organization(actor, body.name, body.domains, body.shared_tickets)
    return (s.OrganizationResponse(data=out.organization(organization)),
            {"Location": url_for("api.get_organization", organization_id=organization.id)})


@operation("GET", "/organizations/{organization_id}", tag=TAG, summary="Get an organization (agents)",
           response=s.OrganizationResponse, errors=(403,))
def get_organization(actor, organization_id):
    """One organization with its member_count."""
    return s.OrganizationResponse(data=out.organization(organizations.get_organization(actor, organization_id)))


@operation("PATCH", "/organizations/{organization_id}", tag=TAG, summary="Change an organization (admins)",
           body=s.OrganizationUpdate, response=s.OrganizationResponse, errors=(403,))
def update_organization(actor, organization_id, body):
    """Only the fields sent change. Turning `shared_tickets` off hides the other members' tickets at once; taking a
    domain off keeps the members who joined through it."""
    organization = organizations.update_organization(actor, organization_id, **body.model_dump(exclude_unset=True))
    return s.OrganizationResponse(data=out.organization(organization))


@operation("DELETE", "/organizations/{organization_id}", tag=TAG, summary="Delete an organization (admins)",
           status=204, errors=(403,))
def delete_organization(actor, organization_id):
    """The organization goes; its members stay customers without one and keep their tickets."""
    organizations.delete_organization(actor, organization_id)
