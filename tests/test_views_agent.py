"""The agent portal through Flask's test client: queue, bulk actions, workspace, new tickets and customers."""
import io
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from portal.models import Attachment, FieldChange, Message, Ticket, User
from portal.services import tickets

from .conftest import csrf_from, make_user

HX = {"HX-Request": "true"}


def file(customer, subject="Printer is on fire", **kw):
    return tickets.create_ticket(customer, subject, "It smells of toner.", **kw)


@pytest.fixture
def signed_in_agent(client, auth, agent):
    auth.login(agent.email)
    return agent


def token(client, path="/agent"):
    return csrf_from(client.get(path).get_data(as_text=True))


def row_ids(html):
    return [int(n) for n in re.findall(r'name="ticket_ids" value="(\d+)"', html)]


# ------------------------------------------------------------------------------------------------------------ queue


def test_sign_in_sends_staff_to_the_queue(client, auth, agent):
    response = auth.login(agent.email)
    assert response.status_code == 303 and response.headers["Location"].endswith("/agent")


def test_queue_page_shows_views_filters_and_rows(client, signed_in_agent, customer):
    ticket = file(customer, subject="Export spins forever", category="billing")
    tickets.update_ticket(signed_in_agent, ticket.id, tags=["vip"])
    response = client.get("/agent")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "HX-Request" in response.headers["Vary"]
    assert "<html" in html and 'id="queue-filters"' in html and 'id="queue-views"' in html
    for label in ("My open", "Unassigned", "All open", "Waiting", "Resolved", "Closed", "Billing"):
        assert label in html
    assert "Export spins forever" in html and "Cara Customer" in html and "vip" in html
    assert "Needs reply" in html  # the customer spoke last
    assert row_ids(html) == [ticket.id]


