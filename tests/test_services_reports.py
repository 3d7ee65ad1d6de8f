"""The reports service: ranges, filters and every figure, from tickets with known timestamps.

Each test runs on SQLite and on a private PostgreSQL server (tests/servers.py): the figures come from SQL, and the
same SQL has to be right on both engines.
"""
import os
from datetime import date, datetime, timedelta
from itertools import count

import pytest

from portal.db import db, is_sqlite
from portal.models import Category, Rating, SlaPolicy, Ticket, User
from portal.services import reports
from portal.services.errors import PermissionDenied, ValidationError

from .conftest import open_app
from .servers import postgres_url  # noqa: F401

# "Now" for every test: a fixed Wednesday noon, so the default range and the SLA clock are known.
NOW = datetime(2025, 3, 12, 12, 0)
TODAY = NOW.date()
START = datetime(2025, 3, 1)  # the first day of the test range, midnight UTC


# ------------------------------------------------------------------------------------------------ the two engines


_databases = count(1)


@pytest.fixture(params=["sqlite", "postgresql"])
def app(request, tmp_path):
    """An app on a fresh database of each engine (replaces conftest's `app` in this module)."""
    overrides = {}
    if request.param == "postgresql":
        base = request.getfixturevalue("postgres_url")
        import psycopg

        name = f"reports_{os.getpid()}_{next(_databases)}"
        with psycopg.connect(base + "/postgres", autocommit=True) as connection:
            connection.execute(f"CREATE DATABASE {name}")
        overrides["DATABASE_URL"] = f"{base}/{name}"
    with open_app(tmp_path, **overrides) as app:
        yield app


# -------------------------------------------------------------------------------------------------- fixture data


def person(role, name):
    return User.create(email=f"{name.lower().replace(' ', '.')}@example.com", name=name, role=role)


@pytest.fixture
def people(app):
    return {
        "ana": person("agent", "Ana Agent"),
        "ben": person("agent", "Ben Agent"),
        "adam": person("admin", "Adam Admin"),
        "cara": person("customer", "Cara Customer"),
    }


def ticket(people, created, *, first_response=None, resolved=None, closed=None, status=None, assignee=None,
           category=None, deleted=False, policy=None, breached=None, due=None):
    """A ticket with known times; durations are minutes after `created`."""
    minutes = lambda m: None if m is None else created + timedelta(minutes=m)  # noqa: E731
    if status is None:
        status = "closed" if closed is not None else ("resolved" if resolved is not None else "open")
    return Ticket.create(
        subject="Printer is on fire", status=status, customer=people["cara"],
        assignee=people[assignee] if assignee else None,
        category=Category.get(Category.slug == category) if category else None,
        created_at=created, updated_at=created,
        first_response_at=minutes(first_response), resolved_at=minutes(resolved), closed_at=minutes(closed),
        deleted_at=created if deleted else None,
        sla_policy=policy, sla_breached_at=breached, due_at=due,
    )


def rate(ticket_row, score, at):
    return Rating.create(ticket=ticket_row, score=score, rated_at=at)


def run(actor, start="2025-03-01", end="2025-03-10", now=NOW, **filters):
    return reports.report(actor, reports.report_filter(actor, start, end, today=TODAY, **filters), now=now)


def day(n, hour=9, minute=0):
    """A moment of the n-th day of the test range (1-based)."""
    return START + timedelta(days=n - 1, hours=hour, minutes=minute)


# --------------------------------------------------------------------------------------------------- percentiles


def reference_percentile(values, p):
    """percentile_cont, the slow obvious way."""
    ordered = sorted(values)
    position = p * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@pytest.mark.parametrize("values", [[7], [10, 20], [10, 20, 30, 40, 100], list(range(1, 12)),
                                    [5, 5, 5, 9, 9, 120, 121, 3000], [0, 1440 * 3, 59, 61, 600, 45, 17]])
def test_percentile_interpolates_like_percentile_cont(values):
    ordered = sorted(values)
    by_rank = {rank: value for rank, value in enumerate(ordered, start=1)}
    for p in (0.5, 0.9):
        assert reports.percentile(by_rank, len(values), p) == round(reference_percentile(values, p), 1)
    assert reports.percentile({}, 0, 0.5) is None


