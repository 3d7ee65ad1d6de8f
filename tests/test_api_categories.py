"""Categories and intake fields through the API: questions listed per caller, answers filed, validated, shown and
hidden, and the admins' category and question CRUD."""
import pytest

from portal.models import Ticket
from portal.services import intake_fields, tickets

from .test_api_auth import Api, person, token_for


@pytest.fixture
def people(app):
    users = {
        "customer": person("customer", "alice@example.com", "Alice A"),
        "agent": person("agent", "agnes@example.com", "Agnes Agent"),
        "admin": person("admin", "adele@example.com", "Adele Admin"),
    }
    admin = users["admin"]
    intake_fields.create_field(admin, "billing", "order_number", "Order number", "text", required=True)
    intake_fields.create_field(admin, "billing", "plan", "Plan", "select", options="Free\nTeam")
    intake_fields.create_field(admin, "billing", "refund_approved", "Refund approved", "checkbox",
                               visible_to_customer=False)
    return users


def api(client, people, who=None):
    return Api(client, token_for(people[who]) if who else None)


def keys(category):
    return [f["key"] for f in category["fields"]]


def billing_of(response):
    return next(c for c in response.get_json()["data"] if c["slug"] == "billing")


def test_categories_list_the_questions_the_caller_may_see(client, people):
    guest = billing_of(api(client, people).get("/categories"))
    assert keys(guest) == ["order_number", "plan"]
    assert guest["fields"][1] == {"key": "plan", "label": "Plan", "type": "select", "options": ["Free", "Team"],
                                  "required": False, "visible_to_customer": True, "position": 1}
    assert keys(billing_of(api(client, people, "customer").get("/categories"))) == ["order_number", "plan"]
    assert keys(billing_of(api(client, people, "agent").get("/categories"))) == [
        "order_number", "plan", "refund_approved"]
    assert [f["key"] for f in api(client, people).get("/categories/billing/fields").get_json()["data"]] == [
        "order_number", "plan"]


def test_filing_with_answers_and_errors_located_at_each_key(client, people):
    customer = api(client, people, "customer")
    missing = customer.post("/tickets", {"subject": "Charged twice", "description": "Twice!", "category": "billing"})
    assert missing.status_code == 422 and missing.mimetype == "application/problem+json"
    assert {e["location"]: e["message"] for e in missing.get_json()["errors"]} == {
        "body.fields.order_number": "Answer this question."}
    wrong = customer.post("/tickets", {"subject": "Charged twice", "description": "Twice!", "category": "billing",
                                       "fields": {"order_number": "A-1", "plan": "Gold", "refund_approved": True}})
    assert {e["location"] for e in wrong.get_json()["errors"]} == {"body.fields.plan", "body.fields.refund_approved"}
    created = customer.post("/tickets", {"subject": "Charged twice", "description": "Twice!", "category": "billing",
                                         "fields": {"order_number": "A-1", "plan": "Team"}})
    assert created.status_code == 201
    assert created.get_json()["data"]["fields"] == {"order_number": "A-1", "plan": "Team"}


def test_a_list_value_is_refused_by_the_schema(client, people):
    response = api(client, people, "customer").post("/tickets", {
        "subject": "Charged twice", "description": "Twice!", "category": "billing",
        "fields": {"order_number": ["A-1"]}})
    assert response.status_code == 422
    assert all(e["location"].startswith("body.fields.order_number") for e in response.get_json()["errors"])


def test_hidden_answers_never_reach_the_customer(client, people):
    ticket = tickets.create_ticket(people["customer"], "Refund please", "Money back", category="billing",
                                   fields={"order_number": "A-7"})
    agent = api(client, people, "agent")
    changed = agent.patch(f"/tickets/{ticket.id}", {"fields": {"refund_approved": True, "plan": "Free"}})
    assert changed.status_code == 200
    assert changed.get_json()["data"]["fields"] == {"order_number": "A-7", "plan": "Free", "refund_approved": True}
    customer = api(client, people, "customer")
    seen = customer.get(f"/tickets/{ticket.id}").get_json()["data"]
    assert seen["fields"] == {"order_number": "A-7", "plan": "Free"}
    listed = customer.get("/tickets").get_json()["data"][0]
    assert listed["fields"] == {"order_number": "A-7", "plan": "Free"}
    assert "refund_approved" not in customer.get(f"/tickets/{ticket.id}").get_data(as_text=True)
    # Agents see every answer; an answer the agent gets wrong is located like any other.
    assert agent.get(f"/tickets/{ticket.id}").get_json()["data"]["fields"]["refund_approved"] is True
    wrong = agent.patch(f"/tickets/{ticket.id}", {"fields": {"refund_approved": "yes"}})
    assert [e["location"] for e in wrong.get_json()["errors"]] == ["body.fields.refund_approved"]