def test_filter_request_gets_only_the_table(client, signed_in_agent, customer):
    file(customer, subject="Refund request", priority="urgent")
    file(customer, subject="Other thing")
    response = client.get("/agent?view=open&priority=urgent", headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in html and 'id="queue-filters"' not in html
    assert html.lstrip().startswith('<div id="queue-results"')
    # The counts do not change with the filters: a filter change or page link leaves the side bar as it is.
    assert 'id="queue-views"' not in html
    assert "Refund request" in html and "Other thing" not in html


def test_filters_are_reflected_in_the_form(client, signed_in_agent, customer):
    html = client.get("/agent?view=open&status=open&status=waiting&q=toner&sort=priority&dir=asc").get_data(
        as_text=True)
    assert 'name="status" value="open" checked' in html and 'name="status" value="waiting" checked' in html
    assert 'name="status" value="closed" checked' not in html
    assert 'value="toner"' in html
    assert '<option value="priority" selected>' in html and '<option value="asc" selected>' in html


def test_every_filter_narrows_the_queue(client, signed_in_agent, customer):
    agent = signed_in_agent
    other = make_user("agent", name="Otis Agent")
    a = file(customer, subject="Alpha", priority="urgent", category="billing")
    tickets.update_ticket(agent, a.id, assignee_id=agent.id, tags=["vip", "refund"])
    b = file(customer, subject="Bravo", category="bug")
    tickets.update_ticket(agent, b.id, assignee_id=other.id, tags=["refund"], status="waiting")
    c = file(customer, subject="Charlie")
    tickets.reply(agent, c.id, "The quetzal cluster is down", internal=True)

    def ids(query):
        return sorted(row_ids(client.get("/agent?" + query, headers=HX).get_data(as_text=True)))

    assert ids("view=open") == sorted([a.id, b.id, c.id])
    assert ids("view=mine") == [a.id]
    assert ids("view=unassigned") == [c.id]
    assert ids("view=waiting") == [b.id]
    assert ids("view=category-billing") == [a.id]
    assert ids("status=open&status=in_progress") == sorted([a.id, c.id])
    assert ids("priority=urgent") == [a.id]
    assert ids("assignee=me") == [a.id]
    assert ids("assignee=none") == [c.id]
    assert ids(f"assignee={other.id}") == [b.id]
    assert ids("category=bug") == [b.id]
    assert ids("tag=refund") == sorted([a.id, b.id])
    assert ids("tag=refund&tag=vip") == [a.id]
    assert ids("q=quetzal") == [c.id]  # internal notes are searched for agents
    assert row_ids(client.get("/agent?view=open&sort=created&dir=asc", headers=HX).get_data(as_text=True)) == [
        a.id, b.id, c.id]
    assert row_ids(client.get("/agent?view=open&sort=priority", headers=HX).get_data(as_text=True))[0] == a.id


def test_invalid_filter_values_answer_422_not_500(client, signed_in_agent):
    response = client.get("/agent?status=bogus")
    assert response.status_code == 422 and "Statuses are" in response.get_data(as_text=True)
    assert client.get("/agent?sort=colour").status_code == 422
    assert client.get("/agent?cursor=garbage").status_code == 422
    assert client.get("/agent?view=nothing").status_code == 404


def test_queue_pages_with_a_cursor(client, signed_in_agent, customer):
    made = [file(customer, subject=f"Ticket {i}") for i in range(30)]
    html = client.get("/agent?view=open&priority=normal").get_data(as_text=True)
    assert len(row_ids(html)) == 25 and "30 tickets" in html
    link = re.search(r'rel="next" href="([^"]+)" hx-get="([^"]+)"', html)
    assert link and link.group(1) == link.group(2)
    next_url = link.group(1).replace("&amp;", "&")
    args = parse_qs(urlsplit(next_url).query)
    assert args["view"] == ["open"] and args["priority"] == ["normal"] and args["cursor"]
    second = client.get(next_url, headers=HX).get_data(as_text=True)
    assert sorted(row_ids(html) + row_ids(second)) == sorted(t.id for t in made)
    assert "First page" in second


def test_queue_query_count_is_constant(client, signed_in_agent, customer, count_queries):
    def measure():
        with count_queries() as q:
            assert client.get("/agent?view=open").status_code == 200
        return q.count

    agent = signed_in_agent
    for i in range(10):
        t = file(customer, subject=f"Few {i}", category="billing")
        tickets.update_ticket(agent, t.id, assignee_id=agent.id, tags=["vip", f"tag{i}"])
    few = measure()
    for i in range(90):
        t = file(customer, subject=f"Many {i}", category="bug")
        tickets.update_ticket(agent, t.id, assignee_id=agent.id, tags=["refund", f"other{i}"])
    many = measure()
    assert few == many


# ------------------------------------------------------------------------------------------------------------- bulk


def test_bulk_action_plain_post_redirects_back_to_the_same_queue(client, signed_in_agent, customer):
    a, b, c = file(customer), file(customer), file(customer)
    response = client.post("/agent/bulk", data={
        "csrf_token": token(client), "ticket_ids": [a.id, b.id], "status": "in_progress", "priority": "high",
        "assignee_id": "me", "add_tag": "escalated", "queue": "view=open&priority=normal",
    })
    assert response.status_code == 303
    location = urlsplit(response.headers["Location"])
    assert location.path == "/agent" and parse_qs(location.query) == {"view": ["open"], "priority": ["normal"]}
    for ticket_id in (a.id, b.id):
        t = tickets.get_ticket(signed_in_agent, ticket_id)
        assert (t.status, t.priority, t.assignee.id) == ("in_progress", "high", signed_in_agent.id)
        assert [tag.name for tag in t.tag_list] == ["escalated"]
        assert {h.field for h in tickets.history(signed_in_agent, ticket_id)} == {"status", "priority", "assignee",
                                                                                 "tags"}
    assert Ticket.get_by_id(c.id).status == "open"
    assert "2 tickets updated." in client.get(response.headers["Location"]).get_data(as_text=True)


def test_bulk_action_with_htmx_returns_the_refreshed_table(client, signed_in_agent, customer):
    a, b = file(customer, priority="low"), file(customer, priority="low")
    response = client.post("/agent/bulk", headers=HX, data={
        "csrf_token": token(client), "ticket_ids": [a.id], "priority": "urgent", "queue": "view=open&priority=low",
    })
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert "1 ticket updated." in html and 'hx-swap-oob="true"' in html
    # The table still shows the queue as filtered: only the remaining low-priority ticket.
    assert row_ids(html) == [b.id]
    assert 'name="queue" value="view=open&amp;priority=low"' in html


def test_bulk_action_errors_are_422_and_change_nothing(client, signed_in_agent, customer):
    a = file(customer)
    response = client.post("/agent/bulk", headers=HX, data={
        "csrf_token": token(client), "ticket_ids": [a.id], "assignee_id": "99999", "priority": "urgent", "queue": "",
    })
    assert response.status_code == 422
    assert "Choose an active agent." in response.get_data(as_text=True)
    assert Ticket.get_by_id(a.id).priority == "normal"
    nothing = client.post("/agent/bulk", data={"csrf_token": token(client), "status": "closed", "queue": ""})
    assert nothing.status_code == 422 and "Select at least one ticket." in nothing.get_data(as_text=True)


def test_bulk_action_needs_csrf(client, signed_in_agent, customer):
    a = file(customer)
    response = client.post("/agent/bulk", data={"ticket_ids": [a.id], "status": "closed"})
    assert response.status_code == 400
    assert Ticket.get_by_id(a.id).status == "open"


# -------------------------------------------------------------------------------------------------------- workspace


def test_workspace_shows_thread_notes_history_and_other_tickets(client, signed_in_agent, customer):
    agent = signed_in_agent
    older = file(customer, subject="An older problem")
    ticket = file(customer, subject="The current problem")
    tickets.reply(agent, ticket.id, "Secret internal thought", internal=True)
    tickets.reply(agent, ticket.id, "Public answer")
    tickets.update_ticket(agent, ticket.id, priority="high")
    html = client.get(f"/agent/tickets/{ticket.id}").get_data(as_text=True)
    assert "The current problem" in html
    assert "message-note" in html and "Secret internal thought" in html and "Internal note" in html
    assert html.index("It smells of toner.") < html.index("Secret internal thought") < html.index("Public answer")
    assert "set priority to high" in html  # event line
    assert 'id="ticket-history"' in html and "<del>normal</del>" in html
    assert "An older problem" in html and f"/agent/tickets/{older.id}" in html
    assert 'action="/agent/tickets/%d/reply"' % ticket.id in html and 'hx-post="/agent/tickets/%d/reply"' % ticket.id in html
    assert "Assign to me" in html
    assert "Move to trash" not in html  # agents cannot delete


def test_workspace_of_missing_ticket_is_404(client, signed_in_agent):
    assert client.get("/agent/tickets/4242").status_code == 404


def test_reply_with_htmx_appends_and_clears_the_composer(client, signed_in_agent, customer):
    ticket = file(customer)
    path = f"/agent/tickets/{ticket.id}"
    response = client.post(path + "/reply", headers=HX, data={
        "csrf_token": token(client, path), "kind": "reply", "body": "Please try **again**", "status": "waiting",
    })
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert html.lstrip().startswith('<form id="composer"')
    assert "<textarea" in html and "Please try **again**</textarea>" not in html  # cleared
    assert 'id="ws-thread" class="thread ws-thread" aria-label="Conversation" hx-swap-oob="true"' in html
    assert "<strong>again</strong>" in html
    assert 'id="ticket-head" class="ws-head" hx-swap-oob="true"' in html
    t = Ticket.get_by_id(ticket.id)
    assert t.status == "waiting" and t.first_response_at is not None


def test_internal_note_never_changes_status(client, signed_in_agent, customer):
    ticket = file(customer)
    path = f"/agent/tickets/{ticket.id}"
    response = client.post(path + "/reply", data={
        "csrf_token": token(client, path), "kind": "note", "body": "Only for us", "status": "resolved",
    })
    assert response.status_code == 303 and response.headers["Location"].endswith(path)
    note = Message.get(Message.body == "Only for us")
    assert note.kind == "note" and not note.is_public
    assert Ticket.get_by_id(ticket.id).status == "open"
    assert "Only for us" not in "".join(m.body for m in tickets.thread(customer, ticket))


def test_empty_reply_keeps_input_and_shows_error_beside_field(client, signed_in_agent, customer):
    ticket = file(customer)
    path = f"/agent/tickets/{ticket.id}"
    response = client.post(path + "/reply", headers=HX, data={"csrf_token": token(client, path), "kind": "note",
                                                              "body": "   "})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="body-error"' in html and "Enter a message." in html
    assert '<input checked id="kind-1" name="kind" type="radio" value="note">' in html


def test_reply_with_several_attachments(client, signed_in_agent, customer):
    ticket = file(customer)
    path = f"/agent/tickets/{ticket.id}"
    response = client.post(path + "/reply", headers=HX, content_type="multipart/form-data", data={
        "csrf_token": token(client, path), "kind": "reply", "body": "Logs attached",
        "files": [(io.BytesIO(b"first log"), "one.log"), (io.BytesIO(b"second log"), "two.log")],
    })
    assert response.status_code == 200
    message = Message.get(Message.body == "Logs attached")
    assert sorted(a.filename for a in Attachment.select().where(Attachment.message == message.id)) == [
        "one.log", "two.log"]
    html = response.get_data(as_text=True)
    assert "one.log" in html and "two.log" in html


def test_attachment_errors_show_beside_the_field(app, client, signed_in_agent, customer):
    ticket = file(customer)
    path = f"/agent/tickets/{ticket.id}"
    app.config["MAX_ATTACHMENT_MB"] = 0.001  # about 1 KB
    response = client.post(path + "/reply", headers=HX, content_type="multipart/form-data", data={
        "csrf_token": token(client, path), "kind": "reply", "body": "Big file",
        "files": [(io.BytesIO(b"x" * 5000), "big.bin")],
    })
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="composer-files-error"' in html and "larger than" in html
    assert "Big file</textarea>" in html  # the text is kept
    assert Message.select().where(Message.body == "Big file").count() == 0
    assert Attachment.select().count() == 0


def test_failed_reply_does_not_keep_its_uploads(client, signed_in_agent, customer):
    ticket = file(customer)
    path = f"/agent/tickets/{ticket.id}"
    response = client.post(path + "/reply", content_type="multipart/form-data", data={
        "csrf_token": token(client, path), "kind": "reply", "body": "",
        "files": [(io.BytesIO(b"a log"), "a.log")],
    })
    assert response.status_code == 422
    assert Attachment.select().count() == 0


def test_properties_change_only_what_differs_and_write_history(client, signed_in_agent, customer):
    agent = signed_in_agent
    ticket = file(customer, category="billing")
    path = f"/agent/tickets/{ticket.id}"
    response = client.post(path + "/properties", headers=HX, data={
        "csrf_token": token(client, path), "status": "open", "priority": "urgent", "category": "billing",
        "assignee_id": str(agent.id), "tags": "vip, Refund ,", "locked": "",
    })
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and html.lstrip().startswith('<section id="ticket-panel"')
    assert 'id="ticket-history" class="ws-card ws-history" aria-labelledby="history-title" hx-swap-oob="true"' in html
    fields = sorted(h.field for h in tickets.history(agent, ticket.id))
    assert fields == ["assignee", "priority", "tags"]
    t = tickets.get_ticket(agent, ticket.id)
    assert t.priority == "urgent" and t.assignee.id == agent.id and [x.name for x in t.tag_list] == ["Refund", "vip"]
    # Posting the same values again records nothing.
    client.post(path + "/properties", headers=HX, data={
        "csrf_token": token(client, path), "status": "open", "priority": "urgent", "category": "billing",
        "assignee_id": str(agent.id), "tags": "refund, VIP",
    })
    assert FieldChange.select().where(FieldChange.ticket == ticket.id).count() == 3


def test_properties_lock_plain_post(client, signed_in_agent, customer):
    ticket = file(customer)
    path = f"/agent/tickets/{ticket.id}"
    response = client.post(path + "/properties", data={
        "csrf_token": token(client, path), "status": "open", "priority": "normal", "category": "",
        "assignee_id": "", "tags": "", "locked": "y",
    })
    assert response.status_code == 303
    t = Ticket.get_by_id(ticket.id)
    assert t.locked and t.status == "closed"


def test_properties_keep_an_inactive_assignee_untouched(client, signed_in_agent, admin, customer):
    gone = make_user("agent", name="Gone Agent")
    ticket = file(customer)
    tickets.update_ticket(signed_in_agent, ticket.id, assignee_id=gone.id)
    User.update(is_active=False).where(User.id == gone.id).execute()
    path = f"/agent/tickets/{ticket.id}"
    html = client.get(path).get_data(as_text=True)
    assert "Gone Agent" in html
    response = client.post(path + "/properties", data={
        "csrf_token": token(client, path), "status": "open", "priority": "high", "category": "",
        "assignee_id": str(gone.id), "tags": "",
    })
    assert response.status_code == 303
    t = Ticket.get_by_id(ticket.id)
    assert t.priority == "high" and t.assignee_id == gone.id


def test_properties_invalid_value_is_422(client, signed_in_agent, customer):
    ticket = file(customer)
    path = f"/agent/tickets/{ticket.id}"
    response = client.post(path + "/properties", headers=HX, data={
        "csrf_token": token(client, path), "status": "exploded", "priority": "normal", "category": "",
        "assignee_id": "", "tags": "",
    })
    assert response.status_code == 422 and "Statuses are" in response.get_data(as_text=True)


def test_assign_to_me_in_one_click(client, signed_in_agent, customer):
    ticket = file(customer)
    path = f"/agent/tickets/{ticket.id}"
    response = client.post(path + "/take", headers=HX, data={"csrf_token": token(client, path)})
    assert response.status_code == 200
    assert Ticket.get_by_id(ticket.id).assignee_id == signed_in_agent.id
    assert "Assign to me" not in response.get_data(as_text=True)


def test_workspace_query_count_is_constant(client, signed_in_agent, customer, count_queries):
    agent = signed_in_agent
    ticket = file(customer)
    path = f"/agent/tickets/{ticket.id}"

    def add(n):
        for i in range(n):
            if i % 3 == 0:
                tickets.reply(agent, ticket.id, f"Note {i}", internal=True)
            elif i % 3 == 1:
                tickets.reply(customer, ticket.id, f"Customer {i}")
            else:
                tickets.reply(agent, ticket.id, f"Agent {i}", status="waiting" if i % 2 else "in_progress")
            file(customer, subject=f"Other {i}")

    def measure():
        with count_queries() as q:
            assert client.get(path).status_code == 200
        return q.count

    add(9)
    few = measure()
    add(90)
    many = measure()
    assert Message.select().where(Message.ticket == ticket.id).count() > 100
    assert few == many


# ------------------------------------------------------------------------------------------------------ new ticket


def test_agent_opens_a_ticket_for_a_new_customer(client, signed_in_agent):
    page = client.get("/agent/tickets/new").get_data(as_text=True)
    key = re.search(r'name="submission_key" type="hidden" value="([^"]+)"', page).group(1)
    data = {"csrf_token": csrf_from(page), "customer_email": "Phoned@Example.com", "customer_name": "Phil Phoned",
            "subject": "Called about an invoice", "description": "Wants a copy of March.", "category": "billing",
            "priority": "high", "channel": "email", "assignee_id": str(signed_in_agent.id), "submission_key": key}
    response = client.post("/agent/tickets/new", data=data)
    assert response.status_code == 303
    ticket = Ticket.get(Ticket.subject == "Called about an invoice")
    assert response.headers["Location"].endswith(f"/agent/tickets/{ticket.id}")
    assert ticket.channel == "email" and ticket.priority == "high" and ticket.assignee_id == signed_in_agent.id
    customer = User.get_by_id(ticket.customer_id)
    assert (customer.email, customer.name, customer.role) == ("phoned@example.com", "Phil Phoned", "customer")
    # A double submit creates one ticket.
    client.post("/agent/tickets/new", data=data)
    assert Ticket.select().where(Ticket.subject == "Called about an invoice").count() == 1


def test_new_ticket_errors_beside_fields(client, signed_in_agent):
    page = client.get("/agent/tickets/new").get_data(as_text=True)
    response = client.post("/agent/tickets/new", data={"csrf_token": csrf_from(page), "customer_email": "",
                                                       "subject": "Kept subject", "description": "",
                                                       "channel": "email"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="customer_email-error"' in html and 'id="description-error"' in html
    assert 'value="Kept subject"' in html
    assert Ticket.select().count() == 0


def test_new_ticket_form_prefills_from_the_customer_page(client, signed_in_agent, customer):
    html = client.get(f"/agent/tickets/new?email={customer.email}&name=Cara").get_data(as_text=True)
    assert f'value="{customer.email}"' in html


# ------------------------------------------------------------------------------------------------------- customers


def test_customer_search_and_page(client, signed_in_agent, customer, other_customer):
    file(customer)
    resolved = file(customer, subject="Solved one")
    tickets.update_ticket(signed_in_agent, resolved.id, status="resolved")
    html = client.get("/agent/customers?q=cara").get_data(as_text=True)
    assert "Cara Customer" in html and "Otto Other" not in html
    fragment = client.get("/agent/customers?q=otto", headers=HX).get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="customer-list"') and "Otto Other" in fragment
    page = client.get(f"/agent/customers/{customer.id}").get_data(as_text=True)
    assert "Solved one" in page
    assert re.search(r'<span class="status-count">2</span> total', page)
    assert re.search(r'<span class="status-count">1</span> resolved', page)
    assert client.get(f"/agent/customers/{signed_in_agent.id}").status_code == 404


def test_customer_edit(client, signed_in_agent, customer):
    path = f"/agent/customers/{customer.id}"
    response = client.post(path, headers=HX, data={"csrf_token": token(client, path), "name": "Cara Renamed",
                                                  "phone": "+1 555 0100", "company": "Initech"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and html.lstrip().startswith('<section id="customer-details"')
    assert "Saved." in html
    saved = User.get_by_id(customer.id)
    assert (saved.name, saved.phone, saved.company) == ("Cara Renamed", "+1 555 0100", "Initech")
    bad = client.post(path, data={"csrf_token": token(client, path), "name": "C", "phone": "1", "company": ""})
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert 'id="name-error"' in html and 'id="phone-error"' in html and 'value="C"' in html


# ------------------------------------------------------------------------------------------------------ templates


def test_agent_pages_have_no_inline_script_or_style(client, signed_in_agent, customer):
    ticket = file(customer)
    for path in ("/agent", f"/agent/tickets/{ticket.id}", "/agent/tickets/new", "/agent/customers",
                 f"/agent/customers/{customer.id}"):
        html = client.get(path).get_data(as_text=True)
        assert "style=" not in html, path
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), path
        assert "/static/css/agent.css" in html