def test_medians_and_p90_of_known_durations_to_the_minute(people):
    # First responses after 10, 20, 30, 40 and 100 minutes; resolutions after 1, 2, 3 and 4 hours (one ticket
    # closed without a resolution counts by its closing) and a still-open one.
    for n, (answer, solve) in enumerate([(10, 60), (20, 120), (30, None), (40, 180), (100, None)], start=1):
        closed = 240 if n == 3 else None
        ticket(people, day(n), first_response=answer, resolved=solve, closed=closed, assignee="ana")
    report = run(people["ana"])
    # 10 20 30 40 100: the middle is 30; p90 sits at 0.9 * 4 = 3.6, between 40 and 100: 40 + 0.6 * 60 = 76.
    assert report.first_response_minutes == reports.Percentiles(30.0, 76.0, 5)
    # 60 120 180 240: median between 120 and 180 = 150; p90 at 2.7: 180 + 0.7 * 60 = 222.
    assert report.resolution_minutes == reports.Percentiles(150.0, 222.0, 4)
    if not is_sqlite():
        # The engine's own percentile_cont agrees.
        row = db.execute_sql(
            "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY m), percentile_cont(0.9) WITHIN GROUP (ORDER BY m) "
            "FROM (SELECT EXTRACT(EPOCH FROM first_response_at - created_at) / 60 AS m FROM ticket) AS d"
        ).fetchone()
        assert [round(float(v), 1) for v in row] == [30.0, 76.0]


def test_durations_have_no_data_as_none(people):
    ticket(people, day(2))  # created, never answered, never solved
    report = run(people["ana"])
    assert report.created == 1
    assert report.first_response_minutes == reports.Percentiles(None, None, 0)
    assert report.resolution_minutes == reports.Percentiles(None, None, 0)


def test_fractional_minutes_and_long_durations(people):
    ticket(people, day(1), first_response=0.5, resolved=3 * 1440 + 90)
    ticket(people, day(1, 10), first_response=2.5, resolved=30)
    report = run(people["ana"])
    assert report.first_response_minutes.median == 1.5
    assert report.resolution_minutes.median == round((30 + 3 * 1440 + 90) / 2, 1)


def test_many_durations_match_the_reference(people):
    durations = [(n * 37) % 500 + 1 for n in range(1, 120)]
    for n, minutes in enumerate(durations):
        ticket(people, day(1 + n % 9, minute=n % 60), first_response=minutes, resolved=minutes * 3,
               assignee=("ana", "ben", None)[n % 3])
    report = run(people["ana"])
    assert report.first_response_minutes.median == round(reference_percentile(durations, 0.5), 1)
    assert report.first_response_minutes.p90 == round(reference_percentile(durations, 0.9), 1)
    assert report.resolution_minutes.p90 == round(reference_percentile([m * 3 for m in durations], 0.9), 1)
    by_agent = {row.agent.name if row.agent else None: row for row in report.agents}
    for index, name in enumerate(["Ana Agent", "Ben Agent", None]):
        theirs = durations[index::3]
        assert by_agent[name].first_response_minutes == round(reference_percentile(theirs, 0.5), 1)
        assert by_agent[name].solved == len(theirs)


# ------------------------------------------------------------------------------------------------ counts per day


def test_every_day_is_listed_with_zeros(people):
    ticket(people, day(2), resolved=60)
    ticket(people, day(2, 15))
    ticket(people, day(5), closed=3 * 1440)  # closed on day 8 without a resolution
    report = run(people["ana"])
    assert [d.date for d in report.by_day] == [date(2025, 3, n) for n in range(1, 11)]
    assert [(d.created, d.solved) for d in report.by_day] == [
        (0, 0), (2, 1), (0, 0), (0, 0), (1, 0), (0, 0), (0, 0), (0, 1), (0, 0), (0, 0)]
    assert (report.created, report.solved) == (3, 2)


def test_range_ends_are_whole_utc_days(people):
    ticket(people, datetime(2025, 2, 28, 23, 59, 59))  # the day before: out
    ticket(people, datetime(2025, 3, 1, 0, 0, 0))  # the first moment: in
    ticket(people, datetime(2025, 3, 10, 23, 59, 59, 999000))  # the last moment of the last day: in
    ticket(people, datetime(2025, 3, 11, 0, 0, 0))  # the day after: out
    report = run(people["ana"])
    assert report.created == 2
    assert report.by_day[0].created == 1 and report.by_day[-1].created == 1


def test_a_ticket_counts_as_solved_once_on_its_resolution_day(people):
    # Resolved on day 3, closed on day 6: solved on day 3 only. Resolved before the range: not solved in it.
    ticket(people, day(1), resolved=2 * 1440, closed=5 * 1440)
    ticket(people, datetime(2025, 2, 20), resolved=60, closed=10 * 1440)
    report = run(people["ana"])
    assert report.solved == 1
    assert report.by_day[2].solved == 1
    # Created before the range, solved in it: it counts as solved with its whole resolution time.
    ticket(people, datetime(2025, 2, 27), resolved=4 * 1440)
    report = run(people["ana"])
    assert report.solved == 2 and report.created == 1
    assert report.resolution_minutes.median == round((2 * 1440 + 4 * 1440) / 2, 1)


