"""Administration, customers and the trash, straight through the service layer."""
import io
import os

import pytest

from portal.db import db
from portal.models import Attachment, Category, FieldChange, Message, Tag, Ticket, TicketTag, User
from portal.services import accounts, admin as admin_service, attachments, customers, tickets
from portal.services.errors import AuthenticationFailed, Conflict, NotFound, PermissionDenied, ValidationError

from .conftest import PASSWORD, make_user


def file(customer, subject="Printer is on fire", **kw):
    return tickets.create_ticket(customer, subject, "It smells of toner.", **kw)


# ------------------------------------------------------------------------------------------------------------ users


def test_only_admins_administer(agent, customer):
    for actor in (agent, customer, None):
        for call in (
            lambda: admin_service.list_users(actor),
            lambda: admin_service.create_user(actor, "x@example.com", "Xavier", "agent", PASSWORD),
            lambda: admin_service.change_role(actor, 1, "admin"),
            lambda: admin_service.set_user_active(actor, 1, False),
            lambda: admin_service.create_category(actor, "Sales"),
            lambda: admin_service.delete_tag(actor, 1),
            lambda: admin_service.list_trash(actor),
            lambda: tickets.delete_ticket(actor, 1),
            lambda: tickets.restore_ticket(actor, 1),
            lambda: tickets.purge_ticket(actor, 1),
        ):
            with pytest.raises(PermissionDenied):
                call()


def test_agents_create_and_rename_tags_customers_cannot(agent, customer):
    tag = admin_service.create_tag(agent, "vip", "#ff0000")
    assert admin_service.update_tag(agent, tag.id, "VIP", "#00ff00").name == "VIP"
    for actor in (customer, None):
        with pytest.raises(PermissionDenied):
            admin_service.create_tag(actor, "other", "#ff0000")
        with pytest.raises(PermissionDenied):
            admin_service.update_tag(actor, tag.id, "x", "#ff0000")


def test_admin_creates_staff_who_can_sign_in(admin):
    user = admin_service.create_user(admin, "New@Example.com", "Nina New", "agent", "a-long-password")
    assert user.role == "agent" and user.email == "new@example.com" and user.email_verified
    assert accounts.authenticate("new@example.com", "a-long-password").id == user.id


def test_create_user_reports_every_field(admin):
    with pytest.raises(ValidationError) as info:
        admin_service.create_user(admin, "nope", "N", "boss", "")
    assert set(info.value.errors) == {"email", "name", "role", "password"}
    make_user("agent", "taken@example.com")
    with pytest.raises(ValidationError) as info:
        admin_service.create_user(admin, "taken@example.com", "Taken Again", "agent", "a-long-password")
    assert "email" in info.value.errors


def test_list_users_filters_by_role_and_text(admin, agent, customer):
    names = lambda **kw: [u.name for u in admin_service.list_users(admin, **kw).items]  # noqa: E731
    assert names(role="staff") == ["Adam Admin", "Ana Agent"]
    assert names(role="customer") == ["Cara Customer"]
    assert names(q="cara") == ["Cara Customer"]
    assert set(names()) == {"Adam Admin", "Ana Agent", "Cara Customer"}


def test_list_users_pages_by_name(admin):
    for i in range(5):
        make_user("agent", name=f"Agent {i:02d}")
    first = admin_service.list_users(admin, role="agent", limit=3)
    second = admin_service.list_users(admin, role="agent", limit=3, cursor=first.next_cursor)
    assert [u.name for u in first.items] == ["Agent 00", "Agent 01", "Agent 02"]
    assert [u.name for u in second.items] == ["Agent 03", "Agent 04"] and second.next_cursor is None
    with pytest.raises(ValidationError):
        admin_service.list_users(admin, cursor="garbage")


def test_change_role(admin, agent, customer):
    ticket = file(customer)
    tickets.update_ticket(admin, ticket.id, assignee_id=agent.id)
    assert admin_service.change_role(admin, agent.id, "admin").role == "admin"
    assert admin_service.change_role(admin, agent.id, "customer").role == "customer"
    # A customer cannot keep tickets assigned.
    assert Ticket.get_by_id(ticket.id).assignee_id is None
    with pytest.raises(ValidationError):
        admin_service.change_role(admin, agent.id, "overlord")
    with pytest.raises(NotFound):
        admin_service.change_role(admin, 9999, "agent")


