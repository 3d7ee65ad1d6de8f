"""Organizations in the portals: the agent pages (admins edit, agents read and move customers), and who sees a sharing
organization's tickets on every portal surface (the rest get 404)."""
import io
import re

import pytest

from portal.models import Organization, Ticket, User
from portal.services import accounts, attachments, organizations, tickets

from .conftest import csrf_from, make_user


def post(client, path, data):
    token = csrf_from(client.get("/").get_data(as_text=True))
    return client.post(path, data={**data, "csrf_token": token})


# ------------------------------------------------------------------------------------------------ agent pages


def test_admin_creates_edits_and_deletes_through_the_pages(client, auth, admin):
    auth.login(admin.email)
    response = post(client, "/agent/organizations", {"name": "Acme", "domains": "acme.com\nacme.co.uk",
                                                     "shared_tickets": "y"})
    assert response.status_code == 303
    org = Organization.get(Organization.name == "Acme")
    assert response.headers["Location"] == f"/agent/organizations/{org.id}"
    assert org.domain_list == ["acme.com", "acme.co.uk"] and org.shared_tickets

    refused = post(client, "/agent/organizations", {"name": "Copy", "domains": "ACME.com"})
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert re.search(r'id="domains-error">acme.com already belongs to Acme.', html)
    assert "Copy" in html  # the input is kept

    assert post(client, f"/agent/organizations/{org.id}", {"name": "Acme Corp", "domains": "acme.com"}
                ).status_code == 303
    org = Organization.get_by_id(org.id)
    assert org.name == "Acme Corp" and org.shared_tickets is False  # an unticked box turns sharing off
    bad = post(client, f"/agent/organizations/{org.id}", {"name": "", "domains": "nope"})
    assert bad.status_code == 422 and 'id="name-error"' in bad.get_data(as_text=True)

    assert post(client, f"/agent/organizations/{org.id}/delete", {}).status_code == 303
    assert Organization.select().count() == 0


def test_agents_read_organizations_but_get_403_on_changes(client, auth, agent, admin):
    org = organizations.create_organization(admin, "Acme", ["acme.com"], shared_tickets=True)
    member = make_user("customer", "mia@acme.com", "Mia Member")
    tickets.create_ticket(member, "Printer on fire", "Smells.")
    auth.login(agent.email)
    listing = client.get("/agent/organizations?q=acme")
    assert listing.status_code == 200
    assert "Acme" in listing.get_data(as_text=True) and "New organization" not in listing.get_data(as_text=True)
    fragment = client.get("/agent/organizations?q=nothing", headers={"HX-Request": "true"})
    assert fragment.get_data(as_text=True).lstrip().startswith('<div id="organization-list"')
    page = client.get(f"/agent/organizations/{org.id}").get_data(as_text=True)
    assert "Mia Member" in page and "Printer on fire" in page
    assert f"/agent?view=open&amp;organization={org.id}" in page
    queue = client.get(f"/agent?view=open&organization={org.id}").get_data(as_text=True)
    assert "Printer on fire" in queue
    for path in ("/agent/organizations", f"/agent/organizations/{org.id}", f"/agent/organizations/{org.id}/delete"):
        assert post(client, path, {"name": "Hijack", "domains": ""}).status_code == 403
    assert Organization.get_by_id(org.id).name == "Acme"


def test_agent_moves_a_customer_from_their_page(client, auth, agent, admin, customer):
    org = organizations.create_organization(admin, "Acme", ["acme.com"], shared_tickets=True)
    ticket = tickets.create_ticket(customer, "Invoice", "Missing")
    auth.login(agent.email)
    page = client.get(f"/agent/customers/{customer.id}").get_data(as_text=True)
    assert "In no organization." in page
    response = post(client, f"/agent/customers/{customer.id}/organization", {"organization_id": str(org.id)})
    assert response.status_code == 303
    assert User.get_by_id(customer.id).organization_id == org.id
    assert Ticket.get_by_id(ticket.id).organization_id == org.id
    assert "Acme" in client.get(f"/agent/customers/{customer.id}").get_data(as_text=True)
    workspace = client.get(f"/agent/tickets/{ticket.id}").get_data(as_text=True)
    assert f"/agent/organizations/{org.id}" in workspace and "members see this ticket" in workspace
    post(client, f"/agent/customers/{customer.id}/organization", {"organization_id": ""})
    assert User.get_by_id(customer.id).organization_id is None


# ----------------------------------------------------------------------------------- who sees it in the portals

ACTORS = ("owner", "member_shared", "member_unshared", "other_org", "unverified", "agent", "admin", "keyholder")
VISIBLE = {"owner": True, "member_shared": True, "member_unshared": False, "other_org": False, "unverified": False,
           "agent": True, "admin": True, "keyholder": False}
SURFACES = ("list", "thread", "search", "attachment", "reply")


