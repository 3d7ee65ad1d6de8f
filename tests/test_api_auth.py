"""Who may call what: every API operation against no token, a revoked token, two customers, an agent and an admin.

Each cell of the matrix runs on a fresh database, so a cell that changes state never disturbs another.
"""
import io
import json
from dataclasses import dataclass

import pytest

from portal.api import OPERATIONS
from portal.models import WEBHOOK_EVENTS, ApiToken, Tag, Ticket, Webhook, WebhookDelivery
from portal.services import (
    accounts, attachments, help_center, inbound, macros, saved_views, sla_policies, tickets, webhooks,
)

from portal.services import organizations
from portal.services import intake_fields

from .mailbox import raw_mail

API = "/api/v1"
ACTORS = ("none", "revoked", "customer_a", "customer_b", "agent", "admin")


def person(role, email, name):
    """A user without a password (hashing one is slow and the API only needs tokens)."""
    return accounts.create_user(email, name, role, None, verified=True)


def token_for(user, name="tests"):
    return accounts.create_token(user, name)[1]


class Api:
    """A test client that speaks to /api/v1 with one bearer token (or none)."""

    def __init__(self, client, token=None):
        self.client = client
        self.token = token

    def headers(self, extra=None):
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        headers.update(extra or {})
        return headers

    def call(self, method, path, json_body=None, headers=None, **kwargs):
        if json_body is not None:
            kwargs["json"] = json_body
        return self.client.open(API + path, method=method, headers=self.headers(headers), **kwargs)

    def get(self, path, **kwargs):
        return self.call("GET", path, **kwargs)

    def post(self, path, json_body=None, **kwargs):
        return self.call("POST", path, json_body, **kwargs)

    def patch(self, path, json_body=None, **kwargs):
        return self.call("PATCH", path, json_body, **kwargs)

    def delete(self, path, **kwargs):
        return self.call("DELETE", path, **kwargs)

    def upload(self, content=b"hello there", filename="notes.txt", content_type="text/plain"):
        return self.post("/attachments", data={"file": (io.BytesIO(content), filename, content_type)},
                         content_type="multipart/form-data")


@dataclass
class World:
    """Two customers, staff, and one of everything the API serves, owned by customer A where it can be."""

    users: dict
    tokens: dict
    ticket: int  # customer A's ticket, with a public reply carrying an attachment and an internal note
    other_ticket: int  # customer B's ticket
    attachment: int  # on A's ticket, in a public reply
    note_attachment: int  # on A's ticket, in an internal note
    upload: int  # A's own upload, not attached yet
    spare_customer: int  # a customer without tickets
    tag: int
    article: int  # published
    draft: int
    inbound_entry: int  # an auto-reply in the inbound log (ignored: it made no ticket)
    sla_policy: int  # an SLA policy for urgent tickets (admins manage them)
    webhook: int  # to a local address: each attempt is refused by the SSRF guard, so nothing leaves the test
    webhook_delivery: int  # one of its deliveries, failed for good
    macro: int = 0  # a shared macro (admins change it, agents use it)
    view: int = 0  # the agent's saved view (nobody else's, admins included)

    def api(self, client, actor):
        return Api(client, self.tokens.get(actor))