def test_admins_cannot_lock_themselves_out(admin):
    with pytest.raises(Conflict):
        admin_service.change_role(admin, admin.id, "agent")
    with pytest.raises(Conflict):
        admin_service.set_user_active(admin, admin.id, False)
    assert User.get_by_id(admin.id).role == "admin" and User.get_by_id(admin.id).is_active
    # Another admin may demote or deactivate them.
    second = make_user("admin")
    assert admin_service.change_role(second, admin.id, "agent").role == "agent"
    assert admin_service.set_user_active(second, admin.id, False).is_active is False


def test_deactivated_user_cannot_sign_in_or_use_tokens(admin, agent):
    _, raw = accounts.create_token(agent, "CI")
    assert accounts.user_for_token(raw).id == agent.id
    admin_service.set_user_active(admin, agent.id, False)
    with pytest.raises(AuthenticationFailed):
        accounts.authenticate(agent.email, PASSWORD)
    assert accounts.load_user(agent.id) is None
    assert accounts.user_for_token(raw) is None
    admin_service.set_user_active(admin, agent.id, True)
    assert accounts.user_for_token(raw).id == agent.id


# ------------------------------------------------------------------------------------------------------- categories


def test_categories_create_rename_deactivate(admin, customer):
    category = admin_service.create_category(admin, "Sales leads", description="Pre-sales questions")
    assert category.slug == "sales_leads" and category.is_active
    assert category.position > Category.get(Category.slug == "feature_request").position
    with pytest.raises(ValidationError) as info:
        admin_service.create_category(admin, "Sales leads again", slug="sales_leads")
    assert "slug" in info.value.errors
    with pytest.raises(ValidationError) as info:
        admin_service.create_category(admin, "X", slug="Bad Slug!")
    assert set(info.value.errors) == {"name", "slug"}

    renamed = admin_service.update_category(admin, category.id, "Sales", "Buying questions")
    assert (renamed.name, renamed.slug) == ("Sales", "sales_leads")

    ticket = file(customer, category="sales_leads")
    admin_service.set_category_active(admin, category.id, False)
    assert "sales_leads" not in [c.slug for c in tickets.categories()]
    with pytest.raises(ValidationError):
        file(customer, category="sales_leads")
    # Old tickets keep their category.
    assert tickets.get_ticket(admin, ticket.id).category.slug == "sales_leads"
    counted = {c.slug: c.ticket_count for c in admin_service.list_categories(admin)}
    assert counted["sales_leads"] == 1 and counted["billing"] == 0


# ------------------------------------------------------------------------------------------------------------- tags


def test_tags_create_update_delete(admin, agent, customer):
    tag = admin_service.create_tag(admin, "VIP", "#FF0000")
    assert (tag.name, tag.color) == ("VIP", "#ff0000")
    with pytest.raises(ValidationError) as info:
        admin_service.create_tag(admin, "vip", "#00ff00")
    assert "name" in info.value.errors
    with pytest.raises(ValidationError) as info:
        admin_service.create_tag(admin, "a,b", "red")
    assert set(info.value.errors) == {"name", "color"}

    ticket = file(customer)
    tickets.update_ticket(agent, ticket.id, tags=["vip"])
    assert tickets.get_ticket(agent, ticket.id).tag_list[0].id == tag.id  # reuses the tag, whatever the case
    updated = admin_service.update_tag(admin, tag.id, "Very important", "#123456")
    assert [t.name for t in tickets.get_ticket(agent, ticket.id).tag_list] == ["Very important"]
    assert updated.color == "#123456"
    assert {t.name: t.ticket_count for t in admin_service.list_tags(admin)} == {"Very important": 1}
    admin_service.delete_tag(admin, tag.id)
    assert Tag.select().count() == 0 and TicketTag.select().count() == 0


# ------------------------------------------------------------------------------------------------------------ trash


def test_delete_restore_with_history(admin, agent, customer):
    ticket = file(customer)
    tickets.delete_ticket(admin, ticket.id)
    assert tickets.list_tickets(agent).total == 0
    assert tickets.list_tickets(customer).total == 0
    with pytest.raises(NotFound):
        tickets.get_ticket(agent, ticket.id)
    with pytest.raises(NotFound):
        tickets.get_ticket(customer, ticket.id)
    with pytest.raises(NotFound):
        tickets.delete_ticket(admin, ticket.id)
    trash = admin_service.list_trash(admin)
    assert [t.id for t in trash.items] == [ticket.id] and trash.items[0].customer.email == customer.email

    tickets.restore_ticket(admin, ticket.id)
    assert tickets.get_ticket(agent, ticket.id).deleted_at is None
    assert [(h.field, h.old_value, h.new_value) for h in tickets.history(admin, ticket.id)] == [
        ("trash", None, "trash"), ("trash", "trash", None)]
    # The trash events are for staff only.
    assert not any("trash" in m.body for m in tickets.thread(customer, ticket))
    with pytest.raises(NotFound):
        tickets.restore_ticket(admin, ticket.id)


