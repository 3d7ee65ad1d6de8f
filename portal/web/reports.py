"""Reports for agents and admins: what the desk did over a range of days, as charts with tables and CSV files."""
import csv
import io
from datetime import timedelta

from flask import Blueprint, make_response, request
from flask_login import current_user

from ..extensions import login_manager
from ..htmx import render
from ..models import utcnow
from ..services import reports
from ..services.errors import ValidationError
from ..services.permissions import require_staff
from ..templating import status_label

bp = Blueprint("reports", __name__, url_prefix="/agent/reports")

FILTER_KEYS = ("from", "to", "category", "assignee_id")
# A cell starting with one of these is a formula to a spreadsheet; names and subjects come from users.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
SHORT_STATUS_LABELS = {"waiting": "Waiting"}  # chart axes are narrow


@bp.before_request
def _staff_only():
    """Reports are for support staff: guests sign in first, customers get 403."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    require_staff(current_user)


@bp.app_template_filter("report_share")
def share_filter(value):
    """A share between 0 and 1 as a percentage; an empty value as a dash."""
    if value is None:
        return "—"
    return f"{value * 100:.1f}%".replace(".0%", "%")


def _filter_args(source):
    return {key: (source.get(key) or "").strip()[:64] for key in FILTER_KEYS}


def _report(args):
    """(report, errors): the report for the filter arguments, or the errors beside the fields."""
    try:
        flt = reports.report_filter(current_user, args["from"], args["to"], args["category"], args["assignee_id"])
    except ValidationError as error:
        return None, error.errors
    return reports.report(current_user, flt), {}


def _quick_ranges(report, args):
    """Links to common ranges that keep the category and assignee filters."""
    today = utcnow().date()
    month_start = today.replace(day=1)
    last_month_end = month_start - timedelta(days=1)
    ranges = [
        ("Last 7 days", today - timedelta(days=6), today),
        ("Last 30 days", today - timedelta(days=29), today),
        ("Last 90 days", today - timedelta(days=89), today),
        ("This month", month_start, today),
        ("Last month", last_month_end.replace(day=1), last_month_end),
        ("Last 365 days", today - timedelta(days=364), today),
    ]
    kept = {key: args[key] for key in ("category", "assignee_id") if args[key]}
    current = (report.filter.start, report.filter.end) if report else None
    return [
        dict(label=label, args={"from": start.isoformat(), "to": end.isoformat(), **kept},
             current=current == (start, end))
        for label, start, end in ranges
    ]


def _chart_data(report):
    """What reports.js draws: the same figures as the tables beside the charts."""
    named = [row for row in report.agents if row.agent is not None][:12]
    return {
        "by_day": {
            "labels": [day.date.isoformat() for day in report.by_day],
            "created": [day.created for day in report.by_day],
            "solved": [day.solved for day in report.by_day],
        },
        "backlog": {
            "labels": [SHORT_STATUS_LABELS.get(status, status_label(status)) for status in report.backlog],
            "statuses": list(report.backlog),
            "values": list(report.backlog.values()),
        },
        "agents": {
            "labels": [row.agent.name for row in named],
            "solved": [row.solved for row in named],
        },
    }


@bp.route("")
def index():
    """The report: figures, charts with their tables and CSV downloads; htmx swaps the filters and the report."""
    args = _filter_args(request.args)
    report, errors = _report(args)
    if report is not None:
        # Show the range that was used (defaults filled in), so the form and the pushed URL say the same.
        args.update(report.filter.query_args())
    return render(
        "agent/reports.html",
        fragment="agent/_report.html",
        status=422 if errors else 200,
        report=report,
        errors=errors,
        args=args,
        categories=reports.categories(current_user),
        agents=reports.staff(current_user),
        ranges=_quick_ranges(report, args),
        chart_data=_chart_data(report) if report else None,
        limits=dict(earliest=reports.EARLIEST.isoformat(), latest=reports.LATEST.isoformat(),
                    max_days=reports.MAX_DAYS),
    )


def csv_cell(value):
    """A value as a CSV cell that a spreadsheet shows as text, never runs as a formula."""
    if value is None:
        return ""
    text = str(value)
    if isinstance(value, str) and text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def _rows(report, table):
    """The header and rows of one table of the report, as the page shows them (durations in minutes)."""
    if table == "by_day":
        return ["Date", "Created", "Solved"], [[d.date.isoformat(), d.created, d.solved] for d in report.by_day]
    if table == "backlog":
        rows = [[status_label(status), n] for status, n in report.backlog.items()]
        return ["Status", "Tickets"], rows + [["Total", report.backlog_total]]
    if table == "agents":
        return (["Agent", "E-mail", "Solved", "Median first response (minutes)", "Good ratings", "Bad ratings",
                 "CSAT score"],
                [[row.agent.name if row.agent else "Unassigned", row.agent.email if row.agent else "", row.solved,
                  row.first_response_minutes, row.csat.good, row.csat.bad, row.csat.score] for row in report.agents])
    flt = report.filter
    return ["Figure", "Value"], [
        ["From", flt.start.isoformat()],
        ["To", flt.end.isoformat()],
        ["Category", flt.category.name if flt.category else "Any"],
        ["Assignee", flt.assignee.name if flt.assignee else "Anyone"],
        ["Created", report.created],
        ["Solved", report.solved],
        ["First response, median (minutes)", report.first_response_minutes.median],
        ["First response, p90 (minutes)", report.first_response_minutes.p90],
        ["Resolution, median (minutes)", report.resolution_minutes.median],
        ["Resolution, p90 (minutes)", report.resolution_minutes.p90],
        ["SLA attainment", report.sla_attainment],
        ["Tickets with an SLA policy", report.sla_tickets],
        ["Good ratings", report.csat.good],
        ["Bad ratings", report.csat.bad],
        ["CSAT score", report.csat.score],
        ["Backlog now", report.backlog_total],
    ]


@bp.route("/<any(summary, by_day, backlog, agents):table>.csv")
def download(table):
    """One table of the report as a CSV file, for the same range and filters as the page."""
    args = _filter_args(request.args)
    report, errors = _report(args)
    if errors:
        return index()
    header, rows = _rows(report, table)
    out = io.StringIO()
    out.write("\ufeff")  # a byte-order mark, so spreadsheets read the names as UTF-8
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([csv_cell(value) for value in row] for row in rows)
    response = make_response(out.getvalue())
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    name = f"report-{table.replace('_', '-')}-{report.filter.start.isoformat()}-to-{report.filter.end.isoformat()}.csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response
