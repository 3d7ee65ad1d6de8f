"""Intake fields: admins define a category's questions, the services judge the answers, customers never see or set the
team's hidden ones, agents edit answers with a history entry."""
import json

import pytest

from portal.models import Category, CategoryField, FieldChange, Message, SlaPolicy, Ticket
from portal.services import intake_fields, tickets
from portal.services.errors import Conflict, NotFound, PermissionDenied, ValidationError


@pytest.fixture
def billing(admin):
    """Billing asks for an order number (required), a plan (a list), a date, a count, and keeps a hidden checkbox."""
    intake_fields.create_field(admin, "billing", "order_number", "Order number", "text", required=True)
    intake_fields.create_field(admin, "billing", "plan", "Plan", "select", options="Free\nTeam\nBusiness")
    intake_fields.create_field(admin, "billing", "charged_on", "Charged on", "date")
    intake_fields.create_field(admin, "billing", "seats", "Seats", "number")
    intake_fields.create_field(admin, "billing", "refund_approved", "Refund approved", "checkbox",
                               visible_to_customer=False)
    return Category.get(Category.slug == "billing")


def errors_of(call):
    with pytest.raises(ValidationError) as caught:
        call()
    return caught.value.errors


# ------------------------------------------------------------------------------------------------------ definitions


def test_admin_defines_fields_in_order_and_only_admins_may(admin, agent, billing):
    assert [f.key for f in intake_fields.list_fields(admin, "billing")] == [
        "order_number", "plan", "charged_on", "seats", "refund_approved"]
    assert intake_fields.get_field(agent, "billing", "plan").option_list == ["Free", "Team", "Business"]
    with pytest.raises(PermissionDenied):
        intake_fields.create_field(agent, "billing", "x", "X")
    with pytest.raises(PermissionDenied):
        intake_fields.delete_field(agent, "billing", "plan")


@pytest.mark.parametrize("values, field", [
    (dict(key="Order Number", label="Order"), "key"),
    (dict(key="order_number", label="Again"), "key"),  # taken in this category
    (dict(key="note", label="   "), "label"),
    (dict(key="plan2", label="Plan", type="select", options="\n  \n"), "options"),
    (dict(key="size", label="Size", type="colour"), "type"),
])
def test_a_bad_definition_is_refused_beside_its_field(admin, billing, values, field):
    errors = errors_of(lambda: intake_fields.create_field(admin, "billing", **values))
    assert field in errors


def test_the_same_key_may_serve_two_categories(admin, billing):
    field = intake_fields.create_field(admin, "technical", "order_number", "Order number")
    assert field.category.slug == "technical"


def test_update_keeps_the_key_and_checks_the_options(admin, billing):
    field = intake_fields.update_field(admin, "billing", "plan", label="Your plan", options="Free\nPro\nPro",
                                       visible_to_customer=False, position=9)
    assert (field.key, field.label, field.option_list, field.visible_to_customer) == (
        "plan", "Your plan", ["Free", "Pro"], False)
    assert "options" in errors_of(lambda: intake_fields.update_field(admin, "billing", "plan", options=""))
    assert "key" in errors_of(lambda: intake_fields.update_field(admin, "billing", "plan", key="other"))
    # Turning a list into text drops its options.
    assert intake_fields.update_field(admin, "billing", "plan", type="text").options == ""
    with pytest.raises(NotFound):
        intake_fields.update_field(admin, "billing", "nothing", label="X")


def test_delete_field(admin, billing):
    intake_fields.delete_field(admin, "billing", "seats")
    assert not CategoryField.select().where(CategoryField.key == "seats").exists()
    with pytest.raises(NotFound):
        intake_fields.delete_field(admin, "billing", "seats")


def test_customers_and_guests_see_only_visible_fields(customer, agent, billing):
    assert "refund_approved" not in [f.key for f in intake_fields.fields_for(customer, billing)]
    assert "refund_approved" not in [f.key for f in intake_fields.fields_for(None, billing)]
    assert "refund_approved" in [f.key for f in intake_fields.fields_for(agent, billing)]
    category, fields = intake_fields.questions(None, "billing")
    assert category == billing and [f.key for f in fields][-1] == "seats"
    assert intake_fields.questions(None, "no-such") == (None, [])


