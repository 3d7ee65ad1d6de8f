"""What the busiest pages cost in SQL statements: a fixed number whatever the size of the desk, a partial doing only
its part, and planner statistics kept by init-db, reindex and a daily job."""
import datetime

import pytest

from portal import jobs
from portal.db import db
from portal.services import saved_views, tickets

from .conftest import make_user

HX = {"HX-Request": "true"}


def file(customer, n, **kw):
    return tickets.create_ticket(customer, f"Printer {n} is on fire", "It smells of toner.", category="billing", **kw)


@pytest.fixture
def signed_in_agent(client, auth, agent):
    auth.login(agent.email)
    return agent


def cost(client, count_queries, path, headers=None):
    with count_queries() as counted:
        assert client.get(path, headers=headers or {}).status_code == 200
    return counted.count


def fill_queue(agent, customer, start, stop):
    for n in range(start, stop):
        ticket = file(customer, n)
        tickets.update_ticket(agent, ticket.id, assignee_id=agent.id, tags=["vip", f"tag{n}"], cc=[f"cc{n}@example.com"])


# ---------------------------------------------------------------------------------------------------- statistics


def stat_tables():
    return {row[0] for row in db.execute_sql("SELECT tbl FROM sqlite_stat1")} if "sqlite_stat1" in {
        row[0] for row in db.execute_sql("SELECT name FROM sqlite_master WHERE type = 'table'")} else set()


def test_the_daily_job_gives_the_planner_statistics_of_the_tickets(app, agent, customer):
    fill_queue(agent, customer, 0, 3)
    assert "ticket" not in stat_tables()
    daily = jobs.refresh_statistics.task_class().validate_datetime
    assert daily(datetime.datetime(2026, 12, 3, 3, 41)) and not daily(datetime.datetime(2026, 12, 3, 4, 41))
    jobs.refresh_statistics.call_local()
    assert {"ticket", "ticket_tag", "message"} <= stat_tables()
    # The statistics describe the tickets as they are: 3 rows.
    rows = [stat for tbl, stat in db.execute_sql("SELECT tbl, stat FROM sqlite_stat1") if tbl == "ticket"]
    assert rows and all(stat.split()[0] == "3" for stat in rows)


@pytest.mark.parametrize("command", [["init-db"], ["reindex"]])
def test_init_db_and_reindex_refresh_the_statistics(app, agent, customer, command):
    fill_queue(agent, customer, 0, 2)
    db.close()  # the commands open their own connection
    result = app.test_cli_runner().invoke(args=command)
    assert result.exit_code == 0, result.output
    db.connect(reuse_if_open=True)
    assert "ticket" in stat_tables()


# --------------------------------------------------------------------------------------------------------- queue


def test_the_queue_page_costs_a_fixed_number_of_queries(client, signed_in_agent, customer, count_queries):
    fill_queue(signed_in_agent, customer, 0, 10)
    few = cost(client, count_queries, "/agent?view=open")
    fill_queue(signed_in_agent, customer, 10, 60)
    many = cost(client, count_queries, "/agent?view=open")
    # The signed-in agent; the page's total; its 25 rows; their tags; their categories' questions; the agents,
    # categories and tags the filters offer; the live counts; the service-level counts; "My views".
    assert few == many == 11


def test_the_queue_partial_does_only_the_tables_work(client, signed_in_agent, customer, count_queries):
    fill_queue(signed_in_agent, customer, 0, 10)
    full = cost(client, count_queries, "/agent?view=open&priority=normal")
    partial = cost(client, count_queries, "/agent?view=open&priority=normal", HX)
    # The signed-in agent; the total; the rows; their tags; their categories' questions; the agents and tags of the
    # bulk bar. No side-bar counts, no categories, no saved views.
    assert partial == 7 < full
    fill_queue(signed_in_agent, customer, 10, 60)
    assert cost(client, count_queries, "/agent?view=open&priority=normal", HX) == partial
    # A category view: its category is checked, and named in the caption (two look-ups in a small table, no counting).
    assert cost(client, count_queries, "/agent?view=category-billing", HX) == partial + 2
    # An empty table has no bulk bar: the agent, the total and the (empty) rows only.
    assert cost(client, count_queries, "/agent?view=open&q=nothingmatchesthis", HX) == 3
    html = client.get("/agent?view=category-billing", headers=HX).get_data(as_text=True)
    assert html.lstrip().startswith('<div id="queue-results"') and "<caption" in html and "Billing" in html
    assert 'id="queue-views"' not in html and 'id="bulk-assignee"' in html and "Ana Agent" in html
    # "Save this view" in the side bar learns the filters now shown, out of band.
    assert '<input type="hidden" id="qv-save-queue" name="queue" value="view=category-billing" hx-swap-oob="true">' in html


def test_a_change_from_the_queue_still_refreshes_the_side_bar(client, signed_in_agent, customer, auth):
    ticket = file(customer, 1)
    page = client.get("/agent").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="', 1)[1].split('"', 1)[0]
    html = client.post("/agent/bulk", headers=HX, data={"csrf_token": token, "queue": "view=open",
                                                        "ticket_ids": str(ticket.id), "status": "waiting"}
                       ).get_data(as_text=True)
    assert 'id="queue-views" class="qv" aria-label="Queue views" hx-swap-oob="true"' in html
    assert 'Waiting</span> <span class="qv-count">1</span>' in html


def test_saved_views_cost_the_full_page_one_count_each(client, signed_in_agent, customer, count_queries):
    fill_queue(signed_in_agent, customer, 0, 5)
    before = cost(client, count_queries, "/agent")
    saved_views.create_view(signed_in_agent, "Urgent", {"priority": ["urgent"]})
    assert cost(client, count_queries, "/agent") == before + 1
    assert cost(client, count_queries, "/agent", HX) < before


# ----------------------------------------------------------------------------------------------------- workspace


def test_the_ticket_page_reads_the_ticket_and_its_tags_once(client, signed_in_agent, customer, count_queries):
    agent = signed_in_agent
    ticket = file(customer, 0)
    tickets.reply(agent, ticket.id, "On it.")
    path = f"/agent/tickets/{ticket.id}"
    few = cost(client, count_queries, path)
    for n in range(1, 12):
        file(customer, n)
        tickets.update_ticket(agent, ticket.id, tags=[f"t{i}" for i in range(n)],
                              cc=[f"cc{i}@example.com" for i in range(n)], priority=["low", "high"][n % 2])
    many = cost(client, count_queries, path)
    # The signed-in agent; the ticket with its people and category; its tags; its CCs; its category's questions;
    # the agents, categories and tags the side panel offers; the customer's other tickets (total, rows, their
    # tags and questions); the thread (first message and the latest ones, their attachments); the history; macros.
    assert few == many == 17


# ---------------------------------------------------------------------------------------------------- customer


def test_the_customers_list_costs_a_fixed_number_of_queries(client, auth, agent, customer, count_queries):
    fill_queue(agent, customer, 0, 3)
    auth.login(customer.email)
    few = cost(client, count_queries, "/tickets")
    fill_queue(agent, customer, 3, 40)
    make_user("customer")
    many = cost(client, count_queries, "/tickets")
    # The signed-in customer; their sharing organization (asked by the page and by the list); the total; the rows;
    # their tags; their categories' questions.
    assert few == many == 7
    assert cost(client, count_queries, "/tickets?status=open", HX) == 7
