"""The webhook pages of the administration through Flask's test client: add one (secret shown once), errors beside
the fields, the delivery log with its filter and "Send again", turning off and on, deleting."""
import re

import pytest

from portal.models import Webhook, WebhookDelivery
from portal.services import tickets, webhooks

from .conftest import csrf_from, make_user, open_app
from .test_services_webhooks import receiver, time_passes  # noqa: F401


@pytest.fixture
def app(tmp_path):
    with open_app(tmp_path, WEBHOOK_ALLOW_PRIVATE=True) as app:
        yield app


@pytest.fixture
def admin(app, auth):
    user = make_user("admin", "adam@example.com", "Adam Admin")
    auth.login(user.email)
    return user


def token(client, path="/admin/webhooks"):
    return csrf_from(client.get(path).get_data(as_text=True))


def add(client, url, events=("ticket.created", "message.created"), description=""):
    return client.post("/admin/webhooks", data={"csrf_token": token(client), "url": url, "description": description,
                                                "events": list(events)})


def test_the_list_starts_empty_with_a_form(client, admin):
    html = client.get("/admin/webhooks").get_data(as_text=True)
    assert "No webhooks yet" in html and 'action="/admin/webhooks"' in html
    assert re.search(r'<a href="/admin/webhooks"[^>]*aria-current="page"', html)  # its tab in the admin menu
    assert html.count('type="checkbox" name="events"') == 4 and html.count(" checked>") == 4


def test_adding_shows_the_secret_once(client, admin, receiver):
    response = add(client, receiver.url, description="CRM sync")
    webhook = Webhook.get()
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/admin/webhooks/{webhook.id}")
    page = client.get(f"/admin/webhooks/{webhook.id}")
    html = page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"
    assert f'value="{webhook.secret}"' in html and "the only time it is shown" in html
    assert "CRM sync" in html and webhook.secret not in client.get(f"/admin/webhooks/{webhook.id}").get_data(as_text=True)
    listed = client.get("/admin/webhooks").get_data(as_text=True)
    assert receiver.url.replace("&", "&amp;") in listed and "ticket.created, message.created" in listed


def test_errors_show_beside_the_fields_and_keep_the_input(tmp_path):
    with open_app(tmp_path) as app:  # private addresses refused, as by default
        client = app.test_client()
        user = make_user("admin", "adam@example.com", "Adam Admin")
        client.post("/login", data={"email": user.email, "password": "correct-horse-battery",
                                    "csrf_token": csrf_from(client.get("/login").get_data(as_text=True))})
        response = add(client, "http://10.0.0.8/hook", events=[], description="Internal bus")
        html = response.get_data(as_text=True)
        assert response.status_code == 422
        assert 'id="url-error"' in html and "a private address" in html and 'value="http://10.0.0.8/hook"' in html
        assert 'id="events-error"' in html and "Choose at least one event." in html
        assert 'value="Internal bus"' in html and Webhook.select().count() == 0


def test_a_failed_delivery_is_shown_and_sent_again(client, admin, receiver):
    add(client, receiver.url, events=["ticket.created"])
    webhook = Webhook.get()
    receiver.status = 500
    customer = make_user("customer")
    tickets.create_ticket(customer, "Printer jam", "It jams")
    page = f"/admin/webhooks/{webhook.id}"
    html = client.get(page).get_data(as_text=True)
    assert "HTTP 500: receiver says no" in html and "Send now" in html and "Next try within a minute." in html
    assert "Printer jam" in html  # the payload, readable, under "Payload"

    receiver.status = 200
    delivery = WebhookDelivery.get()
    response = client.post(f"{page}/deliveries/{delivery.id}/retry", data={"csrf_token": token(client, page)})
    assert response.status_code == 303 and response.headers["Location"].endswith(page)
    assert "Delivered again (200)." in client.get(page).get_data(as_text=True)
    assert WebhookDelivery.get().status == "delivered"


def test_the_status_filter_swaps_only_the_log(client, admin, receiver):
    add(client, receiver.url, events=["ticket.created"])
    webhook = Webhook.get()
    customer = make_user("customer")
    tickets.create_ticket(customer, "Delivered one", "Body")
    receiver.status = 500
    tickets.create_ticket(customer, "Refused one", "Body")
    path = f"/admin/webhooks/{webhook.id}?status=delivered"
    fragment = client.get(path, headers={"HX-Request": "true"})
    text = fragment.get_data(as_text=True)
    assert text.lstrip().startswith('<div id="delivery-log"') and "HX-Request" in fragment.headers["Vary"]
    assert "Delivered one" in text and "Refused one" not in text
    assert f'hx-get="/admin/webhooks/{webhook.id}?status=failed"' in text
    full = client.get(path).get_data(as_text=True)
    assert full.lstrip().startswith("<!doctype html>") and "Settings" in full


def test_change_settings(client, admin, receiver):
    add(client, receiver.url)
    webhook = Webhook.get()
    page = f"/admin/webhooks/{webhook.id}"
    response = client.post(page, data={"csrf_token": token(client, page), "url": receiver.url,
                                       "description": "Ratings to the data warehouse", "events": ["ticket.rated"]})
    assert response.status_code == 303
    webhook = Webhook.get()
    assert webhook.event_list == ["ticket.rated"] and webhook.description == "Ratings to the data warehouse"
    response = client.post(page, data={"csrf_token": token(client, page), "url": "gopher://x", "events": ["ticket.rated"]})
    assert response.status_code == 422 and 'id="url-error"' in response.get_data(as_text=True)


def test_a_webhook_turned_off_after_failures_shows_why_and_turns_on_again(client, admin, receiver):
    add(client, receiver.url, events=["ticket.created"])
    webhook = Webhook.get()
    receiver.status = 500
    customer = make_user("customer")
    for n in range(webhooks.DISABLE_AFTER):
        tickets.create_ticket(customer, f"Jam {n}", "It jams")
    for _ in range(webhooks.MAX_ATTEMPTS):
        time_passes(days=1)
    page = f"/admin/webhooks/{webhook.id}"
    html = client.get(page).get_data(as_text=True)
    assert "The desk turned this webhook off." in html and "20 deliveries in a row failed" in html
    assert "Turned off after failures" in client.get("/admin/webhooks").get_data(as_text=True)
    response = client.post(f"{page}/active", data={"csrf_token": token(client, page), "active": "1"})
    assert response.status_code == 303
    webhook = Webhook.get()
    assert webhook.active and webhook.consecutive_failures == 0 and webhook.disabled_reason == ""
    assert "The webhook is on again" in client.get(page).get_data(as_text=True)


def test_turn_off_then_delete(client, admin, receiver):
    add(client, receiver.url)
    webhook = Webhook.get()
    page = f"/admin/webhooks/{webhook.id}"
    client.post(f"{page}/active", data={"csrf_token": token(client, page), "active": "0"})
    assert not Webhook.get().active and "This webhook is off" in client.get(page).get_data(as_text=True)
    response = client.post(f"{page}/delete", data={"csrf_token": token(client, page)})
    assert response.status_code == 303 and response.headers["Location"].endswith("/admin/webhooks")
    assert Webhook.select().count() == 0 and client.get(page).status_code == 404


def test_agents_get_403(client, auth, app):
    agent = make_user("agent", "ana@example.com", "Ana Agent")
    auth.login(agent.email)
    assert client.get("/admin/webhooks").status_code == 403
    response = client.post("/admin/webhooks", data={"csrf_token": token(client, "/"), "url": "https://93.184.215.14/",
                                                    "events": ["ticket.created"]})
    assert response.status_code == 403 and Webhook.select().count() == 0
