"""Organizations through /api/v1: the JSON shape of SPEC section 13, located problem+json errors, admins write, and
who sees a sharing organization's tickets through the API (every other caller gets 404)."""
import io

import pytest

from portal.models import Ticket
from portal.services import accounts, attachments, organizations, tickets

from .test_api_auth import Api, person, token_for


@pytest.fixture
def people(app):
    return {
        "admin": person("admin", "adele@example.com", "Adele Admin"),
        "agent": person("agent", "agnes@example.com", "Agnes Agent"),
        "customer": person("customer", "alice@example.com", "Alice A"),
    }


@pytest.fixture
def as_(client, people):
    def make(user):
        return Api(client, token_for(user))

    return make


def located(response):
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["code"] == "VALIDATION_ERROR"
    return {error["location"]: error["message"] for error in problem["errors"]}


def test_an_admin_creates_reads_changes_and_deletes_an_organization(as_, people):
    api = as_(people["admin"])
    created = api.post("/organizations", {"name": "Acme", "domains": ["ACME.com", "acme.co.uk"],
                                          "shared_tickets": True})
    assert created.status_code == 201, created.get_data(as_text=True)
    org = created.get_json()["data"]
    assert org == {"id": org["id"], "name": "Acme", "domains": ["acme.com", "acme.co.uk"], "shared_tickets": True,
                   "member_count": 0}
    assert created.headers["Location"].endswith(f"/api/v1/organizations/{org['id']}")

    member = person("customer", "mia@acme.com", "Mia Member")
    got = as_(people["agent"]).get(f"/organizations/{org['id']}").get_json()["data"]
    assert got["member_count"] == 1
    listed = as_(people["agent"]).get("/organizations?search=acme.co").get_json()
    assert [o["name"] for o in listed["data"]] == ["Acme"] and listed["meta"]["total"] == 1

    changed = api.patch(f"/organizations/{org['id']}", {"shared_tickets": False})
    assert changed.get_json()["data"]["shared_tickets"] is False
    assert changed.get_json()["data"]["domains"] == ["acme.com", "acme.co.uk"]

    user = as_(people["agent"]).get(f"/customers/{member.id}").get_json()["data"]
    assert user["organization_id"] == org["id"]
    assert as_(people["agent"]).get(f"/users/{member.id}").get_json()["data"]["organization_id"] == org["id"]

    assert api.delete(f"/organizations/{org['id']}").status_code == 204
    assert api.get(f"/organizations/{org['id']}").status_code == 404
    assert as_(people["agent"]).get(f"/customers/{member.id}").get_json()["data"]["organization_id"] is None


def test_errors_are_located_problems(as_, people):
    api = as_(people["admin"])
    assert set(located(api.post("/organizations", {"name": "", "domains": ["acme.com"]}))) == {"body.name"}
    assert set(located(api.post("/organizations", {"name": "Acme", "domains": ["not a domain"]}))) == {
        "body.domains"}
    assert set(located(api.post("/organizations", {"name": "Acme", "shared_tickets": "yes"}))) == {
        "body.shared_tickets"}
    assert api.post("/organizations", {"name": "Acme", "domains": ["acme.com"]}).status_code == 201
    taken = located(api.post("/organizations", {"name": "Other", "domains": ["acme.com"]}))
    assert taken == {"body.domains": "acme.com already belongs to Acme."}
    refused = as_(people["agent"]).post("/organizations", {"name": "Globex"})
    assert refused.status_code == 403 and refused.mimetype == "application/problem+json"
    assert api.patch("/organizations/999", {"name": "Nobody"}).status_code == 404


def test_an_agent_moves_a_customer_with_patch(as_, people):
    org = organizations.create_organization(people["admin"], "Acme", ["acme.com"], shared_tickets=True)
    ticket = tickets.create_ticket(people["customer"], "Printer", "Broken")
    api = as_(people["agent"])
    moved = api.patch(f"/customers/{people['customer'].id}", {"organization_id": org.id})
    assert moved.status_code == 200 and moved.get_json()["data"]["organization_id"] == org.id
    assert Ticket.get_by_id(ticket.id).organization_id == org.id
    assert located(api.patch(f"/customers/{people['customer'].id}", {"organization_id": 999})) == {
        "body.organization_id": "There is no such organization."}
    out = api.patch(f"/customers/{people['customer'].id}", {"organization_id": None})
    assert out.get_json()["data"]["organization_id"] is None


def test_ticket_json_names_the_organization_and_lists_filter_by_it(as_, people):
    org = organizations.create_organization(people["admin"], "Acme", ["acme.com"], shared_tickets=True)
    member = person("customer", "mo@acme.com", "Mo Member")
    inside = tickets.create_ticket(member, "Inside", "Body")
    outside = tickets.create_ticket(people["customer"], "Outside", "Body")
    api = as_(people["agent"])
    assert api.get(f"/tickets/{inside.id}").get_json()["data"]["organization"] == {"id": org.id, "name": "Acme"}
    assert api.get(f"/tickets/{outside.id}").get_json()["data"]["organization"] is None
    listed = api.get(f"/tickets?organization_id={org.id}").get_json()["data"]
    assert [t["id"] for t in listed] == [inside.id]
    assert listed[0]["organization"]["name"] == "Acme"


