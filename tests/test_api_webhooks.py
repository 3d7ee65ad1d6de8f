"""Webhooks through the API: admins add, read, change and delete them, read the delivery log and send again; the
secret is shown once; a receiver in the test checks what arrives."""
import pytest
import standardwebhooks

from portal.models import WebhookDelivery
from portal.services import tickets, webhooks

from .conftest import open_app
from .test_api_auth import Api, person, token_for
from .test_services_webhooks import receiver, time_passes  # noqa: F401


@pytest.fixture
def app(tmp_path):
    with open_app(tmp_path, WEBHOOK_ALLOW_PRIVATE=True) as app:
        yield app


@pytest.fixture
def admin_api(client):
    return Api(client, token_for(person("admin", "adele@example.com", "Adele Admin")))


@pytest.fixture
def customer(app):
    return person("customer", "cara@example.com", "Cara Customer")


def add(api, url, events=("ticket.created", "message.created"), **extra):
    response = api.post("/webhooks", {"url": url, "events": list(events), **extra})
    assert response.status_code == 201, response.get_json()
    return response


def test_create_shows_the_secret_once_and_deliveries_verify_with_it(admin_api, customer, receiver):
    response = add(admin_api, receiver.url, description="CRM sync")
    created = response.get_json()["data"]
    assert response.headers["Location"].endswith(f"/api/v1/webhooks/{created['id']}")
    assert created["secret"].startswith("whsec_")
    assert {k: created[k] for k in ("url", "events", "active", "description", "consecutive_failures",
                                    "disabled_reason")} == {
        "url": receiver.url, "events": ["ticket.created", "message.created"], "active": True,
        "description": "CRM sync", "consecutive_failures": 0, "disabled_reason": None}
    shown = admin_api.get(f"/webhooks/{created['id']}").get_json()["data"]
    assert "secret" not in shown and shown["created_at"].endswith("Z")
    assert [w["id"] for w in admin_api.get("/webhooks").get_json()["data"]] == [created["id"]]

    Api(admin_api.client, token_for(customer)).post("/tickets", {"subject": "Printer jam", "description": "It jams"})
    (request,) = receiver.requests
    payload = standardwebhooks.Webhook(created["secret"]).verify(request["body"], request["headers"])
    assert payload["type"] == "ticket.created" and payload["data"]["ticket"]["channel"] == "api"


def test_change_and_turn_on_again(admin_api, receiver):
    webhook = add(admin_api, receiver.url).get_json()["data"]
    path = f"/webhooks/{webhook['id']}"
    changed = admin_api.patch(path, {"events": ["ticket.rated"], "description": "Ratings only"}).get_json()["data"]
    assert changed["events"] == ["ticket.rated"] and changed["description"] == "Ratings only"
    assert changed["url"] == receiver.url
    off = admin_api.patch(path, {"active": False}).get_json()["data"]
    assert off["active"] is False and off["disabled_reason"] is None
    # As if the desk had turned it off after failures: turning it on clears the count and the reason.
    webhooks.Webhook.update(consecutive_failures=20, disabled_reason="Turned off: 20 failed").execute()
    on = admin_api.patch(path, {"active": True}).get_json()["data"]
    assert on["active"] is True and on["consecutive_failures"] == 0 and on["disabled_reason"] is None


@pytest.mark.parametrize("body, location, words", [
    ({"url": "http://127.0.0.1:9/x", "events": ["ticket.created"]}, "body.url", "loopback"),
    ({"url": "http://169.254.169.254/", "events": ["ticket.created"]}, "body.url", "link-local"),
    ({"url": "ftp://hooks.example.com/", "events": ["ticket.created"]}, "body.url", "https://"),
    ({"url": "https://93.184.215.14/", "events": []}, "body.events", ""),
    ({"url": "https://93.184.215.14/", "events": ["ticket.deleted"]}, "body.events.0", ""),
    ({"url": "https://93.184.215.14/"}, "body.events", ""),
    ({"url": "https://93.184.215.14/", "events": ["ticket.created"], "secret": "mine"}, "body.secret", ""),
])
def test_bad_input_is_422_beside_the_field(tmp_path, body, location, words):
    with open_app(tmp_path) as app:  # private addresses refused, as by default
        api = Api(app.test_client(), token_for(person("admin", "adele@example.com", "Adele Admin")))
        response = api.post("/webhooks", body)
        assert response.status_code == 422 and response.mimetype == "application/problem+json"
        errors = response.get_json()["errors"]
        assert errors[0]["location"] == location and words in errors[0]["message"]
        assert api.get("/webhooks").get_json()["meta"]["total"] == 0


