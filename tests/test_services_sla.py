"""Service levels on tickets: the policy that applies, due times on a frozen clock, pauses, breaches, the queue."""
import json
from datetime import datetime, timedelta, timezone

import pytest
import time_machine

from portal.models import SlaPolicy, Ticket
from portal.services import queue, sla, tickets
from portal.services.tickets import TicketFilter

from .conftest import make_user
from .mailbox import sent_to

WEEKDAYS = {day: ["09:00", "17:00"] for day in ("mon", "tue", "wed", "thu", "fri")}
FRIDAY_4PM_BERLIN = datetime(2026, 12, 4, 15, 0, tzinfo=timezone.utc)


def policy(name="Standard", priorities="", categories="", first=60, resolution=480, hours=None, position=0):
    return SlaPolicy.create(name=name, priorities=priorities, categories=categories, first_response_minutes=first,
                            resolution_minutes=resolution, business_hours=json.dumps(hours) if hours else None,
                            position=position)


def naive(moment):
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


def reload(ticket):
    return Ticket.get_by_id(ticket.id)


@pytest.fixture
def clock():
    """A frozen clock the test moves by hand: clock.move(minutes=...)."""
    with time_machine.travel(FRIDAY_4PM_BERLIN, tick=False) as traveller:
        class Clock:
            now = FRIDAY_4PM_BERLIN

            def move(self, **delta):
                self.now = self.now + timedelta(**delta)
                traveller.move_to(self.now)

        yield Clock()


def test_a_new_ticket_gets_due_times_in_business_hours_across_the_weekend(customer, clock):
    policy(first=120, resolution=16 * 60, hours={"timezone": "Europe/Berlin", "days": WEEKDAYS})
    ticket = reload(tickets.create_ticket(customer, "Printer jams", "Every page."))
    assert ticket.first_response_due_at == datetime(2026, 12, 7, 9, 0)  # one hour Friday, one Monday from 09:00
    assert ticket.resolution_due_at == datetime(2026, 12, 8, 15, 0)  # Tuesday 16:00 in Berlin
    assert ticket.due_at == ticket.first_response_due_at
    state = sla.state(ticket)
    assert state["policy_id"] == ticket.sla_policy_id and state["breached"] is False


def test_the_first_matching_policy_by_position_applies(customer, agent, clock):
    policy("Everything else", position=5, first=480)
    urgent = policy("Urgent billing", priorities="urgent,high", categories="billing", position=1, first=30)
    policy("Any urgent", priorities="urgent", position=2, first=60)
    billing = reload(tickets.create_ticket(customer, "Charged twice", "Twice.", category="billing", priority="urgent"))
    assert billing.sla_policy_id == urgent.id
    assert billing.first_response_due_at == naive(FRIDAY_4PM_BERLIN) + timedelta(minutes=30)
    other = reload(tickets.create_ticket(customer, "Slow pages", "Slow.", priority="low"))
    assert other.sla_policy.name == "Everything else"
    # Changing the priority picks the policy again and recomputes from the ticket's creation.
    clock.move(minutes=10)
    tickets.update_ticket(agent, other.id, priority="urgent")
    other = reload(other)
    assert other.sla_policy.name == "Any urgent"
    assert other.first_response_due_at == naive(FRIDAY_4PM_BERLIN) + timedelta(minutes=60)


def test_no_policy_means_no_service_level(customer):
    ticket = reload(tickets.create_ticket(customer, "Question", "Hello."))
    assert ticket.sla_policy_id is None and ticket.due_at is None and sla.state(ticket) is None


def test_the_first_answer_moves_the_next_due_time_to_the_resolution(customer, agent, clock):
    policy(first=60, resolution=240)
    ticket = tickets.create_ticket(customer, "Export fails", "CSV export times out.")
    clock.move(minutes=20)
    tickets.reply(agent, ticket.id, "Looking into it.")
    ticket = reload(ticket)
    assert ticket.due_at == ticket.resolution_due_at == naive(FRIDAY_4PM_BERLIN) + timedelta(minutes=240)
    assert ticket.sla_breached_at is None


