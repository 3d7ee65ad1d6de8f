"""Webhooks against a real HTTP receiver running in a thread of the test: the body, the Standard Webhooks headers and
signature (checked with the independent `standardwebhooks` library), retries with backoff, the turned-off state, the
SSRF guard and the delivery log."""
import base64
import datetime
import hashlib
import hmac
import json
import ssl
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import standardwebhooks

from portal import jobs
from portal.models import Webhook, WebhookDelivery
from portal.services import accounts, ratings, tickets, webhooks
from portal.services.errors import Conflict, NotFound, PermissionDenied, ValidationError

from .conftest import make_user, open_app
from .servers import failing_clearly, find_binary
from .test_jobs import later, run_due_jobs


class Receiver:
    """A real HTTP server on 127.0.0.1: it records every request and answers with `status` (a 3xx carries a
    Location), after `delay` seconds."""

    def __init__(self):
        self.requests = []
        self.status = 200
        self.delay = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.requests.append({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                                          "body": body})
                if receiver.delay:
                    time.sleep(receiver.delay)
                status = receiver.status
                payload = b"" if status < 300 else b"receiver says no"
                try:
                    self.send_response(status)
                    if 300 <= status < 400:
                        self.send_header("Location", f"http://127.0.0.1:{receiver.port}/elsewhere")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    # The desk gave up waiting (the time-out tests): expected. Printing the traceback from this
                    # thread would race the main thread's ast.parse, which Python 3.11 does not make thread-safe.
                    pass

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hooks/desk?source=desk"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def bodies(self):
        return [json.loads(r["body"]) for r in self.requests]

    def types(self):
        return [b["type"] for b in self.bodies()]


@pytest.fixture
def receiver():
    server = Receiver()
    server.thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


@pytest.fixture
def app(tmp_path):
    """Deliveries to the local receiver need private addresses allowed (the default refuses them)."""
    with open_app(tmp_path, WEBHOOK_ALLOW_PRIVATE=True) as app:
        yield app


@pytest.fixture
def strict_app(tmp_path):
    with open_app(tmp_path) as app:
        yield app


@pytest.fixture
def people(app):
    return make_user("admin"), make_user("agent"), make_user("customer")


ALL = list(webhooks.WEBHOOK_EVENTS)


def hook(admin, url, events=ALL):
    return webhooks.create_webhook(admin, url, events)


def time_passes(**delta):
    """As if `delta` went by for the deliveries: their due times move back; then the sweep hands out what is due
    (jobs run inline here)."""
    delta = datetime.timedelta(**delta)
    for row in WebhookDelivery.select():
        WebhookDelivery.update(next_attempt_at=row.next_attempt_at - delta).where(
            WebhookDelivery.id == row.id).execute()
    jobs.resume_webhooks.call_local()


# ---------------------------------------------------------------------------------------------- body and signature


