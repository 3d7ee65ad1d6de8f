"""SLA policies through /api/v1/sla-policies: the JSON shape of SPEC section 11, located errors, admins only."""
import pytest

from portal.models import SlaPolicy
from portal.services import sla_policies

from .test_api_auth import Api, person, token_for

WEEKDAYS = {"timezone": "Europe/Berlin",
            "days": {day: ["09:00", "17:00"] for day in ("mon", "tue", "wed", "thu", "fri")}}


@pytest.fixture
def people(app):
    return {
        "admin": person("admin", "adele@example.com", "Adele Admin"),
        "agent": person("agent", "agnes@example.com", "Agnes Agent"),
        "customer": person("customer", "alice@example.com", "Alice A"),
    }


@pytest.fixture
def api(client, people):
    return Api(client, token_for(people["admin"]))


def located(response):
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["code"] == "VALIDATION_ERROR"
    return {error["location"]: error["message"] for error in problem["errors"]}


def test_an_admin_creates_reads_changes_and_deletes_a_policy(api):
    created = api.post("/sla-policies", {"name": "Urgent billing", "priorities": ["urgent"],
                                         "categories": ["billing"], "first_response_minutes": 60,
                                         "resolution_minutes": 480, "business_hours": WEEKDAYS})
    assert created.status_code == 201, created.get_data(as_text=True)
    policy = created.get_json()["data"]
    assert policy == {"id": policy["id"], "name": "Urgent billing", "priorities": ["urgent"],
                      "categories": ["billing"], "first_response_minutes": 60, "resolution_minutes": 480,
                      "business_hours": WEEKDAYS, "position": 0}

    listed = api.get("/sla-policies").get_json()
    assert listed["data"] == [policy]
    assert listed["meta"] == {"limit": 1, "total": 1, "next_cursor": None}

    changed = api.patch(f"/sla-policies/{policy['id']}", {"resolution_minutes": None, "business_hours": None,
                                                          "priorities": ["urgent", "high"]})
    assert changed.status_code == 200
    data = changed.get_json()["data"]
    assert data["resolution_minutes"] is None and data["business_hours"] is None
    assert data["priorities"] == ["high", "urgent"] and data["name"] == "Urgent billing"

    deleted = api.delete(f"/sla-policies/{policy['id']}")
    assert deleted.status_code == 204 and deleted.get_data() == b""
    assert api.get("/sla-policies").get_json()["data"] == []
    assert api.delete(f"/sla-policies/{policy['id']}").status_code == 404


def test_defaults_any_ticket_round_the_clock_and_last(api):
    api.post("/sla-policies", {"name": "First", "first_response_minutes": 30})
    data = api.post("/sla-policies", {"name": "Catch-all", "resolution_minutes": 2880}).get_json()["data"]
    assert data["priorities"] == [] and data["categories"] == []
    assert data["business_hours"] is None and data["first_response_minutes"] is None
    assert data["position"] == 1


def test_the_list_is_the_match_order_and_position_moves_policies(api):
    ids = [api.post("/sla-policies", {"name": name, "first_response_minutes": 60}).get_json()["data"]["id"]
           for name in ("A", "B", "C")]
    top = api.post("/sla-policies", {"name": "Top", "first_response_minutes": 5, "position": 0}).get_json()["data"]
    assert top["position"] == 0
    listed = api.get("/sla-policies").get_json()["data"]
    assert [(p["name"], p["position"]) for p in listed] == [("Top", 0), ("A", 1), ("B", 2), ("C", 3)]
    moved = api.patch(f"/sla-policies/{ids[2]}", {"position": 1}).get_json()["data"]
    assert moved["position"] == 1
    assert [p["name"] for p in api.get("/sla-policies").get_json()["data"]] == ["Top", "C", "A", "B"]


def test_what_get_returns_can_be_sent_back(api):
    policy = api.post("/sla-policies", {"name": "Berlin", "resolution_minutes": 600,
                                        "business_hours": WEEKDAYS}).get_json()["data"]
    body = {key: value for key, value in policy.items() if key != "id"}
    again = api.patch(f"/sla-policies/{policy['id']}", body)
    assert again.status_code == 200 and again.get_json()["data"] == policy


@pytest.mark.parametrize("body, location", [
    ({"first_response_minutes": 60}, "body.name"),
    ({"name": "P", "first_response_minutes": "60"}, "body.first_response_minutes"),
    ({"name": "P", "first_response_minutes": 0}, "body.first_response_minutes"),
    ({"name": "P", "first_response_minutes": 600_000}, "body.first_response_minutes"),
    ({"name": "P", "first_response_minutes": 60, "priorities": ["asap"]}, "body.priorities.0"),
    ({"name": "P", "first_response_minutes": 60, "position": -1}, "body.position"),
    ({"name": "P", "first_response_minutes": 60, "position": None}, "body.position"),
    ({"name": "P", "first_response_minutes": 60, "colour": "red"}, "body.colour"),
    ({"name": "P", "first_response_minutes": 60, "business_hours": {"timezone": "UTC"}}, "body.business_hours.days"),
    ({"name": "P", "first_response_minutes": 60,
      "business_hours": {"timezone": "UTC", "days": {"mon": ["9am", "5pm"]}}}, "body.business_hours.days.mon.0"),
])
def test_malformed_fields_are_located(api, body, location):
    assert location in located(api.post("/sla-policies", body))
    assert SlaPolicy.select().count() == 0


