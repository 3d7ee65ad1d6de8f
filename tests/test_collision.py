"""Collision detection: presence on a ticket (database and Redis) and the traffic-cop rule on send (HTML and API)."""
import io
import re

import pytest
import time_machine

from portal.models import Attachment, Message, Presence, Ticket
from portal.services import presence, tickets
from portal.services.errors import NewerMessages, NotFound, PermissionDenied, ValidationError

from .conftest import csrf_from, make_user, open_app
from .servers import redis_url  # noqa: F401
from .test_api_auth import Api, token_for

HX = {"HX-Request": "true"}


def file(customer, subject="Printer is on fire"):
    return tickets.create_ticket(customer, subject, "It smells of toner.")


def newest_id(ticket):
    return Message.select().where(Message.ticket == ticket.id).order_by(Message.id.desc()).first().id


# --------------------------------------------------------------------------------------------------------- service


def test_a_reply_is_held_when_someone_else_replied_publicly_since(app, customer, agent):
    ticket = file(customer)
    seen = newest_id(ticket)
    tickets.reply(customer, ticket.id, "Any news? It is still smoking.")
    with pytest.raises(NewerMessages) as held:
        tickets.reply(agent, ticket.id, "Have you tried turning it off?", after_message_id=seen)
    assert [m.body for m in held.value.messages] == ["Any news? It is still smoking."]
    assert held.value.status == 409
    assert Message.select().where(Message.body == "Have you tried turning it off?").count() == 0

    # Once the agent has seen the news, the same reply goes out.
    message = tickets.reply(agent, ticket.id, "Have you tried turning it off?", after_message_id=newest_id(ticket))
    assert message.id and Ticket.get_by_id(ticket.id).first_response_at is not None


def test_notes_events_and_the_writers_own_replies_never_hold_a_reply(app, customer, agent):
    ticket = file(customer)
    seen = newest_id(ticket)
    colleague = make_user("agent", "ben@example.com", "Ben Agent")
    tickets.reply(colleague, ticket.id, "I think it is the fuser", internal=True)  # a note: not public
    tickets.update_ticket(colleague, ticket.id, status="in_progress")  # an event line
    tickets.reply(agent, ticket.id, "First answer")  # my own reply from another tab
    assert tickets.reply(agent, ticket.id, "Second answer", after_message_id=seen).body == "Second answer"


def test_a_note_is_never_held(app, customer, agent):
    ticket = file(customer)
    seen = newest_id(ticket)
    tickets.reply(customer, ticket.id, "Hello?")
    note = tickets.reply(agent, ticket.id, "Customer is impatient", internal=True, after_message_id=seen)
    assert note.kind == "note"


def test_a_colleagues_reply_holds_mine_too(app, customer, agent):
    ticket = file(customer)
    seen = newest_id(ticket)
    colleague = make_user("agent", "ben@example.com", "Ben Agent")
    tickets.reply(colleague, ticket.id, "On it, replacing the toner now.")
    with pytest.raises(NewerMessages) as held:
        tickets.reply(agent, ticket.id, "Replacing the toner", after_message_id=seen)
    assert held.value.messages[0].author.name == "Ben Agent"


@pytest.mark.parametrize("bad", ["-1", "abc", -5])
def test_a_bad_after_message_id_is_a_field_error(app, customer, agent, bad):
    ticket = file(customer)
    with pytest.raises(ValidationError) as error:
        tickets.reply(agent, ticket.id, "Hi", after_message_id=bad)
    assert "after_message_id" in error.value.errors


# ----------------------------------------------------------------------------------------------------------- API


@pytest.fixture
def api(client, customer, agent):
    return {"customer": Api(client, token_for(customer)), "agent": Api(client, token_for(agent))}


def test_api_answers_409_listing_the_newer_messages(api, customer):
    ticket = api["customer"].post("/tickets", {"subject": "Refund", "description": "Where is my refund?"}).get_json()
    seen = ticket["data"]["messages"][-1]["id"]
    api["customer"].post(f"/tickets/{ticket['data']['id']}/messages", {"body": "Order 1234, by the way."})

    held = api["agent"].post(f"/tickets/{ticket['data']['id']}/messages",
                             {"body": "Which order?", "after_message_id": seen})
    assert held.status_code == 409
    assert held.headers["Content-Type"] == "application/problem+json"
    problem = held.get_json()
    assert problem["code"] == "CONFLICT" and "since" in problem["detail"]
    assert [m["body"] for m in problem["messages"]] == ["Order 1234, by the way."]
    assert problem["messages"][0]["author"]["role"] == "customer"

    newest = problem["messages"][-1]["id"]
    sent = api["agent"].post(f"/tickets/{ticket['data']['id']}/messages",
                             {"body": "Thanks, found order 1234.", "after_message_id": newest})
    assert sent.status_code == 201
    assert Message.select().where(Message.body == "Which order?").count() == 0


