"""The status rules of SPEC section 2, guest keys and who may see what, straight through the service layer."""
import pytest

from portal.models import FieldChange, Message, Ticket, User
from portal.services import tickets
from portal.services.errors import Conflict, NotFound, PermissionDenied, ValidationError

from .conftest import make_user


def file(customer, subject="Printer is on fire", **kw):
    return tickets.create_ticket(customer, subject, "It smells of toner.", **kw)


def set_status(agent, ticket, status):
    return tickets.update_ticket(agent, ticket.id, status=status)


def test_new_ticket_is_open_with_first_public_message(customer):
    ticket = file(customer, category="billing", priority="high")
    assert ticket.status == "open"
    assert ticket.priority == "high"
    assert ticket.channel == "portal"
    messages = tickets.thread(customer, ticket)
    assert [(m.kind, m.body) for m in messages] == [("reply", "It smells of toner.")]
    assert ticket.message_count == 1


def test_create_validates_every_field(customer):
    with pytest.raises(ValidationError) as info:
        tickets.create_ticket(customer, "x", "", category="nope", priority="extreme")
    assert set(info.value.errors) == {"subject", "description", "category", "priority"}


def test_same_submission_key_creates_one_ticket(customer):
    first = file(customer, submission_key="k1")
    second = file(customer, submission_key="k1")
    assert first.id == second.id
    assert Ticket.select().count() == 1


@pytest.mark.parametrize("status", ["open", "in_progress", "waiting", "resolved"])
def test_customer_closes_from_any_status_but_closed(customer, agent, status):
    ticket = file(customer)
    set_status(agent, ticket, status)
    closed = tickets.close_ticket(customer, ticket.id)
    assert closed.status == "closed" and closed.closed_at is not None
    with pytest.raises(Conflict):
        tickets.close_ticket(customer, ticket.id)


@pytest.mark.parametrize("status", ["resolved", "closed"])
def test_customer_reopens_resolved_or_closed(customer, agent, status):
    ticket = file(customer)
    set_status(agent, ticket, status)
    assert tickets.reopen_ticket(customer, ticket.id).status == "open"


@pytest.mark.parametrize("status", ["open", "in_progress", "waiting"])
def test_reopening_an_active_ticket_is_a_conflict(customer, agent, status):
    ticket = file(customer)
    set_status(agent, ticket, status)
    with pytest.raises(Conflict):
        tickets.reopen_ticket(customer, ticket.id)


def test_locked_ticket_refuses_customer_reopen_and_reply(customer, agent):
    ticket = file(customer)
    locked = tickets.update_ticket(agent, ticket.id, locked=True)
    assert locked.locked and locked.status == "closed"
    with pytest.raises(Conflict):
        tickets.reopen_ticket(customer, ticket.id)
    with pytest.raises(Conflict):
        tickets.reply(customer, ticket.id, "Let me in")
    # Agents may still do anything.
    assert tickets.reopen_ticket(agent, ticket.id).status == "open"


@pytest.mark.parametrize("before,after", [("waiting", "open"), ("resolved", "open"), ("closed", "open"),
                                          ("in_progress", "in_progress"), ("open", "open")])
def test_customer_reply_moves_status(customer, agent, before, after):
    ticket = file(customer)
    set_status(agent, ticket, before)
    tickets.reply(customer, ticket.id, "More details")
    assert Ticket.get_by_id(ticket.id).status == after


def test_agent_reply_can_set_status_and_stamps_first_response(customer, agent):
    ticket = file(customer)
    tickets.reply(agent, ticket.id, "Internal thought", internal=True)
    assert Ticket.get_by_id(ticket.id).first_response_at is None
    tickets.reply(agent, ticket.id, "Try turning it off", status="waiting")
    t = Ticket.get_by_id(ticket.id)
    assert t.status == "waiting" and t.first_response_at is not None
    first = t.first_response_at
    tickets.reply(agent, ticket.id, "Fixed", status="resolved")
    t = Ticket.get_by_id(ticket.id)
    assert t.first_response_at == first and t.status == "resolved" and t.resolved_at is not None


def test_reply_and_status_is_one_transaction(customer, agent):
    ticket = file(customer)
    with pytest.raises(ValidationError):
        tickets.reply(agent, ticket.id, "Hello", status="bogus")
    assert Message.select().where(Message.ticket == ticket.id).count() == 1


