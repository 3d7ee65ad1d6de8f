"""The reports page through Flask's test client: figures, charts with tables, filters by htmx, CSV downloads."""
import csv
import io
import json
import re
from datetime import timedelta
from html import unescape

import pytest

from portal.models import Category, Rating, Ticket, User, utcnow

from .conftest import make_user

HX = {"HX-Request": "true"}


@pytest.fixture
def signed_in_agent(client, auth, agent):
    auth.login(agent.email)
    return agent


def ticket(customer, created, first_response=None, resolved=None, assignee=None, category=None, status=None,
           deleted=False):
    """A ticket with known times (minutes after `created`)."""
    later = lambda m: None if m is None else created + timedelta(minutes=m)  # noqa: E731
    return Ticket.create(subject="Printer is on fire", customer=customer, assignee=assignee,
                         category=Category.get(Category.slug == category) if category else None,
                         status=status or ("resolved" if resolved is not None else "open"),
                         created_at=created, updated_at=created, first_response_at=later(first_response),
                         resolved_at=later(resolved), deleted_at=created if deleted else None)


def days_ago(n, hour=10):
    today = utcnow().replace(hour=hour, minute=0, second=0, microsecond=0)
    return today - timedelta(days=n)


def chart_data(html, name):
    """What a chart is drawn from: the JSON in its canvas's data-chart-data attribute."""
    match = re.search(rf"<canvas data-chart=\"{name}\" data-chart-data='([^']*)'", html)
    assert match, f"no {name} chart on the page"
    return json.loads(unescape(match.group(1)))


def figure(html, label):
    match = re.search(rf"<dt>{label}</dt><dd><span class=\"kpi-value\"[^>]*>([^<]*)</span>", html)
    assert match, f"no {label} figure"
    return match.group(1)


# ------------------------------------------------------------------------------------------------------------ page


def test_page_shows_figures_charts_tables_and_downloads(client, signed_in_agent, customer):
    ticket(customer, days_ago(3), first_response=30, resolved=120, assignee=signed_in_agent)
    ticket(customer, days_ago(2), first_response=90, assignee=signed_in_agent)
    ticket(customer, days_ago(1), status="waiting")
    response = client.get("/agent/reports")
    assert response.status_code == 200
    assert "HX-Request" in response.headers["Vary"]
    html = response.get_data(as_text=True)
    assert "<h1>Reports</h1>" in html
    assert figure(html, "Created") == "3" and figure(html, "Solved") == "1"
    assert figure(html, "First response") == "1 h"  # the median of 30 and 90 minutes
    assert figure(html, "Resolution") == "2 h"
    assert figure(html, "Backlog now") == "2"
    # Each chart has its canvas, a table beside it and a CSV download of that table.
    for chart in ("by_day", "backlog", "agents"):
        assert f'data-chart="{chart}"' in html
        assert f"/agent/reports/{chart}.csv?" in html
    assert "/agent/reports/summary.csv?" in html
    assert html.count("<table") == 3
    by_day = chart_data(html, "by_day")
    assert len(by_day["labels"]) == 30 and sum(by_day["created"]) == 3 and sum(by_day["solved"]) == 1
    assert chart_data(html, "backlog")["values"] == [1, 0, 1]
    assert chart_data(html, "agents") == {"labels": ["Ana Agent"], "solved": [1]}
    assert "vendor/chart.umd.min.js" in html and "js/reports.js" in html
    assert 'aria-current="page">Reports</a>' in html


def test_page_has_no_inline_script_or_style(client, signed_in_agent, customer):
    ticket(customer, days_ago(1), first_response=5)
    html = client.get("/agent/reports").get_data(as_text=True)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline script found"
    assert " style=" not in html
    assert "cdn" not in html.lower()


