"""The assistant in the pages: workspace tools, lazy suggestions, the customer's assistant thread and the admin page."""
import re

import pytest

from portal.models import Message, Ticket
from portal.services import assistant, help_center, tickets

from .assist_server import assist_server
from .conftest import Auth, csrf_from

HX = {"HX-Request": "true"}


@pytest.fixture
def model(app):
    with assist_server() as server:
        app.config.update(ASSIST_API_URL=server.url, ASSIST_TIMEOUT=2, ASSIST_QUOTA=3)
        yield server


def _workspace(client, ticket_id):
    page = client.get(f"/agent/tickets/{ticket_id}")
    assert page.status_code == 200
    return page.get_data(as_text=True)


def test_without_a_model_the_workspace_has_no_assistant_buttons_but_lazy_suggestions(client, auth, customer, agent):
    ticket = tickets.create_ticket(customer, "Router dropping", "Help.")
    auth.login(agent.email)
    html = _workspace(client, ticket.id)
    assert "Draft a reply" not in html and "Summarize" not in html
    url = f"/agent/tickets/{ticket.id}/suggestions"
    assert f'hx-get="{url}"' in html and 'hx-trigger="load"' in html and f'href="{url}"' in html


def test_suggestions_come_as_a_fragment_or_a_page(client, auth, customer, other_customer, agent):
    solved = tickets.create_ticket(other_customer, "Router dropping at night", "Fixed by a new cable.")
    tickets.update_ticket(agent, solved.id, status="resolved")
    help_center.create_article(agent, "When the router drops", "Check the cable.", status="published")
    ticket = tickets.create_ticket(customer, "Router dropping", "Help.")
    auth.login(agent.email)

    fragment = client.get(f"/agent/tickets/{ticket.id}/suggestions", headers=HX)
    html = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in html
    assert f'href="/agent/tickets/{solved.id}"' in html and "When the router drops" in html
    page = client.get(f"/agent/tickets/{ticket.id}/suggestions").get_data(as_text=True)
    assert "<html" in page and "Router dropping at night" in page


def test_customers_cannot_use_the_agent_tools(client, auth, model, customer):
    ticket = tickets.create_ticket(customer, "Router dropping", "Help.")
    auth.login(customer.email)
    token = auth.csrf("/tickets/new")
    assert client.post(f"/agent/tickets/{ticket.id}/assist/draft", data={"csrf_token": token}).status_code == 403
    assert client.get(f"/agent/tickets/{ticket.id}/suggestions").status_code == 403
    assert model.requests == []


def test_draft_a_reply_fills_the_composer_and_sends_nothing(client, auth, model, customer, agent):
    ticket = tickets.create_ticket(customer, "Router dropping", "Help.")
    auth.login(agent.email)
    html = _workspace(client, ticket.id)
    assert "Draft a reply" in html and "Summarize" in html
    token = csrf_from(html)
    model.answers += ["Please restart the router.", "Please check the cable."]

    fragment = client.post(f"/agent/tickets/{ticket.id}/assist/draft", data={"csrf_token": token}, headers=HX)
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in body
    assert re.search(r"<textarea hidden data-assistant-draft[^>]*>Please restart the router.</textarea>", body)

    # Without JavaScript the workspace comes back with the draft in the composer's text box.
    page = client.post(f"/agent/tickets/{ticket.id}/assist/draft", data={"csrf_token": token})
    assert page.status_code == 200
    composer = re.search(r'<textarea[^>]*name="body"[^>]*>([^<]*)</textarea>', page.get_data(as_text=True))
    assert composer.group(1).strip() == "Please check the cable."
    assert Ticket.get_by_id(ticket.id).message_count == 1


def test_a_failing_model_shows_an_error_in_the_panel(client, auth, model, customer, agent):
    ticket = tickets.create_ticket(customer, "Router dropping", "Help.")
    auth.login(agent.email)
    token = csrf_from(_workspace(client, ticket.id))
    model.status = 500
    response = client.post(f"/agent/tickets/{ticket.id}/assist/draft", data={"csrf_token": token}, headers=HX)
    assert response.status_code == 503
    assert "The assistant service answered 500." in response.get_data(as_text=True)
    assert 'id="assistant"' in response.get_data(as_text=True)  # the panel, buttons and all, to try again


