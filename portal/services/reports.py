"""Reports: what the desk did over a range of days, for agents and admins (SPEC section 11).

Every figure comes out of the database over indexed columns, in a fixed few statements whatever the number of tickets
(see "report" below); Python only adds up per-day and per-agent rows and interpolates between two durations. The same
SQL runs on SQLite and PostgreSQL.

The definitions, also in the README ("Reports") and the API description:

- The range is `from`..`to`, both days included, in UTC (default: the 30 days up to today); at most 366 days.
- Tickets in the trash never count. The filters are a category (slug) and an assignee (an agent's id).
- created: tickets created in the range. solved: tickets whose latest resolution (`resolved_at`) is in the range,
  or, for a ticket closed without ever being resolved, whose `closed_at` is.
- first response time: `first_response_at - created_at` of the tickets created in the range that have one;
  resolution time: the moment it counted as solved minus `created_at`, for the tickets solved in the range.
- median and p90 are continuous percentiles, as PostgreSQL's `percentile_cont`: sort the n durations, take the
  position p * (n - 1) counted from 0 and interpolate linearly between the two durations around it. None without data.
- SLA attainment: of the tickets created in the range that have an SLA policy, the share not breached and not overdue
  now (`due_at` empty or still ahead). None when none has a policy.
- CSAT: ratings given in the range (of tickets matching the filters): good, bad and good / (good + bad).
- backlog: tickets matching the filters that are open, in progress or waiting, right now, by status.
- per agent (the ticket's current assignee): solved in the range, median first response time, CSAT.
"""
import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from peewee import SQL, Case, fn

from ..db import db, is_sqlite
from ..models import OPEN_STATUSES, STAFF_ROLES, Category, Rating, Ticket, User, utcnow
from .errors import ValidationError
from .permissions import require_staff

DEFAULT_DAYS = 30
MAX_DAYS = 366
EARLIEST = date(1970, 1, 1)
LATEST = date(2999, 12, 31)
DAY_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
DATE_HINT = "Enter a date as YYYY-MM-DD, e.g. 2025-01-31."


@dataclass(frozen=True)
class ReportFilter:
    """Which tickets a report looks at: a range of UTC days (both ends included) and optional filters."""

    start: date
    end: date
    category: Category | None = None
    assignee: User | None = None

    @property
    def days(self):
        return (self.end - self.start).days + 1

    @property
    def start_at(self):
        return datetime.combine(self.start, datetime.min.time())

    @property
    def end_at(self):
        """The first moment after the range (exclusive)."""
        return datetime.combine(self.end + timedelta(days=1), datetime.min.time())

    def query_args(self):
        """The filter as URL arguments, the way the page and the API read them."""
        args = {"from": self.start.isoformat(), "to": self.end.isoformat()}
        if self.category is not None:
            args["category"] = self.category.slug
        if self.assignee is not None:
            args["assignee_id"] = str(self.assignee.id)
        return args


@dataclass(frozen=True)
class Percentiles:
    """Durations in minutes (None when there was nothing to measure)."""

    median: float | None = None
    p90: float | None = None
    count: int = 0


@dataclass(frozen=True)
class Csat:
    good: int = 0
    bad: int = 0

    @property
    def score(self):
        total = self.good + self.bad
        return round(self.good / total, 4) if total else None


@dataclass(frozen=True)
class Day:
    date: date
    created: int
    solved: int


@dataclass
class AgentFigures:
    """One row of the per-agent table; `agent` is None for tickets nobody is assigned to."""

    agent: User | None
    solved: int = 0
    first_response_minutes: float | None = None  # the median
    csat: Csat = field(default_factory=Csat)


@dataclass
class Report:
    filter: ReportFilter
    created: int
    solved: int
    first_response_minutes: Percentiles
    resolution_minutes: Percentiles
    sla_attainment: float | None
    sla_tickets: int  # created in range with an SLA policy: what sla_attainment is a share of
    csat: Csat
    by_day: list
    backlog: dict  # status -> tickets, for OPEN_STATUSES in order
    agents: list
    generated_at: datetime

    @property
    def backlog_total(self):
        return sum(self.backlog.values())


# ------------------------------------------------------------------------------------------------------------ filter