def test_customers_never_see_notes_or_staff_events(customer, agent):
    ticket = file(customer)
    tickets.reply(agent, ticket.id, "SECRET note", internal=True)
    tickets.update_ticket(agent, ticket.id, priority="urgent", status="in_progress")
    tickets.reply(agent, ticket.id, "Public answer")
    seen = tickets.thread(customer, ticket)
    assert all(m.kind != "note" for m in seen)
    assert not any("priority" in m.body for m in seen)
    assert any(m.kind == "event" and "status" in m.body for m in seen)
    staff_view = tickets.thread(agent, ticket)
    assert any(m.kind == "note" for m in staff_view)


def test_customer_cannot_write_notes_or_set_status(customer):
    ticket = file(customer)
    with pytest.raises(ValidationError) as info:
        tickets.reply(customer, ticket.id, "x", internal=True, status="closed")
    assert set(info.value.errors) == {"internal", "status"}


def test_field_changes_write_history(customer, agent):
    ticket = file(customer)
    tickets.update_ticket(agent, ticket.id, priority="urgent", assignee_id=agent.id, tags=["VIP", "refund"],
                          category="billing", subject="Printer on fire (3rd floor)")
    entries = {(h.field, h.old_value, h.new_value) for h in tickets.history(agent, ticket.id)}
    assert ("priority", "normal", "urgent") in entries
    assert ("assignee", None, agent.name) in entries
    assert ("tags", "", "VIP, refund") in entries
    assert ("category", None, "billing") in entries
    assert ("subject", "Printer is on fire", "Printer on fire (3rd floor)") in entries
    assert all(h.actor.id == agent.id for h in tickets.history(agent, ticket.id))
    # A change to the same value writes nothing.
    before = FieldChange.select().count()
    tickets.update_ticket(agent, ticket.id, priority="urgent")
    assert FieldChange.select().count() == before


def test_customers_cannot_change_fields_or_read_history(customer):
    ticket = file(customer)
    with pytest.raises(PermissionDenied):
        tickets.update_ticket(customer, ticket.id, priority="urgent")
    with pytest.raises(PermissionDenied):
        tickets.history(customer, ticket.id)


def test_foreign_ticket_is_not_found_for_every_operation(customer, other_customer, agent):
    ticket = file(customer)
    for operation in (
        lambda: tickets.get_ticket(other_customer, ticket.id),
        lambda: tickets.reply(other_customer, ticket.id, "hi"),
        lambda: tickets.close_ticket(other_customer, ticket.id),
        lambda: tickets.reopen_ticket(other_customer, ticket.id),
    ):
        with pytest.raises(NotFound):
            operation()
    assert tickets.list_tickets(other_customer).total == 0
    assert tickets.get_ticket(agent, ticket.id).id == ticket.id


def test_missing_ticket_is_not_found(customer):
    with pytest.raises(NotFound):
        tickets.get_ticket(customer, 999)
    with pytest.raises(NotFound):
        tickets.get_ticket(customer, "abc")


def test_contact_form_creates_guest_and_key(app):
    ticket, key = tickets.submit_contact("Gus Guest", "Gus@Example.com", "Where is my order?", "Order 42",
                                         category="billing", phone="+44 20 1234", company="Gus Ltd")
    assert ticket.channel == "contact_form" and len(key) >= 22
    guest = User.get(User.email == "gus@example.com")
    assert guest.password_hash is None and guest.phone == "+44 20 1234"
    holder = tickets.key_holder(key)
    assert tickets.get_ticket(holder, ticket.id).id == ticket.id
    tickets.reply(holder, ticket.id, "Any news?")
    assert [m.body for m in tickets.thread(holder, ticket)] == ["Order 42", "Any news?"]
    # The key is stored hashed.
    assert Ticket.get_by_id(ticket.id).access_key_hash != key


def test_key_opens_only_its_own_ticket(app):
    first, key = tickets.submit_contact("Gus Guest", "gus@example.com", "First", "one")
    second, _ = tickets.submit_contact("Gus Guest", "gus@example.com", "Second", "two")
    holder = tickets.key_holder(key)
    with pytest.raises(NotFound):
        tickets.get_ticket(holder, second.id)
    with pytest.raises(NotFound):
        tickets.reply(holder, second.id, "sneaky")
    with pytest.raises(NotFound):
        tickets.key_holder("not-a-key")
    with pytest.raises(PermissionDenied):
        tickets.list_tickets(holder)