def test_a_delivery_is_signed_the_standard_webhooks_way(app, people, receiver):
    admin, agent, customer = people
    webhook, secret = hook(admin, receiver.url, ["ticket.created"])
    assert secret.startswith("whsec_") and len(base64.b64decode(secret[6:])) == 32
    ticket = tickets.create_ticket(customer, "Printer jam", "It jams on every page.")

    (request,) = receiver.requests
    headers, body = request["headers"], request["body"]
    assert request["path"] == "/hooks/desk?source=desk"
    assert headers["content-type"] == "application/json"
    assert headers["user-agent"].startswith("SupportDesk-Webhooks/")
    assert headers["host"] == f"127.0.0.1:{receiver.port}"
    assert abs(int(headers["webhook-timestamp"]) - time.time()) < 300
    # An independent implementation of the standard accepts it...
    payload = standardwebhooks.Webhook(secret).verify(body, headers)
    assert payload["id"] == headers["webhook-id"] and payload["id"].startswith("msg_")
    assert payload["type"] == "ticket.created" and payload["created_at"].endswith("Z")
    assert set(payload) == {"id", "type", "created_at", "data"}
    # ...and so does the formula written out: base64 HMAC-SHA256 of "{id}.{timestamp}.{body}" with the secret's bytes.
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(base64.b64decode(secret[6:]), signed, hashlib.sha256).digest()).decode()
    assert headers["webhook-signature"] == f"v1,{expected}"
    # A body changed on the way, or another secret, does not verify.
    with pytest.raises(standardwebhooks.webhooks.WebhookVerificationError):
        standardwebhooks.Webhook(secret).verify(body.replace(b"Printer", b"Scanner"), headers)
    with pytest.raises(standardwebhooks.webhooks.WebhookVerificationError):
        standardwebhooks.Webhook(webhooks.new_secret()).verify(body, headers)

    data = payload["data"]
    assert data["ticket"]["id"] == ticket.id and data["ticket"]["subject"] == "Printer jam"
    assert data["ticket"]["customer"]["email"] == customer.email and data["ticket"]["status"] == "open"
    assert data["message"]["body"] == "It jams on every page." and data["message"]["internal"] is False
    assert data["actor"] == {"id": customer.id, "name": customer.name, "role": "customer"}
    delivery = WebhookDelivery.get()
    assert delivery.status == "delivered" and delivery.response_code == 200 and delivery.attempts == 1
    assert delivery.duration_ms is not None and delivery.event_id == payload["id"]


def test_the_data_is_what_the_api_gives(app, client, people, receiver):
    admin, agent, customer = people
    hook(admin, receiver.url, ["ticket.updated"])
    ticket = tickets.create_ticket(customer, "Printer jam", "It jams")
    tickets.update_ticket(agent, ticket.id, priority="high", tags=["hardware"])
    (payload,) = receiver.bodies()
    token = accounts.create_token(admin, "check")[1]
    api = client.get(f"/api/v1/tickets/{ticket.id}", headers={"Authorization": f"Bearer {token}"}).get_json()["data"]
    api.pop("messages")
    assert payload["data"]["ticket"] == api
    changes = {(c["field"], c["old_value"], c["new_value"]) for c in payload["data"]["changes"]}
    assert changes == {("priority", "normal", "high"), ("tags", "", "hardware")}
    assert payload["data"]["actor"]["id"] == agent.id and payload["data"]["actor"]["role"] == "agent"


def test_each_webhook_gets_only_the_events_it_chose(app, people, receiver):
    admin, agent, customer = people
    other = Receiver()
    other.thread.start()
    try:
        hook(admin, receiver.url)
        hook(admin, other.url, ["ticket.rated"])
        ticket = tickets.create_ticket(customer, "Printer jam", "It jams")
        tickets.reply(agent, ticket.id, "Pull the tray.", status="resolved")
        ratings.rate(customer, ticket.id, "good", "Quick and kind")
        assert receiver.types() == ["ticket.created", "message.created", "ticket.updated", "ticket.rated"]
        (rated,) = other.bodies()
        assert rated["type"] == "ticket.rated"
        assert rated["data"]["rating"]["score"] == "good" and rated["data"]["rating"]["comment"] == "Quick and kind"
        assert rated["data"]["ticket"]["id"] == ticket.id
        # One event, one id, whichever webhooks hear it.
        assert rated["id"] == receiver.bodies()[-1]["id"]
    finally:
        other.server.shutdown()
        other.server.server_close()


def test_internal_notes_go_out_only_marked_internal(app, people, receiver):
    admin, agent, customer = people
    hook(admin, receiver.url, ["message.created"])
    ticket = tickets.create_ticket(customer, "Printer jam", "It jams")
    tickets.reply(agent, ticket.id, "Same fault as last week's batch.", internal=True)
    tickets.reply(agent, ticket.id, "Pull the tray.")
    note, reply = receiver.bodies()
    assert note["data"]["internal"] is True and note["data"]["message"]["internal"] is True
    assert note["data"]["message"]["kind"] == "note" and "last week" in note["data"]["message"]["body"]
    assert reply["data"]["internal"] is False and reply["data"]["message"]["kind"] == "reply"
    assert reply["data"]["ticket"]["id"] == ticket.id


