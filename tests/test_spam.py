"""Spam defence on the contact form and POST /contact: a honeypot, a minimum fill time, links, blocked domains and
limits per IP and per address; what looks like spam is held for admins, and its sender sees the usual confirmation."""
import re
import time

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from portal.models import SuspendedSubmission, Ticket
from portal.services import spam

from .conftest import PASSWORD, csrf_from, make_user, open_app
from .mailbox import sent_to


@pytest.fixture
def app(tmp_path):
    # The minimum fill time is off for the rest of the suite; here it is on, as in production.
    with open_app(tmp_path, CONTACT_MIN_FILL_SECONDS=3) as app:
        yield app


class _TenSecondsAgo(TimestampSigner):
    def get_timestamp(self):
        return int(time.time()) - 10


def started_long_ago(app):
    """The form's signed timestamp as a person who took ten seconds to write would send it back."""
    return URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="contact-form-started",
                                  signer=_TenSecondsAgo).dumps("x")


def contact_form(client):
    html = client.get("/contact").get_data(as_text=True)
    started = re.search(r'name="started" type="hidden" value="([^"]+)"', html).group(1)
    return csrf_from(html), started


def submit(client, app, started="long ago", ip="198.51.100.1", **fields):
    token, fresh = contact_form(client)
    data = {"name": "Pat Person", "email": "pat@example.com", "subject": "Cannot log in",
            "body": "The page says my password is wrong.", "csrf_token": token,
            "started": started_long_ago(app) if started == "long ago" else (fresh if started == "fresh" else started)}
    data.update(fields)
    data = {k: v for k, v in data.items() if v is not None}
    return client.post("/contact", data=data, environ_base={"REMOTE_ADDR": ip})


def confirmation(client, response):
    """The confirmation page with the parts that differ between any two submissions (number, link, CSRF token)
    blanked."""
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    page = re.sub(r"#\d+", "#N", page)
    page = re.sub(r"/t/[\w-]+", "/t/KEY", page)
    # CSRF tokens carry the second they were signed in: two pages a second apart differ there and nowhere else.
    return re.sub(r'(name="csrf-token" content=|"X-CSRFToken": )"[^"]+"', "", page)


def held():
    return list(SuspendedSubmission.select().order_by(SuspendedSubmission.id))


# ----------------------------------------------------------------------------------------------------- the form


def test_the_form_has_a_hidden_trap_field_and_a_signed_start(client):
    html = client.get("/contact").get_data(as_text=True)
    trap = re.search(r'<div class="trap-field" aria-hidden="true">(.*?)</div>', html, re.S).group(1)
    assert "Leave this field empty" in trap
    assert 'tabindex="-1"' in trap and 'name="website"' in trap and 'autocomplete="off"' in trap
    assert re.search(r'name="started" type="hidden" value="[^"]+"', html)


def test_a_person_who_takes_their_time_gets_a_ticket(client, app):
    response = submit(client, app)
    assert response.status_code == 303
    assert Ticket.select().count() == 1 and held() == []


@pytest.mark.parametrize("fields, reason", [
    ({"website": "https://cheap-pills.example"}, "honeypot"),
    ({"started": "fresh"}, "too_fast"),
    ({"started": None}, "no_timestamp"),
    ({"started": "eyJmb3JnZWQiOjF9.abc.def"}, "no_timestamp"),
    ({"body": "See http://a.example http://b.example www.c.example https://d.example/x"}, "links"),
])
def test_suspicious_submissions_are_held_and_look_the_same(client, app, fields, reason):
    real = confirmation(client, submit(client, app, email="real@example.com"))
    response = submit(client, app, **fields)
    assert confirmation(client, response) == real
    assert Ticket.select().count() == 1
    [row] = held()
    assert reason in row.reasons.split(",")
    assert row.email == "pat@example.com" and row.subject == "Cannot log in" and row.ip == "198.51.100.1"


def test_three_links_are_still_a_question(client, app):
    submit(client, app, body="Compare http://a.example, http://b.example and http://c.example please.")
    assert Ticket.select().count() == 1 and held() == []


def test_a_held_submission_with_a_mistake_fails_like_a_real_one(client, app):
    response = submit(client, app, website="filled", subject="")
    assert response.status_code == 422
    assert "Enter a subject." in response.get_data(as_text=True)
    assert held() == []


def test_the_link_of_a_held_receipt_opens_nothing(client, app):
    page = client.get(submit(client, app, website="bot").headers["Location"]).get_data(as_text=True)
    link = re.search(r'value="(http://localhost/t/[^"]+)"', page).group(1)
    assert client.get(link.replace("http://localhost", "")).status_code == 404


# ------------------------------------------------------------------------------------------------ blocked domains


def admin_client(app):
    admin = make_user("admin", "root@example.com", "Root Admin")
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    client.post("/login", data={"email": admin.email, "password": PASSWORD, "csrf_token": csrf_from(page)})
    return client, admin


def test_admins_block_domains_for_senders_and_links(app, client):
    staff, _ = admin_client(app)
    token = csrf_from(staff.get("/admin/suspended").get_data(as_text=True))
    saved = staff.post("/admin/suspended/domains", data={"domains": "@spam.example\nhttps://*.pills.example/",
                                                         "csrf_token": token})
    assert saved.status_code == 303
    assert spam.blocked_domains() == ["spam.example", "pills.example"]

    submit(client, app, email="bot@mail.spam.example")
    submit(client, app, body="Buy at https://shop.pills.example/now")
    submit(client, app, email="pat@pills.example.org")  # only the domain and its subdomains are blocked
    assert [r.reasons for r in held()] == ["blocked_domain", "blocked_domain"]
    assert Ticket.select().count() == 1


