"""Who may reach every agent and admin route: guest, customer, agent and admin, for GET and POST alike.

A guest is sent to sign in (and back), a customer gets 403, an agent gets the agent pages but 403 on
administration and on deleting tickets, an admin gets everything. A refused request changes nothing.
"""
from urllib.parse import quote

import pytest

from portal.models import (
    WEBHOOK_EVENTS, Category, FieldChange, InboundEmail, Macro, Message, OutgoingMail, SavedView, SlaPolicy, Tag, Ticket,
    User, Webhook, WebhookDelivery, utcnow,
)
from portal.models import Setting, SuspendedSubmission
from portal.services import inbound, macros, tickets, webhooks
from portal.services import spam
from portal.models import Organization
from portal.models import CategoryField
from portal.services import intake_fields

from .conftest import PASSWORD, csrf_from, make_user
from .mailbox import raw_mail

# endpoint: (method, path template, form data). Paths use the ids made by the `world` fixture.
ROUTES = {
    "agent.queue": ("GET", "/agent?view=open", None),
    "agent.bulk": ("POST", "/agent/bulk", {"ticket_ids": "{ticket}", "priority": "urgent", "queue": "view=open"}),
    "agent.show": ("GET", "/agent/tickets/{ticket}", None),
    "agent.thread_messages": ("GET", "/agent/tickets/{ticket}/messages", None),
    "agent.reply": ("POST", "/agent/tickets/{ticket}/reply", {"kind": "reply", "body": "Hello there"}),
    "agent.update": ("POST", "/agent/tickets/{ticket}/properties",
                     {"status": "in_progress", "priority": "high", "category": "", "assignee_id": "", "tags": ""}),
    "agent.take": ("POST", "/agent/tickets/{ticket}/take", {}),
    "agent.delete": ("POST", "/agent/tickets/{ticket}/delete", {}),
    "agent.new_ticket": ("GET", "/agent/tickets/new", None),
    "agent.new_ticket:post": ("POST", "/agent/tickets/new",
                              {"customer_email": "new@example.com", "subject": "By phone", "description": "Called",
                               "priority": "normal", "channel": "email"}),
    "agent.customer_list": ("GET", "/agent/customers", None),
    "agent.customer": ("GET", "/agent/customers/{customer}", None),
    "agent.update_customer": ("POST", "/agent/customers/{customer}", {"name": "Renamed Customer"}),
    "admin.index": ("GET", "/admin", None),
    "admin.users": ("GET", "/admin/users", None),
    "admin.create_user": ("POST", "/admin/users",
                          {"name": "Neo Agent", "email": "neo@example.com", "role": "agent", "password": "long-password"}),
    "admin.change_role": ("POST", "/admin/users/{other_agent}/role", {"role": "admin"}),
    "admin.deactivate_user": ("POST", "/admin/users/{other_agent}/deactivate", {}),
    "admin.activate_user": ("POST", "/admin/users/{inactive}/activate", {}),
    "admin.categories": ("GET", "/admin/categories", None),
    "admin.create_category": ("POST", "/admin/categories", {"name": "Sales", "slug": "", "description": ""}),
    "admin.update_category": ("POST", "/admin/categories/{category}", {"name": "Money", "description": ""}),
    "admin.toggle_category": ("POST", "/admin/categories/{category}/active", {"active": "0"}),
    "admin.tags": ("GET", "/admin/tags", None),
    "admin.create_tag": ("POST", "/admin/tags", {"name": "new-tag", "color": "#112233"}),
    "admin.update_tag": ("POST", "/admin/tags/{tag}", {"name": "renamed", "color": "#445566"}),
    "admin.delete_tag": ("POST", "/admin/tags/{tag}/delete", {}),
    "admin.trash": ("GET", "/admin/trash", None),
    "admin.restore": ("POST", "/admin/trash/{trashed}/restore", {}),
    "admin.purge": ("POST", "/admin/trash/{trashed}/purge", {}),
    "admin.inbound_mail": ("GET", "/admin/mail?outcome=ignored", None),
    "admin.retry_mail": ("POST", "/admin/mail/{inbound_entry}/retry", {}),
    "admin.send_mail_again": ("POST", "/admin/mail/outgoing/{undelivered}/send", {}),
    "admin.sla_policies": ("GET", "/admin/sla", None),
    "admin.sla_policies_new": ("GET", "/admin/sla/new", None),
    "admin.sla_policies_create": ("POST", "/admin/sla", {"name": "Billing", "categories": "billing",
                                                          "resolution_minutes": "1440", "hours": "always"}),
    "admin.sla_policies_edit": ("GET", "/admin/sla/{sla_policy}", None),
    "admin.sla_policies_update": ("POST", "/admin/sla/{sla_policy}", {"name": "Very urgent", "priorities": "urgent",
                                                                      "first_response_minutes": "30", "hours": "always"}),
    "admin.sla_policies_move": ("POST", "/admin/sla/{sla_policy}/move", {"position": "1"}),
    "admin.sla_policies_delete": ("POST", "/admin/sla/{sla_policy}/delete", {}),
    "admin.webhooks": ("GET", "/admin/webhooks", None),
    "admin.webhooks_create": ("POST", "/admin/webhooks", {"url": "https://93.184.215.14/desk", "events": "ticket.created",
                                                          "description": ""}),
    "admin.webhooks_show": ("GET", "/admin/webhooks/{webhook}?status=failed", None),
    "admin.webhooks_update": ("POST", "/admin/webhooks/{webhook}", {"url": "https://93.184.215.14/other",
                                                                    "events": "ticket.rated", "description": "CRM"}),
    "admin.webhooks_toggle": ("POST", "/admin/webhooks/{webhook}/active", {"active": "0"}),
    "admin.webhooks_delete": ("POST", "/admin/webhooks/{webhook}/delete", {}),
    "admin.webhooks_retry": ("POST", "/admin/webhooks/{webhook}/deliveries/{webhook_delivery}/retry", {}),
    "reports.index": ("GET", "/agent/reports?category=billing", None),
    "reports.download": ("GET", "/agent/reports/agents.csv", None),
    "agent.merge_choose": ("GET", "/agent/tickets/{ticket}/merge?q=printer", None),
    "agent.merge_tickets": ("POST", "/agent/tickets/{duplicate}/merge", {"into_id": "{ticket}"}),
    "agent.save_view": ("POST", "/agent/views", {"name": "Urgent open", "view": "open", "priority": "urgent"}),
    "agent.presence_report": ("POST", "/agent/tickets/{ticket}/presence", {"state": "viewing"}),
    "agent.presence_leave": ("POST", "/agent/tickets/{ticket}/presence/leave", {}),
    "macros.index": ("GET", "/agent/macros", None),
    "macros.new": ("GET", "/agent/macros/new", None),
    "macros.create": ("POST", "/agent/macros", {"name": "Thanks", "body": "Thank you, {{ customer.first_name }}!"}),
    "macros.edit": ("GET", "/agent/macros/{shared_macro}", None),
    "macros.update": ("POST", "/agent/macros/{shared_macro}", {"name": "Refund sent", "body": "Sent."}),
    "macros.delete": ("POST", "/agent/macros/{shared_macro}/delete", {}),
    "macros.picker": ("GET", "/agent/tickets/{ticket}/macros?q=refund", None),
    "organizations.index": ("GET", "/agent/organizations?q=acme", None),
    "organizations.create": ("POST", "/agent/organizations", {"name": "Globex", "domains": "globex.com"}),
    "organizations.show": ("GET", "/agent/organizations/{organization}", None),
    "organizations.update": ("POST", "/agent/organizations/{organization}", {"name": "Acme Corp", "domains": "acme.com"}),
    "organizations.delete": ("POST", "/agent/organizations/{organization}/delete", {}),
    "organizations.set_customer_organization": ("POST", "/agent/customers/{customer}/organization",
                                                {"organization_id": "{organization}"}),
    "privacy.log": ("GET", "/admin/privacy", None),
    "privacy.export": ("GET", "/admin/privacy/customers/{customer}/export", None),
    "privacy.anonymize": ("POST", "/admin/privacy/customers/{customer}/anonymize", {}),
    "moderation.index": ("GET", "/admin/suspended", None),
    "moderation.release": ("POST", "/admin/suspended/{suspended}/release", {}),
    "moderation.delete": ("POST", "/admin/suspended/{suspended}/delete", {}),
    "moderation.delete_many": ("POST", "/admin/suspended/delete", {"ids": "{suspended}"}),
    "moderation.blocked_domains": ("POST", "/admin/suspended/domains", {"domains": "spam.example"}),
    "category_fields.fields": ("GET", "/admin/categories/billing/fields", None),
    "category_fields.create_field": ("POST", "/admin/categories/billing/fields",
                                     {"key": "order_number", "label": "Order number", "type": "text"}),
    "category_fields.update_field": ("POST", "/admin/categories/billing/fields/plan",
                                     {"label": "Your plan", "type": "select", "options": "Free\nTeam\nBusiness"}),
    "category_fields.delete_field": ("POST", "/admin/categories/billing/fields/plan/delete", {}),
    "category_fields.update_answers": ("POST", "/agent/tickets/{billing_ticket}/fields", {"fields.plan": "Team"}),
}
# Agents work tickets but do not delete them, and use shared macros without changing them: that is for admins.
ADMIN_ONLY = {key for key in ROUTES if key.startswith(("admin.", "privacy.", "moderation."))} | {
    "agent.delete", "macros.edit", "macros.update", "macros.delete"}