@pytest.fixture
def world(app, admin, agent):
    acme = organizations.create_organization(admin, "Acme", ["acme.com"], shared_tickets=True)
    initech = organizations.create_organization(admin, "Initech", ["initech.com"], shared_tickets=False)
    organizations.create_organization(admin, "Globex", ["globex.com"], shared_tickets=True)
    owner = make_user("customer", "olga@acme.com", "Olga Owner")
    upload = attachments.upload(owner, io.BytesIO(b"log line"), "log.txt", "text/plain")
    ticket = tickets.create_ticket(owner, "Printer on fire", "Smells of toner.", attachment_ids=[upload.id])
    return {"owner": owner, "ticket": ticket.id, "attachment": upload.id, "acme": acme, "initech": initech,
            "admin": admin, "agent": agent}


def _actor(world, name):
    """The signed-in person for a row, or the private key of another ticket for the key holder."""
    if name in ("owner", "agent", "admin"):
        return world[name], None
    if name == "member_shared":
        return make_user("customer", "mo@acme.com", "Mo Member"), None
    if name == "member_unshared":
        organizations.set_organization(world["agent"], world["owner"].id, world["initech"].id)
        return make_user("customer", "ian@initech.com", "Ian Initech"), None
    if name == "other_org":
        return make_user("customer", "gil@globex.com", "Gil Globex"), None
    if name == "unverified":
        return make_user("customer", "uri@acme.com", "Uri Unverified", verified=False), None
    # A co-member's contact-form ticket: its private link opens that ticket and nothing else.
    make_user("customer", "kim@acme.com", "Kim Keys")
    _, key = tickets.submit_contact("Kim Keys", "kim@acme.com", "My own question", "Hello")
    return None, key


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("surface", SURFACES)
def test_who_sees_an_organization_ticket_in_the_portals(client, auth, world, actor, surface):
    user, key = _actor(world, actor)
    ticket_id, attachment_id = world["ticket"], world["attachment"]
    visible = VISIBLE[actor]
    if key is not None:
        # Everything a private link reaches is under the link; the owner's ticket is none of it.
        page = client.get(f"/t/{key}").get_data(as_text=True)
        assert "Printer on fire" not in page and "My own question" in page
        assert client.get(f"/t/{key}/attachments/{attachment_id}").status_code == 404
        assert client.get(f"/tickets/{ticket_id}").status_code in (302, 303)  # not signed in: sign in first
        return
    auth.login(user.email)
    staff = user.is_staff
    thread_path = f"/agent/tickets/{ticket_id}" if staff else f"/tickets/{ticket_id}"
    list_path = "/agent?view=open" if staff else "/tickets"
    if surface == "list":
        assert ("Printer on fire" in client.get(list_path).get_data(as_text=True)) is visible
    elif surface == "search":
        found = client.get(f"{list_path}&q=toner" if staff else f"{list_path}?q=toner").get_data(as_text=True)
        assert ("Printer on fire" in found) is visible
    elif surface == "thread":
        response = client.get(thread_path)
        assert response.status_code == (200 if visible else 404)
        assert ("Smells of toner" in response.get_data(as_text=True)) is visible
    elif surface == "attachment":
        assert client.get(f"/attachments/{attachment_id}").status_code == (200 if visible else 404)
    else:
        path = f"/agent/tickets/{ticket_id}/reply" if staff else f"/tickets/{ticket_id}/reply"
        data = {"body": "Same here."}
        if staff:
            data["kind"] = "reply"
        before = Ticket.get_by_id(ticket_id).message_count
        response = post(client, path, data)
        assert response.status_code == (303 if visible else 404)
        assert Ticket.get_by_id(ticket_id).message_count == before + (1 if visible else 0)


def test_a_member_sees_who_filed_and_narrows_to_mine(client, auth, world):
    member = make_user("customer", "mo@acme.com", "Mo Member")
    tickets.create_ticket(member, "My own ticket", "Mine.")
    auth.login(member.email)
    page = client.get("/tickets").get_data(as_text=True)
    assert "filed by <bdi>Olga Owner</bdi>" in page and 'name="whose"' in page
    mine = client.get("/tickets?whose=mine").get_data(as_text=True)
    assert "My own ticket" in mine and "Printer on fire" not in mine
    theirs = client.get("/tickets?whose=organization&q=toner").get_data(as_text=True)
    assert "Printer on fire" in theirs and "My own ticket" not in theirs
    # Turning sharing off hides the co-member's ticket at once, and the filter with it.
    organizations.update_organization(world["admin"], world["acme"].id, shared_tickets=False)
    page = client.get("/tickets").get_data(as_text=True)
    assert "Printer on fire" not in page and 'name="whose"' not in page
    assert client.get(f"/tickets/{world['ticket']}").status_code == 404


def test_verifying_by_link_joins_the_organization(client, world):
    with client.application.test_request_context():
        user = accounts.register("newbie@acme.com", "Nell Newbie", "long-password")
        token = accounts.verification_token(user)
    assert User.get_by_id(user.id).organization_id is None
    accounts.verify_email(token)
    assert User.get_by_id(user.id).organization_id == world["acme"].id
