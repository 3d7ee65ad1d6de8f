"""Saved views in the queue's side bar: save the current filters, open them again, delete them; owners only."""
import re
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from portal.models import SavedView
from portal.services import saved_views, tickets

from .conftest import csrf_from, make_user

HX = {"HX-Request": "true"}


def file(customer, subject, **kw):
    return tickets.create_ticket(customer, subject, "Please help.", **kw)


@pytest.fixture
def signed_in_agent(client, auth, agent):
    auth.login(agent.email)
    return agent


def token(client):
    return csrf_from(client.get("/agent").get_data(as_text=True))


def row_ids(html):
    return sorted(int(n) for n in re.findall(r'name="ticket_ids" value="(\d+)"', html))


def my_views(html):
    """(name, count, current) for each entry of "My views"."""
    group = html.split('id="qv-mine-heading"', 1)[1].split("</ul>", 1)[0]
    return [(name, int(count), bool(current)) for current, name, count in re.findall(
        r'<a href="[^"]*" hx-boost="true"(?: title="[^"]*")?( aria-current="page")?><bdi class="qv-label">([^<]*)</bdi> '
        r'<span class="qv-count">(\d+)</span>', group)]


def saved_link(html, name):
    return re.search(r'<a href="([^"]*)" hx-boost="true"[^>]*><bdi class="qv-label">' + re.escape(name), html)[1]


def save(client, name, queue, headers=None):
    return client.post("/agent/views", data={"csrf_token": token(client), "name": name, "queue": queue},
                       headers=headers or {})


def test_saving_the_current_filters_and_opening_them_again(client, signed_in_agent, customer):
    agent = signed_in_agent
    mine = file(customer, "Urgent and mine", priority="urgent", category="billing")
    tickets.update_ticket(agent, mine.id, assignee_id=agent.id)
    file(customer, "Urgent, nobody's", priority="urgent", category="billing")
    file(customer, "Normal", category="billing")
    queue = "view=category-billing&priority=urgent&assignee=me&sort=created&dir=asc"
    before = client.get("/agent?" + queue).get_data(as_text=True)
    assert row_ids(before) == [mine.id]

    response = save(client, "Billing fires", queue)
    assert response.status_code == 303
    assert dict(parse_qsl(urlsplit(response.headers["Location"]).query)) == dict(parse_qsl(queue))
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "View “Billing fires” saved." in page
    assert my_views(page) == [("Billing fires", 1, True)]
    assert 'aria-current="page"><bdi class="qv-label">Billing</bdi>' not in page  # only one entry is current

    view = SavedView.get()
    assert saved_views.filters_of(view) == {"status": "open,in_progress,waiting", "priority": "urgent",
                                            "category": "billing", "assignee_id": "me", "order_by": "created_at",
                                            "order_dir": "asc"}
    # Its link opens the queue on the same tickets, with the view highlighted.
    link = saved_link(page, "Billing fires").replace("&amp;", "&")
    opened = client.get(link).get_data(as_text=True)
    assert row_ids(opened) == [mine.id]
    assert my_views(opened) == [("Billing fires", 1, True)]
    # Elsewhere in the queue it is listed, not highlighted, with a live count.
    other = file(customer, "Another urgent one", priority="urgent", category="billing")
    tickets.update_ticket(agent, other.id, assignee_id=agent.id)
    assert my_views(client.get("/agent?view=open").get_data(as_text=True)) == [("Billing fires", 2, False)]


