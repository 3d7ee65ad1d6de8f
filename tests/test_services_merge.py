"""Merging tickets (SPEC section 12) straight through the service layer."""
import io
from datetime import timedelta

import pytest
import time_machine

from portal.counts import live_counts
from portal.models import Attachment, FieldChange, Message, Ticket, utcnow
from portal.services import attachments, merge, signals, tickets
from portal.services.errors import Conflict, NotFound, PermissionDenied, ValidationError


def at(minutes):
    """A moment `minutes` after a fixed start, so threads interleave in a known order."""
    return time_machine.travel(START + timedelta(minutes=minutes), tick=False)


START = utcnow().replace(microsecond=0) - timedelta(days=1)


@pytest.fixture
def pair(customer, agent):
    """Two tickets of one customer whose messages interleave in time: target #1, source #2."""
    with at(0):
        target = tickets.create_ticket(customer, "Printer jams", "Page 3 jams every time.")
    with at(10):
        source = tickets.create_ticket(customer, "Printer jam again", "Also, it beeps.")
    with at(20):
        tickets.reply(agent, target.id, "Try the other tray.")
    with at(30):
        tickets.reply(agent, source.id, "Checking the logs.", internal=True)
    with at(40):
        tickets.reply(customer, source.id, "Other tray did not help.")
    return target, source


def bodies(actor, ticket_id):
    return [m.body for m in tickets.thread(actor, tickets.get_ticket(actor, ticket_id)) if m.kind != "event"]


def test_merge_moves_the_thread_in_time_order_with_event_lines(pair, agent, customer):
    target, source = pair
    with at(50):
        merged = merge.merge_tickets(agent, source.id, target.id)

    assert merged.id == target.id
    assert bodies(agent, target.id) == ["Page 3 jams every time.", "Also, it beeps.", "Try the other tray.",
                                        "Checking the logs.", "Other tray did not help."]
    # The customer reads the moved replies but never the moved note.
    assert bodies(customer, target.id) == ["Page 3 jams every time.", "Also, it beeps.", "Try the other tray.",
                                           "Other tray did not help."]
    events = [m.body for m in tickets.thread(customer, tickets.get_ticket(customer, target.id)) if m.kind == "event"]
    assert events == [f"#{source.id} merged into this ticket by Ana Agent"]
    source_events = [m.body for m in tickets.thread(customer, tickets.get_ticket(customer, source.id))]
    assert source_events[-1] == f"Merged into #{target.id} by Ana Agent"
    assert bodies(agent, source.id) == []


def test_the_source_is_closed_locked_and_points_at_the_target(pair, agent):
    target, source = pair
    heard = []
    signals.ticket_updated.connect(lambda ticket, **kw: heard.append((ticket.id, kw["changes"])), weak=False)
    try:
        merge.merge_tickets(agent, source.id, target.id)
    finally:
        signals.ticket_updated.receivers.clear()
    source = Ticket.get_by_id(source.id)
    assert (source.status, source.locked, source.merged_into_id) == ("closed", True, target.id)
    assert source.closed_at is not None and source.due_at is None  # the service-level clock stopped
    assert source.message_count == 0 and not source.waiting_on_us and not source.unread
    fields = [c.field for c in FieldChange.select().where(FieldChange.ticket == source.id)]
    assert {"merged_into", "status", "locked"} <= set(fields)
    # Webhooks hear of both tickets, with what changed on each.
    by_ticket = dict(heard)
    assert ("merged_into", None, str(target.id)) in by_ticket[source.id]
    assert ("status", "open", "closed") in by_ticket[source.id]
    assert ("merged_from", None, str(source.id)) in by_ticket[target.id]
    # Queue counts follow the source into "closed".
    closed = sum(n for status, _, _, n in live_counts() if status == "closed")
    assert closed == 1


