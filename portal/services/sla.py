"""Service levels on tickets: which policy applies, when answers are due, the clock that pauses, breaches.

The clock runs while a ticket is open or in progress and pauses while it waits on the customer, is resolved or is
closed; paused working time is added to both targets when it runs again. Due times are computed when a ticket is
created and when its priority or category changes (the matching policy may change with them), and stored, so the
queue sorts and filters by an indexed column. `due_at` is the next promised time still pending while the clock runs.
"""
from datetime import timedelta

from peewee import Case, fn

from ..db import write
from ..models import Ticket, User, utcnow
from . import business_hours, signals, sla_policies

RUNNING = ("open", "in_progress")
DUE_SOON = timedelta(hours=1)
FIRST_RESPONSE, RESOLUTION = 1, 2  # bits of Ticket.sla_alerts: breaches already announced
TARGET_NAMES = {FIRST_RESPONSE: "first_response", RESOLUTION: "resolution"}
SWEEP_BATCH = 500


def matching_policy(priority, category_slug):
    """The first policy by position whose priorities and categories (empty: any) take this ticket, or None."""
    for policy in sla_policies.ordered():
        priorities, categories = sla_policies.priorities_of(policy), sla_policies.categories_of(policy)
        if priorities and priority not in priorities:
            continue
        if categories and category_slug not in categories:
            continue
        return policy
    return None


def calendar(policy):
    """The working week a policy counts in (24/7 when it has no business hours)."""
    try:
        return business_hours.parse(sla_policies.hours_of(policy))
    except ValueError:
        # Policies are checked when saved; a stored one that no longer parses (a time zone dropped from the
        # system's database) counts round the clock rather than stopping every ticket's clock.
        return business_hours.AlwaysOpen()


def _category_slug(ticket):
    return ticket.category.slug if ticket.category_id else None


def _refresh(ticket, now, policy_changed=False):
    """Recompute the stored due times, `due_at` and the breach mark from the policy and the clock."""
    policy = ticket.sla_policy if ticket.sla_policy_id else None
    if policy is None:
        ticket.first_response_due_at = ticket.resolution_due_at = ticket.due_at = None
        ticket.sla_breached_at = None
        return
    week = calendar(policy)
    extra = ticket.sla_paused_minutes or 0
    answered = ticket.first_response_at is not None
    # Once answered, the first-response promise is settled: later pauses must not move it past the answer.
    if policy_changed or not answered or ticket.first_response_due_at is None:
        ticket.first_response_due_at = (
            week.add(ticket.created_at, policy.first_response_minutes + extra) if policy.first_response_minutes else None
        )
    ticket.resolution_due_at = (
        week.add(ticket.created_at, policy.resolution_minutes + extra) if policy.resolution_minutes else None
    )
    running = ticket.status in RUNNING
    pending = [d for d in (None if answered else ticket.first_response_due_at, ticket.resolution_due_at) if d]
    ticket.due_at = min(pending) if running and pending else None

    # While paused, the clock stands at the moment it stopped.
    clock = now if running or ticket.sla_paused_at is None else ticket.sla_paused_at
    missed = []
    if ticket.first_response_due_at and (ticket.first_response_at or clock) > ticket.first_response_due_at:
        missed.append(ticket.first_response_due_at)
    if ticket.resolution_due_at and clock > ticket.resolution_due_at:
        missed.append(ticket.resolution_due_at)
    if policy_changed:
        ticket.sla_breached_at = min(missed) if missed else None
    elif missed:
        ticket.sla_breached_at = min([*missed, ticket.sla_breached_at or missed[0]])


def start(ticket, now):
    """A new ticket: pick its policy and set its due times (inside the caller's transaction)."""
    ticket.sla_policy = matching_policy(ticket.priority, _category_slug(ticket))
    if ticket.status not in RUNNING:
        ticket.sla_paused_at = now
    _refresh(ticket, now, policy_changed=True)


def terms_changed(ticket, now):
    """Priority or category changed: the matching policy may be another one, and the due times move with it."""
    policy = matching_policy(ticket.priority, _category_slug(ticket))
    if (policy.id if policy else None) != ticket.sla_policy_id:
        ticket.sla_policy = policy
        ticket.sla_alerts = 0
    _refresh(ticket, now, policy_changed=True)


def status_changed(ticket, old, new, now):
    """Stop the clock when a ticket leaves open/in progress; start it again, adding the paused time, on return."""
    if (old in RUNNING) == (new in RUNNING):
        return
    if new in RUNNING:
        if ticket.sla_paused_at is not None and ticket.sla_policy_id:
            paused = calendar(ticket.sla_policy).minutes_between(ticket.sla_paused_at, now)
            ticket.sla_paused_minutes = (ticket.sla_paused_minutes or 0) + round(paused)
        ticket.sla_paused_at = None
    else:
        ticket.sla_paused_at = now
    if ticket.sla_policy_id:
        _refresh(ticket, now)


def first_response_given(ticket, now):
    """The first public answer went out: the next promise is the resolution."""
    if ticket.sla_policy_id:
        _refresh(ticket, now)


