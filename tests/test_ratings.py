"""Satisfaction: "How did we do?" by mail link, in the portal, on the guest page and through the API."""
import re

import pytest

from portal.models import Rating
from portal.services import ratings, signals, tickets
from portal.services.errors import Conflict, NotFound, PermissionDenied, ValidationError

from .conftest import csrf_from, make_user
from .mailbox import sent_to
from .test_api_auth import Api, token_for

LINK = re.compile(r"https?://[^/\s]+(/rate/[^\s]+)")


def resolved_ticket(customer, agent, subject="Printer jams"):
    ticket = tickets.create_ticket(customer, subject, "Every page.")
    tickets.reply(agent, ticket.id, "Fixed the driver.", status="resolved")
    return ticket


def rating_links(app, customer):
    """The good and bad links of the last resolution mail the customer got."""
    mail = [m for m in sent_to(app, customer.email) if "How did we do?" in m.get_content()][-1]
    good, bad = LINK.findall(mail.get_content())
    return good, bad


# -------------------------------------------------------------------------------------------------------- service


def test_the_customer_rates_a_resolved_ticket_and_may_change_it_until_closed(customer, agent):
    ticket = resolved_ticket(customer, agent)
    heard = []
    signals.ticket_rated.connect(lambda rating, ticket: heard.append(rating.score), weak=False)
    try:
        rating, created = ratings.rate(customer, ticket.id, "bad", "Took long.")
        assert created and (rating.score, rating.comment) == ("bad", "Took long.")
        rating, created = ratings.rate(customer, ticket.id, "good")
        assert not created and (rating.score, rating.comment) == ("good", "Took long.")  # comment kept
        ratings.rate(customer, ticket.id, "good")  # nothing changed: nobody hears of it again
    finally:
        signals.ticket_rated.receivers.clear()
    assert heard == ["bad", "good"]
    assert Rating.select().count() == 1
    tickets.close_ticket(customer, ticket.id)
    with pytest.raises(Conflict, match="closed"):
        ratings.rate(customer, ticket.id, "bad")
    assert Rating.get().score == "good"


def test_rating_rules(customer, other_customer, agent):
    open_ticket = tickets.create_ticket(customer, "Still open", "Hello.")
    with pytest.raises(Conflict, match="once it is resolved"):
        ratings.rate(customer, open_ticket.id, "good")
    ticket = resolved_ticket(customer, agent)
    with pytest.raises(NotFound):
        ratings.rate(other_customer, ticket.id, "good")
    with pytest.raises(PermissionDenied):
        ratings.rate(agent, ticket.id, "good")
    with pytest.raises(ValidationError) as error:
        ratings.rate(customer, ticket.id, "meh", "x" * 2001)
    assert set(error.value.errors) == {"score", "comment"}
    assert Rating.select().count() == 0


def asked(app, customer):
    return [m for m in sent_to(app, customer.email) if "How did we do?" in m.get_content()]


def test_resolving_asks_by_mail_once_per_resolution_until_rated(app, customer, agent):
    ticket = resolved_ticket(customer, agent)
    # "Send and mark resolved": the answer and the question come in one mail.
    (mail,) = sent_to(app, customer.email)
    assert "Fixed the driver." in mail.get_content() and "How did we do?" in mail.get_content()
    good, bad = rating_links(app, customer)
    assert good != bad
    tickets.reopen_ticket(customer, ticket.id)
    tickets.update_ticket(agent, ticket.id, status="resolved")  # not rated yet: asked again, on its own
    assert len(asked(app, customer)) == 2
    ratings.rate(customer, ticket.id, "good")
    tickets.update_ticket(agent, ticket.id, status="open")
    tickets.update_ticket(agent, ticket.id, status="resolved")  # already answered: not asked again
    assert len(asked(app, customer)) == 2


# ------------------------------------------------------------------------------------------------ one-click links


def test_a_mailed_link_records_with_one_click_and_takes_a_comment(app, client, customer, agent):
    ticket = resolved_ticket(customer, agent)
    good, bad = rating_links(app, customer)
    page = client.get(bad)  # no sign-in needed
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Thank you for your answer" in html and "Bad" in html
    assert Rating.get().score == "bad"
    sent = client.post(bad, data={"csrf_token": csrf_from(html), "comment": "Three days for a reply."})
    assert sent.status_code == 303
    rating = Rating.get()
    assert (rating.score, rating.comment) == ("bad", "Three days for a reply.")
    # Clicking the other link changes the score and keeps the comment.
    assert client.get(good).status_code == 200
    rating = Rating.get()
    assert (rating.score, rating.comment) == ("good", "Three days for a reply.")
    assert rating.ticket_id == ticket.id