def test_no_webhook_no_delivery(app, people, receiver):
    admin, agent, customer = people
    webhook, _ = hook(admin, receiver.url)
    webhooks.set_active(admin, webhook.id, False)
    tickets.create_ticket(customer, "Printer jam", "It jams")
    assert receiver.requests == [] and WebhookDelivery.select().count() == 0


# -------------------------------------------------------------------------------------------- retries and turning off


def test_a_receiver_that_is_down_for_an_hour_misses_nothing(app, people, receiver):
    admin, agent, customer = people
    hook(admin, receiver.url)
    receiver.status = 503
    ticket = tickets.create_ticket(customer, "Printer jam", "It jams")
    tickets.reply(agent, ticket.id, "Pull the tray.")
    assert WebhookDelivery.select().where(WebhookDelivery.status == "pending").count() == 2
    for _ in range(13):  # an hour and five minutes, in five-minute steps
        time_passes(minutes=5)
    assert {d.status for d in WebhookDelivery.select()} == {"pending"}
    tries_while_down = len(receiver.requests)
    assert 2 * 4 <= tries_while_down <= 2 * 5  # 0 s, 30 s, 2.5 min, 10.5 min, 42.5 min: the waits grow
    assert all(d.last_error.startswith("HTTP 503") and d.response_code == 503 for d in WebhookDelivery.select())

    receiver.status = 200  # back up
    for _ in range(4):
        time_passes(hours=1)
    assert {d.status for d in WebhookDelivery.select()} == {"delivered"}
    ids = [r["headers"]["webhook-id"] for r in receiver.requests]
    assert len(set(ids)) == 2  # every attempt of an event carries the same id...
    for event_id in set(ids):
        bodies = {r["body"] for r in receiver.requests if r["headers"]["webhook-id"] == event_id}
        assert len(bodies) == 1  # ...and the same body
    assert [b["type"] for b in receiver.bodies()[-2:]] in (["ticket.created", "message.created"],
                                                            ["message.created", "ticket.created"])
    # The schedule spans far more than an hour: the last try comes most of a day after the first.
    assert sum((webhooks.next_wait(n) for n in range(1, webhooks.MAX_ATTEMPTS)), datetime.timedelta()) \
        > datetime.timedelta(hours=20)
    assert webhooks.MAX_ATTEMPTS >= 5


def test_waits_grow_exponentially_and_each_try_is_a_job(tmp_path, receiver):
    with open_app(tmp_path, JOBS_IMMEDIATE=False, WEBHOOK_ALLOW_PRIVATE=True):
        try:
            admin, customer = make_user("admin"), make_user("customer")
            hook(admin, receiver.url, ["ticket.created"])
            receiver.status = 500
            tickets.create_ticket(customer, "Printer jam", "It jams")
            assert receiver.requests == [] and jobs.huey.pending_count() == 1  # the request only queued it
            waits = []
            run_due_jobs()
            for attempt in range(1, webhooks.MAX_ATTEMPTS + 1):
                row = WebhookDelivery.get()
                assert row.attempts == attempt and len(receiver.requests) == attempt
                if row.status == "failed":
                    break
                assert jobs.huey.scheduled_count() == 1  # the next try waits in the queue's schedule
                waits.append((row.next_attempt_at - later()).total_seconds())
                delta = datetime.timedelta(days=2)
                WebhookDelivery.update(next_attempt_at=row.next_attempt_at - delta).execute()
                run_due_jobs(now=later(days=2))
            for wait, expected in zip(waits, (30, 120, 480, 1920)):
                assert expected - 2 <= wait <= expected * 1.1 + 2
            assert row.status == "failed" and row.attempts == webhooks.MAX_ATTEMPTS
            assert jobs.huey.scheduled_count() == 0
        finally:
            jobs.huey.storage.flush_all()