# ------------------------------------------------------------------------------------------- the visibility matrix

# The key holder (a private link) is no API caller: its row is in tests/test_views_organizations.py.
ACTORS = ("owner", "member_shared", "member_unshared", "other_org", "unverified", "agent", "admin")
VISIBLE = {"owner": True, "member_shared": True, "member_unshared": False, "other_org": False, "unverified": False,
           "agent": True, "admin": True}


@pytest.fixture
def world(app, people):
    admin = people["admin"]
    acme = organizations.create_organization(admin, "Acme", ["acme.com"], shared_tickets=True)
    initech = organizations.create_organization(admin, "Initech", ["initech.com"], shared_tickets=False)
    organizations.create_organization(admin, "Globex", ["globex.com"], shared_tickets=True)
    users = {
        "owner": person("customer", "olga@acme.com", "Olga Owner"),
        "member_shared": person("customer", "mo@acme.com", "Mo Member"),
        "other_org": person("customer", "gil@globex.com", "Gil Globex"),
        "unverified": accounts.create_user("uri@acme.com", "Uri Unverified", "customer", None, verified=False),
        "agent": people["agent"],
        "admin": admin,
    }
    upload = attachments.upload(users["owner"], io.BytesIO(b"log line"), "log.txt", "text/plain")
    ticket = tickets.create_ticket(users["owner"], "Printer on fire", "Smells of toner.", attachment_ids=[upload.id])
    # A contact-form ticket of the member, whose private link is the key holder's only door.
    tickets.submit_contact("Mo Member", "mo@acme.com", "Another question", "Hello")
    return {"users": users, "ticket": ticket.id, "attachment": upload.id, "initech": initech.id}


def _caller(client, world, actor):
    users = world["users"]
    if actor == "member_unshared":
        # A member of Initech (not sharing), whose ticket is also Initech's: the owner's ticket is not for them.
        user = person("customer", "ian@initech.com", "Ian Initech")
        organizations.set_organization(users["agent"], users["owner"].id, world["initech"])
        return Api(client, token_for(user))
    return Api(client, token_for(users[actor]))


SURFACES = ("list", "search", "get", "reply", "attachment")


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("surface", SURFACES)
def test_who_sees_an_organization_ticket_through_the_api(client, world, actor, surface):
    api = _caller(client, world, actor)
    ticket_id = world["ticket"]
    expected = VISIBLE[actor]
    expected_status = 200 if expected else 404
    if surface == "list":
        ids = [t["id"] for t in api.get("/tickets").get_json()["data"]]
        assert (ticket_id in ids) is expected
    elif surface == "search":
        ids = [t["id"] for t in api.get("/tickets?search=toner").get_json()["data"]]
        assert (ticket_id in ids) is expected
    elif surface == "get":
        assert api.get(f"/tickets/{ticket_id}").status_code == expected_status
    elif surface == "reply":
        response = api.post(f"/tickets/{ticket_id}/messages", {"body": "Same here."})
        assert response.status_code == (201 if expected_status == 200 else expected_status)
    else:
        assert api.get(f"/attachments/{world['attachment']}").status_code == expected_status


def test_turning_sharing_off_through_the_api_hides_at_once(client, world, people):
    member = Api(client, token_for(world["users"]["member_shared"]))
    assert member.get(f"/tickets/{world['ticket']}").status_code == 200
    acme = world["users"]["owner"].organization_id
    Api(client, token_for(people["admin"])).patch(f"/organizations/{acme}", {"shared_tickets": False})
    assert member.get(f"/tickets/{world['ticket']}").status_code == 404
    assert world["ticket"] not in [t["id"] for t in member.get("/tickets").get_json()["data"]]


def test_a_customer_filters_to_their_organization_only(client, world):
    users = world["users"]
    member = Api(client, token_for(users["member_shared"]))
    acme = users["owner"].organization_id
    ids = [t["id"] for t in member.get(f"/tickets?organization_id={acme}").get_json()["data"]]
    assert world["ticket"] in ids
    other = Api(client, token_for(users["other_org"]))
    assert other.get(f"/tickets?organization_id={acme}").get_json()["data"] == []


def test_ticket_list_loads_organizations_in_fixed_queries(client, world, people, count_queries):
    owner = world["users"]["owner"]
    for n in range(6):
        tickets.create_ticket(owner, f"Extra ticket {n}", "Body")
    api = Api(client, token_for(people["agent"]))
    api.get("/tickets?limit=1")  # the token's first use is stamped once
    with count_queries() as few:
        assert api.get("/tickets?limit=2").status_code == 200
    with count_queries() as many:
        assert len(api.get("/tickets?limit=8").get_json()["data"]) == 8
    assert many.count == few.count
