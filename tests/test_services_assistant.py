"""The assistant's rules: what a model may read, what its answers do to a ticket, hand-over, and suggestions."""
import socket
import time

import pytest

from portal.models import Message, Ticket
from portal.services import assistant, help_center, tickets
from portal.services.assistant import AssistantUnavailable
from portal.services.errors import Conflict, NotFound, PermissionDenied, ValidationError

from .assist_server import assist_server


@pytest.fixture
def model(app):
    """A stand-in model the app is pointed at for the test."""
    with assist_server() as server:
        app.config.update(ASSIST_API_URL=server.url, ASSIST_MODEL="stand-in-1", ASSIST_API_KEY="sk-test",
                          ASSIST_TIMEOUT=2, ASSIST_QUOTA=3)
        yield server


def _article(agent, title, body, status="published"):
    return help_center.create_article(agent, title, body, status=status)


def test_a_draft_reads_the_public_thread_instructions_and_articles_but_never_notes(model, customer, other_customer,
                                                                                  agent, admin):
    assistant.save_instructions(admin, "Sign every answer as the Acme team.")
    _article(agent, "Resetting your router", "Hold the reset button for ten seconds.")
    _article(agent, "Router draft notes", "UNPUBLISHED-ROUTER-SECRET", status="draft")
    ticket = tickets.create_ticket(customer, "My router keeps dropping", "The router drops every hour.")
    tickets.reply(agent, ticket.id, "INTERNAL-NOTE-SECRET: customer is on the legacy plan", internal=True)
    tickets.reply(agent, ticket.id, "Which model do you have?")
    tickets.reply(customer, ticket.id, "It is the X200 router.")
    tickets.create_ticket(other_customer, "Router problem too", "OTHER-CUSTOMER-SECRET router details")
    model.answers.append("Hello! Please hold the reset button for ten seconds.")

    draft = assistant.draft_reply(agent, ticket.id)

    assert draft == "Hello! Please hold the reset button for ten seconds."
    sent = model.requests[-1]
    assert sent["path"] == "/v1/chat/completions"
    assert sent["headers"]["Authorization"] == "Bearer sk-test"
    assert sent["body"]["model"] == "stand-in-1"
    prompt = model.prompt_text()
    assert "Sign every answer as the Acme team." in prompt
    assert "The router drops every hour." in prompt and "It is the X200 router." in prompt
    assert "Which model do you have?" in prompt
    assert "Hold the reset button for ten seconds." in prompt
    for secret in ("INTERNAL-NOTE-SECRET", "OTHER-CUSTOMER-SECRET", "UNPUBLISHED-ROUTER-SECRET", customer.email):
        assert secret not in prompt
    # A draft is never sent: the thread is as it was.
    assert Message.select().where(Message.ticket == ticket.id, Message.by_assistant == True).count() == 0  # noqa: E712


def test_drafts_and_summaries_are_for_staff_only(model, customer):
    ticket = tickets.create_ticket(customer, "Printer jam", "Paper is stuck.")
    with pytest.raises(PermissionDenied):
        assistant.draft_reply(customer, ticket.id)
    with pytest.raises(PermissionDenied):
        assistant.summarize(customer, ticket.id)
    assert model.requests == []


def test_a_summary_is_an_internal_note_marked_as_the_assistants(model, customer, agent):
    ticket = tickets.create_ticket(customer, "Invoice is wrong", "I was charged twice.")
    tickets.reply(agent, ticket.id, "Refund approved by finance", internal=True)
    model.answers.append("- Charged twice\n- Refund approved")

    note = assistant.summarize(agent, ticket.id)

    assert note.kind == "note" and not note.is_public and note.by_assistant and note.author_id is None
    assert "Refund approved" in note.body
    # The summary is staff-only: notes may inform it, and it never reaches the customer.
    assert "Refund approved by finance" in model.prompt_text()
    assert note.id not in [m.id for m in tickets.thread(customer, Ticket.get_by_id(ticket.id))]


def test_without_a_url_the_assistant_is_off(app, customer, agent):
    ticket = tickets.create_ticket(customer, "Printer jam", "Paper is stuck.")
    assert not assistant.is_configured()
    with pytest.raises(AssistantUnavailable, match="not configured"):
        assistant.draft_reply(agent, ticket.id)