def test_trash_pages_most_recent_first(admin, customer):
    made = [file(customer, subject=f"Ticket {i}") for i in range(4)]
    for t in made:
        tickets.delete_ticket(admin, t.id)
    first = admin_service.list_trash(admin, limit=3)
    second = admin_service.list_trash(admin, limit=3, cursor=first.next_cursor)
    assert [t.id for t in first.items + second.items] == [t.id for t in reversed(made)]
    assert first.total == 4


def test_purge_removes_everything(app, admin, agent, customer):
    upload = attachments.upload(customer, io.BytesIO(b"log line"), "log.txt", "text/plain")
    ticket = tickets.create_ticket(customer, "Zanzibar outage", "See log", attachment_ids=[upload.id])
    tickets.reply(agent, ticket.id, "zanzibar note", internal=True)
    tickets.update_ticket(agent, ticket.id, tags=["vip"])
    _, path = attachments.get_for_download(customer, upload.id)
    with pytest.raises(NotFound):
        tickets.purge_ticket(admin, ticket.id)  # only from the trash
    tickets.delete_ticket(admin, ticket.id)
    tickets.purge_ticket(admin, ticket.id)

    assert Ticket.select().count() == 0
    assert Message.select().count() == FieldChange.select().count() == TicketTag.select().count() == 0
    assert Attachment.select().count() == 0
    assert not os.path.exists(path)
    fts = db.execute_sql("SELECT count(*) FROM ticket_fts WHERE ticket_fts MATCH 'zanzibar'").fetchone()[0]
    assert fts == 0
    # A new ticket that reuses the id is not found by the purged ticket's words.
    fresh = file(customer, subject="Something else")
    assert fresh.id == ticket.id
    found = tickets.list_tickets(agent, tickets.TicketFilter(search="zanzibar"))
    assert found.total == 0


# -------------------------------------------------------------------------------------------------------- customers


def test_search_customers_with_ticket_counts(agent, customer, other_customer):
    User.update(company="Globex").where(User.id == other_customer.id).execute()
    file(customer)
    file(customer)
    page = customers.search_customers(agent)
    assert {(c.name, c.ticket_count) for c in page.items} == {("Cara Customer", 2), ("Otto Other", 0)}
    assert [c.name for c in customers.search_customers(agent, "globex").items] == ["Otto Other"]
    assert [c.name for c in customers.search_customers(agent, "CARA@").items] == ["Cara Customer"]
    # Staff are not customers.
    assert "Ana Agent" not in [c.name for c in customers.search_customers(agent, "a").items]
    with pytest.raises(PermissionDenied):
        customers.search_customers(customer)


def test_customer_details_counts_and_update(agent, admin, customer):
    a, b = file(customer), file(customer)
    tickets.update_ticket(agent, b.id, status="resolved")
    counts = customers.ticket_counts(agent, customers.get_customer(agent, customer.id))
    assert counts["open"] == 1 and counts["resolved"] == 1 and counts["total"] == 2
    updated = customers.update_customer(agent, customer.id, "Cara C. Customer", "+44 20 1234", "Initech")
    assert (updated.name, updated.phone, updated.company) == ("Cara C. Customer", "+44 20 1234", "Initech")
    with pytest.raises(ValidationError) as info:
        customers.update_customer(agent, customer.id, "C", "12", "x" * 121)
    assert set(info.value.errors) == {"name", "phone", "company"}
    with pytest.raises(NotFound):
        customers.get_customer(agent, agent.id)
    with pytest.raises(NotFound):
        customers.get_customer(agent, "abc")


def test_open_ticket_for_a_new_customer(agent):
    ticket = customers.open_ticket_for(agent, "New.Person@Example.com", "Phone call about billing", "Called at 10:00",
                                       customer_name="New Person", channel="email", category="billing")
    assert ticket.channel == "email" and ticket.customer.email == "new.person@example.com"
    assert ticket.customer.name == "New Person" and ticket.customer.role == "customer"
    again = customers.open_ticket_for(agent, "new.person@example.com", "Second call", "Again")
    assert again.customer.id == ticket.customer.id


def test_open_ticket_for_validates(agent, admin):
    with pytest.raises(ValidationError) as info:
        customers.open_ticket_for(agent, "", "x", "", channel="fax")
    assert set(info.value.errors) == {"customer_email", "channel", "subject", "description"}
    with pytest.raises(ValidationError) as info:
        customers.open_ticket_for(agent, admin.email, "For the boss", "Body")
    assert "customer_email" in info.value.errors
    assert Ticket.select().count() == 0