def test_api_after_message_id_is_optional_and_validated(api):
    ticket = api["customer"].post("/tickets", {"subject": "Refund", "description": "Where?"}).get_json()["data"]
    assert api["agent"].post(f"/tickets/{ticket['id']}/messages", {"body": "Without it"}).status_code == 201
    bad = api["agent"].post(f"/tickets/{ticket['id']}/messages", {"body": "x", "after_message_id": -1})
    assert bad.status_code == 422
    assert bad.get_json()["errors"][0]["location"] == "body.after_message_id"


# ---------------------------------------------------------------------------------------------------- presence


def test_two_agents_see_each_other_and_who_is_writing(app, customer, agent):
    ticket = file(customer)
    ben = make_user("agent", "ben@example.com", "Ben Agent")
    assert presence.report(agent, ticket.id) == []
    others = presence.report(ben, ticket.id, "replying")
    assert [(c.user.name, c.state) for c in others] == [("Ana Agent", "viewing")]
    others = presence.report(agent, ticket.id)
    assert [(c.user.name, c.replying) for c in others] == [("Ben Agent", True)]


def test_presence_fades_after_the_window_and_on_leave(app, customer, agent):
    ticket = file(customer)
    ben = make_user("agent", "ben@example.com", "Ben Agent")
    with time_machine.travel("2026-03-02 10:00:00", tick=False) as clock:
        presence.report(ben, ticket.id)
        clock.shift(presence.WINDOW - 2)
        assert [c.user.name for c in presence.report(agent, ticket.id)] == ["Ben Agent"]
        clock.shift(5)
        assert presence.report(agent, ticket.id) == []
    presence.report(ben, ticket.id)
    presence.leave(ben, ticket.id)
    assert presence.report(agent, ticket.id) == []


def test_presence_is_for_staff_and_real_tickets(app, customer, agent):
    ticket = file(customer)
    with pytest.raises(PermissionDenied):
        presence.report(customer, ticket.id)
    with pytest.raises(NotFound):
        presence.report(agent, 4242)
    with pytest.raises(ValidationError):
        presence.report(agent, ticket.id, "typing-furiously")


def test_presence_through_redis_is_shared_by_two_app_processes(tmp_path, redis_url):  # noqa: F811
    """Two apps on one Redis (as two gunicorn machines would be) see each other; the database table stays empty."""
    with open_app(tmp_path / "one", REDIS_URL=redis_url) as first:
        customer = make_user("customer")
        ana, ben = make_user("agent", name="Ana Agent"), make_user("agent", name="Ben Agent")
        ticket = file(customer)
        presence.report(ana, ticket.id, "replying")
        assert [(c.user.name, c.state) for c in presence.report(ben, ticket.id)] == [("Ana Agent", "replying")]
        assert Presence.select().count() == 0
        ana_id, ticket_id = ana.id, ticket.id
        presence.leave(ben, ticket.id)
    del first
    # A second app instance with the same Redis: what the first recorded is there (same ids in a fresh database).
    with open_app(tmp_path / "two", REDIS_URL=redis_url):
        customer = make_user("customer")
        ana, ben = make_user("agent", name="Ana Agent"), make_user("agent", name="Ben Agent")
        ticket = file(customer)
        assert (ana.id, ticket.id) == (ana_id, ticket_id)
        assert [c.user.name for c in presence.report(ben, ticket.id)] == ["Ana Agent"]


# ----------------------------------------------------------------------------------------------------------- HTML


@pytest.fixture
def signed_in_agent(client, auth, agent):
    auth.login(agent.email)
    return agent


def token(client, path):
    return csrf_from(client.get(path).get_data(as_text=True))


def composer_after_id(html):
    return int(re.search(r'id="after_message_id" name="after_message_id" type="hidden" value="(\d+)"', html).group(1))


