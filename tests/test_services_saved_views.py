"""Saved views as a service: canonical filters, the queue round trip, live counts, owners only."""
from datetime import timedelta

import pytest
from werkzeug.datastructures import MultiDict

from portal.models import STATUSES, Ticket, utcnow
from portal.services import queue, saved_views, tickets
from portal.services.errors import NotFound, PermissionDenied, ValidationError

from .conftest import make_user


def file(customer, subject, **kw):
    return tickets.create_ticket(customer, subject, "Please help.", **kw)


@pytest.fixture
def desk(agent, customer):
    """A small desk: tickets in every status, priority and a few categories, some assigned, some tagged or due."""
    other = make_user("agent")
    made = []
    for n, (status, priority, category) in enumerate([
        ("open", "urgent", "billing"), ("open", "low", "bug"), ("in_progress", "high", "billing"),
        ("waiting", "normal", "general"), ("resolved", "urgent", "billing"), ("closed", "normal", "bug"),
        ("open", "normal", "general"), ("in_progress", "urgent", "bug"),
    ]):
        ticket = file(customer, f"Printer {n} {priority}", priority=priority, category=category)
        changes = {"status": status}
        if n % 3 == 0:
            changes["assignee_id"] = agent.id
        elif n % 3 == 1:
            changes["assignee_id"] = other.id
        if n % 2:
            changes["tags"] = ["vip"]
        tickets.update_ticket(agent, ticket.id, **changes)
        made.append(ticket)
    now = utcnow()
    Ticket.update(due_at=now - timedelta(minutes=5)).where(Ticket.id == made[0].id).execute()
    Ticket.update(due_at=now + timedelta(minutes=20)).where(Ticket.id == made[2].id).execute()
    return made


def ids(actor, flt):
    return [t.id for t in tickets.list_tickets(actor, flt, limit=100).items]


def test_filters_are_kept_in_one_canonical_form(app):
    assert saved_views.clean_filters({
        "status": "waiting, open,open", "priority": ["urgent", "low"], "tags": "VIP,refund,vip",
        "search": "  printer ", "order_by": "updated_at", "order_dir": "desc", "unassigned": False,
    }) == {"status": "open,waiting", "priority": "low,urgent", "tags": "refund,VIP", "search": "printer"}
    # Every status (or priority) is the same as none.
    assert saved_views.clean_filters({"status": "open,in_progress,waiting,resolved,closed"}) == {}


@pytest.mark.parametrize("raw, field", [
    ({"colour": "red"}, "filters.colour"),
    ({"status": "sleeping"}, "filters.status"),
    ({"priority": "meh"}, "filters.priority"),
    ({"category": "no-such-category"}, "filters.category"),
    ({"assignee_id": "someone"}, "filters.assignee_id"),
    ({"assignee_id": True}, "filters.assignee_id"),
    ({"unassigned": "yes"}, "filters.unassigned"),
    ({"tags": ["x" * 65]}, "filters.tags"),
    ({"search": "x" * 201}, "filters.search"),
    ({"sla": "late"}, "filters.sla"),
    ({"order_by": "subject"}, "filters.order_by"),
    ({"order_dir": "up"}, "filters.order_dir"),
    ({"status": 3}, "filters.status"),
])
def test_unknown_keys_and_bad_values_are_located(app, raw, field):
    with pytest.raises(ValidationError) as caught:
        saved_views.clean_filters(raw)
    assert field in caught.value.errors


def test_an_assignee_must_be_staff(agent, customer):
    with pytest.raises(ValidationError) as caught:
        saved_views.clean_filters({"assignee_id": customer.id})
    assert "filters.assignee_id" in caught.value.errors
    assert saved_views.clean_filters({"assignee_id": str(agent.id)}) == {"assignee_id": agent.id}


QUEUE_STATES = [
    {"view": ["mine"]},
    {"view": ["unassigned"], "priority": ["urgent", "high"]},
    {"view": ["open"], "tag": ["vip"], "sort": ["priority"]},
    {"view": ["overdue"]},
    {"view": ["due_soon"], "assignee": ["me"]},
    {"view": ["waiting"]},
    {"view": ["resolved"], "q": ["printer"]},
    {"view": ["closed"], "dir": ["asc"]},
    {"view": ["category-billing"], "status": ["open", "resolved"], "sort": ["created"], "dir": ["asc"]},
    {"view": ["open"], "status": ["open", "in_progress", "waiting", "resolved", "closed"], "category": ["bug"]},
]


@pytest.mark.parametrize("state", QUEUE_STATES)
def test_queue_filters_round_trip_through_a_saved_view(agent, desk, state):
    args = MultiDict([(key, value) for key, values in state.items() for value in values])
    _, original = queue.queue_filter(
        agent, view=args.get("view"), statuses=args.getlist("status"), priorities=args.getlist("priority"),
        assignee=args.get("assignee"), categories=args.getlist("category"), tags=args.getlist("tag"),
        search=args.get("q", ""), sort=args.get("sort"), direction=args.get("dir"))
    view = saved_views.create_from_queue(agent, "Round trip", args)
    # The saved view counts what the queue lists ...
    assert view.count == len(ids(agent, original))
    # ... and opening it gives the queue back the same tickets in the same order.
    back = saved_views.to_queue_args(view.filters)
    assert saved_views.from_queue(agent, back) == view.filters
    _, reopened = queue.queue_filter(
        agent, view=back.get("view"), statuses=back.getlist("status"), priorities=back.getlist("priority"),
        assignee=back.get("assignee"), categories=back.getlist("category"), tags=back.getlist("tag"),
        search=back.get("q", ""), sort=back.get("sort"), direction=back.get("dir"))
    assert ids(agent, reopened) == ids(agent, original)