# --------------------------------------------------------------------------------------------------------- answers


def test_answers_are_cleaned_by_type(customer, billing):
    cleaned = intake_fields.validate(billing, {"order_number": "  A-17 ", "plan": "Team", "charged_on": "2026-03-01",
                                               "seats": "12"}, customer)
    assert cleaned == {"order_number": "A-17", "plan": "Team", "charged_on": "2026-03-01", "seats": 12}
    assert intake_fields.validate(billing, {"order_number": "x", "seats": 2.5}, customer)["seats"] == 2.5


@pytest.mark.parametrize("values, key, message", [
    ({}, "order_number", "Answer this question."),
    ({"order_number": "   "}, "order_number", "Answer this question."),
    ({"order_number": "A", "plan": "Gold"}, "plan", "Choose one of the listed options."),
    ({"order_number": "A", "charged_on": "01/03/2026"}, "charged_on", "Enter a date as YYYY-MM-DD."),
    ({"order_number": "A", "charged_on": "2026-02-30"}, "charged_on", "Enter a date as YYYY-MM-DD."),
    ({"order_number": "A", "seats": "twelve"}, "seats", "Enter a number."),
    ({"order_number": "A", "seats": "nan"}, "seats", "Enter a number."),
    ({"order_number": "A", "seats": True}, "seats", "Enter a number."),
    ({"order_number": 42}, "order_number", "Enter text."),
    ({"order_number": "A", "colour": "red"}, "colour", "This category has no such question."),
])
def test_wrong_answers_are_refused_under_their_key(customer, billing, values, key, message):
    assert errors_of(lambda: intake_fields.validate(billing, values, customer))[f"fields.{key}"] == message


def test_customers_cannot_set_a_hidden_field_and_are_not_told_it_exists(customer, billing):
    values = {"order_number": "A", "refund_approved": True}
    errors = errors_of(lambda: intake_fields.validate(billing, values, customer))
    assert errors == {"fields.refund_approved": "This category has no such question."}


def test_checkbox_takes_booleans_and_a_required_one_must_be_ticked(admin, agent, billing):
    assert intake_fields.validate(billing, {"order_number": "A", "refund_approved": False}, agent)[
        "refund_approved"] is False
    assert errors_of(lambda: intake_fields.validate(billing, {"order_number": "A", "refund_approved": "yes"}, agent))
    intake_fields.create_field(admin, "billing", "terms", "I accept the terms", "checkbox", required=True)
    assert errors_of(lambda: intake_fields.validate(billing, {"order_number": "A", "terms": False}, agent)) == {
        "fields.terms": "Tick this box to go on."}


# ---------------------------------------------------------------------------------------------------- on tickets


def test_create_ticket_stores_the_answers_and_checks_them_with_the_rest(customer, billing):
    errors = errors_of(lambda: tickets.create_ticket(customer, "", "Charged twice", category="billing", fields={}))
    assert set(errors) == {"subject", "fields.order_number"}
    ticket = tickets.create_ticket(customer, "Charged twice", "Twice!", category="billing",
                                   fields={"order_number": "A-17", "plan": "Team"})
    assert json.loads(Ticket.get_by_id(ticket.id).field_values) == {"order_number": "A-17", "plan": "Team"}


def test_channels_without_questions_file_without_answers(agent, customer, billing):
    # Mail and the agents' phone form pass no `fields`: a required question does not block them.
    ticket = tickets.create_ticket(customer, "By mail", "Hello", category="billing")
    assert ticket.field_values == "{}"


def test_contact_form_answers_as_a_guest(billing):
    errors = errors_of(lambda: tickets.submit_contact("Gus Guest", "gus@example.com", "Refund", "Please",
                                                      category="billing", fields={"refund_approved": True}))
    assert set(errors) == {"fields.refund_approved", "fields.order_number"}
    ticket, _ = tickets.submit_contact("Gus Guest", "gus@example.com", "Refund", "Please", category="billing",
                                       fields={"order_number": "B-2", "seats": "3"})
    assert json.loads(Ticket.get_by_id(ticket.id).field_values) == {"order_number": "B-2", "seats": 3}


