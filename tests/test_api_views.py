"""Saved views through /api/v1/views: SPEC section 12's shape, live counts, located errors, owners only."""
import pytest

from portal.services import tickets

from .test_api_auth import person
from .test_api_tickets import as_  # noqa: F401 (a token per person, made once)


@pytest.fixture
def people(app):
    return {
        "agent": person("agent", "agnes@example.com", "Agnes Agent"),
        "other": person("agent", "olaf@example.com", "Olaf Other"),
        "customer": person("customer", "alice@example.com", "Alice A"),
    }


def file_ticket(people, subject, priority="normal", assign=None):
    ticket = tickets.create_ticket(people["customer"], subject=subject, description="Please help.", priority=priority)
    if assign:
        tickets.update_ticket(people["agent"], ticket.id, assignee_id=people[assign].id)
    return ticket


def located(response):
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    return {error["location"]: error["message"] for error in response.get_json()["errors"]}


def test_an_agent_saves_lists_renames_and_deletes_a_view_with_a_live_count(as_, people):
    api = as_("agent")
    file_ticket(people, "Urgent and mine", "urgent", assign="agent")
    file_ticket(people, "Urgent, not mine", "urgent", assign="other")
    file_ticket(people, "Normal and mine", "normal", assign="agent")

    created = api.post("/views", {"name": "My urgent", "filters": {
        "priority": "urgent,high", "assignee_id": "me", "order_by": "due_at", "order_dir": "asc"}})
    assert created.status_code == 201, created.get_data(as_text=True)
    view = created.get_json()["data"]
    assert view == {"id": view["id"], "name": "My urgent", "count": 1, "filters": {
        "priority": "high,urgent", "assignee_id": "me", "order_by": "due_at", "order_dir": "asc"}}

    # The filters are GET /tickets' own query parameters: the list they give has `count` tickets.
    listed = api.get("/tickets", query_string=view["filters"]).get_json()
    assert [t["subject"] for t in listed["data"]] == ["Urgent and mine"]

    file_ticket(people, "Another urgent one", "urgent", assign="agent")
    views = api.get("/views").get_json()
    assert views["data"] == [{**view, "count": 2}]
    assert views["meta"] == {"limit": 1, "total": 1, "next_cursor": None}

    renamed = api.call("PATCH", f"/views/{view['id']}", {"name": "Fires"})
    assert renamed.status_code == 200
    assert renamed.get_json()["data"]["name"] == "Fires"
    assert renamed.get_json()["data"]["filters"] == view["filters"]

    assert api.delete(f"/views/{view['id']}").status_code == 204
    assert api.get("/views").get_json()["data"] == []
    assert api.delete(f"/views/{view['id']}").status_code == 404


def test_a_view_with_no_filters_counts_every_ticket(as_, people):
    for n in range(3):
        file_ticket(people, f"Ticket {n}")
    view = as_("agent").post("/views", {"name": "Everything"}).get_json()["data"]
    assert view["filters"] == {} and view["count"] == 3


def test_a_view_is_its_owners_alone(as_, people):
    mine = as_("agent").post("/views", {"name": "Mine", "filters": {"unassigned": True}}).get_json()["data"]
    other = as_("other")
    assert other.get("/views").get_json()["data"] == []
    assert other.call("PATCH", f"/views/{mine['id']}", {"name": "Taken"}).status_code == 404
    assert other.delete(f"/views/{mine['id']}").status_code == 404
    # The same name is free for someone else.
    assert other.post("/views", {"name": "Mine"}).status_code == 201
    assert [v["name"] for v in as_("agent").get("/views").get_json()["data"]] == ["Mine"]


@pytest.mark.parametrize("method, path", [("GET", "/views"), ("POST", "/views"), ("DELETE", "/views/1")])
def test_customers_get_403(as_, method, path):
    response = as_("customer").call(method, path, {"name": "x"} if method == "POST" else None)
    assert response.status_code == 403
    assert response.get_json()["code"] == "FORBIDDEN"


def test_unknown_filters_and_bad_values_are_located(as_):
    api = as_("agent")
    errors = located(api.post("/views", {"name": "Bad", "filters": {"colour": "red", "status": "sleeping"}}))
    assert set(errors) == {"body.filters.colour", "body.filters.status"}
    errors = located(api.post("/views", {"name": "Bad", "filters": {"category": "no-such-thing"}}))
    assert "body.filters.category" in errors
    errors = located(api.post("/views", {"name": "Bad", "filters": {"assignee_id": 999999}}))
    assert "body.filters.assignee_id" in errors
    errors = located(api.post("/views", {"name": "Bad", "filters": {"assignee_id": "me", "unassigned": True}}))
    assert "body.filters.unassigned" in errors
    errors = located(api.post("/views", {"name": "", "filters": {}}))
    assert "body.name" in errors


def test_names_are_unique_per_agent_ignoring_case(as_):
    api = as_("agent")
    assert api.post("/views", {"name": "Billing"}).status_code == 201
    errors = located(api.post("/views", {"name": "  billing "}))
    assert errors == {"body.name": "You already have a view with this name."}
    second = api.post("/views", {"name": "Refunds"}).get_json()["data"]
    errors = located(api.call("PATCH", f"/views/{second['id']}", {"name": "BILLING"}))
    assert "body.name" in errors


def test_an_agent_keeps_at_most_thirty_views(as_):
    api = as_("agent")
    for n in range(30):
        assert api.post("/views", {"name": f"View {n}"}).status_code == 201
    errors = located(api.post("/views", {"name": "One too many"}))
    assert "body.name" in errors
    assert len(api.get("/views").get_json()["data"]) == 30