def _parse_day(value, name, errors):
    text = (value or "").strip()
    if not text:
        return None
    try:
        day = date.fromisoformat(text) if DAY_PATTERN.fullmatch(text) else None
    except ValueError:  # e.g. 2025-02-30
        day = None
    if day is None:
        errors[name] = DATE_HINT
    elif not EARLIEST <= day <= LATEST:
        errors[name] = f"Enter a date between {EARLIEST.isoformat()} and {LATEST.isoformat()}."
        day = None
    return day


def report_filter(actor, start=None, end=None, category=None, assignee_id=None, today=None):
    """The range and filters of a report from what a person or program sent (text, as in a URL).

    Empty values take the defaults: `end` today, `start` 29 days before `end`.
    :raises ValidationError: beside `from`, `to`, `category` or `assignee_id`.
    """
    require_staff(actor)
    today = today or utcnow().date()
    errors = {}
    first = _parse_day(start, "from", errors)
    last = _parse_day(end, "to", errors)
    if not errors:
        last = last or today
        first = first or last - timedelta(days=DEFAULT_DAYS - 1)
        if first > last:
            errors["to"] = f"The end date must be on or after the start date ({first.isoformat()})."
        elif (last - first).days + 1 > MAX_DAYS:
            errors["from"] = (f"A report covers at most {MAX_DAYS} days: pick a start date on or after "
                              f"{(last - timedelta(days=MAX_DAYS - 1)).isoformat()}.")
    chosen_category = None
    slug = (category or "").strip()
    if slug:
        chosen_category = Category.get_or_none(Category.slug == slug[:64])
        if chosen_category is None:
            errors["category"] = "There is no category with this slug."
    assignee = None
    raw_id = str(assignee_id).strip() if assignee_id is not None else ""
    if raw_id:
        if raw_id.isdigit() and 0 < int(raw_id) < 2**53:
            assignee = User.get_or_none((User.id == int(raw_id)) & User.role.in_(STAFF_ROLES))
        if assignee is None:
            errors["assignee_id"] = "There is no agent with this id."
    if errors:
        raise ValidationError(errors)
    return ReportFilter(first, last, chosen_category, assignee)


def staff(actor):
    """Every agent and admin, active or not (their past work is in the reports), by name."""
    require_staff(actor)
    return list(User.select().where(User.role.in_(STAFF_ROLES)).order_by(User.name, User.id))


def categories(actor):
    """Every category, active or not, in display order."""
    require_staff(actor)
    return list(Category.select().order_by(Category.position, Category.name))


# ------------------------------------------------------------------------------------------------------------ report
#
# A report is seven statements inside one read transaction (so that they all see the same tickets): tickets created
# per day and assignee (a GROUP BY over the created_at index), tickets solved per day and assignee (over a covering
# index), first response times ranked overall and per assignee, resolution times ranked, ratings per assignee and
# score, the backlog per status, and the staff for names. The two GROUP BYs give the counts, so the ranking
# statements only number the sorted durations (a window function) and return the few rows the percentiles
# interpolate between.


def _snapshot():
    """A read transaction: every statement of a report sees the same tickets (SQLite's WAL readers always do;
    PostgreSQL needs REPEATABLE READ for it)."""
    if is_sqlite():
        return db.atomic()
    return db.atomic(isolation_level="REPEATABLE READ")


def _one(condition):
    return fn.SUM(Case(None, [(condition, SQL("1"))], SQL("0")))


def _minutes(later, earlier):
    """later - earlier in minutes, as a floating-point number, in the engine's own dialect."""
    if is_sqlite():
        # julianday() reads the stored text fastest (strftime('%s') is twice as slow); exact to well under a second.
        return (fn.julianday(later).coerce(False) - fn.julianday(earlier).coerce(False)) * SQL("1440.0")
    return fn.date_part(SQL("'epoch'"), later - earlier).coerce(False) / SQL("60.0")


def _day(value):
    # SQLite's date() gives text, PostgreSQL's a date: both print as YYYY-MM-DD.
    return date.fromisoformat(str(value)[:10])


def _scope(flt):
    conditions = [Ticket.deleted_at.is_null()]
    if flt.category is not None:
        conditions.append(Ticket.category == flt.category.id)
    if flt.assignee is not None:
        conditions.append(Ticket.assignee == flt.assignee.id)
    return conditions