def test_the_clock_pauses_while_waiting_on_the_customer(customer, agent, clock):
    policy(first=60, resolution=240)
    ticket = tickets.create_ticket(customer, "Export fails", "CSV export times out.")
    clock.move(minutes=30)
    tickets.reply(agent, ticket.id, "Which browser?", status="waiting")
    paused = reload(ticket)
    assert paused.due_at is None and sla.state(paused)["paused"] is True
    clock.move(hours=5)  # long past the resolution target, but the clock was stopped
    assert sla.state(reload(ticket))["breached"] is False
    tickets.reply(customer, ticket.id, "Firefox.")  # back to open: the clock runs again, 5 h later
    resumed = reload(ticket)
    assert resumed.status == "open" and resumed.sla_paused_minutes == 300
    assert resumed.resolution_due_at == naive(FRIDAY_4PM_BERLIN) + timedelta(minutes=240 + 300)
    assert resumed.due_at == resumed.resolution_due_at
    # The first response was given on time; later pauses never make it late or early.
    assert resumed.first_response_due_at == naive(FRIDAY_4PM_BERLIN) + timedelta(minutes=60)


def test_pauses_count_only_working_time(customer, agent, clock):
    policy(first=None, resolution=120, hours={"timezone": "Europe/Berlin", "days": WEEKDAYS})
    ticket = tickets.create_ticket(customer, "Invoice", "Wrong VAT number.")
    clock.move(minutes=30)  # 16:30 Friday in Berlin
    tickets.update_ticket(agent, ticket.id, status="waiting")
    clock.move(days=3)  # 16:30 Monday: the pause covered 30 min of Friday and 7.5 h of Monday
    tickets.update_ticket(agent, ticket.id, status="open")
    ticket = reload(ticket)
    assert ticket.sla_paused_minutes == 30 + 450
    # 30 min used on Friday, 90 min left from Monday 16:30: 30 min Monday, 60 min Tuesday.
    assert ticket.resolution_due_at == datetime(2026, 12, 8, 9, 0)


def test_a_late_first_answer_is_a_breach_that_stays(customer, agent, clock):
    policy(first=60, resolution=600)
    ticket = tickets.create_ticket(customer, "Locked out", "Cannot sign in.")
    clock.move(minutes=90)
    tickets.reply(agent, ticket.id, "Sorry for the wait.")
    ticket = reload(ticket)
    assert ticket.sla_breached_at == ticket.first_response_due_at
    assert sla.state(ticket)["breached"] is True
    tickets.reply(agent, ticket.id, "Any news?", status="waiting")
    tickets.reply(customer, ticket.id, "Still locked out.")
    assert reload(ticket).sla_breached_at == ticket.first_response_due_at


def test_a_breach_is_announced_once_to_the_assignee(app, customer, agent, clock):
    policy(first=60, resolution=120)
    ticket = tickets.create_ticket(customer, "Site down", "Nothing loads.", assignee_id=None)
    tickets.update_ticket(agent, ticket.id, assignee_id=agent.id)
    clock.move(minutes=59)
    assert sla.sweep_breaches() == 0
    clock.move(minutes=2)
    assert sla.sweep_breaches() == 1
    assert sla.sweep_breaches() == 0  # noticed once
    (alert,) = [m for m in sent_to(app, agent.email) if "Overdue" in m["Subject"]]
    assert alert["Subject"] == f"[#{ticket.id}] Overdue first response: Site down"
    assert reload(ticket).sla_breached_at == reload(ticket).first_response_due_at
    # The resolution target is a second promise, announced once when it passes too.
    tickets.reply(agent, ticket.id, "On it.")
    clock.move(minutes=60)
    assert sla.sweep_breaches() == 1
    assert [m["Subject"] for m in sent_to(app, agent.email) if "Overdue" in m["Subject"]][-1] == \
        f"[#{ticket.id}] Overdue resolution: Site down"


