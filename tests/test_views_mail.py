"""The HTML side of e-mail: the admin's inbound log, the CC list in the workspace, new private links by address."""
from portal.models import InboundEmail
from portal.services import inbound, tickets

from .conftest import csrf_from
from .mailbox import outbox, raw_mail


def test_the_inbound_log_lists_and_filters_messages(client, auth, admin):
    inbound.ingest(raw_mail(subject="Printer jam"), "imap")
    inbound.ingest(raw_mail(subject="Away until Monday", headers={"Auto-Submitted": "auto-replied"}), "pipe")
    auth.login(admin.email)
    page = client.get("/admin/mail").get_data(as_text=True)
    assert "Printer jam" in page and "Away until Monday" in page and "New ticket" in page
    only = client.get("/admin/mail?outcome=ignored", headers={"HX-Request": "true"})
    fragment = only.get_data(as_text=True)
    assert "Away until Monday" in fragment and "Printer jam" not in fragment
    assert "<html" not in fragment and "HX-Request" in only.headers["Vary"]


def test_an_entry_that_failed_can_be_tried_again_from_the_log(client, auth, admin, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(tickets, "create_ticket", broken)
    entry = inbound.ingest(raw_mail(subject="Printer jam"), "imap")
    monkeypatch.undo()
    auth.login(admin.email)
    page = client.get("/admin/mail?outcome=error").get_data(as_text=True)
    assert "database went away" in page and "Try again" in page
    response = client.post(f"/admin/mail/{entry.id}/retry", data={"csrf_token": csrf_from(page)})
    assert response.status_code == 303
    assert InboundEmail.get_by_id(entry.id).outcome == "new_ticket"


def test_agents_edit_the_cc_list_in_the_workspace(client, auth, agent, customer):
    ticket = tickets.create_ticket(customer, "Printer jam", "It jams")
    auth.login(agent.email)
    page = client.get(f"/agent/tickets/{ticket.id}").get_data(as_text=True)
    form = {"csrf_token": csrf_from(page), "status": "open", "priority": "normal", "category": "",
            "assignee_id": "", "tags": "", "cc": "boss@example.com, team@example.com"}
    assert client.post(f"/agent/tickets/{ticket.id}/properties", data=form).status_code == 303
    assert tickets.get_ticket(agent, ticket.id).cc_list == ["boss@example.com", "team@example.com"]
    bad = client.post(f"/agent/tickets/{ticket.id}/properties", data={**form, "cc": "boss@example.com, nope"})
    assert bad.status_code == 422 and "not a valid e-mail address" in bad.get_data(as_text=True)
    assert tickets.get_ticket(agent, ticket.id).cc_list == ["boss@example.com", "team@example.com"]


def test_lost_links_page_answers_the_same_either_way(app, client):
    ticket, old_key = tickets.submit_contact("Gus Guest", "gus@example.com", "Parcel", "Where is it?")
    before = len(outbox(app))
    answers = []
    for email in ("gus@example.com", "nobody@example.com"):
        token = csrf_from(client.get("/t/resend").get_data(as_text=True))
        response = client.post("/t/resend", data={"email": email, "csrf_token": token}, follow_redirects=True)
        answers.append((response.status_code, tickets.LINKS_RENEWED_NOTICE in response.get_data(as_text=True)))
    assert answers[0] == answers[1] == (200, True)
    assert [m["To"] for m in outbox(app)[before:]] == ["gus@example.com"]
    assert client.get(f"/t/{old_key}").status_code == 404


def test_lost_links_page_explains_a_bad_address(client):
    token = csrf_from(client.get("/t/resend").get_data(as_text=True))
    response = client.post("/t/resend", data={"email": "nope", "csrf_token": token})
    assert response.status_code == 422 and "valid e-mail address" in response.get_data(as_text=True)


def test_the_inbound_log_costs_the_same_for_5_and_50_messages_and_its_swap_costs_less(client, auth, admin,
                                                                                      count_queries):
    auth.login(admin.email)

    def cost(headers=None):
        with count_queries() as counter:
            assert client.get("/admin/mail", headers=headers or {}).status_code == 200
        return counter.count

    for n in range(5):
        inbound.ingest(raw_mail(subject=f"Message {n}"), "pipe")
    few, few_swap = cost(), cost({"HX-Request": "true"})
    for n in range(45):
        inbound.ingest(raw_mail(subject=f"More {n}"), "pipe")
    assert cost() == few and cost({"HX-Request": "true"}) == few_swap
    assert few_swap < few  # the swap skips the warnings above the list