# Organizations: agents read them and move customers in and out; admins create, change and delete them.
ADMIN_ONLY |= {"organizations.create", "organizations.update", "organizations.delete"}
# A category's questions are the admins'; agents only answer them on tickets.
ADMIN_ONLY |= {"category_fields.fields", "category_fields.create_field", "category_fields.update_field",
               "category_fields.delete_field"}
# Presence is a heartbeat: it records nothing the fingerprint below holds (a plain POST just goes back to the ticket).
RECORDS_NOTHING = {"agent.presence_report", "agent.presence_leave"}
# A saved view is its owner's alone (another agent, admins included, gets 404): tests/test_views_saved_views.py.
OWNER_ONLY = {("agent.delete_view", "POST")}


def _billing_ticket(admin, customer):
    """A billing ticket; billing asks for its plan (a list)."""
    intake_fields.create_field(admin, "billing", "plan", "Plan", "select", options="Free\nTeam")
    return tickets.create_ticket(customer, "Charged twice", "Twice!", category="billing").id


def _failed_mail(monkeypatch):
    """An inbound message that ended in an error (the database went away halfway), waiting for a retry."""
    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    with monkeypatch.context() as patch:
        patch.setattr(tickets, "create_ticket", broken)
        return inbound.ingest(raw_mail(), "pipe").id


