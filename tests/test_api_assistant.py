"""The assistant through the API: drafts, summaries, hand-over, suggestions and the assistant's mark on messages."""
import pytest

from portal.models import Ticket
from portal.services import assistant, help_center, tickets

from .assist_server import assist_server
from .test_api_auth import Api, person, token_for


@pytest.fixture
def people(app):
    cara = person("customer", "cara@example.com", "Cara Customer")
    otto = person("customer", "otto@example.com", "Otto Other")
    ana = person("agent", "ana@example.com", "Ana Agent")
    return cara, otto, ana


@pytest.fixture
def model(app):
    with assist_server() as server:
        app.config.update(ASSIST_API_URL=server.url, ASSIST_TIMEOUT=2, ASSIST_QUOTA=5)
        yield server


def api(client, user):
    return Api(client, token_for(user))


def test_an_agent_gets_a_draft_and_nothing_is_sent(client, model, people):
    cara, _, ana = people
    ticket = tickets.create_ticket(cara, "Cannot export", "The export button does nothing.")
    model.answers.append("Please try the CSV export from Settings.")

    response = api(client, ana).post(f"/tickets/{ticket.id}/assist/draft")

    assert response.status_code == 200
    assert response.get_json() == {"data": {"body": "Please try the CSV export from Settings."}}
    assert Ticket.get_by_id(ticket.id).message_count == 1


def test_a_summary_is_a_201_note_whose_author_is_the_assistant(client, model, people):
    cara, _, ana = people
    ticket = tickets.create_ticket(cara, "Cannot export", "The export button does nothing.")
    model.answers.append("- Export broken")

    response = api(client, ana).post(f"/tickets/{ticket.id}/assist/summary")

    assert response.status_code == 201
    note = response.get_json()["data"]
    assert note["kind"] == "note" and note["internal"] is True
    assert note["author"] == {"id": None, "name": "Assistant", "role": "assistant"}
    shown = api(client, cara).get(f"/tickets/{ticket.id}").get_json()["data"]
    assert note["id"] not in [m["id"] for m in shown["messages"]]


@pytest.mark.parametrize("path", ["assist/draft", "assist/summary"])
def test_customers_may_not_use_agent_tools(client, model, people, path):
    cara, _, _ = people
    ticket = tickets.create_ticket(cara, "Cannot export", "Nothing happens.")
    response = api(client, cara).post(f"/tickets/{ticket.id}/{path}")
    assert response.status_code == 403
    assert model.requests == []


def test_not_configured_is_a_503_problem(client, people):
    cara, _, ana = people
    ticket = tickets.create_ticket(cara, "Cannot export", "Nothing happens.")
    response = api(client, ana).post(f"/tickets/{ticket.id}/assist/draft")
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["code"] == "ASSISTANT_UNAVAILABLE" and "not configured" in problem["detail"]


def test_a_slow_model_is_a_503_that_says_so(app, client, model, people):
    cara, _, ana = people
    ticket = tickets.create_ticket(cara, "Cannot export", "Nothing happens.")
    app.config["ASSIST_TIMEOUT"] = 0.3
    model.delay = 2
    response = api(client, ana).post(f"/tickets/{ticket.id}/assist/summary")
    assert response.status_code == 503
    assert response.get_json()["detail"] == "The assistant did not answer in 0.3 s."
    assert Ticket.get_by_id(ticket.id).message_count == 1


def test_an_assistant_thread_in_ticket_json_and_talk_to_a_person(client, model, people):
    cara, otto, ana = people
    model.answers.append("Have you tried the CSV export?")
    ticket = assistant.open_ticket(cara, subject="Cannot export", description="Nothing happens.")

    shown = api(client, cara).get(f"/tickets/{ticket.id}").get_json()["data"]
    assert shown["assistant"] == {"state": "active", "answers": 1, "quota": 5}
    assert shown["status"] == "waiting"
    answer = shown["messages"][-1]
    assert answer["body"] == "Have you tried the CSV export?"
    assert answer["author"]["role"] == "assistant" and answer["internal"] is False

    assert api(client, otto).post(f"/tickets/{ticket.id}/handover").status_code == 404
    response = api(client, cara).post(f"/tickets/{ticket.id}/handover")
    assert response.status_code == 200
    data = response.get_json()["data"]
    assert data["assistant"]["state"] == "handed_over" and data["status"] == "open"
    again = api(client, ana).post(f"/tickets/{ticket.id}/handover")
    assert again.status_code == 409 and again.get_json()["code"] == "CONFLICT"


def test_ordinary_tickets_have_no_assistant(client, people):
    cara, _, _ = people
    ticket = tickets.create_ticket(cara, "Plain", "Plain.")
    assert api(client, cara).get(f"/tickets/{ticket.id}").get_json()["data"]["assistant"] is None


def test_suggestions_work_without_a_model(client, people):
    cara, otto, ana = people
    solved = tickets.create_ticket(otto, "Export to CSV fails", "Broken.")
    tickets.update_ticket(ana, solved.id, status="resolved")
    help_center.create_article(ana, "Exporting your data", "Use the CSV export.", status="published")
    ticket = tickets.create_ticket(cara, "CSV export is broken", "Help.")

    response = api(client, ana).get(f"/tickets/{ticket.id}/suggestions")

    assert response.status_code == 200
    data = response.get_json()["data"]
    assert [t["id"] for t in data["tickets"]] == [solved.id]
    assert data["tickets"][0]["status"] == "resolved" and data["tickets"][0]["solved_at"]
    assert [a["title"] for a in data["articles"]] == ["Exporting your data"]
    assert data["articles"][0]["url"].endswith("/help/articles/exporting-your-data")
    assert api(client, cara).get(f"/tickets/{ticket.id}/suggestions").status_code == 403