def test_a_breach_on_an_unassigned_ticket_goes_to_the_admins(app, customer, admin, clock):
    other_admin = make_user("admin")
    policy(first=30)
    tickets.create_ticket(customer, "Nobody looks", "Hello?")
    clock.move(minutes=31)
    assert sla.sweep_breaches() == 1
    for person in (admin, other_admin):
        assert any("Overdue first response" in m["Subject"] for m in sent_to(app, person.email))


def test_the_queue_views_count_and_list_overdue_and_due_soon(customer, agent, clock):
    policy("Fast", priorities="urgent", first=30, position=0)
    policy("Slow", first=600, position=1)
    late = tickets.create_ticket(customer, "Late one", "x", priority="urgent")
    clock.move(minutes=40)
    soon = tickets.create_ticket(customer, "Soon one", "x", priority="urgent")  # due in 30 min
    later = tickets.create_ticket(customer, "Later one", "x")  # due in 10 h
    counts = {v.key: v.count for v in queue.views(agent)}
    assert counts["overdue"] == 1 and counts["due_soon"] == 1
    _, overdue = queue.queue_filter(agent, view="overdue")
    assert [t.id for t in queue.list_queue(agent, overdue).items] == [late.id]
    _, due_soon = queue.queue_filter(agent, view="due_soon")
    assert [t.id for t in queue.list_queue(agent, due_soon).items] == [soon.id]
    _, by_due = queue.queue_filter(agent, view="open", sort="due", direction="asc")
    assert [t.id for t in queue.list_queue(agent, by_due).items] == [late.id, soon.id, later.id]


def test_sorting_by_due_time_pages_through_tickets_with_nothing_due(customer, agent, clock):
    policy(priorities="urgent", first=60)
    undated = [tickets.create_ticket(customer, f"Plain {n}", "x").id for n in range(3)]
    dated = []
    for n in range(3):
        clock.move(minutes=1)
        dated.append(tickets.create_ticket(customer, f"Urgent {n}", "x", priority="urgent").id)
    for direction, expected in (("asc", dated + undated), ("desc", dated[::-1] + undated[::-1])):
        flt = TicketFilter(order_by="due_at", order_dir=direction)
        seen, cursor = [], None
        while True:
            page = tickets.list_tickets(agent, flt, cursor=cursor, limit=2)
            seen += [t.id for t in page.items]
            cursor = page.next_cursor
            if not cursor:
                break
        assert seen == expected, direction


def test_the_breached_filter_keeps_late_answers_and_current_overdue(customer, agent, clock):
    policy(first=30, resolution=6000)
    answered_late = tickets.create_ticket(customer, "Answered late", "x")
    overdue = tickets.create_ticket(customer, "Still waiting", "x")
    clock.move(minutes=45)
    fine = tickets.create_ticket(customer, "Fine", "x")
    tickets.reply(agent, answered_late.id, "Sorry.")
    breached = tickets.list_tickets(agent, TicketFilter(sla="breached", order_by="created_at", order_dir="asc"))
    assert [t.id for t in breached.items] == [answered_late.id, overdue.id]
    assert fine.id not in [t.id for t in breached.items]


def test_a_target_across_the_change_to_summer_time_keeps_local_opening_hours(customer):
    policy(first=120, resolution=None, hours={"timezone": "Europe/Berlin", "days": WEEKDAYS})
    # Friday 27 March 2026, 16:00 in Berlin (15:00 UTC); clocks go forward on Sunday the 29th.
    with time_machine.travel(datetime(2026, 3, 27, 15, 0, tzinfo=timezone.utc), tick=False):
        ticket = reload(tickets.create_ticket(customer, "Before the change", "x"))
    # One hour on Friday, one from 09:00 summer time on Monday (07:00 UTC): 08:00 UTC, not 09:00.
    assert ticket.first_response_due_at == datetime(2026, 3, 30, 8, 0)
    assert ticket.resolution_due_at is None and ticket.due_at == ticket.first_response_due_at