def test_visible_values_hide_the_teams_fields_from_customers(customer, agent, billing):
    ticket = tickets.create_ticket(customer, "Charged twice", "Twice!", category="billing",
                                   fields={"order_number": "A-17"})
    intake_fields.set_fields(agent, ticket.id, {"refund_approved": True})
    ticket = tickets.get_ticket(customer, ticket.id)
    assert [(f.key, v) for f, v in intake_fields.visible_values(customer, ticket)] == [
        ("order_number", "A-17"), ("plan", None), ("charged_on", None), ("seats", None)]
    assert ticket.shown_fields == {"order_number": "A-17"}
    staff_view = tickets.get_ticket(agent, ticket.id)
    assert staff_view.shown_fields == {"order_number": "A-17", "refund_approved": True}
    listed = tickets.list_tickets(customer).items
    assert listed[0].shown_fields == {"order_number": "A-17"}


def test_agents_edit_answers_with_history_and_staff_only_event(customer, agent, billing):
    ticket = tickets.create_ticket(customer, "Charged twice", "Twice!", category="billing",
                                   fields={"order_number": "A-17"})
    intake_fields.set_fields(agent, ticket.id, {"order_number": "A-18", "refund_approved": True, "plan": ""})
    stored = json.loads(Ticket.get_by_id(ticket.id).field_values)
    assert stored == {"order_number": "A-18", "refund_approved": True}
    changes = {c.field: (c.old_value, c.new_value) for c in FieldChange.select().where(FieldChange.ticket == ticket.id)}
    assert changes == {"fields.order_number": ("A-17", "A-18"), "fields.refund_approved": (None, "Yes")}
    event = Message.select().where(Message.ticket == ticket.id, Message.kind == "event").order_by(Message.id).first()
    assert event.body == "Ana Agent set Order number to A-18" and not event.is_public
    # A required answer cannot be cleared; nothing changes then.
    assert errors_of(lambda: intake_fields.set_fields(agent, ticket.id, {"order_number": ""})) == {
        "fields.order_number": "Answer this question."}
    with pytest.raises(PermissionDenied):
        intake_fields.set_fields(customer, ticket.id, {"order_number": "X"})
    # The same values again change nothing.
    before = FieldChange.select().count()
    intake_fields.set_fields(agent, ticket.id, {"order_number": "A-18"})
    assert FieldChange.select().count() == before


def test_list_answers_attach_in_one_query(customer, billing, count_queries):
    for n in range(3):
        tickets.create_ticket(customer, f"Ticket {n}", "Body", category="billing", fields={"order_number": f"A{n}"})
    rows = list(Ticket.select())
    with count_queries() as counted:
        intake_fields.attach_values(customer, rows)
    assert counted.count == 1
    assert sorted(t.shown_fields["order_number"] for t in rows) == ["A0", "A1", "A2"]


# --------------------------------------------------------------------------------------------------- categories


def test_category_crud_for_admins(admin, agent):
    category = intake_fields.create_category(admin, "Shipping", description="Parcels")
    assert category.slug == "shipping"
    intake_fields.create_field(admin, "shipping", "tracking", "Tracking number")
    updated = intake_fields.update_category(admin, "shipping", name="Delivery", active=False)
    assert (updated.name, updated.description, updated.is_active) == ("Delivery", "Parcels", False)
    with pytest.raises(PermissionDenied):
        intake_fields.update_category(agent, "shipping", name="Nope")
    intake_fields.delete_category(admin, "shipping")
    assert not Category.select().where(Category.slug == "shipping").exists()
    assert not CategoryField.select().where(CategoryField.key == "tracking").exists()


def test_a_category_in_use_is_not_deleted(admin, customer):
    tickets.create_ticket(customer, "Help me", "Please", category="technical")
    with pytest.raises(Conflict):
        intake_fields.delete_category(admin, "technical")
    SlaPolicy.create(name="Bills", categories="general,billing", resolution_minutes=60)
    with pytest.raises(Conflict):
        intake_fields.delete_category(admin, "billing")
    with pytest.raises(NotFound):
        intake_fields.delete_category(admin, "no-such")
