"""Macros through /api/v1: the JSON shape of SPEC section 12, who may do what, located errors, applying in one step."""
import pytest

from portal.models import Message
from portal.services import admin as admin_service
from portal.services import tickets

from .test_api_auth import person
from .test_api_tickets import as_  # noqa: F401 (a token per person, made once)


@pytest.fixture
def people(app):
    return {
        "admin": person("admin", "adele@example.com", "Adele Admin"),
        "agent": person("agent", "agnes@example.com", "Agnes Agent"),
        "other": person("agent", "omar@example.com", "Omar Other"),
        "customer": person("customer", "alice@example.com", "Alice Able"),
    }


@pytest.fixture
def ticket(people):
    return tickets.create_ticket(people["customer"], "Charged twice", "My card was charged twice.")


def located(response):
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    return {error["location"]: error["message"] for error in response.get_json()["errors"]}


def test_an_agent_creates_reads_changes_and_deletes_a_personal_macro(as_, people):
    api = as_("agent")
    created = api.post("/macros", {"name": "Refund issued", "body": "Hi {{ customer.first_name }}, refunded.",
                                   "actions": {"status": "waiting", "add_tags": ["refund"]}})
    assert created.status_code == 201, created.get_data(as_text=True)
    macro = created.get_json()["data"]
    assert macro == {"id": macro["id"], "name": "Refund issued", "body": "Hi {{ customer.first_name }}, refunded.",
                     "internal": False, "shared": False,
                     "actions": {"status": "waiting", "priority": None, "assignee_id": None, "add_tags": ["refund"]},
                     "created_at": macro["created_at"], "updated_at": macro["updated_at"]}
    listed = api.get("/macros").get_json()
    assert listed["data"] == [macro] and listed["meta"]["total"] == 1

    changed = api.patch(f"/macros/{macro['id']}", {"internal": True, "actions": {"priority": "high"}})
    assert changed.status_code == 200
    data = changed.get_json()["data"]
    assert data["internal"] is True and data["name"] == "Refund issued"
    assert data["actions"] == {"status": None, "priority": "high", "assignee_id": None, "add_tags": []}

    assert api.delete(f"/macros/{macro['id']}").status_code == 204
    assert api.get("/macros").get_json()["data"] == []


def test_shared_macros_are_for_admins_to_make_and_everyone_to_use(as_):
    made = as_("admin").post("/macros", {"name": "Welcome", "body": "Welcome!", "shared": True})
    assert made.status_code == 201 and made.get_json()["data"]["shared"] is True
    shared_id = made.get_json()["data"]["id"]
    agent = as_("agent")
    assert [m["id"] for m in agent.get("/macros").get_json()["data"]] == [shared_id]
    refused = agent.post("/macros", {"name": "Mine for all", "body": "Hi", "shared": True})
    assert refused.status_code == 403 and refused.get_json()["code"] == "FORBIDDEN"
    assert agent.patch(f"/macros/{shared_id}", {"name": "Hijacked"}).status_code == 403
    assert agent.delete(f"/macros/{shared_id}").status_code == 403


def test_someone_elses_personal_macro_is_not_there(as_):
    mine = as_("agent").post("/macros", {"name": "Mine", "body": "Hi"}).get_json()["data"]
    for who in ("other", "admin"):
        api = as_(who)
        assert mine["id"] not in [m["id"] for m in api.get("/macros").get_json()["data"]]
        assert api.patch(f"/macros/{mine['id']}", {"name": "Taken"}).status_code == 404
        assert api.delete(f"/macros/{mine['id']}").status_code == 404


@pytest.mark.parametrize("call", [
    ("GET", "/macros", None),
    ("POST", "/macros", {"name": "Hi", "body": "Hi"}),
    ("POST", "/tickets/1/apply-macro", {"macro_id": 1}),
])
def test_customers_get_403(as_, ticket, call):
    method, path, body = call
    response = as_("customer").call(method, path, body)
    assert response.status_code == 403