def test_the_delivery_log_and_sending_again(admin_api, customer, receiver):
    webhook = add(admin_api, receiver.url, events=["ticket.created"]).get_json()["data"]
    customer_api = Api(admin_api.client, token_for(customer))
    customer_api.post("/tickets", {"subject": "Delivered one", "description": "Fine"})
    receiver.status = 500
    customer_api.post("/tickets", {"subject": "Failing one", "description": "Refused"})

    log = admin_api.get(f"/webhooks/{webhook['id']}/deliveries?limit=1").get_json()
    assert log["meta"]["total"] == 2 and log["meta"]["next_cursor"]
    failing = log["data"][0]
    assert failing["status"] == "pending" and failing["response_code"] == 500 and failing["attempt"] == 1
    assert failing["error"].startswith("HTTP 500") and failing["next_attempt_at"] and failing["duration_ms"] >= 0
    assert failing["event_type"] == "ticket.created" and failing["event_id"].startswith("msg_")
    rest = admin_api.get(f"/webhooks/{webhook['id']}/deliveries?limit=1&cursor={log['meta']['next_cursor']}")
    delivered = rest.get_json()["data"][0]
    assert delivered["status"] == "delivered" and delivered["response_code"] == 200 and delivered["error"] is None
    assert delivered["delivered_at"] and delivered["next_attempt_at"] is None
    only = admin_api.get(f"/webhooks/{webhook['id']}/deliveries?status=delivered").get_json()
    assert [d["id"] for d in only["data"]] == [delivered["id"]]
    assert admin_api.get(f"/webhooks/{webhook['id']}/deliveries?status=lost").status_code == 422

    receiver.status = 200
    response = admin_api.post(f"/webhooks/{webhook['id']}/deliveries/{failing['id']}/retry")
    assert response.status_code == 202
    again = response.get_json()["data"]
    assert again["status"] == "delivered" and again["attempt"] == 1 and again["response_code"] == 200
    assert receiver.requests[-1]["headers"]["webhook-id"] == failing["event_id"]
    assert admin_api.post(f"/webhooks/{webhook['id']}/deliveries/987654/retry").status_code == 404


def test_sending_again_while_off_is_a_conflict(admin_api, customer, receiver):
    webhook = add(admin_api, receiver.url, events=["ticket.created"]).get_json()["data"]
    tickets.create_ticket(customer, "Printer jam", "It jams")
    delivery = WebhookDelivery.get()
    admin_api.patch(f"/webhooks/{webhook['id']}", {"active": False})
    response = admin_api.post(f"/webhooks/{webhook['id']}/deliveries/{delivery.id}/retry")
    assert response.status_code == 409 and "turn it on" in response.get_json()["detail"]


def test_a_webhook_turned_off_after_failures_says_why(admin_api, customer, receiver):
    webhook = add(admin_api, receiver.url, events=["ticket.created"]).get_json()["data"]
    receiver.status = 503
    for n in range(webhooks.DISABLE_AFTER):
        tickets.create_ticket(customer, f"Jam {n}", "It jams")
    for _ in range(webhooks.MAX_ATTEMPTS):
        time_passes(days=1)
    shown = admin_api.get(f"/webhooks/{webhook['id']}").get_json()["data"]
    assert shown["active"] is False and shown["consecutive_failures"] == webhooks.DISABLE_AFTER
    assert "HTTP 503" in shown["disabled_reason"]
    failed = admin_api.get(f"/webhooks/{webhook['id']}/deliveries?status=failed").get_json()
    assert failed["meta"]["total"] == webhooks.DISABLE_AFTER
    assert {d["attempt"] for d in failed["data"]} == {webhooks.MAX_ATTEMPTS}


def test_delete_takes_the_log_with_it(admin_api, customer, receiver):
    webhook = add(admin_api, receiver.url, events=["ticket.created"]).get_json()["data"]
    tickets.create_ticket(customer, "Printer jam", "It jams")
    assert admin_api.delete(f"/webhooks/{webhook['id']}").status_code == 204
    assert WebhookDelivery.select().count() == 0
    assert admin_api.get(f"/webhooks/{webhook['id']}").status_code == 404
    assert admin_api.get(f"/webhooks/{webhook['id']}/deliveries").status_code == 404
    assert admin_api.delete(f"/webhooks/{webhook['id']}").status_code == 404


def test_agents_and_customers_are_refused(app, client, customer, receiver):
    agent_api = Api(client, token_for(person("agent", "agnes@example.com", "Agnes Agent")))
    customer_api = Api(client, token_for(customer))
    webhook, _ = webhooks.create_webhook(person("admin", "adele@example.com", "Adele Admin"), receiver.url,
                                         ["ticket.created"])
    calls = [("GET", "/webhooks", None), ("POST", "/webhooks", {"url": receiver.url, "events": ["ticket.created"]}),
             ("GET", f"/webhooks/{webhook.id}", None), ("PATCH", f"/webhooks/{webhook.id}", {"active": False}),
             ("DELETE", f"/webhooks/{webhook.id}", None), ("GET", f"/webhooks/{webhook.id}/deliveries", None),
             ("POST", f"/webhooks/{webhook.id}/deliveries/1/retry", None)]
    for api in (agent_api, customer_api):
        for method, path, body in calls:
            response = api.call(method, path, body)
            assert response.status_code == 403 and response.get_json()["code"] == "FORBIDDEN", (method, path)
    assert webhooks.Webhook.get_by_id(webhook.id).active


def test_every_operation_is_in_the_document(client):
    document = client.get("/openapi.json").get_json()
    operations = {(method.upper(), path) for path, item in document["paths"].items() for method in item}
    assert {("GET", "/webhooks"), ("POST", "/webhooks"), ("GET", "/webhooks/{webhook_id}"),
            ("PATCH", "/webhooks/{webhook_id}"), ("DELETE", "/webhooks/{webhook_id}"),
            ("GET", "/webhooks/{webhook_id}/deliveries"),
            ("POST", "/webhooks/{webhook_id}/deliveries/{delivery_id}/retry")} <= operations
    created = document["paths"]["/webhooks"]["post"]["responses"]["201"]["content"]["application/json"]["schema"]
    assert created["$ref"].endswith("/WebhookCreatedResponse")
    assert "secret" in document["components"]["schemas"]["WebhookWithSecret"]["properties"]
    assert "secret" not in document["components"]["schemas"]["Webhook"]["properties"]