def test_after_twenty_straight_failures_the_webhook_is_turned_off_and_says_why(app, people, receiver):
    admin, agent, customer = people
    webhook, _ = hook(admin, receiver.url, ["ticket.created"])
    receiver.status = 500
    for n in range(webhooks.DISABLE_AFTER):
        tickets.create_ticket(customer, f"Printer jam {n}", "It jams")
    for _ in range(webhooks.MAX_ATTEMPTS):
        time_passes(days=1)
    webhook = Webhook.get_by_id(webhook.id)
    assert WebhookDelivery.select().where(WebhookDelivery.status == "failed").count() == webhooks.DISABLE_AFTER
    assert not webhook.active and webhook.consecutive_failures == webhooks.DISABLE_AFTER
    assert "20 deliveries in a row failed" in webhook.disabled_reason and "HTTP 500" in webhook.disabled_reason

    tickets.create_ticket(customer, "While it is off", "Nobody hears this")
    assert WebhookDelivery.select().count() == webhooks.DISABLE_AFTER  # nothing recorded, nothing sent
    with pytest.raises(Conflict):
        webhooks.retry_delivery(admin, webhook.id, WebhookDelivery.select().first().id)

    receiver.status = 200
    webhook = webhooks.update_webhook(admin, webhook.id, active=True)
    assert webhook.active and webhook.consecutive_failures == 0 and webhook.disabled_reason == ""
    tickets.create_ticket(customer, "Back on", "Heard again")
    assert receiver.bodies()[-1]["data"]["ticket"]["subject"] == "Back on"


def test_a_success_starts_the_failure_count_again(app, people, receiver):
    admin, agent, customer = people
    webhook, _ = hook(admin, receiver.url, ["ticket.created"])
    receiver.status = 500
    tickets.create_ticket(customer, "Printer jam", "It jams")
    for _ in range(webhooks.MAX_ATTEMPTS):
        time_passes(days=1)
    assert Webhook.get_by_id(webhook.id).consecutive_failures == 1
    receiver.status = 204
    tickets.create_ticket(customer, "Scanner jam", "It jams too")
    assert Webhook.get_by_id(webhook.id).consecutive_failures == 0


def test_deliveries_left_waiting_go_out_when_the_webhook_is_turned_on_again(app, people, receiver):
    admin, agent, customer = people
    webhook, _ = hook(admin, receiver.url, ["ticket.created"])
    receiver.status = 503
    tickets.create_ticket(customer, "Printer jam", "It jams")
    webhooks.set_active(admin, webhook.id, False)
    time_passes(hours=1)
    assert len(receiver.requests) == 1  # off: the waiting delivery is not tried
    receiver.status = 200
    webhooks.set_active(admin, webhook.id, True)
    assert len(receiver.requests) == 2 and WebhookDelivery.get().status == "delivered"


def test_a_lost_job_is_resumed_by_the_sweep(tmp_path, receiver):
    with open_app(tmp_path, JOBS_IMMEDIATE=False, WEBHOOK_ALLOW_PRIVATE=True):
        try:
            admin, customer = make_user("admin"), make_user("customer")
            hook(admin, receiver.url, ["ticket.created"])
            tickets.create_ticket(customer, "Printer jam", "It jams")
            jobs.huey.dequeue()  # a worker took the job and died before it ran
            assert jobs.huey.pending_count() == 0 and WebhookDelivery.get().status == "pending"
            jobs.resume_webhooks.call_local()
            run_due_jobs()
            assert len(receiver.requests) == 1 and WebhookDelivery.get().status == "delivered"
            assert webhooks.deliver(WebhookDelivery.get().id) is None and len(receiver.requests) == 1  # never twice
        finally:
            jobs.huey.storage.flush_all()


def test_redirects_are_not_followed(app, people, receiver):
    admin, agent, customer = people
    hook(admin, receiver.url, ["ticket.created"])
    receiver.status = 302
    tickets.create_ticket(customer, "Printer jam", "It jams")
    assert [r["path"] for r in receiver.requests] == ["/hooks/desk?source=desk"]  # /elsewhere never asked
    delivery = WebhookDelivery.get()
    assert delivery.status == "pending" and delivery.response_code == 302
    assert "redirects are not followed" in delivery.last_error and "/elsewhere" in delivery.last_error


