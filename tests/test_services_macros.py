"""Macros: who may see and change them, what they may contain, and applying one as a single step."""
import json

import pytest

from portal.models import FieldChange, Macro, Message, Ticket
from portal.services import admin as admin_service
from portal.services import macros, signals, tickets
from portal.services.errors import NewerMessages, NotFound, PermissionDenied, ValidationError

from .conftest import make_user


@pytest.fixture
def ticket(customer):
    return tickets.create_ticket(customer, "Refund for order 42", "I was charged twice.")


def _replies(ticket_id, kind="reply"):
    return list(Message.select().where(Message.ticket == ticket_id, Message.kind == kind).order_by(Message.id))


# ------------------------------------------------------------------------------------------------------ permissions


def test_shared_macros_are_made_by_admins_and_seen_by_every_agent(admin, agent):
    shared = macros.create_macro(admin, "Refund issued", "Done.", shared=True)
    other = make_user("agent")
    assert shared.owner_id is None
    assert [m.id for m in macros.list_macros(agent)] == [shared.id]
    assert [m.id for m in macros.list_macros(other)] == [shared.id]
    with pytest.raises(PermissionDenied):
        macros.create_macro(agent, "Mine, for all", "Hi", shared=True)


def test_personal_macros_are_their_owners_alone(agent, admin):
    mine = macros.create_macro(agent, "My greeting", "Hi {{ customer.first_name }}")
    other = make_user("agent")
    assert mine.owner_id == agent.id
    assert [m.id for m in macros.list_macros(agent)] == [mine.id]
    assert macros.list_macros(other) == []
    assert macros.list_macros(admin) == []  # admins do not see agents' personal macros either
    for actor in (other, admin):
        with pytest.raises(NotFound):
            macros.get_macro(actor, mine.id)
        with pytest.raises(NotFound):
            macros.update_macro(actor, mine.id, name="Taken")
        with pytest.raises(NotFound):
            macros.delete_macro(actor, mine.id)
    assert macros.update_macro(agent, mine.id, name="My hello").name == "My hello"
    macros.delete_macro(agent, mine.id)
    assert not Macro.select().exists()


def test_agents_cannot_change_or_delete_shared_macros(admin, agent):
    shared = macros.create_macro(admin, "Refund issued", "Done.", shared=True)
    with pytest.raises(PermissionDenied):
        macros.update_macro(agent, shared.id, body="Changed")
    with pytest.raises(PermissionDenied):
        macros.delete_macro(agent, shared.id)
    assert macros.update_macro(admin, shared.id, body="Changed").body == "Changed"


def test_customers_have_no_macros(customer, admin, ticket):
    shared = macros.create_macro(admin, "Refund issued", "Done.", shared=True)
    with pytest.raises(PermissionDenied):
        macros.list_macros(customer)
    with pytest.raises(PermissionDenied):
        macros.create_macro(customer, "Sneaky", "Hi")
    with pytest.raises(PermissionDenied):
        macros.apply_macro(customer, ticket.id, shared.id)


def test_list_filters_by_name_first_then_body(agent):
    a = macros.create_macro(agent, "Password reset", "Use the link.")
    b = macros.create_macro(agent, "Welcome", "How to reset your password.")
    macros.create_macro(agent, "Goodbye", "Bye.")
    assert [m.id for m in macros.list_macros(agent, "password")] == [a.id, b.id]
    assert [m.id for m in macros.list_macros(agent, "  RESET ")] == [a.id, b.id]
    assert macros.list_macros(agent, "nothing like it") == []


# ------------------------------------------------------------------------------------------------------- validation


def test_fields_are_checked_beside_each_field(agent):
    with pytest.raises(ValidationError) as caught:
        macros.create_macro(agent, "", "x" * 50_001, actions={
            "status": "done", "priority": "asap", "assignee_id": 999, "add_tags": ["a" * 65], "close": True})
    assert set(caught.value.errors) == {"name", "body", "actions.status", "actions.priority", "actions.assignee_id",
                                        "actions.add_tags", "actions.close"}
    with pytest.raises(ValidationError) as caught:
        macros.create_macro(agent, "x" * 121, "Hi")
    assert "120" in caught.value.errors["name"]
    with pytest.raises(ValidationError) as caught:
        macros.create_macro(agent, "Nothing", "  ", actions={})
    assert "body" in caught.value.errors


def test_assignee_must_be_an_active_agent(agent, customer):
    gone = make_user("agent")
    admin_service.set_user_active(make_user("admin"), gone.id, False)
    for who in (customer.id, gone.id, "abc", True):
        with pytest.raises(ValidationError) as caught:
            macros.create_macro(agent, f"Assign {who}", "Hi", actions={"assignee_id": who})
        assert caught.value.errors == {"actions.assignee_id": "Choose an active agent."}