def test_the_trash_never_counts(people):
    keep = ticket(people, day(1), first_response=10, resolved=20, assignee="ana")
    gone = ticket(people, day(1), first_response=500, resolved=900, assignee="ana", deleted=True)
    rate(keep, "good", day(2))
    rate(gone, "bad", day(2))
    ticket(people, day(2), status="open", deleted=True)
    report = run(people["ana"])
    assert (report.created, report.solved) == (1, 1)
    assert report.first_response_minutes.median == 10
    assert (report.csat.good, report.csat.bad) == (1, 0)
    assert report.backlog_total == 0


# ------------------------------------------------------------------------------------------------------- filters


def test_filters_by_category_and_assignee(people):
    ticket(people, day(1), first_response=10, resolved=30, assignee="ana", category="billing")
    ticket(people, day(1), first_response=20, resolved=40, assignee="ben", category="billing")
    ticket(people, day(2), first_response=30, resolved=50, assignee="ana", category="technical")
    ticket(people, day(2), first_response=40, category="technical")
    assert run(people["ana"]).created == 4
    billing = run(people["ana"], category="billing")
    assert (billing.created, billing.solved, billing.first_response_minutes.median) == (2, 2, 15.0)
    assert billing.filter.category.slug == "billing"
    ana = run(people["ana"], assignee_id=str(people["ana"].id))
    assert (ana.created, ana.solved, ana.first_response_minutes.median) == (2, 2, 20.0)
    assert [row.agent.name for row in ana.agents] == ["Ana Agent"]
    both = run(people["ana"], category="technical", assignee_id=str(people["ana"].id))
    assert (both.created, both.first_response_minutes.median) == (1, 30.0)


# --------------------------------------------------------------------------------------------- SLA and ratings


def test_sla_attainment_is_the_share_kept_of_tickets_with_a_policy(people):
    policy = SlaPolicy.create(name="Standard", first_response_minutes=60, resolution_minutes=480)
    ticket(people, day(1), policy=policy, first_response=30, resolved=100)  # kept
    ticket(people, day(1), policy=policy, breached=day(1, 10))  # breached
    ticket(people, day(2), policy=policy, due=NOW - timedelta(minutes=5))  # overdue right now
    ticket(people, day(3), policy=policy, due=NOW + timedelta(hours=2))  # still in time
    ticket(people, day(3))  # no policy: not part of the share
    report = run(people["ana"])
    assert report.sla_tickets == 4
    assert report.sla_attainment == 0.5
    # Nothing with a policy: no share at all, rather than 0% or 100%.
    assert run(people["ana"], start="2025-03-05", end="2025-03-06").sla_attainment is None


def test_csat_counts_the_ratings_given_in_the_range(people):
    older = ticket(people, datetime(2025, 2, 1), resolved=60, assignee="ben")
    rate(older, "good", day(1, 8))  # a February ticket rated in the range: counts
    a = ticket(people, day(1), resolved=60, assignee="ana")
    rate(a, "bad", day(2))
    b = ticket(people, day(2), resolved=60, assignee="ana", category="billing")
    rate(b, "good", day(3))
    c = ticket(people, day(3), resolved=60)
    rate(c, "good", datetime(2025, 3, 11, 0, 0))  # rated after the range: does not
    report = run(people["ana"])
    assert (report.csat.good, report.csat.bad, report.csat.score) == (2, 1, 0.6667)
    billing = run(people["ana"], category="billing")
    assert (billing.csat.good, billing.csat.bad, billing.csat.score) == (1, 0, 1.0)
    assert run(people["ana"], start="2025-03-08", end="2025-03-10").csat == reports.Csat(0, 0)
    assert reports.Csat(0, 0).score is None


# ------------------------------------------------------------------------------------------- backlog and agents


def test_backlog_is_what_waits_now_by_status(people):
    for status, n in (("open", 2), ("in_progress", 1), ("waiting", 3), ("resolved", 4), ("closed", 1)):
        for _ in range(n):
            ticket(people, datetime(2024, 6, 1), status=status, assignee="ana" if status == "waiting" else None)
    ticket(people, datetime(2024, 6, 1), status="open", category="billing")
    report = run(people["ana"])  # a backlog does not depend on the range
    assert report.backlog == {"open": 3, "in_progress": 1, "waiting": 3}
    assert report.backlog_total == 7
    assert run(people["ana"], category="billing").backlog == {"open": 1, "in_progress": 0, "waiting": 0}
    assert run(people["ana"], assignee_id=str(people["ana"].id)).backlog == {"open": 0, "in_progress": 0,
                                                                              "waiting": 3}