@pytest.fixture
def world(app):
    users = {
        "customer_a": person("customer", "alice@example.com", "Alice A"),
        "customer_b": person("customer", "bob@example.com", "Bob B"),
        "agent": person("agent", "agnes@example.com", "Agnes Agent"),
        "admin": person("admin", "adele@example.com", "Adele Admin"),
    }
    tokens = {name: token_for(user) for name, user in users.items()}
    revoked, tokens["revoked"] = accounts.create_token(users["customer_a"], "old")
    accounts.revoke_token(users["customer_a"], revoked.id)

    a, agent = users["customer_a"], users["agent"]
    ticket = tickets.create_ticket(a, "Printer is on fire", "It smells of toner.", category="technical")
    other = tickets.create_ticket(users["customer_b"], "Bob's own problem", "Private to Bob.")
    file_a = attachments.upload(a, io.BytesIO(b"log line"), "log.txt", "text/plain")
    tickets.reply(a, ticket.id, "Here is the log.", attachment_ids=[file_a.id])
    file_note = attachments.upload(agent, io.BytesIO(b"internal"), "internal.txt", "text/plain")
    tickets.reply(agent, ticket.id, "Same root cause as last week.", internal=True, attachment_ids=[file_note.id])
    upload = attachments.upload(a, io.BytesIO(b"draft"), "draft.txt", "text/plain")
    spare = person("customer", "spare@example.com", "Spare Customer")
    tag = Tag.create(name="vip", color="#aa0000")
    collection = help_center.create_collection(users["admin"], "Billing", "Money matters")
    article = help_center.create_article(users["admin"], "Download an invoice", "Open **Billing**.",
                                         status="published", collection_id=collection.id)
    draft = help_center.create_article(users["admin"], "New pricing", "Not ready.", status="draft")
    entry = inbound.ingest(raw_mail(subject="Out of office", headers={"Auto-Submitted": "auto-replied"}), "pipe")
    policy = sla_policies.create_policy(users["admin"], "Urgent", priorities=["urgent"], first_response_minutes=60)
    hook = Webhook.create(url="http://127.0.0.1:9/desk-events", events=",".join(WEBHOOK_EVENTS),
                          secret=webhooks.new_secret())
    delivery = WebhookDelivery.create(webhook=hook, event_id="msg_matrix", event_type="ticket.created", payload="{}",
                                      status="failed", attempts=webhooks.MAX_ATTEMPTS)
    macro = macros.create_macro(users["admin"], "Refund", "Your refund is on its way.", shared=True)
    view = saved_views.create_view(agent, "Urgent", {"priority": "urgent"})
    return World(users, tokens, ticket.id, other.id, file_a.id, file_note.id, upload.id, spare.id, tag.id,
                 article.id, draft.id, entry.id, policy.id, hook.id, delivery.id, macro.id, view.id)


# ------------------------------------------------------------------------------------------------ the matrix
#
# One row per operation: how to call it against the world, then the status each actor gets, in ACTORS order.
# `B` answers 404 wherever A's ticket, message or attachment is involved: a foreign id looks like no id at all.


def _reopenable(world):
    tickets.update_ticket(world.users["agent"], world.ticket, status="resolved")


def _organization(world):
    world.organization = organizations.create_organization(world.users["admin"], "Acme", ["acme.com"]).id


def _billing_question(world):
    intake_fields.create_field(world.users["admin"], "billing", "plan", "Plan", "select", options="Free\nTeam")


CONTACT = {"name": "Gus Guest", "email": "gus@example.com", "category": "general", "subject": "Hello there",
           "body": "I have a question."}