def test_a_line_that_is_not_a_domain_is_shown_beside_the_field(app):
    staff, _ = admin_client(app)
    token = csrf_from(staff.get("/admin/suspended").get_data(as_text=True))
    response = staff.post("/admin/suspended/domains", data={"domains": "good.example\nnot a domain!",
                                                            "csrf_token": token})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Not a domain: not" in html and "good.example" in html
    assert spam.blocked_domains() == []


# ----------------------------------------------------------------------------------------------------- moderation


def test_release_opens_the_ticket_and_sends_the_usual_mail(app, client):
    submit(client, app, website="oops, autofill")
    [row] = held()
    staff, _ = admin_client(app)
    listing = staff.get("/admin/suspended").get_data(as_text=True)
    assert "Cannot log in" in listing and "Filled the hidden field" in listing
    assert "1 held" in staff.get("/admin").get_data(as_text=True)

    response = staff.post(f"/admin/suspended/{row.id}/release", data={"csrf_token": csrf_from(listing)})
    assert response.status_code == 303
    [ticket] = Ticket.select()
    assert ticket.subject == "Cannot log in" and ticket.customer.email == "pat@example.com"
    assert ticket.channel == "contact_form"
    assert held() == []
    [receipt] = sent_to(app, "pat@example.com")
    assert f"#{ticket.id}" in receipt["Subject"]
    assert "/t/" in receipt.get_body(("plain",)).get_content()


def test_delete_and_bulk_delete_throw_held_submissions_away(app, client):
    for i in range(3):
        submit(client, app, website="bot", email=f"bot{i}@example.com")
    first, second, third = held()
    staff, _ = admin_client(app)
    token = csrf_from(staff.get("/admin/suspended").get_data(as_text=True))
    assert staff.post(f"/admin/suspended/{first.id}/delete", data={"csrf_token": token}).status_code == 303
    assert staff.post("/admin/suspended/delete",
                      data={"ids": [str(second.id), str(third.id)], "csrf_token": token}).status_code == 303
    assert held() == [] and Ticket.select().count() == 0
    assert sent_to(app, "bot0@example.com") == []


def test_only_admins_moderate(app, client):
    submit(client, app, website="bot")
    [row] = held()
    agent = make_user("agent", "agent7@example.com")
    page = client.get("/login").get_data(as_text=True)
    client.post("/login", data={"email": agent.email, "password": PASSWORD, "csrf_token": csrf_from(page)})
    assert client.get("/admin/suspended").status_code == 403
    token = csrf_from(client.get("/").get_data(as_text=True))
    assert client.post(f"/admin/suspended/{row.id}/release", data={"csrf_token": token}).status_code == 403
    assert len(held()) == 1


# ------------------------------------------------------------------------------------------------------------ API


def test_api_holds_links_and_blocked_domains_but_answers_the_same(app, client):
    body = {"name": "Api Person", "email": "api@example.com", "category": "general", "subject": "Question",
            "body": "Plain words, no links."}
    real = client.post("/api/v1/contact", json=body)
    assert real.status_code == 201
    spammy = client.post("/api/v1/contact", json={**body, "body": "http://a.example " * 4})
    assert spammy.status_code == 201
    assert set(spammy.get_json()["data"]) == set(real.get_json()["data"])
    assert spammy.get_json()["data"]["status"] == "open"
    assert spammy.get_json()["data"]["ticket_id"] > real.get_json()["data"]["ticket_id"]
    access = spammy.get_json()["data"]["access_url"].replace("http://localhost", "")
    assert client.get(access).status_code == 404
    assert Ticket.select().count() == 1
    [row] = held()
    assert row.reasons == "links"


def test_api_needs_no_form_timestamp(app, client):
    body = {"name": "Api Person", "email": "api@example.com", "category": "general", "subject": "Question",
            "body": "Sent by a program in no time at all."}
    assert client.post("/api/v1/contact", json=body).status_code == 201
    assert Ticket.select().count() == 1 and held() == []


# --------------------------------------------------------------------------------------------------------- limits


@pytest.fixture
def limited(tmp_path):
    with open_app(tmp_path, RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://", CONTACT_MIN_FILL_SECONDS=3,
                  CONTACT_LIMIT_PER_IP="3 per hour", CONTACT_LIMIT_PER_ADDRESS="2 per hour") as app:
        yield app


def test_one_address_is_limited_from_any_machine(limited):
    client = limited.test_client()
    codes = [submit(client, limited, ip=f"198.51.100.{i}", email="flood@example.com").status_code for i in range(3)]
    assert codes == [303, 303, 429]
    # A mistake does not count against the address, and another address is not held back.
    assert submit(client, limited, ip="198.51.100.9", email="other@example.com", body="").status_code == 422
    assert submit(client, limited, ip="198.51.100.9", email="other@example.com").status_code == 303


def test_one_machine_is_limited_whatever_the_address(limited):
    client = limited.test_client()
    codes = [submit(client, limited, ip="203.0.113.5", email=f"person{i}@example.com").status_code for i in range(4)]
    assert codes == [303, 303, 303, 429]
    assert submit(client, limited, ip="203.0.113.6", email="person9@example.com").status_code == 303


def test_the_api_is_limited_per_address_too(limited):
    client = limited.test_client()
    body = {"name": "Api Person", "email": "api@example.com", "category": "general", "subject": "Question",
            "body": "Hello."}
    codes = [client.post("/api/v1/contact", json=body, environ_base={"REMOTE_ADDR": f"192.0.2.{i}"}).status_code
             for i in range(3)]
    assert codes == [201, 201, 429]