def recompute(ticket, now=None):
    """Set a ticket's service level again from its stored times, as if its clock had never paused (imports, demo
    data); breaches that already happened count as announced, so nobody is mailed about the past."""
    now = now or utcnow()
    ticket.sla_policy = matching_policy(ticket.priority, _category_slug(ticket))
    ticket.sla_paused_minutes = 0
    ticket.sla_paused_at = None if ticket.status in RUNNING else (ticket.resolved_at or ticket.closed_at
                                                                   or ticket.updated_at)
    _refresh(ticket, now, policy_changed=True)
    ticket.sla_alerts = 0
    if ticket.first_response_due_at and (ticket.first_response_at or now) > ticket.first_response_due_at:
        ticket.sla_alerts |= FIRST_RESPONSE
    if ticket.resolution_due_at and now > ticket.resolution_due_at:
        ticket.sla_alerts |= RESOLUTION


def state(ticket, now=None):
    """What Ticket JSON and the pages show: None without a policy, else the due times and whether one was missed."""
    if not ticket.sla_policy_id:
        return None
    now = now or utcnow()
    return {
        "policy_id": ticket.sla_policy_id,
        "first_response_due_at": ticket.first_response_due_at,
        "resolution_due_at": ticket.resolution_due_at,
        "due_at": ticket.due_at,
        "breached": ticket.sla_breached_at is not None or (ticket.due_at is not None and ticket.due_at <= now),
        "paused": ticket.sla_paused_at is not None and ticket.status not in ("resolved", "closed"),
    }


def badge(ticket, now=None):
    """The queue's due badge: ("overdue" | "due_soon" | "due", due_at), or None when nothing is due."""
    if ticket.due_at is None:
        return None
    now = now or utcnow()
    if ticket.due_at <= now:
        return "overdue", ticket.due_at
    if ticket.due_at <= now + DUE_SOON:
        return "due_soon", ticket.due_at
    return "due", ticket.due_at


def filter_expression(kind, now=None):
    """The WHERE clause for the queue and API filter `sla`: breached, due_soon or overdue."""
    now = now or utcnow()
    if kind == "overdue":
        return Ticket.due_at <= now
    if kind == "due_soon":
        return (Ticket.due_at > now) & (Ticket.due_at <= now + DUE_SOON)
    if kind == "breached":
        return Ticket.sla_breached_at.is_null(False) | (Ticket.due_at <= now)
    raise ValueError(kind)


def due_counts(now=None):
    """How many tickets are overdue now and how many fall due within the hour (one range scan of an index)."""
    now = now or utcnow()
    overdue = fn.SUM(Case(None, [(Ticket.due_at <= now, 1)], 0))
    row = (
        Ticket.select(overdue, fn.COUNT(Ticket.id))
        .where(Ticket.deleted_at.is_null(), Ticket.due_at <= now + DUE_SOON)
        .tuples()
        .first()
    )
    overdue, both = (row or (0, 0))
    return int(overdue or 0), int(both or 0) - int(overdue or 0)


def sweep_breaches(now=None):
    """Mark tickets whose pending promise just passed, and announce each breach once. Returns how many."""
    now = now or utcnow()
    unannounced_first = (
        Ticket.first_response_at.is_null()
        & (Ticket.first_response_due_at <= now)
        & (Ticket.sla_alerts.bin_and(FIRST_RESPONSE) == 0)
    )
    unannounced_resolution = (Ticket.resolution_due_at <= now) & (Ticket.sla_alerts.bin_and(RESOLUTION) == 0)
    announced = []
    with write():
        rows = list(
            Ticket.select()
            .where(Ticket.due_at <= now, Ticket.deleted_at.is_null(), unannounced_first | unannounced_resolution)
            .order_by(Ticket.due_at)
            .limit(SWEEP_BATCH)
        )
        for ticket in rows:
            targets = []
            if (ticket.first_response_at is None and ticket.first_response_due_at
                    and ticket.first_response_due_at <= now and not ticket.sla_alerts & FIRST_RESPONSE):
                targets.append(FIRST_RESPONSE)
            if ticket.resolution_due_at and ticket.resolution_due_at <= now and not ticket.sla_alerts & RESOLUTION:
                targets.append(RESOLUTION)
            for bit in targets:
                ticket.sla_alerts |= bit
            missed = [d for d in (ticket.first_response_due_at if FIRST_RESPONSE in targets else None,
                                  ticket.resolution_due_at if RESOLUTION in targets else None) if d]
            ticket.sla_breached_at = min([*missed, ticket.sla_breached_at or missed[0]])
            Ticket.update(sla_alerts=ticket.sla_alerts, sla_breached_at=ticket.sla_breached_at).where(
                Ticket.id == ticket.id
            ).execute()
            announced.append((ticket, targets))
    for ticket, targets in announced:
        for bit in targets:
            signals.announce(signals.sla_breached, ticket, target=TARGET_NAMES[bit])
    return len(announced)


def breach_recipients(ticket):
    """Who hears of a breach: the assignee, or every active admin when nobody is assigned."""
    if ticket.assignee_id:
        assignee = User.get_or_none((User.id == ticket.assignee_id) & (User.is_active == True))  # noqa: E712
        if assignee is not None:
            return [assignee]
    return list(User.select().where(User.role == "admin", User.is_active == True))  # noqa: E712