def test_the_trash_and_other_ranges_stay_out(client, signed_in_agent, customer):
    ticket(customer, days_ago(2))
    ticket(customer, days_ago(2), deleted=True)
    ticket(customer, days_ago(45))
    html = client.get("/agent/reports").get_data(as_text=True)
    assert figure(html, "Created") == "1"
    start = (utcnow() - timedelta(days=59)).date().isoformat()
    html = client.get(f"/agent/reports?from={start}").get_data(as_text=True)
    assert figure(html, "Created") == "2"
    assert f'name="from" value="{start}"' in html


def test_filters_narrow_the_report_and_stay_in_the_form(client, signed_in_agent, customer):
    other = make_user("agent", "ben@example.com", "Ben Agent")
    ticket(customer, days_ago(1), assignee=signed_in_agent, category="billing")
    ticket(customer, days_ago(1), assignee=other, category="billing")
    ticket(customer, days_ago(1), assignee=other, category="technical")
    html = client.get(f"/agent/reports?category=billing&assignee_id={other.id}").get_data(as_text=True)
    assert figure(html, "Created") == "1"
    assert '<option value="billing" selected>' in html
    assert f'<option value="{other.id}" selected>' in html
    # The downloads and the quick ranges keep the filters.
    assert f"/agent/reports/by_day.csv?from=" in html and f"category=billing&amp;assignee_id={other.id}" in html


def test_htmx_filter_change_gets_the_report_fragment(client, signed_in_agent, customer):
    ticket(customer, days_ago(1))
    response = client.get("/agent/reports?category=billing", headers=HX)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<div id="report"')
    assert "<html" not in html and "<h1>" not in html
    assert 'data-chart="by_day"' in html
    form = re.search(r'<form id="report-filters"[^>]*>', html).group(0)
    assert 'hx-get="/agent/reports"' in form and 'action="/agent/reports"' in form
    assert 'hx-push-url="true"' in form and 'hx-target="#report"' in form


def test_quick_ranges_are_real_links(client, signed_in_agent):
    html = client.get("/agent/reports").get_data(as_text=True)
    links = re.findall(r'<a href="([^"]+)" hx-get="([^"]+)"[^>]*>(Last \d+ days|This month|Last month)</a>', html)
    assert len(links) == 6
    for href, hx_get, _ in links:
        assert href == hx_get
        assert client.get(unescape(href)).status_code == 200
    assert re.search(r'aria-current="true">Last 30 days</a>', html)


@pytest.mark.parametrize("query, field, words", [
    ("from=2025-02-30", "from", "YYYY-MM-DD"),
    ("from=2025-03-10&to=2025-03-01", "to", "on or after the start date"),
    ("from=2020-01-01&to=2025-01-01", "from", "at most 366 days"),
    ("category=nope", "category", "no category"),
    ("assignee_id=424242", "assignee", "no agent"),
])
def test_bad_filters_answer_422_beside_the_field(client, signed_in_agent, query, field, words):
    response = client.get(f"/agent/reports?{query}")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    error = re.search(rf'<p class="error" id="rf-{field}-error">([^<]*)</p>', html)
    assert error and words in error.group(1)
    assert f'aria-describedby="rf-{field}-error"' in html and 'aria-invalid="true"' in html
    assert "data-chart=" not in html
    # What was typed stays in the form.
    if "from=2025-02-30" in query:
        assert 'name="from" value="2025-02-30"' in html
    # htmx swaps 422 answers too (see base.html), so the message shows in place.
    assert client.get(f"/agent/reports?{query}", headers=HX).status_code == 422


def test_customers_and_guests_get_no_report(client, auth, customer):
    response = client.get("/agent/reports")
    assert response.status_code == 302 and "/login?next=" in response.headers["Location"]
    auth.login(customer.email)
    assert client.get("/agent/reports").status_code == 403
    assert client.get("/agent/reports/by_day.csv").status_code == 403


def test_admins_see_reports_too(client, auth, admin):
    auth.login(admin.email)
    assert client.get("/agent/reports").status_code == 200