def test_the_target_keeps_its_counters_right(pair, agent):
    target, source = pair
    before = Ticket.get_by_id(target.id)
    with at(60):
        merge.merge_tickets(agent, source.id, target.id)
    after = Ticket.get_by_id(target.id)
    assert after.message_count == before.message_count + 2  # the description and the customer's reply
    assert after.last_customer_message_at == START + timedelta(minutes=40)
    assert after.last_agent_message_at == START + timedelta(minutes=20)
    assert after.updated_at == START + timedelta(minutes=60)
    assert after.waiting_on_us  # the customer wrote last, in the moved thread


def test_attachments_move_with_their_messages(customer, agent):
    target = tickets.create_ticket(customer, "Screen flickers", "Since Monday.")
    upload = attachments.upload(customer, io.BytesIO(b"log line"), "flicker.log", "text/plain")
    source = tickets.create_ticket(customer, "Flicker", "See the log.", attachment_ids=[upload.id])
    merge.merge_tickets(agent, source.id, target.id)
    attachment = Attachment.get_by_id(upload.id)
    assert Message.get_by_id(attachment.message_id).ticket_id == target.id
    # The customer can still open the file, now through the target.
    assert attachments.get_for_download(customer, upload.id)[0].id == upload.id


def test_search_finds_the_moved_words_under_the_target(pair, agent):
    target, source = pair
    merge.merge_tickets(agent, source.id, target.id)
    found = tickets.list_tickets(agent, tickets.TicketFilter(search="beeps")).items
    assert [t.id for t in found] == [target.id]
    notes = tickets.list_tickets(agent, tickets.TicketFilter(search="logs")).items
    assert [t.id for t in notes] == [target.id]


def test_another_customer_becomes_a_cc_of_the_target(customer, other_customer, agent):
    target = tickets.create_ticket(customer, "Office Wi-Fi down", "Nobody can connect.")
    source = tickets.create_ticket(other_customer, "No internet", "Same here on floor 2.")
    tickets.update_ticket(agent, source.id, cc=["boss@example.com"])
    merge.merge_tickets(agent, source.id, target.id)
    assert tickets.get_ticket(agent, target.id).cc_list == ["otto@example.com", "boss@example.com"]
    # Two customers: the event lines name ticket numbers, so they stay with the staff.
    events = Message.select().where(Message.kind == "event", Message.body.contains("merged into"))
    assert events.count() == 2 and not any(e.is_public for e in events)


def test_the_same_customer_is_not_copied_on_their_own_ticket(pair, agent, customer):
    target, source = pair
    merge.merge_tickets(agent, source.id, target.id)
    assert tickets.get_ticket(agent, target.id).cc_list == []


@pytest.mark.parametrize("case", ["itself", "into merged", "already merged", "into trashed"])
def test_impossible_merges_are_conflicts(case, customer, agent, admin):
    first = tickets.create_ticket(customer, "First ticket", "One.")
    second = tickets.create_ticket(customer, "Second ticket", "Two.")
    third = tickets.create_ticket(customer, "Third ticket", "Three.")
    if case == "itself":
        source, into = first, first
    elif case == "into merged":
        merge.merge_tickets(agent, second.id, third.id)
        source, into = first, second
    elif case == "already merged":
        merge.merge_tickets(agent, first.id, third.id)
        source, into = first, second
    else:
        tickets.delete_ticket(admin, second.id)
        source, into = first, second
    before = Message.select().where(Message.ticket == source.id).count()
    with pytest.raises(Conflict) as info:
        merge.merge_tickets(agent, source.id, into.id)
    assert info.value.status == 409
    assert Message.select().where(Message.ticket == source.id).count() == before  # nothing moved


def test_conflict_messages_say_what_to_do(customer, agent):
    first = tickets.create_ticket(customer, "First ticket", "One.")
    second = tickets.create_ticket(customer, "Second ticket", "Two.")
    third = tickets.create_ticket(customer, "Third ticket", "Three.")
    merge.merge_tickets(agent, second.id, third.id)
    with pytest.raises(Conflict) as info:
        merge.merge_tickets(agent, first.id, second.id)
    assert info.value.message == (f"Ticket #{second.id} was itself merged into #{third.id}; "
                                  f"merge into #{third.id} instead.")
    with pytest.raises(Conflict) as info:
        merge.merge_tickets(agent, second.id, first.id)
    assert info.value.message == f"Ticket #{second.id} is already merged into #{third.id}."