def test_the_workspace_polls_presence_and_shows_colleagues(client, signed_in_agent, customer):
    ticket = file(customer)
    path = f"/agent/tickets/{ticket.id}"
    html = client.get(path).get_data(as_text=True)
    assert f'hx-post="{path}/presence"' in html and 'hx-trigger="load, every 4s, presence-change"' in html
    assert composer_after_id(html) == newest_id(ticket)

    ben = make_user("agent", "ben@example.com", "Ben Agent")
    presence.report(ben, ticket.id, "replying")
    tickets.reply(customer, ticket.id, "Still smoking!")
    polled = client.post(path + "/presence", headers=HX, data={
        "csrf_token": token(client, path), "state": "viewing", "after_message_id": composer_after_id(html)})
    fragment = polled.get_data(as_text=True)
    assert polled.status_code == 200 and "<html" not in fragment
    assert "<bdi>Ben Agent</bdi> is replying" in fragment
    assert "1 new reply since you opened this ticket" in fragment
    # Ben sees Ana viewing.
    assert [(c.user.name, c.state) for c in presence.report(ben, ticket.id)] == [("Ana Agent", "viewing")]


def test_a_held_reply_keeps_text_and_files_and_sends_anyway(client, signed_in_agent, customer):
    ticket = file(customer)
    path = f"/agent/tickets/{ticket.id}"
    html = client.get(path).get_data(as_text=True)
    seen = composer_after_id(html)
    tickets.reply(customer, ticket.id, "Never mind, **it works** now!")

    held = client.post(path + "/reply", headers=HX, content_type="multipart/form-data", data={
        "csrf_token": csrf_from(html), "kind": "reply", "body": "Please send a photo of the printer.",
        "after_message_id": str(seen), "status": "waiting",
        "files": [(io.BytesIO(b"how to take a photo"), "guide.txt")],
    })
    page = held.get_data(as_text=True)
    assert held.status_code == 409
    assert "Not sent yet:" in page and "Never mind, it works now!" in page
    assert "Please send a photo of the printer.</textarea>" in page  # nothing lost
    assert "Send anyway" in page and 'name="status" value="waiting"' in page
    assert "guide.txt" in page
    assert Message.select().where(Message.body == "Please send a photo of the printer.").count() == 0
    assert composer_after_id(page) == newest_id(ticket)
    upload = Attachment.get(Attachment.filename == "guide.txt")
    assert upload.message_id is None and f'name="kept_attachment_ids" value="{upload.id}"' in page

    sent = client.post(path + "/reply", headers=HX, data={
        "csrf_token": csrf_from(page), "kind": "reply", "body": "Great, closing then.", "status": "waiting",
        "after_message_id": str(composer_after_id(page)), "kept_attachment_ids": str(upload.id),
    })
    assert sent.status_code == 200
    message = Message.get(Message.body == "Great, closing then.")
    assert [a.filename for a in Attachment.select().where(Attachment.message == message.id)] == ["guide.txt"]
    assert Ticket.get_by_id(ticket.id).status == "waiting"


def test_someone_elses_upload_cannot_be_kept(client, signed_in_agent, customer):
    ticket = file(customer)
    theirs = Attachment.create(uploader=customer.id, filename="secret.pdf", content_type="application/pdf", size=3,
                               sha256="0" * 64)
    path = f"/agent/tickets/{ticket.id}"
    client.post(path + "/reply", data={"csrf_token": token(client, path), "kind": "reply", "body": "Hi",
                                       "kept_attachment_ids": str(theirs.id)})
    assert Attachment.get_by_id(theirs.id).message_id is None


def test_presence_without_htmx_goes_back_to_the_workspace(client, signed_in_agent, customer):
    ticket = file(customer)
    path = f"/agent/tickets/{ticket.id}"
    response = client.post(path + "/presence", data={"csrf_token": token(client, path)})
    assert response.status_code == 303 and response.headers["Location"].endswith(path)


def test_customers_cannot_poll_presence(client, auth, customer):
    ticket = file(customer)
    auth.login(customer.email)
    response = client.post(f"/agent/tickets/{ticket.id}/presence", headers=HX, data={"csrf_token": auth.csrf()})
    assert response.status_code == 403


def test_the_worker_forgets_presence_nobody_refreshed(app, customer, agent):
    from datetime import timedelta

    from portal import jobs
    from portal.models import utcnow

    ticket = file(customer)
    presence.report(agent, ticket.id)
    Presence.update(seen_at=utcnow() - timedelta(minutes=5)).execute()
    other = file(customer, "Fresh")
    presence.report(agent, other.id)
    jobs.sweep_presence.call_local()
    assert [row.ticket_id for row in Presence.select()] == [other.id]
