"""The queue service: views and their counts, filters laid over a view, and bulk changes with their history."""
import pytest

from portal.models import FieldChange, Message, Ticket
from portal.services import queue, tickets
from portal.services.errors import NotFound, PermissionDenied, ValidationError

from .conftest import make_user


def file(customer, subject="Printer is on fire", **kw):
    return tickets.create_ticket(customer, subject, "It smells of toner.", **kw)


def counts(agent):
    return {v.key: v.count for v in queue.views(agent)}


def test_views_count_each_queue(customer, agent):
    other = make_user("agent")
    mine = file(customer, category="billing")
    tickets.update_ticket(agent, mine.id, assignee_id=agent.id)
    theirs = file(customer, category="billing")
    tickets.update_ticket(agent, theirs.id, assignee_id=other.id, status="waiting")
    file(customer, category="bug")  # unassigned, open
    done = file(customer)
    tickets.update_ticket(agent, done.id, status="resolved")
    closed = file(customer)
    tickets.update_ticket(agent, closed.id, status="closed")

    c = counts(agent)
    assert c["mine"] == 1
    assert c["unassigned"] == 1
    assert c["open"] == 3
    assert c["waiting"] == 1
    assert c["resolved"] == 1
    assert c["closed"] == 1
    assert c["category-billing"] == 2
    assert c["category-bug"] == 1
    assert c["category-general"] == 0
    # From the other agent's side, "mine" is theirs.
    assert counts(other)["mine"] == 1


def test_views_leave_out_the_trash(customer, agent, admin):
    ticket = file(customer)
    tickets.delete_ticket(admin, ticket.id)
    assert counts(agent)["open"] == 0


def test_views_take_constant_queries(customer, agent, count_queries):
    for _ in range(3):
        file(customer, category="billing")
    with count_queries() as few:
        queue.views(agent)
    for _ in range(20):
        file(customer, category="bug")
    with count_queries() as many:
        queue.views(agent)
    assert few.count == many.count <= 4


def test_category_views_list_only_active_categories(agent):
    keys = [v.key for v in queue.views(agent) if v.group == "category"]
    assert "category-billing" in keys
    from portal.models import Category

    Category.update(is_active=False).where(Category.slug == "billing").execute()
    keys = [v.key for v in queue.views(agent) if v.group == "category"]
    assert "category-billing" not in keys
    with pytest.raises(NotFound):
        queue.view_filter(agent, "category-billing")


def test_customers_cannot_use_the_queue(customer):
    for call in (lambda: queue.views(customer), lambda: queue.queue_filter(customer, "open"),
                 lambda: queue.bulk_update(customer, [1], status="closed"),
                 lambda: queue.filter_options(customer)):
        with pytest.raises(PermissionDenied):
            call()


def test_unknown_view_is_not_found(agent):
    with pytest.raises(NotFound):
        queue.view_filter(agent, "everything")


def test_filters_replace_the_views_own_fields(customer, agent):
    key, flt = queue.queue_filter(agent, "mine")
    assert key == "mine" and flt.assignee == "me" and set(flt.statuses) == {"open", "in_progress", "waiting"}
    _, flt = queue.queue_filter(agent, "mine", statuses=["resolved"], tags=["vip"], search="  toner ", sort="priority",
                                direction="asc")
    assert flt.statuses == ["resolved"] and flt.assignee == "me" and flt.tags == ["vip"]
    assert flt.search == "toner" and flt.order_by == "priority" and flt.order_dir == "asc"
    key, flt = queue.queue_filter(agent)
    assert key == queue.DEFAULT_VIEW
    with pytest.raises(ValidationError):
        queue.queue_filter(agent, "open", sort="colour")


def test_list_queue_applies_view_and_filters(customer, agent):
    a = file(customer, subject="Refund please", priority="urgent")
    tickets.update_ticket(agent, a.id, assignee_id=agent.id, tags=["vip", "refund"])
    b = file(customer, subject="Another refund")
    tickets.update_ticket(agent, b.id, tags=["refund"])
    c = file(customer, subject="Closed one")
    tickets.update_ticket(agent, c.id, status="closed")

    def ids(**kw):
        view = kw.pop("view", "open")
        _, flt = queue.queue_filter(agent, view, **kw)
        return [t.id for t in queue.list_queue(agent, flt).items]

    assert set(ids()) == {a.id, b.id}
    assert ids(view="mine") == [a.id]
    assert ids(view="unassigned") == [b.id]
    assert ids(tags=["refund", "vip"]) == [a.id]
    assert ids(priorities=["urgent"]) == [a.id]
    assert ids(statuses=["closed"]) == [c.id]
    assert ids(sort="priority") == [a.id, b.id]
    assert ids(sort="created", direction="asc") == [a.id, b.id]