def test_contact_form_limits(app):
    with pytest.raises(ValidationError) as info:
        tickets.submit_contact("G", "not-an-email", "x", "", phone="123")
    assert set(info.value.errors) == {"name", "email", "subject", "body", "phone"}
    with pytest.raises(ValidationError) as info:
        tickets.submit_contact("G" * 121, "a" * 120 + "@example.com", "s" * 251, "ok", phone="1" * 21)
    assert set(info.value.errors) == {"name", "email", "subject", "phone"}


def test_contact_double_submit_creates_one_ticket(app):
    first, key = tickets.submit_contact("Gus Guest", "gus@example.com", "Hello", "Body", submission_key="abc")
    again, no_key = tickets.submit_contact("Gus Guest", "gus@example.com", "Hello", "Body", submission_key="abc")
    assert first.id == again.id and key and no_key is None
    assert Ticket.select().count() == 1


def test_guest_tickets_join_an_account_only_when_verified(app):
    ticket, _ = tickets.submit_contact("Gus Guest", "gus@example.com", "Hello", "Body")
    from portal.services import accounts

    user = accounts.register("gus@example.com", "Gus Guest", "long-password")
    assert user.email_verified is False
    assert tickets.list_tickets(user).total == 0
    with pytest.raises(NotFound):
        tickets.get_ticket(user, ticket.id)
    User.update(email_verified=True).where(User.id == user.id).execute()
    user = User.get_by_id(user.id)
    assert tickets.list_tickets(user).total == 1


def test_agent_files_on_behalf_of_a_new_customer(agent):
    ticket = tickets.create_ticket(agent, "Phone call", "Customer called about billing",
                                   customer_email="New@Example.com", customer_name="Nia New")
    assert ticket.customer.email == "new@example.com" and ticket.customer.name == "Nia New"
    assert ticket.last_agent_message_at is not None


def test_unread_tracking(customer, agent):
    ticket = file(customer)
    assert not tickets.get_ticket(customer, ticket.id).unread
    tickets.reply(agent, ticket.id, "We are on it")
    fresh = tickets.get_ticket(customer, ticket.id)
    assert fresh.unread
    tickets.mark_read(customer, fresh)
    assert not tickets.get_ticket(customer, ticket.id).unread


def test_list_filters_and_keyset_pages(customer, agent):
    made = [file(customer, subject=f"Ticket number {i}") for i in range(7)]
    set_status(agent, made[0], "resolved")
    tickets.reply(customer, made[1].id, "The word zebra appears here")
    assert tickets.list_tickets(customer, tickets.TicketFilter(statuses=["resolved"])).total == 1
    found = tickets.list_tickets(customer, tickets.TicketFilter(search="zebra"))
    assert [t.id for t in found.items] == [made[1].id]
    seen, cursor = [], None
    while True:
        page = tickets.list_tickets(customer, cursor=cursor, limit=3)
        seen += [t.id for t in page.items]
        cursor = page.next_cursor
        if not cursor:
            break
    assert sorted(seen) == sorted(t.id for t in made) and len(seen) == len(set(seen))
    with pytest.raises(ValidationError):
        tickets.list_tickets(customer, cursor="garbage!")


def test_customer_search_ignores_internal_notes(customer, agent):
    ticket = file(customer)
    tickets.reply(agent, ticket.id, "the password is hunter2", internal=True)
    assert tickets.list_tickets(customer, tickets.TicketFilter(search="hunter2")).total == 0
    assert tickets.list_tickets(agent, tickets.TicketFilter(search="hunter2")).total == 1


def test_inactive_category_cannot_be_chosen(customer):
    from portal.models import Category

    Category.update(is_active=False).where(Category.slug == "bug").execute()
    with pytest.raises(ValidationError):
        file(customer, category="bug")


def test_other_roles_see_all_tickets(customer, other_customer):
    file(customer)
    file(other_customer)
    agent = make_user("agent")
    assert tickets.list_tickets(agent).total == 2
    assert tickets.list_tickets(customer).total == 1


def test_search_within_one_customer_sees_only_their_tickets(customer, other_customer, agent):
    mine = file(customer, subject="Blue widget broke")
    theirs = file(other_customer, subject="Blue widget broke too")
    tickets.reply(other_customer, theirs.id, "widget widget widget")
    assert [t.id for t in tickets.list_tickets(customer, tickets.TicketFilter(search="widget")).items] == [mine.id]
    scoped = tickets.list_tickets(agent, tickets.TicketFilter(search="widget", customer_id=other_customer.id))
    assert [t.id for t in scoped.items] == [theirs.id]
    assert tickets.list_tickets(agent, tickets.TicketFilter(search="widget")).total == 2