ROWS = [
    # method, path, body (or a callable(world) -> kwargs), setup, expected statuses
    ("GET", "/me", None, None, (401, 401, 200, 200, 200, 200)),
    ("PATCH", "/me", {"theme": "dark"}, None, (401, 401, 200, 200, 200, 200)),
    ("GET", "/categories", None, None, (200, 401, 200, 200, 200, 200)),
    ("POST", "/contact", CONTACT, None, (201, 401, 201, 201, 201, 201)),
    ("GET", "/tickets", None, None, (401, 401, 200, 200, 200, 200)),
    ("POST", "/tickets", {"subject": "New one", "description": "Details."}, None, (401, 401, 201, 201, 201, 201)),
    ("GET", "/tickets/{ticket}", None, None, (401, 401, 200, 404, 200, 200)),
    ("PATCH", "/tickets/{ticket}", {"priority": "high"}, None, (401, 401, 403, 403, 200, 200)),
    ("DELETE", "/tickets/{ticket}", None, None, (401, 401, 403, 403, 403, 204)),
    ("POST", "/tickets/{ticket}/close", None, None, (401, 401, 200, 404, 200, 200)),
    ("POST", "/tickets/{ticket}/reopen", None, _reopenable, (401, 401, 200, 404, 200, 200)),
    ("POST", "/tickets/{ticket}/rating", {"score": "good"}, _reopenable, (401, 401, 201, 404, 403, 403)),
    ("GET", "/tickets/{ticket}/messages", None, None, (401, 401, 200, 404, 200, 200)),
    ("POST", "/tickets/{ticket}/messages", {"body": "A reply."}, None, (401, 401, 201, 404, 201, 201)),
    ("GET", "/tickets/{ticket}/history", None, None, (401, 401, 403, 403, 200, 200)),
    ("POST", "/attachments", "upload", None, (401, 401, 201, 201, 201, 201)),
    ("GET", "/attachments/{attachment}", None, None, (401, 401, 200, 404, 200, 200)),
    ("DELETE", "/attachments/{upload}", None, None, (401, 401, 204, 404, 404, 404)),
    ("GET", "/customers", None, None, (401, 401, 403, 403, 200, 200)),
    ("POST", "/customers", {"email": "new@example.com", "name": "New Person"}, None, (401, 401, 403, 403, 201, 201)),
    ("GET", "/customers/{customer_a}", None, None, (401, 401, 403, 403, 200, 200)),
    ("PATCH", "/customers/{customer_a}", {"company": "Acme"}, None, (401, 401, 403, 403, 200, 200)),
    ("DELETE", "/customers/{spare_customer}", None, None, (401, 401, 403, 403, 403, 204)),
    ("GET", "/users", None, None, (401, 401, 403, 403, 200, 200)),
    ("POST", "/users", {"email": "staff@example.com", "name": "New Staff", "role": "agent",
                        "password": "long-enough-pw"}, None, (401, 401, 403, 403, 403, 201)),
    ("GET", "/users/{customer_a}", None, None, (401, 401, 403, 403, 200, 200)),
    ("PATCH", "/users/{customer_a}", {"company": "Acme"}, None, (401, 401, 403, 403, 403, 200)),
    ("GET", "/tags", None, None, (401, 401, 403, 403, 200, 200)),
    ("POST", "/tags", {"name": "refund", "color": "#00aa00"}, None, (401, 401, 403, 403, 201, 201)),
    ("GET", "/tags/{tag}", None, None, (401, 401, 403, 403, 200, 200)),
    ("PATCH", "/tags/{tag}", {"color": "#0000aa"}, None, (401, 401, 403, 403, 200, 200)),
    ("DELETE", "/tags/{tag}", None, None, (401, 401, 403, 403, 403, 204)),
    ("GET", "/articles", None, None, (200, 401, 200, 200, 200, 200)),
    ("POST", "/articles", {"title": "Reset a password", "body": "Use the link."}, None,
     (401, 401, 403, 403, 201, 201)),
    ("GET", "/articles/{article}", None, None, (200, 401, 200, 200, 200, 200)),
    ("PATCH", "/articles/{article}", {"title": "Download invoices"}, None, (401, 401, 403, 403, 200, 200)),
    ("DELETE", "/articles/{article}", None, None, (401, 401, 403, 403, 204, 204)),
    ("GET", "/collections", None, None, (200, 401, 200, 200, 200, 200)),
    ("POST", "/contact/resend", {"email": "gus@example.com"}, None, (202, 401, 202, 202, 202, 202)),
    ("POST", "/inbound/email", "raw mail", None, (401, 401, 403, 403, 403, 201)),
    ("GET", "/inbound/email", None, None, (401, 401, 403, 403, 403, 200)),
    # Only an entry that ended in an error can be retried: for an admin this ignored one is a conflict.
    ("POST", "/inbound/email/{inbound_entry}/retry", None, None, (401, 401, 403, 403, 403, 409)),
    ("GET", "/sla-policies", None, None, (401, 401, 403, 403, 403, 200)),
    ("POST", "/sla-policies", {"name": "Billing", "categories": ["billing"], "resolution_minutes": 1440}, None,
     (401, 401, 403, 403, 403, 201)),
    ("PATCH", "/sla-policies/{sla_policy}", {"first_response_minutes": 30}, None, (401, 401, 403, 403, 403, 200)),
    ("DELETE", "/sla-policies/{sla_policy}", None, None, (401, 401, 403, 403, 403, 204)),
    ("GET", "/webhooks", None, None, (401, 401, 403, 403, 403, 200)),
    ("POST", "/webhooks", {"url": "https://93.184.215.14/desk", "events": ["ticket.created"]}, None,
     (401, 401, 403, 403, 403, 201)),
    ("GET", "/webhooks/{webhook}", None, None, (401, 401, 403, 403, 403, 200)),
    ("PATCH", "/webhooks/{webhook}", {"active": False}, None, (401, 401, 403, 403, 403, 200)),
    ("DELETE", "/webhooks/{webhook}", None, None, (401, 401, 403, 403, 403, 204)),
    ("GET", "/webhooks/{webhook}/deliveries", None, None, (401, 401, 403, 403, 403, 200)),
    ("POST", "/webhooks/{webhook}/deliveries/{webhook_delivery}/retry", None, None, (401, 401, 403, 403, 403, 202)),
    ("GET", "/reports/summary", None, None, (401, 401, 403, 403, 200, 200)),
    ("POST", "/tickets/{ticket}/merge", {"into_id": 2}, None, (401, 401, 403, 403, 200, 200)),
    ("GET", "/macros", None, None, (401, 401, 403, 403, 200, 200)),
    ("POST", "/macros", {"name": "Thanks", "body": "Thank you, {{ customer.first_name }}!"}, None,
     (401, 401, 403, 403, 201, 201)),
    ("PATCH", "/macros/{macro}", {"name": "Refund sent"}, None, (401, 401, 403, 403, 403, 200)),
    ("DELETE", "/macros/{macro}", None, None, (401, 401, 403, 403, 403, 204)),
    ("POST", "/tickets/{ticket}/apply-macro", {"macro_id": 1}, None, (401, 401, 403, 403, 200, 200)),
    ("GET", "/views", None, None, (401, 401, 403, 403, 200, 200)),
    ("POST", "/views", {"name": "Mine", "filters": {"status": "open"}}, None, (401, 401, 403, 403, 201, 201)),
    ("PATCH", "/views/{view}", {"name": "Very urgent"}, None, (401, 401, 403, 403, 200, 404)),
    ("DELETE", "/views/{view}", None, None, (401, 401, 403, 403, 204, 404)),
    # No model is configured here: the assistant is unavailable, which staff learn as a 503.
    ("POST", "/tickets/{ticket}/assist/draft", None, None, (401, 401, 403, 403, 503, 503)),
    ("POST", "/tickets/{ticket}/assist/summary", None, None, (401, 401, 403, 403, 503, 503)),
    # The ticket is not with the assistant, so handing it over is a conflict for whoever may see it.
    ("POST", "/tickets/{ticket}/handover", None, None, (401, 401, 409, 404, 409, 409)),
    ("GET", "/tickets/{ticket}/suggestions", None, None, (401, 401, 403, 403, 200, 200)),
    ("GET", "/organizations", None, None, (401, 401, 403, 403, 200, 200)),
    ("POST", "/organizations", {"name": "Globex", "domains": ["globex.com"]}, None, (401, 401, 403, 403, 403, 201)),
    ("GET", "/organizations/{organization}", None, _organization, (401, 401, 403, 403, 200, 200)),
    ("PATCH", "/organizations/{organization}", {"shared_tickets": True}, _organization,
     (401, 401, 403, 403, 403, 200)),
    ("DELETE", "/organizations/{organization}", None, _organization, (401, 401, 403, 403, 403, 204)),
    ("GET", "/customers/{customer_a}/export", None, None, (401, 401, 403, 403, 403, 200)),
    ("POST", "/customers/{customer_a}/anonymize", None, None, (401, 401, 403, 403, 403, 200)),
    ("GET", "/privacy-log", None, None, (401, 401, 403, 403, 403, 200)),
    ("POST", "/categories", {"name": "Shipping"}, None, (401, 401, 403, 403, 403, 201)),
    ("PATCH", "/categories/{slug}", {"description": "Money"}, None, (401, 401, 403, 403, 403, 200)),
    ("DELETE", "/categories/{slug}", None, None, (401, 401, 403, 403, 403, 204)),
    ("GET", "/categories/{slug}/fields", None, _billing_question, (200, 401, 200, 200, 200, 200)),
    ("POST", "/categories/{slug}/fields", {"key": "order_number", "label": "Order number"}, None,
     (401, 401, 403, 403, 403, 201)),
    ("PATCH", "/categories/{slug}/fields/{key}", {"label": "Your plan"}, _billing_question,
     (401, 401, 403, 403, 403, 200)),
    ("DELETE", "/categories/{slug}/fields/{key}", None, _billing_question, (401, 401, 403, 403, 403, 204)),
]