def test_a_failing_service_is_a_clear_error(model, customer, agent):
    ticket = tickets.create_ticket(customer, "Printer jam", "Paper is stuck.")
    model.status = 500
    with pytest.raises(AssistantUnavailable) as caught:
        assistant.draft_reply(agent, ticket.id)
    assert caught.value.message == "The assistant service answered 500."
    assert caught.value.status == 503 and caught.value.code == "ASSISTANT_UNAVAILABLE"


def test_a_slow_service_is_given_up_on_after_the_timeout(app, model, customer, agent):
    ticket = tickets.create_ticket(customer, "Printer jam", "Paper is stuck.")
    app.config["ASSIST_TIMEOUT"] = 0.5
    model.delay = 3
    started = time.monotonic()
    with pytest.raises(AssistantUnavailable, match=r"did not answer in 0\.5 s"):
        assistant.draft_reply(agent, ticket.id)
    assert time.monotonic() - started < 2


def test_an_unreachable_service_is_a_clear_error(app, customer, agent):
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    app.config["ASSIST_API_URL"] = f"http://127.0.0.1:{port}/v1"
    ticket = tickets.create_ticket(customer, "Printer jam", "Paper is stuck.")
    with pytest.raises(AssistantUnavailable, match="could not be reached"):
        assistant.draft_reply(agent, ticket.id)


def test_a_full_chat_completions_url_is_used_as_given(app, model, customer, agent):
    app.config["ASSIST_API_URL"] = model.url + "/chat/completions"
    ticket = tickets.create_ticket(customer, "Printer jam", "Paper is stuck.")
    assistant.draft_reply(agent, ticket.id)
    assert model.requests[-1]["path"] == "/v1/chat/completions"


# ------------------------------------------------------------------------------------------------ assistant threads


def _assistant_ticket(customer, subject="Cannot log in", body="My password is refused."):
    return assistant.open_ticket(customer, subject=subject, description=body)


def test_an_assistant_thread_answers_each_customer_message_and_waits_on_the_customer(model, customer, agent):
    model.answers += ["Try resetting your password.", "Then clear your cookies."]
    ticket = _assistant_ticket(customer)

    ticket = Ticket.get_by_id(ticket.id)
    assert ticket.assistant_state == "active" and ticket.assistant_answers == 1 and ticket.status == "waiting"
    answer = Message.select().where(Message.ticket == ticket.id, Message.by_assistant == True).get()  # noqa: E712
    assert answer.kind == "reply" and answer.is_public and answer.body == "Try resetting your password."
    assert "My password is refused." in model.prompt_text()

    tickets.reply(agent, ticket.id, "AGENT-NOTE: VIP customer", internal=True)
    tickets.reply(customer, ticket.id, "That did not work.")

    ticket = Ticket.get_by_id(ticket.id)
    assert ticket.assistant_answers == 2 and ticket.status == "waiting" and ticket.assistant_state == "active"
    assert "That did not work." in model.prompt_text() and "AGENT-NOTE" not in model.prompt_text()
    customer_view = [m.body for m in tickets.thread(customer, tickets.get_ticket(customer, ticket.id))]
    assert customer_view[-1] == "Then clear your cookies."
    assert ticket.unread  # the customer has an answer they have not read


def test_other_customers_tickets_never_reach_an_answer(model, customer, other_customer):
    tickets.create_ticket(other_customer, "Cannot log in either", "OTTO-PRIVATE: my password is hunter2")
    _assistant_ticket(customer)
    assert all("OTTO-PRIVATE" not in model.prompt_text(i) for i in range(len(model.requests)))


def test_the_quota_hands_the_ticket_to_a_person(app, model, customer):
    app.config["ASSIST_QUOTA"] = 1
    ticket = _assistant_ticket(customer)
    tickets.reply(customer, ticket.id, "Still broken.")

    ticket = Ticket.get_by_id(ticket.id)
    assert len(model.requests) == 1
    assert ticket.assistant_state == "handed_over" and ticket.status == "open" and ticket.assistant_answers == 1
    notice = Message.select().where(Message.ticket == ticket.id).order_by(Message.id.desc()).first()
    assert notice.kind == "event" and notice.is_public and "a person from our team" in notice.body


