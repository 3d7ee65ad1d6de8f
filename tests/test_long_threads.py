"""Long threads: the first message and the latest 50, "Show earlier" with and without htmx, constant query counts."""
import re
from datetime import timedelta

from portal.db import write
from portal.models import Message
from portal.services import tickets

from .conftest import Auth

HTMX = {"HX-Request": "true"}


def long_ticket(customer, agent, replies, notes_every=7):
    """A ticket whose thread has the opening message and `replies` more, an internal note every `notes_every`."""
    ticket = tickets.create_ticket(customer, "A very long story", "It all started with a beep.")
    opening = Message.get(Message.ticket == ticket.id)
    rows = []
    for n in range(1, replies + 1):
        note = n % notes_every == 0
        rows.append({
            "ticket": ticket.id,
            "kind": "note" if note else "reply",
            "author": agent.id if note or n % 2 else customer.id,
            "body": f"{'Note' if note else 'Reply'} number {n}",
            "body_html": f"<p>{'Note' if note else 'Reply'} number {n}</p>",
            "is_public": not note,
            "created_at": opening.created_at + timedelta(minutes=n),
        })
    with write():
        for start in range(0, len(rows), 200):
            Message.insert_many(rows[start:start + 200]).execute()
    return ticket


def visible_ids(ticket, staff):
    query = Message.select(Message.id).where(Message.ticket == ticket.id)
    if not staff:
        query = query.where(Message.is_public == True)  # noqa: E712
    return [m.id for m in query.order_by(Message.created_at, Message.id)]


def shown_ids(html):
    return [int(n) for n in re.findall(r'<li class="[^"]*" id="message-(\d+)"', html)]


def earlier_link(html):
    match = re.search(r'<li class="thread-earlier"[^>]*>\s*<a class="btn btn-sm" href="([^"]+)" hx-get="([^"]+)"', html)
    return (match.group(1).replace("&amp;", "&"), match.group(2).replace("&amp;", "&")) if match else None


def test_agent_page_shows_first_message_then_latest_fifty(client, auth, customer, agent):
    ticket = long_ticket(customer, agent, 300)
    everything = visible_ids(ticket, staff=True)
    auth.login(agent.email)
    html = client.get(f"/agent/tickets/{ticket.id}").get_data(as_text=True)
    assert shown_ids(html) == [everything[0]] + everything[-50:]
    assert f"Show {len(everything) - 51} earlier messages" in html
    page, partial = earlier_link(html)
    assert page == f"/agent/tickets/{ticket.id}?before={everything[-50]}"
    assert partial == f"/agent/tickets/{ticket.id}/messages?before={everything[-50]}"
    # The composer covers the newest message, so collision detection still holds a reply only for real news.
    assert f'name="after_message_id" type="hidden" value="{everything[-1]}"' in html
    assert "Internal note" in html


def test_show_earlier_walks_back_without_javascript_and_with_htmx(client, auth, customer, agent):
    ticket = long_ticket(customer, agent, 300)
    everything = visible_ids(ticket, staff=True)
    auth.login(agent.email)
    html = client.get(f"/agent/tickets/{ticket.id}").get_data(as_text=True)
    # Without JavaScript: each page is the whole workspace with the first message, the 50 before and a way back.
    seen = everything[-50:]
    page, _ = earlier_link(html)
    while page:
        response = client.get(page)
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        ids = shown_ids(html)
        assert ids[0] == everything[0]
        seen = ids[1:] + seen
        assert "Back to the latest messages" in html
        link = earlier_link(html)
        page = link[0] if link else None
    assert seen == everything[1:]  # back to the second message: no gap, no duplicate
    # With htmx: only the entries, the earlier control first, swapped in place of the old control.
    html = client.get(f"/agent/tickets/{ticket.id}").get_data(as_text=True)
    seen = everything[-50:]
    _, partial = earlier_link(html)
    while partial:
        response = client.get(partial, headers=HTMX)
        assert response.status_code == 200
        fragment = response.get_data(as_text=True)
        assert "<html" not in fragment and "ws-thread" not in fragment and "Back to the latest" not in fragment
        seen = shown_ids(fragment) + seen
        link = earlier_link(fragment)
        if link:
            assert fragment.lstrip().startswith('<li class="thread-earlier"')
            assert f"Show {len(everything) - 1 - len(seen)} earlier message" in fragment
        partial = link[1] if link else None
    assert seen == everything[1:]


def test_plain_request_for_the_partial_lands_on_the_page(client, auth, customer, agent):
    ticket = long_ticket(customer, agent, 80)
    before = visible_ids(ticket, staff=True)[-50]
    auth.login(agent.email)
    response = client.get(f"/agent/tickets/{ticket.id}/messages?before={before}")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/agent/tickets/{ticket.id}?before={before}"