def test_tags_are_cleaned_and_bounded(agent):
    macro = macros.create_macro(agent, "Tags", "", actions={"add_tags": [" refund ", "Refund", "vip", ""]})
    assert macros.actions_of(macro) == {"add_tags": ["refund", "vip"]}
    for tags in (["a,b"], [f"t{i}" for i in range(11)], "not a list", [1]):
        with pytest.raises(ValidationError) as caught:
            macros.create_macro(agent, "Bad tags", "Hi", actions={"add_tags": tags} if tags != "not a list"
                                else {"add_tags": 5})
        assert "actions.add_tags" in caught.value.errors


def test_names_are_unique_per_owner_and_among_shared(agent, admin):
    macros.create_macro(agent, "Greeting", "Hi")
    with pytest.raises(ValidationError) as caught:
        macros.create_macro(agent, "greeting", "Hello")
    assert "name" in caught.value.errors
    macros.create_macro(make_user("agent"), "Greeting", "Hi")  # someone else's is fine
    macros.create_macro(admin, "Greeting", "Hi", shared=True)  # so is a shared one
    with pytest.raises(ValidationError):
        macros.create_macro(admin, "GREETING", "Hi", shared=True)


# --------------------------------------------------------------------------------------------------------- sandbox


@pytest.mark.parametrize("body", [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ config }}",
    "{{ customer.email }}",
    "{{customer.name|upper}}",
    "{% for x in range(3) %}x{% endfor %}",
    "{# a comment #}",
    "Hello {{ self._TemplateReference__context }}",
])
def test_template_code_is_refused_at_save(agent, body):
    with pytest.raises(ValidationError) as caught:
        macros.create_macro(agent, "Evil", body)
    message = caught.value.errors["body"]
    assert "{{ customer.name }}" in message and "{{ agent.name }}" in message


def test_placeholders_fill_with_any_spacing(agent, customer, ticket):
    body = ("Hi {{customer.first_name}}, {{ customer.name }} / #{{  ticket.id }} “{{ ticket.subject }}” "
            "— {{agent.name}}")
    macro = macros.create_macro(agent, "All of them", body)
    _, text = macros.render_for(agent, macro.id, ticket.id)
    assert text == f"Hi Cara, Cara Customer / #{ticket.id} “Refund for order 42” — Ana Agent"


def test_smuggled_template_code_is_shown_as_text_and_never_runs(agent, customer, ticket):
    body = ("{{ ''.__class__.__mro__ }} {{ config }} {% for x in range(3) %}loop{% endfor %} {{ 7*7 }} "
            "{# hidden #} {{ customer.first_name }}")
    macro = Macro.create(owner=agent.id, name="Smuggled", body=body)
    ticket_after = macros.apply_macro(agent, ticket.id, macro.id)
    posted = _replies(ticket.id)[-1].body
    assert posted == ("{{ ''.__class__.__mro__ }} {{ config }} {% for x in range(3) %}loop{% endfor %} {{ 7*7 }} "
                      "{# hidden #} Cara")
    assert "49" not in posted and "looploop" not in posted and "SECRET" not in posted
    assert ticket_after.status == "open"


def test_values_that_look_like_placeholders_stay_as_written(agent, ticket):
    Ticket.update(subject="{{ agent.name }} {% raw %}").where(Ticket.id == ticket.id).execute()
    macro = macros.create_macro(agent, "Subject", "About: {{ ticket.subject }}")
    _, text = macros.render_for(agent, macro.id, ticket.id)
    assert text == "About: {{ agent.name }} {% raw %}"


# --------------------------------------------------------------------------------------------------------- applying


def test_apply_posts_the_reply_and_makes_every_change(admin, agent, ticket):
    other = make_user("agent", name="Ben Agent")
    tickets.update_ticket(agent, ticket.id, tags=["billing"])
    macro = macros.create_macro(admin, "Refund issued", "Hi {{ customer.first_name }}, refunded.", shared=True,
                                actions={"status": "waiting", "priority": "high", "assignee_id": other.id,
                                         "add_tags": ["refund", "Billing"]})
    result = macros.apply_macro(agent, ticket.id, macro.id)
    assert [m.body for m in _replies(ticket.id)][-1] == "Hi Cara, refunded."
    assert _replies(ticket.id)[-1].author_id == agent.id
    assert (result.status, result.priority, result.assignee.id) == ("waiting", "high", other.id)
    assert sorted(t.name for t in result.tag_list) == ["billing", "refund"]
    fields = {c.field for c in
              FieldChange.select().where(FieldChange.ticket == ticket.id, FieldChange.actor == agent.id)}
    assert {"status", "priority", "assignee", "tags"} <= fields
    assert result.first_response_at is not None