def test_an_expired_form_is_refused(client, auth, model, customer, agent):
    ticket = tickets.create_ticket(customer, "Router dropping", "Help.")
    auth.login(agent.email)
    response = client.post(f"/agent/tickets/{ticket.id}/assist/draft", data={}, headers=HX)
    assert response.status_code == 400 and model.requests == []


def test_summarize_adds_an_assistant_note_to_the_thread(client, auth, model, customer, agent):
    ticket = tickets.create_ticket(customer, "Router dropping", "Help.")
    auth.login(agent.email)
    token = csrf_from(_workspace(client, ticket.id))
    model.answers.append("- Router drops hourly")

    fragment = client.post(f"/agent/tickets/{ticket.id}/assist/summary", data={"csrf_token": token}, headers=HX)
    html = fragment.get_data(as_text=True)
    assert fragment.status_code == 200
    assert 'id="ws-thread"' in html and 'hx-swap-oob="true"' in html and "Router drops hourly" in html
    assert "message-assistant" in html
    note = Message.get(Message.ticket == ticket.id, Message.by_assistant == True)  # noqa: E712
    assert note.kind == "note"

    plain = client.post(f"/agent/tickets/{ticket.id}/assist/summary", data={"csrf_token": token})
    assert plain.status_code == 303 and "#message-" in plain.headers["Location"]


def test_a_customer_asks_the_assistant_first_then_talks_to_a_person(client, auth, model, customer, agent):
    auth.login(customer.email)
    form = client.get("/tickets/new").get_data(as_text=True)
    assert "Ask the assistant first" in form
    model.answers.append("Restarting the router usually helps.")
    response = client.post("/tickets/new", data={
        "subject": "Router dropping", "description": "It drops hourly.", "priority": "normal",
        "ask_assistant": "y", "csrf_token": csrf_from(form)})
    assert response.status_code == 303
    ticket = Ticket.select().order_by(Ticket.id.desc()).get()
    assert ticket.assistant_state == "active"

    thread = client.get(f"/tickets/{ticket.id}").get_data(as_text=True)
    assert "Restarting the router usually helps." in thread
    assert "message-assistant" in thread and "Automatic answer" in thread
    assert "Talk to a person" in thread

    handed = client.post(f"/tickets/{ticket.id}/handover", data={"csrf_token": csrf_from(thread)})
    assert handed.status_code == 303 and handed.headers["Location"].endswith(f"/tickets/{ticket.id}")
    ticket = Ticket.get_by_id(ticket.id)
    assert ticket.assistant_state == "handed_over" and ticket.status == "open"
    assert "Talk to a person" not in client.get(f"/tickets/{ticket.id}").get_data(as_text=True)


def test_the_checkbox_is_hidden_without_a_model(client, auth, customer):
    auth.login(customer.email)
    assert "Ask the assistant first" not in client.get("/tickets/new").get_data(as_text=True)


def test_the_queue_marks_assistant_threads(client, auth, model, customer, agent):
    ticket = assistant.open_ticket(customer, subject="Router dropping", description="Help.")
    auth.login(agent.email)
    html = client.get("/agent").get_data(as_text=True)
    row = html[html.index(f'href="/agent/tickets/{ticket.id}"'):]
    assert 'class="badge badge-assistant"' in row[:1500]


def test_the_admin_page_keeps_the_instructions(app, client, auth, admin, agent):
    other = app.test_client()
    Auth(other).login(agent.email)
    assert other.get("/admin/assistant").status_code == 403
    auth.login(admin.email)
    page = client.get("/admin/assistant").get_data(as_text=True)
    assert "Not configured" in page and "ASSIST_API_URL" in page
    token = csrf_from(page)

    too_long = client.post("/admin/assistant", data={"instructions": "x" * 9000, "csrf_token": token})
    assert too_long.status_code == 422 and "at most" in too_long.get_data(as_text=True)
    saved = client.post("/admin/assistant", data={"instructions": "Be kind and brief.", "csrf_token": token})
    assert saved.status_code == 303
    assert assistant.instructions() == "Be kind and brief."
    assert "Be kind and brief." in client.get("/admin/assistant").get_data(as_text=True)