@pytest.mark.parametrize("body, location, message", [
    ({"name": "P"}, "body.first_response_minutes", "Set a first-response target, a resolution target or both."),
    ({"name": "P", "first_response_minutes": 60, "resolution_minutes": 30}, "body.resolution_minutes",
     "The resolution target cannot be shorter than the first-response target (1 h)."),
    ({"name": "P", "first_response_minutes": 60, "priorities": ["high", "high"]}, "body.priorities",
     "“high” is listed twice; list each once."),
    ({"name": "P", "first_response_minutes": 60, "categories": ["hardware"]}, "body.categories",
     "There is no category “hardware”."),
    ({"name": "P", "first_response_minutes": 60,
      "business_hours": {"timezone": "Europe/Atlantis", "days": {"mon": ["09:00", "17:00"]}}},
     "body.business_hours.timezone", "“Europe/Atlantis” is not a known time zone; use a name like Europe/Berlin."),
    ({"name": "P", "first_response_minutes": 60,
      "business_hours": {"timezone": "UTC", "days": {"mon": ["17:00", "09:00"]}}},
     "body.business_hours.days.mon", "Monday: the closing time must be after the opening time."),
])
def test_rules_are_explained_where_the_problem_is(api, body, location, message):
    assert located(api.post("/sla-policies", body)) == {location: message}


def test_name_cannot_be_null_and_a_taken_name_is_refused(api):
    first = api.post("/sla-policies", {"name": "Urgent", "first_response_minutes": 30}).get_json()["data"]
    api.post("/sla-policies", {"name": "Normal", "first_response_minutes": 240})
    assert "body.name" in located(api.patch(f"/sla-policies/{first['id']}", {"name": None}))
    assert located(api.post("/sla-policies", {"name": "urgent", "first_response_minutes": 30})) == {
        "body.name": "Another policy already has this name."}
    assert located(api.patch(f"/sla-policies/{first['id']}", {"name": "NORMAL"})) == {
        "body.name": "Another policy already has this name."}


def test_clearing_the_last_target_is_refused_where_it_was_sent(api):
    policy = api.post("/sla-policies", {"name": "P", "resolution_minutes": 120}).get_json()["data"]
    assert located(api.patch(f"/sla-policies/{policy['id']}", {"resolution_minutes": None})) == {
        "body.resolution_minutes": "Set a first-response target, a resolution target or both."}


def test_malformed_json_is_a_bad_request(api):
    response = api.call("POST", "/sla-policies", data="{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and response.get_json()["code"] == "BAD_REQUEST"


@pytest.mark.parametrize("role", ["agent", "customer"])
def test_agents_and_customers_are_forbidden(client, people, role):
    policy = sla_policies.create_policy(people["admin"], "Urgent", priorities=["urgent"], first_response_minutes=30)
    api = Api(client, token_for(people[role]))
    calls = [api.get("/sla-policies"),
             api.post("/sla-policies", {"name": "Mine", "first_response_minutes": 5}),
             api.patch(f"/sla-policies/{policy.id}", {"name": "Hijacked"}),
             api.delete(f"/sla-policies/{policy.id}")]
    for response in calls:
        assert response.status_code == 403 and response.get_json()["code"] == "FORBIDDEN"
    assert [p.name for p in SlaPolicy.select()] == ["Urgent"]


def test_without_a_token_nothing_is_served(client):
    response = client.get("/api/v1/sla-policies")
    assert response.status_code == 401 and response.headers["WWW-Authenticate"].startswith("Bearer")


def test_an_unknown_policy_is_404(api):
    assert api.patch("/sla-policies/987654", {"name": "X"}).status_code == 404
    assert api.delete("/sla-policies/987654").status_code == 404


def test_the_document_describes_the_policy_shape(client):
    schemas = client.get("/openapi.json").get_json()["components"]["schemas"]
    assert set(schemas["SlaPolicy"]["required"]) == {
        "id", "name", "priorities", "categories", "first_response_minutes", "resolution_minutes", "business_hours",
        "position"}
    assert schemas["SlaPolicyCreate"]["required"] == ["name"]
    assert schemas["BusinessHours"]["properties"]["days"]["propertyNames"]["enum"] == [
        "mon", "tue", "wed", "thu", "fri", "sat", "sun"]