def test_per_agent_table(people):
    ticket(people, day(1), first_response=10, resolved=60, assignee="ana")
    rate(ticket(people, day(1), first_response=30, resolved=60, assignee="ana"), "good", day(2))
    rate(ticket(people, day(2), first_response=5, resolved=60, assignee="ben"), "bad", day(3))
    ticket(people, day(2), first_response=50, resolved=60, assignee="ben")
    ticket(people, day(3), first_response=70, resolved=60, assignee="ben")
    ticket(people, day(4), first_response=1, assignee=None)
    rows = run(people["ana"]).agents
    assert [(r.agent.name if r.agent else None, r.solved, r.first_response_minutes, r.csat.good, r.csat.bad)
            for r in rows] == [
        ("Ben Agent", 3, 50.0, 0, 1),
        ("Ana Agent", 2, 20.0, 1, 0),
        (None, 0, 1.0, 0, 0),  # nobody's: last
    ]
    assert rows[0].csat.score == 0.0 and rows[1].csat.score == 1.0


# ----------------------------------------------------------------------------------------------- range and access


def test_default_range_is_the_last_30_days_up_to_today(people):
    flt = reports.report_filter(people["ana"], today=TODAY)
    assert (flt.start, flt.end, flt.days) == (date(2025, 2, 11), TODAY, 30)
    only_from = reports.report_filter(people["ana"], "2025-01-01", "", today=TODAY)
    assert (only_from.start, only_from.end) == (date(2025, 1, 1), TODAY)
    only_to = reports.report_filter(people["ana"], None, "2025-01-31", today=TODAY)
    assert (only_to.start, only_to.end) == (date(2025, 1, 2), date(2025, 1, 31))
    assert flt.query_args() == {"from": "2025-02-11", "to": "2025-03-12"}


@pytest.mark.parametrize("start, end, field, words", [
    ("2025-13-01", "", "from", "YYYY-MM-DD"),
    ("2025-02-30", "2025-03-01", "from", "YYYY-MM-DD"),
    ("yesterday", "", "from", "YYYY-MM-DD"),
    ("20250101", "", "from", "YYYY-MM-DD"),
    ("2025-W01-1", "", "from", "YYYY-MM-DD"),
    ("2025-03-01", "3/10/2025", "to", "YYYY-MM-DD"),
    ("1969-12-31", "1970-01-05", "from", "between 1970-01-01"),
    ("2025-03-10", "2025-03-01", "to", "on or after the start date"),
    ("2024-02-29", "2025-03-01", "from", "at most 366 days"),
])
def test_a_bad_range_is_refused_beside_its_field(people, start, end, field, words):
    with pytest.raises(ValidationError) as refused:
        reports.report_filter(people["ana"], start, end, today=TODAY)
    assert list(refused.value.errors) == [field]
    assert words in refused.value.errors[field]


def test_a_year_is_the_longest_range(people):
    flt = reports.report_filter(people["ana"], "2024-03-02", "2025-03-02", today=TODAY)
    assert flt.days == 366
    assert len(reports.report(people["ana"], flt).by_day) == 366


def test_unknown_filters_are_refused(people):
    with pytest.raises(ValidationError) as refused:
        reports.report_filter(people["ana"], category="no-such", assignee_id=str(people["cara"].id), today=TODAY)
    assert set(refused.value.errors) == {"category", "assignee_id"}
    with pytest.raises(ValidationError):
        reports.report_filter(people["ana"], assignee_id="abc", today=TODAY)
    # An admin counts as an agent; a deactivated agent's past work can still be reported.
    people["ben"].is_active = False
    people["ben"].save()
    assert reports.report_filter(people["ana"], assignee_id=str(people["ben"].id), today=TODAY).assignee.id == \
        people["ben"].id
    assert reports.report_filter(people["ana"], assignee_id=str(people["adam"].id), today=TODAY).assignee.role == \
        "admin"


def test_customers_get_no_report(people):
    with pytest.raises(PermissionDenied):
        reports.report_filter(people["cara"], today=TODAY)
    flt = reports.report_filter(people["ana"], today=TODAY)
    with pytest.raises(PermissionDenied):
        reports.report(people["cara"], flt)


def test_a_report_is_a_fixed_few_statements(people, count_queries):
    ticket(people, day(1), first_response=10, resolved=20, assignee="ana")
    flt = reports.report_filter(people["ana"], "2025-03-01", "2025-03-10", today=TODAY)
    with count_queries() as few:
        reports.report(people["ana"], flt, now=NOW)
    for n in range(60):
        row = ticket(people, day(1 + n % 10, minute=n), first_response=n, resolved=n * 2,
                     assignee=("ana", "ben", None)[n % 3], category=("billing", "technical")[n % 2])
        rate(row, ("good", "bad")[n % 2], day(1 + n % 10, 20))
    with count_queries() as many:
        reports.report(people["ana"], flt, now=NOW)
    assert few.count == many.count == 7