def test_customers_may_not_merge_and_unknown_tickets_are_named(customer, agent):
    first = tickets.create_ticket(customer, "First ticket", "One.")
    second = tickets.create_ticket(customer, "Second ticket", "Two.")
    with pytest.raises(PermissionDenied):
        merge.merge_tickets(customer, first.id, second.id)
    with pytest.raises(NotFound):
        merge.merge_tickets(agent, 999, second.id)
    with pytest.raises(ValidationError) as info:
        merge.merge_tickets(agent, first.id, 999)
    assert info.value.errors == {"into_id": "There is no ticket #999."}
    with pytest.raises(ValidationError):
        merge.merge_tickets(agent, first.id, "twelve")


def test_a_failed_merge_leaves_nothing_behind(pair, agent, monkeypatch):
    target, source = pair

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(tickets, "add_cc", broken)
    monkeypatch.setattr(merge, "_cc_to_add", lambda source, target: ["someone@example.com"])
    with pytest.raises(RuntimeError):
        merge.merge_tickets(agent, source.id, target.id)
    assert Ticket.get_by_id(source.id).merged_into_id is None
    assert bodies(agent, source.id) == ["Also, it beeps.", "Checking the logs.", "Other tray did not help."]


def test_preview_says_what_will_happen(customer, other_customer, agent):
    target = tickets.create_ticket(customer, "Office Wi-Fi down", "Nobody can connect.")
    source = tickets.create_ticket(other_customer, "No internet", "Same here.")
    tickets.reply(agent, source.id, "Looking.", internal=True)
    plan = merge.preview(agent, source.id, f"#{target.id}")
    assert (plan.source.id, plan.target.id, plan.replies, plan.notes, plan.new_cc) == \
        (source.id, target.id, 1, 1, ["otto@example.com"])
    with pytest.raises(Conflict):
        merge.preview(agent, source.id, source.id)


def test_candidates_put_the_customers_open_tickets_first(customer, other_customer, agent):
    source = tickets.create_ticket(customer, "Refund for order 7", "Please refund.")
    own = tickets.create_ticket(customer, "Order 7 arrived broken", "The box was crushed.")
    done = tickets.create_ticket(customer, "Old question about order 7", "Answered.")
    tickets.close_ticket(agent, done.id)
    foreign = tickets.create_ticket(other_customer, "Order 7 of mine", "Where is it?")
    merged = tickets.create_ticket(customer, "Order 7 duplicate", "Same.")
    merge.merge_tickets(agent, merged.id, own.id)

    assert [t.id for t in merge.candidates(agent, source.id)] == [own.id]
    found = [t.id for t in merge.candidates(agent, source.id, "order 7")]
    assert found[0] == own.id and set(found) == {own.id, done.id, foreign.id}
    assert [t.id for t in merge.candidates(agent, source.id, f"#{foreign.id}")][0] == foreign.id
    assert source.id not in [t.id for t in merge.candidates(agent, source.id, str(source.id))]
    with pytest.raises(PermissionDenied):
        merge.candidates(customer, source.id)


def test_visible_target_only_for_who_may_open_it(customer, other_customer, agent):
    target = tickets.create_ticket(customer, "Office Wi-Fi down", "Nobody can connect.")
    mine = tickets.create_ticket(customer, "Wi-Fi", "Down.")
    theirs = tickets.create_ticket(other_customer, "No internet", "Same here.")
    merge.merge_tickets(agent, mine.id, target.id)
    merge.merge_tickets(agent, theirs.id, target.id)
    assert merge.visible_target(customer, Ticket.get_by_id(mine.id)).id == target.id
    assert merge.visible_target(other_customer, Ticket.get_by_id(theirs.id)) is None
    assert merge.visible_target(agent, Ticket.get_by_id(theirs.id)).id == target.id
    assert merge.visible_target(agent, Ticket.get_by_id(target.id)) is None