def test_a_receiver_that_does_not_answer_in_time_fails_the_try(app, people, receiver, monkeypatch):
    admin, agent, customer = people
    monkeypatch.setattr(webhooks, "TIMEOUT", 0.5)  # the real limit is 10 s; the rule is the same
    hook(admin, receiver.url, ["ticket.created"])
    receiver.delay = 3
    tickets.create_ticket(customer, "Printer jam", "It jams")
    delivery = WebhookDelivery.get()
    assert delivery.status == "pending" and delivery.response_code is None
    assert delivery.last_error == "No answer within 0.5 seconds."


def test_a_receiver_that_is_not_listening_is_described(app, people):
    admin, agent, customer = people
    from .servers import free_port

    hook(admin, f"http://127.0.0.1:{free_port()}/hook", ["ticket.created"])
    tickets.create_ticket(customer, "Printer jam", "It jams")
    delivery = WebhookDelivery.get()
    assert delivery.status == "pending" and "Connection refused" in delivery.last_error


# ------------------------------------------------------------------------------------------------------ SSRF guard


@pytest.mark.parametrize("url, kind", [
    ("http://127.0.0.1/hook", "loopback"),
    ("http://localhost:8080/hook", "loopback"),
    ("http://[::1]/hook", "loopback"),
    ("http://[::ffff:127.0.0.1]/hook", "loopback"),
    ("http://10.1.2.3/hook", "private"),
    ("http://172.16.5.4/hook", "private"),
    ("https://192.168.1.10/hook", "private"),
    ("http://169.254.169.254/latest/meta-data", "link-local"),
    ("http://[fe80::1]/hook", "link-local"),
    ("http://224.0.0.1/hook", "multicast"),
    ("http://0.0.0.0/hook", "unspecified"),
    ("http://100.64.0.1/hook", "non-public"),
    ("http://240.0.0.1/hook", "private"),
])
def test_private_addresses_are_refused_when_saved(strict_app, url, kind):
    admin = make_user("admin")
    with pytest.raises(ValidationError) as refused:
        webhooks.create_webhook(admin, url, ALL)
    message = refused.value.errors["url"]
    assert f"a {kind} address" in message and "WEBHOOK_ALLOW_PRIVATE" in message
    assert Webhook.select().count() == 0


@pytest.mark.parametrize("url, words", [
    ("", "Enter the address"),
    ("ftp://hooks.example.com/x", "https://"),
    ("hooks.example.com/desk", "https://"),
    ("https://user:pw@hooks.example.com/", "user name and password"),
    ("https://hooks.example .com/", "spaces"),
    ("https:///nohost", "host name"),
    ("https://hooks.example.com:99999/", "not a valid address"),
    ("https://no-such-host.invalid/hook", "could not be found"),
])
def test_malformed_addresses_are_refused_in_words(strict_app, url, words):
    with pytest.raises(ValidationError) as refused:
        webhooks.create_webhook(make_user("admin"), url, ALL)
    assert words in refused.value.errors["url"]


def test_a_public_address_is_taken(strict_app):
    webhook, _ = webhooks.create_webhook(make_user("admin"), " https://93.184.215.14/desk-events ", ALL, "CRM")
    assert webhook.url == "https://93.184.215.14/desk-events" and webhook.event_list == ALL


def test_private_addresses_are_allowed_when_configured(app):
    webhook, _ = webhooks.create_webhook(make_user("admin"), "http://10.0.0.5:8080/hook", ALL)
    assert webhook.active


def test_the_address_is_checked_again_at_delivery_time(app, people, receiver):
    admin, agent, customer = people
    hook(admin, receiver.url, ["ticket.created"])
    app.config["WEBHOOK_ALLOW_PRIVATE"] = False  # e.g. DNS now points the name at a private address
    tickets.create_ticket(customer, "Printer jam", "It jams")
    assert receiver.requests == []
    delivery = WebhookDelivery.get()
    assert delivery.status == "pending" and "loopback" in delivery.last_error