def test_htmx_save_refreshes_the_side_bar_out_of_band(client, signed_in_agent, customer):
    file(customer, "Waiting one", priority="high")
    response = save(client, "High", "view=open&priority=high", headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in html and 'id="queue-results"' in html
    assert 'id="queue-views" class="qv" aria-label="Queue views" hx-swap-oob="true"' in html
    assert my_views(html) == [("High", 1, True)]


@pytest.mark.parametrize("name, message", [("", "Give the view a name."),
                                           ("x" * 81, "A name can be at most 80 characters."),
                                           ("  taken ", "You already have a view with this name.")])
def test_a_bad_name_fails_with_422_beside_the_field_keeping_the_input(client, signed_in_agent, name, message):
    saved_views.create_view(signed_in_agent, "Taken", {})
    response = save(client, name, "view=open&priority=urgent", headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'<p class="error" id="qv-save-name-error">{message}</p>' in html
    assert 'aria-invalid="true"' in html and "<details class=\"qv-save\" open>" in html
    assert f'value="{name}"' in html if name else True
    # The queue it was saved from stays as it was.
    assert 'value="view=open&amp;priority=urgent"' in html
    assert SavedView.select().count() == 1


def test_without_javascript_errors_render_the_whole_queue(client, signed_in_agent):
    response = save(client, "", "view=waiting")
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "<html" in html
    assert "Give the view a name." in html


def test_delete_keeps_the_queue_as_it_was(client, signed_in_agent):
    view = saved_views.create_view(signed_in_agent, "Old", {"priority": "low"})
    response = client.post(f"/agent/views/{view.id}/delete",
                           data={"csrf_token": token(client), "queue": "view=waiting&q=printer"})
    assert response.status_code == 303
    assert dict(parse_qsl(urlsplit(response.headers["Location"]).query)) == {"view": "waiting", "q": "printer"}
    assert SavedView.select().count() == 0
    assert "View deleted." in client.get(response.headers["Location"]).get_data(as_text=True)


def test_htmx_delete_returns_the_table_and_side_bar(client, signed_in_agent):
    view = saved_views.create_view(signed_in_agent, "Old", {"priority": "low"})
    saved_views.create_view(signed_in_agent, "Kept", {})
    response = client.post(f"/agent/views/{view.id}/delete", data={"csrf_token": token(client), "queue": "view=open"},
                           headers=HX)
    assert response.status_code == 200
    assert [name for name, _, _ in my_views(response.get_data(as_text=True))] == ["Kept"]


def test_another_agents_views_are_invisible_and_404(client, auth, agent, app):
    other = make_user("agent")
    theirs = saved_views.create_view(other, "Their secret view", {"priority": "urgent"})
    auth.login(agent.email)
    assert "Their secret view" not in client.get("/agent").get_data(as_text=True)
    response = client.post(f"/agent/views/{theirs.id}/delete", data={"csrf_token": token(client), "queue": ""})
    assert response.status_code == 404
    assert SavedView.select().count() == 1


def test_customers_cannot_save_views(client, auth, customer):
    auth.login(customer.email)
    token_ = auth.csrf("/")
    response = client.post("/agent/views", data={"csrf_token": token_, "name": "Mine", "queue": ""})
    assert response.status_code == 403
    assert SavedView.select().count() == 0


def test_each_saved_view_costs_the_queue_page_one_count_query(client, signed_in_agent, customer, count_queries):
    for n in range(5):
        file(customer, f"Ticket {n}", priority="urgent" if n % 2 else "normal")

    def measure():
        with count_queries() as q:
            assert client.get("/agent?view=open").status_code == 200
        return q.count

    saved_views.create_view(signed_in_agent, "Urgent", {"priority": "urgent"})
    one = measure()
    saved_views.create_view(signed_in_agent, "Search", {"search": "ticket", "tags": "vip,refund"})
    saved_views.create_view(signed_in_agent, "Mine, soon due", {"assignee_id": "me", "sla": "due_soon",
                                                                "category": "billing"})
    saved_views.create_view(signed_in_agent, "Unassigned", {"unassigned": True, "order_by": "due_at"})
    four = measure()
    assert four - one == 3


def test_the_save_form_carries_the_current_filters(client, signed_in_agent):
    html = client.get("/agent?" + urlencode({"view": "open", "q": "refund", "tag": "vip"}),
                      headers=HX).get_data(as_text=True)
    assert 'name="queue" value="view=open&amp;tag=vip&amp;q=refund"' in html