def test_the_page_makes_a_fixed_number_of_queries(client, signed_in_agent, customer, count_queries):
    ticket(customer, days_ago(1), first_response=5, resolved=10, assignee=signed_in_agent)
    client.get("/agent/reports")
    with count_queries() as few:
        assert client.get("/agent/reports").status_code == 200
    agents = [make_user("agent") for _ in range(3)] + [signed_in_agent, None]
    for n in range(80):
        row = ticket(customer, days_ago(n % 28, hour=n % 24), first_response=n + 1, resolved=(n + 1) * 7,
                     assignee=agents[n % 5], category=("billing", "technical", None)[n % 3])
        Rating.create(ticket=row, score=("good", "bad")[n % 2], rated_at=days_ago(n % 20))
    with count_queries() as many:
        assert client.get("/agent/reports").status_code == 200
    assert few.count == many.count
    with count_queries() as filtered:
        client.get(f"/agent/reports?category=billing&assignee_id={signed_in_agent.id}", headers=HX)
    assert filtered.count == many.count + 2  # the category and the agent are looked up


# ---------------------------------------------------------------------------------------------------------- CSV


def read_csv(response):
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_each_table_downloads_as_csv(client, signed_in_agent, customer):
    ticket(customer, days_ago(1), first_response=30, resolved=90, assignee=signed_in_agent)
    response = client.get("/agent/reports/by_day.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    today = utcnow().date()
    start = today - timedelta(days=29)
    assert response.headers["Content-Disposition"] == \
        f'attachment; filename="report-by-day-{start.isoformat()}-to-{today.isoformat()}.csv"'
    rows = read_csv(response)
    assert rows[0] == ["Date", "Created", "Solved"] and len(rows) == 31
    assert rows[-2][1] == "1"  # yesterday
    backlog = read_csv(client.get("/agent/reports/backlog.csv"))
    assert backlog == [["Status", "Tickets"], ["Open", "0"], ["In progress", "0"], ["Waiting on customer", "0"],
                       ["Total", "0"]]
    agents = read_csv(client.get("/agent/reports/agents.csv"))
    assert agents[1] == ["Ana Agent", "ana@example.com", "1", "30.0", "0", "0", ""]
    summary = dict(read_csv(client.get("/agent/reports/summary.csv"))[1:])
    assert summary["Created"] == "1" and summary["First response, median (minutes)"] == "30.0"
    assert summary["From"] == start.isoformat() and summary["Category"] == "Any"


def test_csv_downloads_keep_the_filters(client, signed_in_agent, customer):
    ticket(customer, days_ago(1), category="billing")
    ticket(customer, days_ago(1), category="technical")
    summary = dict(read_csv(client.get("/agent/reports/summary.csv?category=billing"))[1:])
    assert summary["Created"] == "1" and summary["Category"] == "Billing"


@pytest.mark.parametrize("name", ["=HYPERLINK(\"http://evil.example\",\"x\")", "+1+2", "-2+3", "@SUM(A1)",
                                  "\tTabbed", "\rReturn"])
def test_csv_cells_never_become_formulas(client, signed_in_agent, customer, name):
    evil = User.create(email="evil@example.com", name=name, role="agent")
    ticket(customer, days_ago(1), first_response=5, resolved=5, assignee=evil)
    rows = read_csv(client.get("/agent/reports/agents.csv"))
    cell = next(row[0] for row in rows[1:] if row[1] == "evil@example.com")
    assert cell == "'" + name


def test_csv_with_bad_filters_shows_the_page_with_errors(client, signed_in_agent):
    response = client.get("/agent/reports/agents.csv?from=nonsense")
    assert response.status_code == 422
    assert "text/html" in response.headers["Content-Type"]
    assert 'id="rf-from-error"' in response.get_data(as_text=True)


def test_unknown_table_is_404(client, signed_in_agent):
    assert client.get("/agent/reports/tickets.csv").status_code == 404