def test_errors_are_located(as_, people):
    api = as_("agent")
    gone = person("agent", "gone@example.com", "Gone Agent")
    admin_service.set_user_active(people["admin"], gone.id, False)
    errors = located(api.post("/macros", {"name": "Bad", "body": "{{ config.SECRET_KEY }}",
                                          "actions": {"assignee_id": gone.id}}))
    assert set(errors) == {"body.body", "body.actions.assignee_id"}
    assert "{{ customer.first_name }}" in errors["body.body"]
    errors = located(api.post("/macros", {"name": "", "actions": {"status": "done", "add_tags": ["a,b"]}}))
    assert {"body.name", "body.actions.status", "body.actions.add_tags.0"} <= set(errors)
    errors = located(api.post("/macros", {"name": "Loop", "body": "{% for x in y %}{% endfor %}"}))
    assert "template code" in errors["body.body"]


def test_apply_posts_the_reply_makes_the_changes_and_returns_the_ticket(as_, people, ticket):
    admin = as_("admin")
    macro = admin.post("/macros", {"name": "Refund issued", "shared": True,
                                   "body": "Hi {{ customer.first_name }}, ticket #{{ ticket.id }} is refunded. "
                                           "— {{ agent.name }}",
                                   "actions": {"status": "waiting", "priority": "high",
                                               "assignee_id": people["other"].id, "add_tags": ["refund"]}})
    macro_id = macro.get_json()["data"]["id"]
    applied = as_("agent").post(f"/tickets/{ticket.id}/apply-macro", {"macro_id": macro_id})
    assert applied.status_code == 200, applied.get_data(as_text=True)
    data = applied.get_json()["data"]
    assert data["status"] == "waiting" and data["priority"] == "high"
    assert data["assignee"]["id"] == people["other"].id
    assert data["tags"] == ["refund"]
    replies = [m for m in data["messages"] if m["kind"] == "reply"]
    assert replies[-1]["body"] == f"Hi Alice, ticket #{ticket.id} is refunded. — Agnes Agent"
    assert replies[-1]["author"]["id"] == people["agent"].id
    # the same shape as GET /tickets/{id}
    assert set(data) == set(as_("agent").get(f"/tickets/{ticket.id}").get_json()["data"])


def test_apply_is_all_or_nothing(as_, people, ticket):
    helper = person("agent", "helper@example.com", "Helper Agent")
    macro_id = as_("agent").post("/macros", {"name": "Hand over", "body": "A colleague takes over.",
                                             "actions": {"assignee_id": helper.id}}).get_json()["data"]["id"]
    admin_service.set_user_active(people["admin"], helper.id, False)
    errors = located(as_("agent").post(f"/tickets/{ticket.id}/apply-macro", {"macro_id": macro_id}))
    assert "Hand over" in errors["body.macro_id"]
    assert Message.select().where(Message.ticket == ticket.id, Message.kind == "reply").count() == 1


def test_apply_holds_a_reply_when_the_thread_moved_on(as_, people, ticket):
    macro_id = as_("agent").post("/macros", {"name": "Answer", "body": "Here you go."}).get_json()["data"]["id"]
    seen = Message.select().where(Message.ticket == ticket.id).order_by(Message.id.desc()).first().id
    tickets.reply(people["customer"], ticket.id, "Never mind, one more question.")
    held = as_("agent").post(f"/tickets/{ticket.id}/apply-macro", {"macro_id": macro_id, "after_message_id": seen})
    assert held.status_code == 409 and held.get_json()["code"] == "CONFLICT"
    assert [m["body"] for m in held.get_json()["messages"]] == ["Never mind, one more question."]


def test_apply_with_someone_elses_macro_or_an_unknown_ticket_is_404(as_, ticket):
    theirs = as_("other").post("/macros", {"name": "Theirs", "body": "Hi"}).get_json()["data"]["id"]
    mine = as_("agent").post("/macros", {"name": "Mine", "body": "Hi"}).get_json()["data"]["id"]
    assert as_("agent").post(f"/tickets/{ticket.id}/apply-macro", {"macro_id": theirs}).status_code == 404
    assert as_("agent").post("/tickets/99999/apply-macro", {"macro_id": mine}).status_code == 404
