"""Intake fields on the HTML faces: the forms ask the chosen category's questions (htmx swaps them, a button does it
without JavaScript), errors sit beside each question, customers never see the team's questions, agents edit the
answers in the workspace and admins manage the questions."""
import re

import pytest

from portal.models import CategoryField, FieldChange, Ticket
from portal.services import intake_fields, tickets

from .conftest import csrf_from


@pytest.fixture
def billing(admin):
    intake_fields.create_field(admin, "billing", "order_number", "Order number", "text", required=True)
    intake_fields.create_field(admin, "billing", "plan", "Plan", "select", options="Free\nTeam")
    intake_fields.create_field(admin, "billing", "refund_approved", "Refund approved", "checkbox",
                               visible_to_customer=False)


def contact_data(client, **overrides):
    page = client.get("/contact").get_data(as_text=True)
    key = re.search(r'name="submission_key" type="hidden" value="([^"]+)"', page).group(1)
    data = {"name": "Gus Guest", "email": "gus@example.com", "company": "", "phone": "", "category": "billing",
            "subject": "Refund please", "body": "I was charged twice.", "csrf_token": csrf_from(page),
            "submission_key": key}
    started = re.search(r'name="started" type="hidden" value="([^"]+)"', page)
    if started:
        data["started"] = started.group(1)
    data.update(overrides)
    return data