def test_internal_macro_posts_a_note(agent, ticket):
    macro = macros.create_macro(agent, "Escalate", "Escalating to billing.", internal=True,
                                actions={"priority": "urgent"})
    result = macros.apply_macro(agent, ticket.id, macro.id)
    note = _replies(ticket.id, "note")[-1]
    assert note.body == "Escalating to billing." and not note.is_public
    assert result.priority == "urgent"
    assert result.first_response_at is None  # a note is no answer to the customer


def test_macro_without_body_only_changes_fields(agent, ticket):
    macro = macros.create_macro(agent, "Triage", "", actions={"status": "in_progress"})
    before = len(_replies(ticket.id)) + len(_replies(ticket.id, "note"))
    result = macros.apply_macro(agent, ticket.id, macro.id)
    assert result.status == "in_progress"
    assert len(_replies(ticket.id)) + len(_replies(ticket.id, "note")) == before


def test_a_failing_change_leaves_no_reply_and_sends_nothing(agent, admin, ticket):
    helper = make_user("agent", name="Leaving Agent")
    macro = macros.create_macro(agent, "Hand over", "Passing you to a colleague.",
                                actions={"assignee_id": helper.id, "status": "waiting"})
    admin_service.set_user_active(admin, helper.id, False)  # the macro still names them
    heard = []

    def hear(sender, **kwargs):
        heard.append(sender)

    with signals.reply_added.connected_to(hear), signals.ticket_updated.connected_to(hear):
        with pytest.raises(ValidationError) as caught:
            macros.apply_macro(agent, ticket.id, macro.id)
    assert "Hand over" in caught.value.errors["macro_id"]
    assert [m.body for m in _replies(ticket.id)] == ["I was charged twice."]
    assert Ticket.get_by_id(ticket.id).status == "open"
    assert Ticket.get_by_id(ticket.id).first_response_at is None
    assert heard == []  # no e-mail or webhook hears of a reply that was rolled back


def test_apply_refuses_a_reply_when_the_thread_moved_on(agent, customer, ticket):
    macro = macros.create_macro(agent, "Answer", "Here you go.", actions={"status": "waiting"})
    seen = _replies(ticket.id)[-1].id
    tickets.reply(customer, ticket.id, "Also, one more thing.")
    with pytest.raises(NewerMessages):
        macros.apply_macro(agent, ticket.id, macro.id, after_message_id=seen)
    assert Ticket.get_by_id(ticket.id).status == "open"
    assert [m.body for m in _replies(ticket.id)][-1] == "Also, one more thing."


def test_apply_needs_a_visible_macro_and_ticket(agent, ticket):
    theirs = macros.create_macro(make_user("agent"), "Theirs", "Hi")
    mine = macros.create_macro(agent, "Mine", "Hi")
    with pytest.raises(NotFound):
        macros.apply_macro(agent, ticket.id, theirs.id)
    with pytest.raises(NotFound):
        macros.apply_macro(agent, 99999, mine.id)


def test_reply_with_macro_sends_the_edited_text_and_the_buttons_status_wins(agent, ticket):
    macro = macros.create_macro(agent, "Refund", "Refunded.", actions={"status": "waiting", "add_tags": ["refund"]})
    result = macros.reply_with_macro(agent, ticket.id, macro.id, "Refunded, and sorry!", status="resolved")
    assert _replies(ticket.id)[-1].body == "Refunded, and sorry!"
    assert result.status == "resolved"
    assert [t.name for t in result.tag_list] == ["refund"]


def test_reply_with_macro_checks_the_message(agent, ticket):
    macro = macros.create_macro(agent, "Refund", "Refunded.", actions={"status": "waiting"})
    with pytest.raises(ValidationError) as caught:
        macros.reply_with_macro(agent, ticket.id, macro.id, "x" * 50_001)
    assert "body" in caught.value.errors
    assert Ticket.get_by_id(ticket.id).status == "open"


def test_describe_actions_for_people(admin, agent):
    macro = macros.create_macro(admin, "All", "", shared=True, actions={
        "status": "in_progress", "priority": "high", "assignee_id": agent.id, "add_tags": ["refund", "vip"]})
    assert [c.text for c in macros.describe_actions(macro)] == [
        "status → In progress", "priority → High", "tags + refund + vip", "assign to Ana Agent"]
    assert json.loads(Macro.get_by_id(macro.id).actions)["assignee_id"] == agent.id