def test_customer_pages_never_show_notes(client, auth, customer, agent):
    ticket = long_ticket(customer, agent, 300)
    public = visible_ids(ticket, staff=False)
    auth.login(customer.email)
    html = client.get(f"/tickets/{ticket.id}").get_data(as_text=True)
    assert shown_ids(html) == [public[0]] + public[-50:]
    assert f"Show {len(public) - 51} earlier messages" in html and "Note number" not in html
    seen, page_seen = public[-50:], public[-50:]
    page, partial = earlier_link(html)
    while partial:
        fragment = client.get(partial, headers=HTMX).get_data(as_text=True)
        html = client.get(page).get_data(as_text=True)
        assert "Note number" not in fragment and "Internal note" not in fragment and "Note number" not in html
        seen = shown_ids(fragment) + seen
        page_seen = shown_ids(html)[1:] + page_seen
        link, next_page = earlier_link(fragment), earlier_link(html)
        assert (link is None) == (next_page is None)
        page, partial = (next_page[0], link[1]) if link else (None, None)
    assert seen == page_seen == public[1:]
    # A note's id is no cursor for a customer: it is a message they cannot see.
    note = Message.get((Message.ticket == ticket.id) & (Message.kind == "note"))
    assert client.get(f"/tickets/{ticket.id}/messages?before={note.id}", headers=HTMX).status_code == 404
    assert client.get(f"/tickets/{ticket.id}?before={note.id}").status_code == 404


def test_customers_and_guests_get_404_for_other_tickets(client, auth, customer, other_customer, agent):
    ticket = long_ticket(customer, agent, 60)
    before = visible_ids(ticket, staff=False)[-50]
    auth.login(other_customer.email)
    assert client.get(f"/tickets/{ticket.id}/messages?before={before}", headers=HTMX).status_code == 404
    assert client.get(f"/tickets/{ticket.id}/messages?before={before}").status_code == 404
    assert client.get(f"/t/not-a-key/messages?before={before}", headers=HTMX).status_code == 404


def test_guest_link_pages_back_through_public_messages(app, client, agent):
    ticket, key = tickets.submit_contact("Gus Guest", "gus@example.com", "Long one", "First words")
    rows = [{"ticket": ticket.id, "kind": "note" if n % 5 == 0 else "reply", "author": agent.id,
             "body": f"Entry {n}", "body_html": f"<p>Entry {n}</p>", "is_public": n % 5 != 0,
             "created_at": ticket.created_at + timedelta(minutes=n)} for n in range(1, 121)]
    with write():
        Message.insert_many(rows).execute()
    public = visible_ids(ticket, staff=False)
    html = client.get(f"/t/{key}").get_data(as_text=True)
    assert shown_ids(html) == [public[0]] + public[-50:]
    page, partial = earlier_link(html)
    assert page == f"/t/{key}?before={public[-50]}" and partial == f"/t/{key}/messages?before={public[-50]}"
    assert f"Show {len(public) - 51} earlier messages" in html
    fragment = client.get(partial, headers=HTMX).get_data(as_text=True)
    assert shown_ids(fragment) == public[1:-50] and "Entry 5<" not in fragment and earlier_link(fragment) is None
    html = client.get(page).get_data(as_text=True)
    assert shown_ids(html) == public[:-50] and "Back to the latest messages" in html


def test_query_counts_do_not_grow_with_the_thread(app, customer, agent, count_queries):
    short, long = long_ticket(customer, agent, 60), long_ticket(customer, agent, 300)

    client = app.test_client()

    def cost(path, headers=None):
        with count_queries() as counter:
            response = client.get(path, headers=headers or {})
        assert response.status_code == 200
        return counter.count

    def partial_of(ticket, staff):
        return visible_ids(ticket, staff)[-50]

    Auth(client).login(agent.email)
    assert cost(f"/agent/tickets/{short.id}") == cost(f"/agent/tickets/{long.id}")
    assert (cost(f"/agent/tickets/{short.id}/messages?before={partial_of(short, True)}", HTMX)
            == cost(f"/agent/tickets/{long.id}/messages?before={partial_of(long, True)}", HTMX))
    client = app.test_client()
    Auth(client).login(customer.email)
    assert cost(f"/tickets/{short.id}") == cost(f"/tickets/{long.id}")
    assert (cost(f"/tickets/{short.id}/messages?before={partial_of(short, False)}", HTMX)
            == cost(f"/tickets/{long.id}/messages?before={partial_of(long, False)}", HTMX))


def test_short_threads_have_no_control(client, auth, customer, agent):
    ticket = long_ticket(customer, agent, 10)
    auth.login(agent.email)
    html = client.get(f"/agent/tickets/{ticket.id}").get_data(as_text=True)
    assert shown_ids(html) == visible_ids(ticket, staff=True)
    assert "earlier message" not in html and "Back to the latest" not in html