@pytest.fixture
def world(app, admin, customer, monkeypatch):
    """One of everything the routes act on; returns the ids and the people."""
    ticket = tickets.create_ticket(customer, "Printer is on fire", "It smells of toner.")
    trashed = tickets.create_ticket(customer, "Old spam", "Buy now")
    tickets.delete_ticket(admin, trashed.id)
    tag = Tag.create(name="vip")
    # People who never sign in here need no password (hashing one is slow on purpose).
    inactive = User.create(email="gone@example.com", name="Gone Agent", role="agent", is_active=False)
    urgent = SlaPolicy.create(name="Urgent", priorities="urgent", first_response_minutes=60, position=0)
    SlaPolicy.create(name="Everything else", resolution_minutes=2880, position=1)
    ids = {
        "ticket": ticket.id,
        "trashed": trashed.id,
        "customer": customer.id,
        "other_agent": User.create(email="other@example.com", name="Other Agent", role="agent").id,
        "inactive": inactive.id,
        "category": Category.get(Category.slug == "billing").id,
        "tag": tag.id,
        "inbound_entry": _failed_mail(monkeypatch),
        "undelivered": OutgoingMail.create(sender="support@localhost", recipients="cara@example.com", subject="Hi",
                                           raw=b"Subject: Hi\r\n\r\nHello", attempts=12, failed_at=utcnow()).id,
        "sla_policy": urgent.id,
        "shared_macro": macros.create_macro(admin, "Refund", "Your refund is on its way.", shared=True).id,
        "duplicate": tickets.create_ticket(customer, "Printer again", "Still smoking.").id,
        "organization": Organization.create(name="Acme", domains="acme.com").id,
        "billing_ticket": _billing_ticket(admin, customer),
        "suspended": spam.hold({"name": "Spam Bot", "email": "bot@spam.example", "subject": "Cheap pills",
                                "body": "Buy now"}, ["honeypot"]).id,
    }
    # A local address: every attempt is refused by the SSRF guard, so nothing leaves the test.
    hook = Webhook.create(url="http://127.0.0.1:9/desk-events", events=",".join(WEBHOOK_EVENTS),
                          secret=webhooks.new_secret())
    ids["webhook"] = hook.id
    ids["webhook_delivery"] = WebhookDelivery.create(webhook=hook, event_id="msg_matrix", event_type="ticket.created",
                                                     payload="{}", status="failed", attempts=8).id
    people = {"customer": customer, "agent": make_user("agent", "worker@example.com"), "admin": admin}
    return ids, people


