"""Customers, users and tags."""
from flask import url_for

from ..services import directory
from . import schemas as s
from . import serializers as out
from .core import list_meta, operation

# ------------------------------------------------------------------------------------------------------- customers


@operation("GET", "/customers", tag="Customers", summary="List customers (agents)", query=s.CustomerListQuery,
           response=s.CustomerList, errors=(403,))
def list_customers(actor, query):
    """Customers by name, each with its ticket_count; `search` looks in name, e-mail and company."""
    page = directory.list_customers(actor, query.search or "", cursor=query.cursor or None, limit=query.limit)
    return s.CustomerList(data=[out.customer(c) for c in page.items], meta=list_meta(page))


@operation("POST", "/customers", tag="Customers", summary="Create a customer (agents)", body=s.CustomerCreate,
           response=s.CustomerResponse, status=201, errors=(403,))
def create_customer(actor, body):
    """A customer without a password; they can claim the address later by registering."""
    customer = directory.create_customer(actor, body.email, body.name, phone=body.phone, company=body.company)
    return (s.CustomerResponse(data=out.customer(customer)),
            {"Location": url_for("api.get_customer", customer_id=customer.id)})


@operation("GET", "/customers/{customer_id}", tag="Customers", summary="Get a customer (agents)",
           response=s.CustomerResponse, errors=(403,))
def get_customer(actor, customer_id):
    """One customer with ticket_count; staff accounts are not customers and answer 404."""
    return s.CustomerResponse(data=out.customer(directory.get_customer(actor, customer_id)))


@operation("PATCH", "/customers/{customer_id}", tag="Customers", summary="Change a customer (agents)",
           body=s.CustomerUpdate, response=s.CustomerResponse, errors=(403,))
def update_customer(actor, customer_id, body):
    """Only the fields sent change; null clears phone or company."""
    customer = directory.update_customer(actor, customer_id, **body.model_dump(exclude_unset=True))
    return s.CustomerResponse(data=out.customer(customer))


@operation("DELETE", "/customers/{customer_id}", tag="Customers", summary="Delete a customer (admins)",
           status=204, errors=(403, 409))
def delete_customer(actor, customer_id):
    """Only a customer without tickets can be deleted (409 otherwise): tickets are never lost this way."""
    directory.delete_customer(actor, customer_id)


# ------------------------------------------------------------------------------------------------------------ users


@operation("GET", "/users", tag="Users", summary="List users (agents)", query=s.UserListQuery,
           response=s.UserList, errors=(403,))
def list_users(actor, query):
    """Staff and customers by name; narrow by `role` (staff = agents and admins), `is_active` and `search`."""
    page = directory.list_users(actor, query.search or "", role=query.role, is_active=query.is_active,
                                cursor=query.cursor or None, limit=query.limit)
    return s.UserList(data=[out.user(u) for u in page.items], meta=list_meta(page))


@operation("POST", "/users", tag="Users", summary="Create a user (admins)", body=s.UserCreate,
           response=s.UserResponse, status=201, errors=(403,))
def create_user(actor, body):
    """A user of any role who can sign in at once with the password given."""
    user = directory.create_user(actor, body.email, body.name, body.role, body.password, phone=body.phone,
                                 company=body.company)
    return s.UserResponse(data=out.user(user)), {"Location": url_for("api.get_user", user_id=user.id)}


@operation("GET", "/users/{user_id}", tag="Users", summary="Get a user (agents)", response=s.UserResponse,
           errors=(403,))
def get_user(actor, user_id):
    """One user of any role."""
    return s.UserResponse(data=out.user(directory.get_user(actor, user_id)))


@operation("PATCH", "/users/{user_id}", tag="Users", summary="Change a user (admins)", body=s.UserUpdate,
           response=s.UserResponse, errors=(403, 409))
def update_user(actor, user_id, body):
    """Only the fields sent change. Deactivating stops the user's tokens; nobody demotes or deactivates
    themselves or the last active admin (409)."""
    user = directory.update_user(actor, user_id, **body.model_dump(exclude_unset=True))
    return s.UserResponse(data=out.user(user))


# ------------------------------------------------------------------------------------------------------------- tags


@operation("GET", "/tags", tag="Tags", summary="List tags (agents)", query=s.TagListQuery, response=s.TagList,
           errors=(403,))
def list_tags(actor, query):
    """Tags by name."""
    page = directory.list_tags(actor, query.search or "", cursor=query.cursor or None, limit=query.limit)
    return s.TagList(data=[out.tag(t) for t in page.items], meta=list_meta(page))


@operation("POST", "/tags", tag="Tags", summary="Create a tag (agents)", body=s.TagCreate, response=s.TagResponse,
           status=201, errors=(403,))
def create_tag(actor, body):
    """A new tag; names are unique regardless of case."""
    tag = directory.create_tag(actor, body.name, body.color)
    return s.TagResponse(data=out.tag(tag)), {"Location": url_for("api.get_tag", tag_id=tag.id)}


@operation("GET", "/tags/{tag_id}", tag="Tags", summary="Get a tag (agents)", response=s.TagResponse,
           errors=(403,))
def get_tag(actor, tag_id):
    """One tag."""
    return s.TagResponse(data=out.tag(directory.get_tag(actor, tag_id)))


@operation("PATCH", "/tags/{tag_id}", tag="Tags", summary="Rename or recolour a tag (agents)", body=s.TagUpdate,
           response=s.TagResponse, errors=(403,))
def update_tag(actor, tag_id, body):
    """Only the fields sent change; tickets keep the tag."""
    tag = directory.update_tag(actor, tag_id, **body.model_dump(exclude_unset=True))
    return s.TagResponse(data=out.tag(tag))


@operation("DELETE", "/tags/{tag_id}", tag="Tags", summary="Delete a tag (admins)", status=204, errors=(403,))
def delete_tag(actor, tag_id):
    """The tag goes, and comes off every ticket."""
    directory.delete_tag(actor, tag_id)