EXTRA_ROWS = [
    # Resources that exist but are hidden from some callers.
    ("GET", "/attachments/{note_attachment}", None, None, (401, 401, 404, 404, 200, 200)),
    ("GET", "/articles/{draft}", None, None, (404, 401, 404, 404, 200, 200)),
    ("GET", "/tickets/{other_ticket}", None, None, (401, 401, 404, 200, 200, 200)),
]


def _resolve(path, world):
    ids = {
        "ticket": world.ticket,
        "other_ticket": world.other_ticket,
        "attachment": world.attachment,
        "note_attachment": world.note_attachment,
        "upload": world.upload,
        "customer_a": world.users["customer_a"].id,
        "spare_customer": world.spare_customer,
        "tag": world.tag,
        "article": world.article,
        "draft": world.draft,
        "inbound_entry": world.inbound_entry,
        "sla_policy": world.sla_policy,
        "webhook": world.webhook,
        "webhook_delivery": world.webhook_delivery,
        "macro": world.macro,
        "view": world.view,
        "organization": getattr(world, "organization", 0),
        "slug": "billing",  # a category without tickets; _billing_question gives it the question `plan`
        "key": "plan",
    }
    return path.format(**ids)


CASES = [
    pytest.param(row, actor, expected, id=f"{row[0]} {row[1]} as {actor}")
    for row in ROWS + EXTRA_ROWS
    for actor, expected in zip(ACTORS, row[4])
]