def test_tampered_foreign_and_expired_links_record_nothing(app, client, customer, agent):
    ticket = resolved_ticket(customer, agent)
    good, _ = rating_links(app, customer)
    token = good.rsplit("/", 1)[1]
    tampered = client.get("/rate/" + token[:-2] + ("AA" if not token.endswith("AA") else "BB"))
    assert tampered.status_code == 404 and "not valid" in tampered.get_data(as_text=True)
    # A link signed for this ticket but naming another customer (the ticket changed hands) does not work either.
    with app.test_request_context():
        stranger = make_user("customer")
        ticket.customer = stranger
        foreign = ratings.link_token(ticket, "good")
        ticket.customer = customer
    assert client.get(f"/rate/{foreign}").status_code == 404
    assert Rating.select().count() == 0
    tickets.close_ticket(customer, ticket.id)
    closed = client.get(good)
    assert closed.status_code == 409 and "closed" in closed.get_data(as_text=True)
    assert Rating.select().count() == 0


# ------------------------------------------------------------------------------------------------ portal and guest


def test_the_portal_asks_on_a_resolved_ticket_and_shows_the_answer(client, auth, customer, agent):
    ticket = tickets.create_ticket(customer, "Printer jams", "Every page.")
    auth.login(customer.email)
    assert "How did we do?" not in client.get(f"/tickets/{ticket.id}").get_data(as_text=True)
    tickets.reply(agent, ticket.id, "Fixed.", status="resolved")
    html = client.get(f"/tickets/{ticket.id}").get_data(as_text=True)
    assert "How did we do?" in html
    answered = client.post(f"/tickets/{ticket.id}/rating", headers={"HX-Request": "true"},
                           data={"csrf_token": csrf_from(html), "score": "good", "comment": "Quick!"})
    assert answered.status_code == 200
    fragment = answered.get_data(as_text=True)
    assert 'id="conversation"' in fragment and "You rated this ticket" in fragment and "Quick!" in fragment
    too_long = client.post(f"/tickets/{ticket.id}/rating",
                           data={"csrf_token": csrf_from(html), "score": "bad", "comment": "x" * 2001})
    assert too_long.status_code == 422 and "at most 2,000 characters" in too_long.get_data(as_text=True)
    assert Rating.get().score == "good"


def test_the_guest_page_asks_too(client, agent):
    client.get("/contact")
    form = client.get("/contact").get_data(as_text=True)
    sent = client.post("/contact", data={"csrf_token": csrf_from(form), "name": "Gus Guest", "email": "gus@example.com",
                                         "subject": "Lost parcel", "body": "It never came.",
                                         "submission_key": "k1"})
    receipt = client.get(sent.headers["Location"]).get_data(as_text=True)
    key_path = re.search(r"(/t/[A-Za-z0-9_-]{20,})", receipt).group(1)
    ticket_id = int(re.search(r"#(\d+)", receipt).group(1))
    tickets.reply(agent, ticket_id, "Found it.", status="resolved")
    page = client.get(key_path).get_data(as_text=True)
    assert "How did we do?" in page
    done = client.post(key_path + "/rating", data={"csrf_token": csrf_from(page), "score": "good"})
    assert done.status_code == 303
    assert Rating.get().score == "good"


# ------------------------------------------------------------------------------------------------------------- API


def test_rating_through_the_api(app, client, customer, other_customer, agent):
    ticket = resolved_ticket(customer, agent)
    mine, theirs, staff = (Api(client, token_for(p)) for p in (customer, other_customer, agent))
    assert staff.get(f"/tickets/{ticket.id}").get_json()["data"]["rating"] is None
    created = mine.post(f"/tickets/{ticket.id}/rating", {"score": "good", "comment": "Thanks"})
    assert created.status_code == 201
    assert created.get_json()["data"]["score"] == "good" and created.get_json()["data"]["comment"] == "Thanks"
    assert theirs.post(f"/tickets/{ticket.id}/rating", {"score": "bad"}).status_code == 404
    assert staff.post(f"/tickets/{ticket.id}/rating", {"score": "bad"}).status_code == 403
    bad = mine.post(f"/tickets/{ticket.id}/rating", {"score": "meh"})
    assert bad.status_code == 422 and bad.headers["Content-Type"] == "application/problem+json"
    listed = staff.get("/tickets").get_json()["data"]
    assert [t["rating"]["score"] for t in listed if t["id"] == ticket.id] == ["good"]
    tickets.close_ticket(customer, ticket.id)
    assert mine.post(f"/tickets/{ticket.id}/rating", {"score": "bad"}).status_code == 409