def test_the_partial_lists_the_customers_questions_of_a_category(client, billing):
    response = client.get("/contact/fields?category=billing", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and html.lstrip().startswith('<div id="intake-fields"')
    assert 'name="fields.order_number"' in html and 'name="fields.plan"' in html
    assert "Refund approved" not in html and "refund_approved" not in html
    assert 'name="fields' not in client.get("/contact/fields?category=nothing").get_data(as_text=True)
    assert 'name="fields' not in client.get("/contact/fields").get_data(as_text=True)


def test_the_category_select_swaps_the_questions_with_htmx(client, billing):
    html = client.get("/contact").get_data(as_text=True)
    select = re.search(r'<select[^>]*name="category"[^>]*>', html).group(0)
    assert 'hx-get="/contact/fields"' in select and 'hx-target="#intake-fields"' in select
    assert '<div id="intake-fields"' in html
    assert 'name="show_questions"' in html  # inside <noscript>: the way without JavaScript


def test_without_javascript_the_button_shows_the_questions_and_files_nothing(client, billing):
    response = client.post("/contact", data=contact_data(client, show_questions="1"))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'name="fields.order_number"' in html and 'value="Refund please"' in html
    assert Ticket.select().count() == 0


def test_contact_form_errors_sit_beside_the_question_and_input_is_kept(client, billing):
    response = client.post("/contact", data=contact_data(client, **{"fields.plan": "Team"}))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert re.search(r'id="question-order_number"[^>]*aria-invalid="true"', html)
    assert '<p class="error" id="question-order_number-error">Answer this question.</p>' in html
    assert '<option value="Team" selected>' in html and 'value="Refund please"' in html
    assert Ticket.select().count() == 0
    sent = client.post("/contact", data=contact_data(client, **{"fields.order_number": "A-17", "fields.plan": "Team",
                                                                "fields.refund_approved": "1"}))
    assert sent.status_code == 303
    ticket = Ticket.get()
    # A hidden question is not on the form, so a value sent for it anyway is simply not read.
    assert intake_fields.stored_values(ticket) == {"order_number": "A-17", "plan": "Team"}


def test_customer_new_ticket_form_asks_and_checks_the_questions(client, auth, customer, billing):
    auth.login(customer.email)
    page = client.get("/tickets/new").get_data(as_text=True)
    key = re.search(r'name="submission_key" type="hidden" value="([^"]+)"', page).group(1)
    data = {"subject": "Charged twice", "description": "Twice!", "category": "billing", "priority": "normal",
            "csrf_token": csrf_from(page), "submission_key": key}
    shown = client.post("/tickets/new", data={**data, "show_questions": "1"})
    assert shown.status_code == 200 and 'name="fields.order_number"' in shown.get_data(as_text=True)
    refused = client.post("/tickets/new", data=data)
    assert refused.status_code == 422
    assert 'id="question-order_number-error">Answer this question.' in refused.get_data(as_text=True)
    filed = client.post("/tickets/new", data={**data, "fields.order_number": "A-9"})
    assert filed.status_code == 303
    ticket = Ticket.get()
    assert intake_fields.stored_values(ticket) == {"order_number": "A-9"}  # the unanswered list is left out


def test_customers_see_their_answers_but_never_the_teams(client, auth, customer, agent, billing):
    ticket = tickets.create_ticket(customer, "Charged twice", "Twice!", category="billing",
                                   fields={"order_number": "A-17"})
    intake_fields.set_fields(agent, ticket.id, {"refund_approved": True})
    auth.login(customer.email)
    html = client.get(f"/tickets/{ticket.id}").get_data(as_text=True)
    assert "Order number" in html and "A-17" in html
    assert "Refund approved" not in html
    # Nor in the event line the change wrote: that line is staff-only.
    assert "refund" not in html.lower().replace("refund please", "")


def test_agent_edits_answers_in_the_side_bar(client, auth, customer, agent, billing):
    ticket = tickets.create_ticket(customer, "Charged twice", "Twice!", category="billing",
                                   fields={"order_number": "A-17"})
    auth.login(agent.email)
    page = client.get(f"/agent/tickets/{ticket.id}").get_data(as_text=True)
    assert 'id="ticket-answers"' in page and "Refund approved" in page and 'value="A-17"' in page
    token = csrf_from(page)
    url = f"/agent/tickets/{ticket.id}/fields"
    wrong = client.post(url, data={"csrf_token": token, "fields.order_number": "", "fields.refund_approved": "1"},
                        headers={"HX-Request": "true"})
    assert wrong.status_code == 422
    assert '<p class="error" id="answer-order_number-error">Answer this question.</p>' in wrong.get_data(as_text=True)
    assert intake_fields.stored_values(Ticket.get_by_id(ticket.id)) == {"order_number": "A-17"}
    saved = client.post(url, data={"csrf_token": token, "fields.order_number": "A-17", "fields.plan": "Team",
                                   "fields.refund_approved": "1"}, headers={"HX-Request": "true"})
    assert saved.status_code == 200
    fragment = saved.get_data(as_text=True)
    assert fragment.lstrip().startswith('<section id="ticket-answers"')
    assert re.search(r'<section id="ticket-history"[^>]*hx-swap-oob="true"', fragment)
    assert intake_fields.stored_values(Ticket.get_by_id(ticket.id)) == {
        "order_number": "A-17", "plan": "Team", "refund_approved": True}
    assert {c.field for c in FieldChange.select()} == {"fields.plan", "fields.refund_approved"}
    plain = client.post(url, data={"csrf_token": token, "fields.order_number": "A-18", "fields.plan": "Team",
                                   "fields.refund_approved": "1"})
    assert plain.status_code == 303 and plain.headers["Location"].endswith(f"/agent/tickets/{ticket.id}")


def test_admin_manages_a_categorys_questions(client, auth, admin):
    auth.login(admin.email)
    assert "/admin/categories/billing/fields" in client.get("/admin/categories").get_data(as_text=True)
    page = client.get("/admin/categories/billing/fields").get_data(as_text=True)
    token = csrf_from(page)
    bad = client.post("/admin/categories/billing/fields",
                      data={"csrf_token": token, "key": "Plan!", "label": "", "type": "select", "options": ""})
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert 'id="new-key-error"' in html and 'id="new-label-error"' in html and 'id="new-options-error"' in html
    assert 'value="Plan!"' in html
    made = client.post("/admin/categories/billing/fields",
                       data={"csrf_token": token, "key": "plan", "label": "Plan", "type": "select",
                             "options": "Free\nTeam", "required": "1", "visible_to_customer": "1"})
    assert made.status_code == 303
    field = CategoryField.get(CategoryField.key == "plan")
    assert (field.option_list, field.required, field.visible_to_customer) == (["Free", "Team"], True, True)
    client.post("/admin/categories/billing/fields/plan",
                data={"csrf_token": token, "label": "Your plan", "type": "select", "options": "Free\nTeam"})
    field = CategoryField.get(CategoryField.key == "plan")
    assert (field.label, field.required, field.visible_to_customer) == ("Your plan", False, False)
    assert client.post("/admin/categories/billing/fields/plan/delete", data={"csrf_token": token}).status_code == 303
    assert CategoryField.select().count() == 0
    assert client.get("/admin/categories/nothing/fields").status_code == 404