def test_search_finds_internal_notes_for_agents(customer, agent):
    ticket = file(customer, subject="Slow exports")
    file(customer, subject="Unrelated")
    tickets.reply(agent, ticket.id, "Looks like the zanzibar cluster again", internal=True)
    _, flt = queue.queue_filter(agent, "open", search="zanzibar")
    assert [t.id for t in queue.list_queue(agent, flt).items] == [ticket.id]


def test_bulk_update_changes_every_ticket_with_history(customer, agent):
    first, second = file(customer), file(customer)
    tickets.update_ticket(agent, second.id, tags=["vip"])
    before = FieldChange.select().count()

    changed = queue.bulk_update(agent, [first.id, second.id], assignee_id="me", status="in_progress",
                                priority="high", add_tag="refund")

    assert changed == 2
    for ticket_id in (first.id, second.id):
        t = tickets.get_ticket(agent, ticket_id)
        assert (t.assignee.id, t.status, t.priority) == (agent.id, "in_progress", "high")
        entries = {(h.field, h.new_value) for h in tickets.history(agent, ticket_id)}
        assert ("assignee", agent.name) in entries
        assert ("status", "in_progress") in entries
        assert ("priority", "high") in entries
    assert [t.name for t in tickets.get_ticket(agent, first.id).tag_list] == ["refund"]
    # Adding a tag keeps the ones already there.
    assert [t.name for t in tickets.get_ticket(agent, second.id).tag_list] == ["refund", "vip"]
    assert FieldChange.select().count() == before + 8
    # Each change also left an event line in the thread.
    events = Message.select().where(Message.ticket == first.id, Message.kind == "event").count()
    assert events == 4


def test_bulk_update_counts_only_real_changes(customer, agent):
    first, second = file(customer), file(customer)
    tickets.update_ticket(agent, first.id, priority="urgent")
    assert queue.bulk_update(agent, [first.id, second.id], priority="urgent") == 1
    assert queue.bulk_update(agent, [first.id, second.id], priority="urgent") == 0


def test_bulk_unassign(customer, agent):
    ticket = file(customer)
    tickets.update_ticket(agent, ticket.id, assignee_id=agent.id)
    assert queue.bulk_update(agent, [ticket.id], assignee_id="none") == 1
    assert Ticket.get_by_id(ticket.id).assignee_id is None
    assert ("assignee", agent.name, None) in {(h.field, h.old_value, h.new_value)
                                              for h in tickets.history(agent, ticket.id)}


def test_bulk_update_is_one_transaction(customer, agent):
    good = file(customer)
    gone = file(customer)
    Ticket.update(deleted_at=Ticket.created_at).where(Ticket.id == gone.id).execute()
    with pytest.raises(NotFound):
        queue.bulk_update(agent, [good.id, gone.id], priority="urgent")
    assert Ticket.get_by_id(good.id).priority == "normal"

    before = FieldChange.select().count()
    with pytest.raises(ValidationError) as info:
        queue.bulk_update(agent, [good.id], priority="urgent", assignee_id="999")
    assert "assignee_id" in info.value.errors
    assert Ticket.get_by_id(good.id).priority == "normal"
    assert FieldChange.select().count() == before


@pytest.mark.parametrize("ids,changes,field", [
    ([], {"status": "closed"}, "ticket_ids"),
    (["x"], {"status": "closed"}, "ticket_ids"),
    ([1], {}, "action"),
    ([1], {"status": "finished"}, "status"),
    ([1], {"priority": "extreme"}, "priority"),
    ([1], {"add_tag": "t" * 65}, "add_tag"),
    (list(range(1, 102)), {"status": "closed"}, "ticket_ids"),
])
def test_bulk_update_validates(agent, ids, changes, field):
    with pytest.raises(ValidationError) as info:
        queue.bulk_update(agent, ids, **changes)
    assert field in info.value.errors