def test_a_host_name_is_resolved_checked_and_sent_as_host(app, people, receiver):
    admin, agent, customer = people
    hook(admin, f"http://localhost:{receiver.port}/hooks", ["ticket.created"])
    tickets.create_ticket(customer, "Printer jam", "It jams")
    (request,) = receiver.requests
    assert request["headers"]["host"] == f"localhost:{receiver.port}"  # connected to the address, named the host


@pytest.fixture
def tls_receiver(tmp_path, receiver):
    """The receiver behind TLS, with a certificate for "localhost" from a CA of the test's own."""
    with failing_clearly():
        openssl = find_binary("openssl")  # `make system` installs it
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost"],
                   check=True, capture_output=True)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    receiver.server.socket = context.wrap_socket(receiver.server.socket, server_side=True)
    receiver.cert = cert
    return receiver


def test_https_connects_to_the_checked_address_and_verifies_the_host_name(app, people, tls_receiver, monkeypatch):
    admin, agent, customer = people
    hook(admin, f"https://localhost:{tls_receiver.port}/hooks", ["ticket.created"])
    tickets.create_ticket(customer, "Untrusted", "The certificate's CA is unknown")
    assert tls_receiver.requests == []
    assert "TLS failed" in WebhookDelivery.get().last_error and "certificate" in WebhookDelivery.get().last_error

    monkeypatch.setenv("SSL_CERT_FILE", str(tls_receiver.cert))  # now the desk trusts the test's CA
    tickets.create_ticket(customer, "Trusted", "The name matches and the CA is known")
    (request,) = tls_receiver.requests
    assert request["headers"]["host"] == f"localhost:{tls_receiver.port}"
    assert json.loads(request["body"])["data"]["ticket"]["subject"] == "Trusted"

    # Through the same address by number, the certificate (made for "localhost") does not match: refused.
    hook(admin, f"https://127.0.0.1:{tls_receiver.port}/hooks", ["ticket.created"])
    tickets.create_ticket(customer, "Wrong name", "127.0.0.1 is not in the certificate")
    assert len(tls_receiver.requests) == 2  # the localhost webhook only
    last = WebhookDelivery.select().order_by(WebhookDelivery.id.desc()).first()
    assert last.status == "pending" and "TLS failed" in last.last_error


def test_addresses_hidden_inside_ipv6_are_recognised():
    import ipaddress

    for inner in ("::ffff:10.0.0.1", "2002:7f00:1::", "64:ff9b::a9fe:a9fe"):
        assert webhooks.kind_of(ipaddress.ip_address(inner)) is not None
    assert webhooks.kind_of(ipaddress.ip_address("2606:4700:4700::1111")) is None
    assert webhooks.kind_of(ipaddress.ip_address("93.184.215.14")) is None


# ----------------------------------------------------------------------------------------- managing, log, redelivery


def test_events_must_be_chosen_from_the_list(app, people, receiver):
    admin, _, _ = people
    with pytest.raises(ValidationError) as refused:
        webhooks.create_webhook(admin, receiver.url, [])
    assert refused.value.errors == {"events": "Choose at least one event."}
    with pytest.raises(ValidationError) as refused:
        webhooks.create_webhook(admin, receiver.url, ["ticket.deleted"])
    assert "ticket.deleted" in refused.value.errors["events"]
    webhook, _ = webhooks.create_webhook(admin, receiver.url, ["ticket.rated", "ticket.created", "ticket.rated"])
    assert webhook.event_list == ["ticket.created", "ticket.rated"]