@pytest.mark.parametrize("row, actor, expected", CASES)
def test_authorization_matrix(client, world, row, actor, expected):
    method, path, body, setup, _ = row
    if setup:
        setup(world)
    api = world.api(client, actor)
    if body == "upload":
        response = api.upload()
    elif body == "raw mail":
        response = api.call(method, path, data=raw_mail(), content_type="message/rfc822")
    else:
        response = api.call(method, _resolve(path, world), body)
    assert response.status_code == expected, response.get_data(as_text=True)
    if expected >= 400:
        assert response.mimetype == "application/problem+json"
        problem = response.get_json()
        assert problem["status"] == expected
        assert set(problem) >= {"type", "title", "status", "detail", "code"}
    if expected == 401:
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_matrix_covers_every_operation():
    documented = {(op.method, op.path) for op in OPERATIONS}
    placeholder = {
        "{ticket}": "{ticket_id}", "{attachment}": "{attachment_id}", "{upload}": "{attachment_id}",
        "{customer_a}": None, "{spare_customer}": "{customer_id}", "{tag}": "{tag_id}", "{article}": "{article_id}",
        "{inbound_entry}": "{entry_id}", "{sla_policy}": "{policy_id}", "{webhook}": "{webhook_id}",
        "{webhook_delivery}": "{delivery_id}", "{macro}": "{macro_id}", "{view}": "{view_id}",
        "{organization}": "{organization_id}",
    }
    covered = set()
    for method, path, *_ in ROWS:
        for name, param in placeholder.items():
            if name in path:
                if name == "{customer_a}":
                    param = "{user_id}" if path.startswith("/users") else "{customer_id}"
                path = path.replace(name, param)
        covered.add((method, path))
    assert covered == documented


# -------------------------------------------------------------------------------- a foreign ticket learns nothing


FOREIGN = [
    ("GET", "/tickets/{id}", None),
    ("POST", "/tickets/{id}/close", None),
    ("POST", "/tickets/{id}/reopen", None),
    ("GET", "/tickets/{id}/messages", None),
    ("POST", "/tickets/{id}/messages", {"body": "Let me in."}),
]


@pytest.mark.parametrize("method, path, body", FOREIGN)
def test_foreign_ticket_answers_exactly_like_a_missing_one(client, world, method, path, body):
    api = world.api(client, "customer_b")
    foreign = api.call(method, path.format(id=world.ticket), body)
    missing = api.call(method, path.format(id=987654), body)
    assert foreign.status_code == missing.status_code == 404
    assert foreign.get_json() == missing.get_json()
    assert "Printer" not in foreign.get_data(as_text=True)
    ticket = Ticket.get_by_id(world.ticket)
    assert ticket.status == "open" and ticket.message_count == 2


def test_foreign_attachment_answers_exactly_like_a_missing_one(client, world):
    api = world.api(client, "customer_b")
    foreign = api.get(f"/attachments/{world.attachment}")
    missing = api.get("/attachments/987654")
    assert foreign.status_code == missing.status_code == 404
    assert foreign.get_json() == missing.get_json()
    assert api.delete(f"/attachments/{world.upload}").get_json() == api.delete("/attachments/987654").get_json()


