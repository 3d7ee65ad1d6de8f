"""Mail in through the API, the inbound log, the CC list in the Ticket JSON, and new private links by address."""
import pytest

from portal.models import Ticket
from portal.services import tickets

from .mailbox import outbox, raw_mail, sent_to
from .test_api_auth import Api, person, token_for


@pytest.fixture
def admin_api(app, client):
    return Api(client, token_for(person("admin", "ada@example.com", "Ada Admin")))


@pytest.fixture
def agent_api(app, client):
    return Api(client, token_for(person("agent", "sam@example.com", "Sam Support")))


def post_mail(api, raw, content_type="message/rfc822"):
    return api.call("POST", "/inbound/email", data=raw, content_type=content_type)


def test_a_raw_message_opens_a_ticket_and_answers_its_log_entry(admin_api):
    response = post_mail(admin_api, raw_mail(frm="Nina <nina@example.org>", message_id="<n1@example.org>"))
    assert response.status_code == 201
    data = response.get_json()["data"]
    assert data["outcome"] == "new_ticket" and data["message_id"] == "n1@example.org"
    assert data["from"] == "nina@example.org" and data["source"] == "api" and data["reason"]
    assert Ticket.get_by_id(data["ticket_id"]).channel == "email"
    again = post_mail(admin_api, raw_mail(frm="nina@example.org", message_id="<n1@example.org>")).get_json()
    assert again["data"]["outcome"] == "duplicate" and again["data"]["ticket_id"] is None


def test_other_media_types_and_empty_bodies_are_refused(admin_api):
    wrong = post_mail(admin_api, raw_mail(), content_type="text/plain")
    assert wrong.status_code == 400 and wrong.mimetype == "application/problem+json"
    empty = post_mail(admin_api, b"")
    assert empty.status_code == 422 and empty.get_json()["errors"][0]["location"] == "body"


def test_hostile_bytes_get_a_log_entry_not_a_500(admin_api):
    response = post_mail(admin_api, b"\x00\x01\x02 not a mail at all \xff\xfe")
    assert response.status_code == 201
    assert response.get_json()["data"]["outcome"] == "rejected"


def test_the_log_lists_newest_first_and_filters_by_outcome(admin_api):
    post_mail(admin_api, raw_mail(subject="First"))
    post_mail(admin_api, raw_mail(subject="Robot", headers={"Auto-Submitted": "auto-replied"}))
    everything = admin_api.get("/inbound/email").get_json()
    assert [e["subject"] for e in everything["data"]] == ["Robot", "First"] and everything["meta"]["total"] == 2
    ignored = admin_api.get("/inbound/email?outcome=ignored").get_json()["data"]
    assert [e["subject"] for e in ignored] == ["Robot"]
    bad = admin_api.get("/inbound/email?outcome=lost")
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["location"] == "query.outcome"


def test_agents_edit_the_cc_list_and_see_it_in_the_ticket(app, agent_api):
    customer = person("customer", "jane@example.com", "Jane Customer")
    ticket = tickets.create_ticket(customer, "Printer jam", "It jams")
    response = agent_api.patch(f"/tickets/{ticket.id}", {"cc": ["Boss@Example.com", "team@example.com",
                                                                "jane@example.com"]})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["data"]["cc"] == ["boss@example.com", "team@example.com"]
    listed = agent_api.get("/tickets").get_json()["data"]
    assert listed[0]["cc"] == ["boss@example.com", "team@example.com"]
    history = agent_api.get(f"/tickets/{ticket.id}/history").get_json()["data"]
    assert any(h["field"] == "cc" for h in history)
    bad = agent_api.patch(f"/tickets/{ticket.id}", {"cc": ["not an address"]})
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["location"] == "body.cc"
    assert agent_api.get(f"/tickets/{ticket.id}").get_json()["data"]["cc"] == ["boss@example.com",
                                                                              "team@example.com"]


def test_the_api_contact_form_mails_the_same_receipt(app, client):
    body = {"name": "Gus Guest", "email": "gus@example.com", "category": "general", "subject": "Parcel",
            "body": "Where is it?"}
    data = Api(client).post("/contact", body).get_json()["data"]
    (receipt,) = sent_to(app, "gus@example.com")
    assert f"[#{data['ticket_id']}]" in receipt["Subject"]
    assert data["access_url"] in receipt.get_content()


def test_resend_answers_the_same_for_known_and_unknown_addresses(app, client):
    api = Api(client)
    ticket, old_key = tickets.submit_contact("Gus Guest", "gus@example.com", "Parcel", "Where is it?")
    before = len(outbox(app))
    known = api.post("/contact/resend", {"email": "gus@example.com"})
    unknown = api.post("/contact/resend", {"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 202
    assert known.get_json() == unknown.get_json()
    mails = outbox(app)[before:]
    assert [m["To"] for m in mails] == ["gus@example.com"]
    text = mails[0].get_content()
    assert old_key not in text and "/t/" in text
    new_key = text.split("/t/")[1].split()[0]
    assert client.get(f"/t/{old_key}").status_code == 404
    assert client.get(f"/t/{new_key}").status_code == 200


def test_resend_refuses_a_non_address(client):
    response = Api(client).post("/contact/resend", {"email": "not-an-address"})
    assert response.status_code == 422 and response.get_json()["errors"][0]["location"] == "body.email"