def test_only_admins_manage_webhooks(app, people, receiver):
    admin, agent, customer = people
    webhook, _ = hook(admin, receiver.url)
    for actor in (agent, customer, None):
        for call in (lambda: webhooks.create_webhook(actor, receiver.url, ALL),
                     lambda: webhooks.list_webhooks(actor),
                     lambda: webhooks.get_webhook(actor, webhook.id),
                     lambda: webhooks.update_webhook(actor, webhook.id, active=False),
                     lambda: webhooks.delete_webhook(actor, webhook.id),
                     lambda: webhooks.list_deliveries(actor, webhook.id),
                     lambda: webhooks.retry_delivery(actor, webhook.id, 1)):
            with pytest.raises(PermissionDenied):
                call()
    assert Webhook.get_by_id(webhook.id).active


def test_redelivery_sends_the_same_event_with_a_fresh_signature(app, people, receiver):
    admin, agent, customer = people
    webhook, secret = hook(admin, receiver.url, ["ticket.created"])
    receiver.status = 500
    tickets.create_ticket(customer, "Printer jam", "It jams")
    for _ in range(webhooks.MAX_ATTEMPTS):
        time_passes(days=1)
    delivery = WebhookDelivery.get()
    assert delivery.status == "failed" and delivery.attempts == webhooks.MAX_ATTEMPTS

    receiver.status = 200
    again = webhooks.retry_delivery(admin, webhook.id, delivery.id)
    assert again.status == "delivered" and again.attempts == 1 and again.last_error == ""
    first, last = receiver.requests[0], receiver.requests[-1]
    assert last["body"] == first["body"] and last["headers"]["webhook-id"] == first["headers"]["webhook-id"]
    standardwebhooks.Webhook(secret).verify(last["body"], last["headers"])
    with pytest.raises(NotFound):
        webhooks.retry_delivery(admin, webhook.id + 1, delivery.id)


def test_the_log_lists_newest_first_by_status(app, people, receiver):
    admin, agent, customer = people
    webhook, _ = hook(admin, receiver.url, ["ticket.created"])
    for n in range(3):
        tickets.create_ticket(customer, f"Ticket {n}", "Body")
    receiver.status = 500
    tickets.create_ticket(customer, "Failing", "Body")
    page = webhooks.list_deliveries(admin, webhook.id, limit=2)
    assert page.total == 4 and len(page.items) == 2 and page.next_cursor
    assert json.loads(page.items[0].payload)["data"]["ticket"]["subject"] == "Failing"
    rest = webhooks.list_deliveries(admin, webhook.id, cursor=page.next_cursor, limit=2)
    assert len({d.id for d in page.items + rest.items}) == 4
    assert webhooks.list_deliveries(admin, webhook.id, "pending").total == 1
    assert webhooks.status_counts(admin, webhook.id) == {"pending": 1, "delivered": 3, "failed": 0}
    assert webhooks.get_webhook(admin, webhook.id).last_delivery.status == "pending"


def test_deleting_a_webhook_deletes_its_log(app, people, receiver):
    admin, agent, customer = people
    webhook, _ = hook(admin, receiver.url, ["ticket.created"])
    kept, _ = hook(admin, receiver.url, ["ticket.created"])
    tickets.create_ticket(customer, "Printer jam", "It jams")
    webhooks.delete_webhook(admin, webhook.id)
    assert Webhook.get_or_none(Webhook.id == webhook.id) is None
    assert [d.webhook_id for d in WebhookDelivery.select()] == [kept.id]
    with pytest.raises(NotFound):
        webhooks.get_webhook(admin, webhook.id)


def test_old_finished_deliveries_are_forgotten_by_a_daily_job(app, people, receiver):
    admin, agent, customer = people
    hook(admin, receiver.url, ["ticket.created"])
    tickets.create_ticket(customer, "Old", "Body")
    WebhookDelivery.update(created_at=later(days=-31)).execute()
    tickets.create_ticket(customer, "New", "Body")
    assert jobs.sweep_webhook_log.task_class().validate_datetime(datetime.datetime(2026, 12, 3, 3, 41))
    jobs.sweep_webhook_log.call_local()
    (left,) = WebhookDelivery.select()
    assert json.loads(left.payload)["data"]["ticket"]["subject"] == "New"