def test_someone_elses_attachment_cannot_be_attached(client, world):
    api = world.api(client, "customer_b")
    response = api.post(f"/tickets/{world.other_ticket}/messages",
                        {"body": "Stealing a file", "attachment_ids": [world.upload]})
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["location"] == "body.attachment_ids"


def test_customers_never_see_internal_notes(client, world):
    body = world.api(client, "customer_a").get(f"/tickets/{world.ticket}").get_json()["data"]
    assert [m["kind"] for m in body["messages"]] == ["reply", "reply"]
    assert all(not m["internal"] for m in body["messages"])
    assert "root cause" not in json.dumps(body)
    staff = world.api(client, "agent").get(f"/tickets/{world.ticket}/messages").get_json()
    assert "note" in [m["kind"] for m in staff["data"]]
    listed = world.api(client, "customer_a").get("/tickets?search=root+cause").get_json()
    assert listed["data"] == []


def test_customer_lists_only_own_tickets(client, world):
    listed = world.api(client, "customer_b").get("/tickets").get_json()
    assert [t["id"] for t in listed["data"]] == [world.other_ticket]
    assert listed["meta"]["total"] == 1
    everything = world.api(client, "agent").get("/tickets").get_json()
    assert {t["id"] for t in everything["data"]} == {world.ticket, world.other_ticket}


# ------------------------------------------------------------------------------------------------ tokens themselves


def test_token_stops_working_when_revoked(client, world):
    user = world.users["customer_a"]
    token, raw = accounts.create_token(user, "script")
    api = Api(client, raw)
    assert api.get("/me").status_code == 200
    accounts.revoke_token(user, token.id)
    response = api.get("/me")
    assert response.status_code == 401
    assert response.get_json()["code"] == "UNAUTHORIZED"


def test_token_stops_working_when_the_user_is_deactivated(client, world):
    api = world.api(client, "agent")
    assert api.get("/me").get_json()["data"]["email"] == "agnes@example.com"
    admin = world.api(client, "admin")
    response = admin.patch(f"/users/{world.users['agent'].id}", {"is_active": False})
    assert response.status_code == 200 and response.get_json()["data"]["is_active"] is False
    assert api.get("/me").status_code == 401
    assert api.get("/tickets").status_code == 401


@pytest.mark.parametrize("header", ["Bearer", "Bearer ", "Basic abc", "Bearer sd_not-a-real-token", "Token x"])
def test_malformed_or_unknown_tokens_are_401(client, world, header):
    response = client.get(API + "/me", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"


def test_a_session_cookie_does_not_authenticate_the_api(client, auth, app):
    from .conftest import make_user

    user = make_user("customer", "cookie@example.com")
    assert auth.login(user.email).status_code in (302, 303)
    assert client.get("/tickets").status_code == 200  # the session works for the portal...
    response = client.get(API + "/me")  # ...and means nothing to the API
    assert response.status_code == 401


def test_api_writes_need_no_csrf_token_and_set_no_cookie(client, world):
    response = world.api(client, "customer_a").post("/tickets", {"subject": "From a script", "description": "Hi"})
    assert response.status_code == 201
    assert "Set-Cookie" not in response.headers


def test_last_used_is_stamped(client, world):
    user = world.users["customer_b"]
    token, raw = accounts.create_token(user, "stamp")
    assert token.last_used_at is None
    Api(client, raw).get("/me")
    assert ApiToken.get_by_id(token.id).last_used_at is not None


def test_deleted_ticket_is_gone_for_agents_but_admins_still_reach_it(client, world):
    assert world.api(client, "admin").delete(f"/tickets/{world.ticket}").status_code == 204
    assert Ticket.get_by_id(world.ticket).deleted_at is not None
    assert world.api(client, "agent").get(f"/tickets/{world.ticket}").status_code == 404
    assert world.api(client, "customer_a").get(f"/tickets/{world.ticket}").status_code == 404
    assert world.api(client, "admin").delete(f"/tickets/{world.ticket}").status_code == 404
    listed = world.api(client, "admin").get("/tickets").get_json()
    assert world.ticket not in [t["id"] for t in listed["data"]]