def _created_in(flt):
    return (Ticket.created_at >= flt.start_at) & (Ticket.created_at < flt.end_at)


def _solved_in(flt):
    # Two index ranges (resolved_at, and closed_at of tickets never resolved), which both engines OR together.
    return (((Ticket.resolved_at >= flt.start_at) & (Ticket.resolved_at < flt.end_at))
            | (Ticket.resolved_at.is_null() & (Ticket.closed_at >= flt.start_at) & (Ticket.closed_at < flt.end_at)))


SOLVED_AT = fn.COALESCE(Ticket.resolved_at, Ticket.closed_at)


def _created_by_day(flt, now):
    """(day, assignee id, created, with a first response, with an SLA policy, SLA kept)."""
    day = fn.date(Ticket.created_at).coerce(False)
    with_policy = Ticket.sla_policy.is_null(False)
    kept = with_policy & Ticket.sla_breached_at.is_null() & (Ticket.due_at.is_null() | (Ticket.due_at > now))
    return list(
        Ticket.select(day, Ticket.assignee, fn.COUNT(SQL("*")), _one(Ticket.first_response_at.is_null(False)),
                      _one(with_policy), _one(kept))
        .where(_created_in(flt), *_scope(flt))
        .group_by(day, Ticket.assignee)
        .tuples()
    )


def _solved_by_day(flt):
    """(day, assignee id, solved)."""
    day = fn.date(SOLVED_AT).coerce(False)
    return list(
        Ticket.select(day, Ticket.assignee, fn.COUNT(SQL("*")))
        .where(_solved_in(flt), *_scope(flt))
        .group_by(day, Ticket.assignee)
        .tuples()
    )


def ranks(count, p):
    """The 1-based ranks of the two sorted values that percentile p of `count` values interpolates between."""
    position = p * (count - 1)
    return math.floor(position) + 1, math.ceil(position) + 1


def percentile(values_by_rank, count, p):
    """Percentile p of `count` sorted values, continuous like PostgreSQL's percentile_cont: the value at position
    p * (count - 1) counted from 0, interpolated linearly; rounded to a tenth of a minute; None for no values."""
    if not count:
        return None
    low, high = ranks(count, p)
    below, above = values_by_rank[low], values_by_rank[high]
    return round(below + (above - below) * (p * (count - 1) - (low - 1)), 1)


def _at_ranks(durations, count, per_agent_counts=None):
    """The durations at the ranks the percentiles need, ({rank: minutes}, {assignee id: {rank: minutes}}), from a
    derived table of (agent, m): ranked overall and, given the counts per assignee, per assignee. Only ranks are
    computed here (the counts come from the GROUP BY statements) and only the rows at wanted ranks come back."""
    m = durations.c.m
    columns = [durations.c.agent, m, fn.ROW_NUMBER().over(order_by=[m]).alias("rn")]
    if per_agent_counts is not None:
        columns.append(fn.ROW_NUMBER().over(partition_by=[durations.c.agent], order_by=[m]).alias("agent_rn"))
    else:
        columns.append(SQL("NULL").alias("agent_rn"))
    ranked = durations.select_from(*columns).alias("ranked")
    overall_ranks = sorted({*ranks(count, 0.5), *ranks(count, 0.9)}) if count else []
    wanted = {agent: set(ranks(n, 0.5)) for agent, n in (per_agent_counts or {}).items() if n}
    agent_ranks = sorted(set().union(*wanted.values()))
    # A plain IN per rank column keeps the filter cheap per row; the few rows of other agents are dropped below.
    condition = ranked.c.rn.in_(overall_ranks) if overall_ranks else SQL("0 = 1")
    if agent_ranks:
        condition = condition | ranked.c.agent_rn.in_(agent_ranks)
    c = ranked.c
    overall, per_agent = {}, defaultdict(dict)
    for agent, minutes, rank, agent_rank in ranked.select_from(c.agent, c.m, c.rn, c.agent_rn).where(condition).tuples():
        overall[rank] = float(minutes)
        if agent_rank in wanted.get(agent, ()):
            per_agent[agent][agent_rank] = float(minutes)
    return overall, per_agent


