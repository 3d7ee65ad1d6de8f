"""Reports through the API: the same figures as the reports page, for dashboards and scripts."""
from ..services import reports
from . import schemas as s
from .core import operation

TAG = "Reports"


def _person(user):
    return None if user is None else s.Person(id=user.id, name=user.name, email=user.email)


def summary(report):
    """The API shape of a service Report."""
    flt = report.filter
    return s.ReportSummary(
        from_=flt.start.isoformat(),
        to=flt.end.isoformat(),
        category=flt.category.slug if flt.category else None,
        assignee_id=flt.assignee.id if flt.assignee else None,
        created=report.created,
        solved=report.solved,
        first_response_minutes=s.ReportDurations(median=report.first_response_minutes.median,
                                                 p90=report.first_response_minutes.p90),
        resolution_minutes=s.ReportDurations(median=report.resolution_minutes.median,
                                             p90=report.resolution_minutes.p90),
        sla_attainment=report.sla_attainment,
        csat=s.ReportCsat(good=report.csat.good, bad=report.csat.bad, score=report.csat.score),
        by_day=[s.ReportDay(date=day.date.isoformat(), created=day.created, solved=day.solved)
                for day in report.by_day],
        backlog=s.ReportBacklog(**report.backlog),
        agents=[
            s.ReportAgent(
                agent=_person(row.agent),
                solved=row.solved,
                first_response_minutes=s.ReportAgentDurations(median=row.first_response_minutes),
                csat=s.ReportCsat(good=row.csat.good, bad=row.csat.bad, score=row.csat.score),
            )
            for row in report.agents
        ],
    )


@operation("GET", "/reports/summary", tag=TAG, summary="What the desk did over a range of days (agents)",
           query=s.ReportQuery, response=s.ReportSummaryResponse, errors=(403,))
def report_summary(actor, query):
    """The figures of the reports page for `from`..`to` (UTC days, both included; default the 30 days up to today,
    at most 366), optionally for one `category` (slug) and one assignee (`assignee_id`). Tickets in the trash never
    count.

    - `created`: tickets created in the range; `solved`: tickets whose latest resolution is in the range, or that
      were closed in it without ever being resolved; `by_day` lists every day, zeros included.
    - `first_response_minutes`: first response minus creation, for the tickets created in the range that have one;
      `resolution_minutes`: the moment a ticket counted as solved minus its creation, for the tickets solved in the
      range. `median` and `p90` are continuous percentiles, like PostgreSQL's `percentile_cont`: sort the n
      durations and interpolate linearly at position p × (n − 1), counted from 0. Null without data.
    - `sla_attainment`: of the tickets created in the range that have an SLA policy, the share neither breached nor
      overdue now; null when none has one.
    - `csat`: the ratings given in the range, and good / (good + bad).
    - `backlog`: open, in progress and waiting tickets right now; `agents`: per current assignee.

    A date that is not a real YYYY-MM-DD day, `from` after `to` or a longer range answer 422, as do an unknown
    category or agent.
    """
    flt = reports.report_filter(actor, query.from_, query.to, query.category, query.assignee_id)
    return s.ReportSummaryResponse(data=summary(reports.report(actor, flt)))