def fingerprint():
    """Everything a refused request must leave alone."""
    return (
        list(Ticket.select(Ticket.id, Ticket.status, Ticket.priority, Ticket.assignee, Ticket.deleted_at)
             .order_by(Ticket.id).tuples()),
        Message.select().count(),
        FieldChange.select().count(),
        list(User.select(User.id, User.name, User.role, User.is_active).order_by(User.id).tuples()),
        list(Category.select(Category.id, Category.name, Category.is_active).order_by(Category.id).tuples()),
        list(Tag.select(Tag.id, Tag.name, Tag.color).order_by(Tag.id).tuples()),
        list(InboundEmail.select(InboundEmail.id, InboundEmail.outcome, InboundEmail.reason).order_by(InboundEmail.id)
             .tuples()),
        list(OutgoingMail.select(OutgoingMail.id, OutgoingMail.sent_at, OutgoingMail.failed_at).order_by(OutgoingMail.id)
             .tuples()),
        list(SlaPolicy.select(SlaPolicy.id, SlaPolicy.name, SlaPolicy.position, SlaPolicy.first_response_minutes)
             .order_by(SlaPolicy.id).tuples()),
        list(Webhook.select(Webhook.id, Webhook.url, Webhook.events, Webhook.active, Webhook.description)
             .order_by(Webhook.id).tuples()),
        list(WebhookDelivery.select(WebhookDelivery.id, WebhookDelivery.status, WebhookDelivery.attempts)
             .order_by(WebhookDelivery.id).tuples()),
        list(Macro.select(Macro.id, Macro.name, Macro.body).order_by(Macro.id).tuples()),
        list(SavedView.select(SavedView.id, SavedView.name).order_by(SavedView.id).tuples()),
        list(Organization.select(Organization.id, Organization.name).order_by(Organization.id).tuples()),
        list(User.select(User.id, User.organization).order_by(User.id).tuples()),
        list(SuspendedSubmission.select(SuspendedSubmission.id).order_by(SuspendedSubmission.id).tuples()),
        list(Setting.select(Setting.key, Setting.value).order_by(Setting.key).tuples()),
        list(CategoryField.select(CategoryField.id, CategoryField.key, CategoryField.label, CategoryField.options)
             .order_by(CategoryField.id).tuples()),
    )


def sign_in(client, user):
    page = client.get("/login").get_data(as_text=True)
    response = client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": csrf_from(page)})
    assert response.status_code == 303


def request(client, key, ids):
    method, template, data = ROUTES[key]
    path = template.format(**ids)
    if method == "GET":
        return path, client.get(path)
    token = csrf_from(client.get("/").get_data(as_text=True))
    form = {name: value.format(**ids) for name, value in (data or {}).items()}
    form["csrf_token"] = token
    return path, client.post(path, data=form)


def test_the_matrix_covers_every_agent_and_admin_route(app):
    covered = {(key.split(":")[0], ROUTES[key][0]) for key in ROUTES}
    routes = {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.split(".")[0] in ("agent", "admin", "reports", "macros", "privacy", "moderation",
                                               "organizations", "category_fields")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert routes == covered | OWNER_ONLY


@pytest.mark.parametrize("key", sorted(ROUTES))
def test_guest_is_sent_to_sign_in_and_back(client, world, key):
    ids, _ = world
    before = fingerprint()
    path, response = request(client, key, ids)
    assert response.status_code in (302, 303)
    assert response.headers["Location"].startswith("/login?next=")
    assert quote(path.split("?")[0], safe="") in response.headers["Location"]
    assert fingerprint() == before


@pytest.mark.parametrize("path", ["/agent?view=open", "/admin/users"])
def test_guest_htmx_request_reloads_at_the_sign_in_page(client, path):
    response = client.get(path, headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/login?next=")


@pytest.mark.parametrize("key", sorted(ROUTES))
def test_customer_is_refused(client, world, key):
    ids, people = world
    sign_in(client, people["customer"])
    before = fingerprint()
    _, response = request(client, key, ids)
    assert response.status_code == 403
    assert "Not allowed" in response.get_data(as_text=True)
    assert fingerprint() == before


@pytest.mark.parametrize("key", sorted(ROUTES))
def test_agent_works_tickets_but_does_not_administer(client, world, key):
    ids, people = world
    sign_in(client, people["agent"])
    before = fingerprint()
    _, response = request(client, key, ids)
    if key in ADMIN_ONLY:
        assert response.status_code == 403
        assert fingerprint() == before
    else:
        assert response.status_code in (200, 204, 303), response.get_data(as_text=True)[:500]
        if ROUTES[key][0] == "POST" and key not in RECORDS_NOTHING:
            assert fingerprint() != before


@pytest.mark.parametrize("key", sorted(ROUTES))
def test_admin_may_do_everything(client, world, key):
    ids, people = world
    sign_in(client, people["admin"])
    before = fingerprint()
    _, response = request(client, key, ids)
    assert response.status_code in (200, 204, 303), response.get_data(as_text=True)[:500]
    if ROUTES[key][0] == "POST" and key not in RECORDS_NOTHING:
        assert fingerprint() != before