def test_counts_are_live_and_match_the_ticket_list(agent, customer, desk):
    views = {
        "urgent": saved_views.create_view(agent, "Urgent", {"priority": "urgent"}),
        "vip bugs": saved_views.create_view(agent, "VIP bugs", {"tags": "vip", "category": "bug"}),
        "nobody": saved_views.create_view(agent, "Nobody's", {"unassigned": True, "status": "open,in_progress"}),
        "overdue": saved_views.create_view(agent, "Overdue", {"sla": "overdue"}),
    }
    for view in views.values():
        assert view.count == len(ids(agent, saved_views.to_filter(view.filters))), view.name
    assert views["urgent"].count == 3 and views["overdue"].count == 1
    file(customer, "A new urgent one", priority="urgent")
    listed = {v.name: v.count for v in saved_views.list_views(agent)}
    assert listed["Urgent"] == 4
    assert list(listed) == ["Urgent", "VIP bugs", "Nobody's", "Overdue"]


def test_the_side_bar_marks_the_view_the_queue_shows(agent, desk):
    saved_views.create_view(agent, "Urgent", {"priority": "urgent"})
    saved_views.create_view(agent, "Everything", {})
    # "All open" with every status ticked and urgent chosen is exactly the saved "Urgent".
    _, flt = queue.queue_filter(agent, view="open", statuses=list(STATUSES), priorities=["urgent"])
    marked = [(v.name, v.current) for v in saved_views.sidebar(agent, flt)]
    assert marked == [("Urgent", True), ("Everything", False)]
    assert [v.current for v in saved_views.sidebar(agent, None)] == [False, False]


def test_breached_opens_on_the_overdue_view():
    args = saved_views.to_queue_args({"sla": "breached"})
    assert args["view"] == "overdue"


def test_a_view_is_its_owners_alone(agent):
    other = make_user("agent")
    view = saved_views.create_view(agent, "Mine", {})
    with pytest.raises(NotFound):
        saved_views.get_view(other, view.id)
    with pytest.raises(NotFound):
        saved_views.update_view(other, view.id, name="Stolen")
    with pytest.raises(NotFound):
        saved_views.delete_view(other, view.id)
    assert saved_views.list_views(other) == []
    assert saved_views.get_view(agent, view.id).name == "Mine"


def test_customers_may_not_have_views(customer):
    with pytest.raises(PermissionDenied):
        saved_views.list_views(customer)
    with pytest.raises(PermissionDenied):
        saved_views.create_view(customer, "Mine", {})


def test_names_are_unique_per_agent_and_views_are_limited(agent):
    saved_views.create_view(agent, "Billing", {})
    with pytest.raises(ValidationError) as caught:
        saved_views.create_view(agent, "BILLING", {})
    assert caught.value.errors == {"name": "You already have a view with this name."}
    assert saved_views.create_view(make_user("agent"), "Billing", {}).name == "Billing"
    for n in range(saved_views.MAX_VIEWS - 1):
        saved_views.create_view(agent, f"View {n}", {})
    with pytest.raises(ValidationError) as caught:
        saved_views.create_view(agent, "One too many", {})
    assert "name" in caught.value.errors


def test_renaming_and_refiltering(agent):
    view = saved_views.create_view(agent, "Old name", {"priority": "low"})
    renamed = saved_views.update_view(agent, view.id, name="  New   name ")
    assert renamed.name == "New name" and renamed.filters == {"priority": "low"}
    refiltered = saved_views.update_view(agent, view.id, filters={"status": "waiting"})
    assert refiltered.name == "New name" and refiltered.filters == {"status": "waiting"}
    with pytest.raises(ValidationError):
        saved_views.update_view(agent, view.id, filters={"nonsense": 1})


def test_a_view_keeps_the_organization_it_was_saved_from(agent, admin, customer):
    from portal.services import organizations

    acme = organizations.create_organization(admin, "Acme", domains="acme.example")
    member = make_user("customer", email="mo@acme.example")
    organizations.set_organization(agent, member.id, acme.id)
    theirs = file(member, "Acme printer")
    file(customer, "Someone else's printer")

    view = saved_views.create_from_queue(agent, "Acme", MultiDict([("view", "open"), ("organization", str(acme.id))]))
    filters = view.filters
    assert filters["organization_id"] == acme.id and view.count == 1
    assert [t.id for t in tickets.list_tickets(agent, saved_views.to_filter(filters)).items] == [theirs.id]
    assert saved_views.to_queue_args(filters).get("organization") == str(acme.id)
    with pytest.raises(ValidationError) as error:
        saved_views.clean_filters({"organization_id": 987654})
    assert "filters.organization_id" in error.value.errors