def test_contact_takes_answers(client, people):
    body = {"name": "Gus Guest", "email": "gus@example.com", "category": "billing", "subject": "Invoice",
            "body": "Where is it?"}
    guest = api(client, people)
    refused = guest.post("/contact", body)
    assert refused.status_code == 422
    assert [e["location"] for e in refused.get_json()["errors"]] == ["body.fields.order_number"]
    sent = guest.post("/contact", {**body, "fields": {"order_number": "C-9"}})
    assert sent.status_code == 201
    ticket = Ticket.get_by_id(sent.get_json()["data"]["ticket_id"])
    assert intake_fields.stored_values(ticket) == {"order_number": "C-9"}


def test_admins_create_change_and_delete_categories(client, people):
    admin = api(client, people, "admin")
    created = admin.post("/categories", {"name": "Shipping", "description": "Parcels"})
    assert created.status_code == 201
    assert created.get_json()["data"] == {"slug": "shipping", "name": "Shipping", "description": "Parcels",
                                          "active": True, "fields": []}
    taken = admin.post("/categories", {"name": "Shipping again", "slug": "shipping"})
    assert [e["location"] for e in taken.get_json()["errors"]] == ["body.slug"]
    changed = admin.patch("/categories/shipping", {"name": "Delivery", "active": False})
    assert (changed.get_json()["data"]["name"], changed.get_json()["data"]["active"]) == ("Delivery", False)
    assert "shipping" not in [c["slug"] for c in admin.get("/categories").get_json()["data"]]
    # A deactivated category's questions are the team's business only.
    assert api(client, people).get("/categories/shipping/fields").status_code == 404
    assert admin.delete("/categories/shipping").status_code == 204
    assert admin.patch("/categories/shipping", {"name": "Gone"}).status_code == 404


def test_a_category_in_use_is_deactivated_not_deleted(client, people):
    tickets.create_ticket(people["customer"], "Help", "Please", category="technical")
    response = api(client, people, "admin").delete("/categories/technical")
    assert response.status_code == 409 and response.get_json()["code"] == "CONFLICT"


def test_admins_manage_questions(client, people):
    admin = api(client, people, "admin")
    created = admin.post("/categories/technical/fields", {"key": "browser", "label": "Browser", "type": "select",
                                                          "options": ["Firefox", "Chrome"], "required": True})
    assert created.status_code == 201 and created.get_json()["data"]["position"] == 0
    listless = admin.post("/categories/technical/fields", {"key": "os", "label": "System", "type": "select"})
    assert [e["location"] for e in listless.get_json()["errors"]] == ["body.options"]
    again = admin.post("/categories/technical/fields", {"key": "browser", "label": "Again"})
    assert [e["location"] for e in again.get_json()["errors"]] == ["body.key"]
    bad_key = admin.post("/categories/technical/fields", {"key": "Browser Name", "label": "Browser"})
    assert bad_key.status_code == 422
    changed = admin.patch("/categories/technical/fields/browser", {"label": "Your browser",
                                                                   "visible_to_customer": False})
    assert changed.get_json()["data"]["label"] == "Your browser"
    assert api(client, people, "customer").get("/categories/technical/fields").get_json()["data"] == []
    assert admin.patch("/categories/technical/fields/nothing", {"label": "X"}).status_code == 404
    assert admin.delete("/categories/technical/fields/browser").status_code == 204
    assert admin.delete("/categories/technical/fields/browser").status_code == 404
    assert admin.get("/categories/nothing/fields").status_code == 404