def _first_response_times(flt, count, per_agent_counts):
    durations = (
        Ticket.select(Ticket.assignee.alias("agent"), _minutes(Ticket.first_response_at, Ticket.created_at).alias("m"))
        .where(_created_in(flt), Ticket.first_response_at.is_null(False), *_scope(flt))
        .alias("first_responses")
    )
    return _at_ranks(durations, count, per_agent_counts)


def _resolution_times(flt, count):
    durations = (
        Ticket.select(Ticket.assignee.alias("agent"), _minutes(SOLVED_AT, Ticket.created_at).alias("m"))
        .where(_solved_in(flt), *_scope(flt))
        .alias("resolutions")
    )
    return _at_ranks(durations, count)[0]


def _ratings(flt):
    """(assignee id, score, count) of the ratings given in the range."""
    return list(
        Rating.select(Ticket.assignee, Rating.score, fn.COUNT(SQL("*")))
        .join(Ticket, on=(Rating.ticket == Ticket.id))
        .where((Rating.rated_at >= flt.start_at) & (Rating.rated_at < flt.end_at), *_scope(flt))
        .group_by(Ticket.assignee, Rating.score)
        .tuples()
    )


def _backlog(flt):
    """Tickets waiting for work right now, by status (the status indexes make this a read of open tickets only)."""
    backlog = dict.fromkeys(OPEN_STATUSES, 0)
    rows = (Ticket.select(Ticket.status, fn.COUNT(SQL("*")))
            .where(Ticket.status.in_(OPEN_STATUSES), *_scope(flt))
            .group_by(Ticket.status)
            .tuples())
    for status, n in rows:
        backlog[status] = n
    return backlog


def report(actor, flt, now=None):
    """The whole report for `flt`: the section 11 summary, the backlog and the per-agent table, in a fixed seven
    statements whatever the number of tickets."""
    require_staff(actor)
    now = now or utcnow()
    created, solved = defaultdict(int), defaultdict(int)
    answered, solved_by_agent = defaultdict(int), defaultdict(int)
    csat = defaultdict(lambda: {"good": 0, "bad": 0})
    sla_tickets = sla_kept = 0
    with _snapshot():
        for day, agent, n, with_response, with_policy, kept in _created_by_day(flt, now):
            created[_day(day)] += n
            answered[agent] += with_response or 0
            sla_tickets += with_policy or 0
            sla_kept += kept or 0
        for day, agent, n in _solved_by_day(flt):
            solved[_day(day)] += n
            solved_by_agent[agent] += n
        answered_n, solved_n = sum(answered.values()), sum(solved.values())
        first_responses, first_responses_by_agent = _first_response_times(flt, answered_n, answered)
        resolutions = _resolution_times(flt, solved_n)
        for agent, score, n in _ratings(flt):
            if score in ("good", "bad"):
                csat[agent][score] += n
        backlog = _backlog(flt)
        people = {user.id: user for user in staff(actor)}

    def spread(values, count):
        return Percentiles(percentile(values, count, 0.5), percentile(values, count, 0.9), count)

    agents = [
        AgentFigures(
            agent=people.get(agent_id) if agent_id is not None else None,
            solved=solved_by_agent.get(agent_id, 0),
            first_response_minutes=percentile(first_responses_by_agent[agent_id], answered.get(agent_id, 0), 0.5),
            csat=Csat(**csat[agent_id]) if agent_id in csat else Csat(),
        )
        for agent_id in {a for a, n in answered.items() if n} | set(solved_by_agent) | set(csat)
    ]
    # Most solved first, then by name; tickets nobody is assigned to last.
    agents.sort(key=lambda row: (row.agent is None, -row.solved, row.agent.name.lower() if row.agent else ""))

    return Report(
        filter=flt,
        created=sum(created.values()),
        solved=solved_n,
        first_response_minutes=spread(first_responses, answered_n),
        resolution_minutes=spread(resolutions, solved_n),
        sla_attainment=round(sla_kept / sla_tickets, 4) if sla_tickets else None,
        sla_tickets=sla_tickets,
        csat=Csat(sum(c["good"] for c in csat.values()), sum(c["bad"] for c in csat.values())),
        by_day=[Day(day, created.get(day, 0), solved.get(day, 0))
                for day in (flt.start + timedelta(days=offset) for offset in range(flt.days))],
        backlog=backlog,
        agents=agents,
        generated_at=now,
    )