def test_a_failing_model_hands_the_ticket_over_and_admins_see_it(model, customer, admin):
    model.status = 502
    ticket = Ticket.get_by_id(_assistant_ticket(customer).id)
    assert ticket.assistant_state == "handed_over" and ticket.status == "open" and ticket.assistant_answers == 0
    from portal.services import failures

    assert any("answered 502" in f.error for f in failures.recent(admin))


def test_talk_to_a_person(model, customer, other_customer, agent):
    ticket = _assistant_ticket(customer)
    with pytest.raises(NotFound):
        assistant.handover(other_customer, ticket.id)

    handed = assistant.handover(customer, ticket.id)

    assert handed.assistant_state == "handed_over" and handed.status == "open"
    assert "Cara Customer asked to talk to a person" in [m.body for m in tickets.thread(customer, handed)][-1]
    with pytest.raises(Conflict):
        assistant.handover(customer, ticket.id)
    requests_before = len(model.requests)
    tickets.reply(customer, ticket.id, "Hello, anyone?")
    assert len(model.requests) == requests_before  # no more answers once a person has it


def test_an_agents_public_reply_takes_the_ticket_over(model, customer, agent):
    ticket = _assistant_ticket(customer)
    tickets.reply(agent, ticket.id, "I'll take it from here.")
    assert Ticket.get_by_id(ticket.id).assistant_state == "handed_over"


def test_ordinary_tickets_and_staff_filed_tickets_are_not_assistant_threads(model, customer, agent):
    plain = tickets.create_ticket(customer, "Plain", "No assistant please.")
    filed = assistant.open_ticket(agent, subject="For a customer", description="Filed by staff.",
                                  customer_email="someone@example.com")
    assert Ticket.get_by_id(plain.id).assistant_state is None
    assert Ticket.get_by_id(filed.id).assistant_state is None
    assert model.requests == []


def test_without_a_model_asking_the_assistant_files_an_ordinary_ticket(app, customer):
    ticket = assistant.open_ticket(customer, subject="Cannot log in", description="Help")
    assert Ticket.get_by_id(ticket.id).assistant_state is None


# ---------------------------------------------------------------------------------------------------- suggestions


def test_suggestions_find_similar_solved_tickets_and_published_articles(app, customer, other_customer, agent):
    solved = tickets.create_ticket(other_customer, "Router keeps dropping the connection", "Every hour.")
    tickets.update_ticket(agent, solved.id, status="resolved")
    still_open = tickets.create_ticket(other_customer, "Router dropping again", "Today.")
    unrelated = tickets.create_ticket(other_customer, "Invoice address", "Change it.")
    tickets.update_ticket(agent, unrelated.id, status="closed")
    _article(agent, "Why a router drops the connection", "Check the cable.")
    _article(agent, "Router secrets", "Draft.", status="draft")
    ticket = tickets.create_ticket(customer, "My router is dropping", "Again and again.")

    found = assistant.suggestions(agent, ticket.id)

    assert [t.id for t in found.tickets] == [solved.id]
    assert still_open.id not in [t.id for t in found.tickets]
    assert [a.title for a in found.articles] == ["Why a router drops the connection"]
    with pytest.raises(PermissionDenied):
        assistant.suggestions(customer, ticket.id)


# ------------------------------------------------------------------------------------------------------- settings


def test_only_admins_change_the_instructions(app, agent, admin):
    with pytest.raises(PermissionDenied):
        assistant.save_instructions(agent, "Be rude.")
    with pytest.raises(ValidationError):
        assistant.save_instructions(admin, "x" * (assistant.MAX_INSTRUCTIONS + 1))
    assistant.save_instructions(admin, "Be kind.")
    assert assistant.instructions() == "Be kind."
    assistant.save_instructions(admin, "")
    assert assistant.instructions() == assistant.DEFAULT_INSTRUCTIONS
    assert assistant.status(admin).configured is False
