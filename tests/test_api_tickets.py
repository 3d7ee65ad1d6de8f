"""Ticket flows through the API, written from the seeds; pagination; the error contract."""
import re

import pytest

from portal.models import Attachment, Ticket
from portal.services import tickets

from .test_api_auth import API, Api, person, token_for

ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


@pytest.fixture
def people(app):
    return {
        "customer": person("customer", "jane@example.com", "Jane Customer"),
        "other": person("customer", "olga@example.com", "Olga Other"),
        "agent": person("agent", "sam@example.com", "Sam Support"),
        "admin": person("admin", "ada@example.com", "Ada Admin"),
    }


@pytest.fixture
def as_(client, people):
    """as_("customer") -> an Api client holding that person's token."""
    tokens = {}

    def make(name):
        if name not in tokens:
            tokens[name] = token_for(people[name])
        return Api(client, tokens[name])

    return make


# ------------------------------------------------------------------------------------------------- seed 001 flow


def test_seed_001_file_work_reply_close(as_, people):
    customer, agent = as_("customer"), as_("agent")

    created = customer.post("/tickets", {"subject": "Payment not received",
                                         "description": "I completed a session yesterday but no payment.",
                                         "category": "billing", "priority": "high"})
    assert created.status_code == 201
    ticket = created.get_json()["data"]
    assert created.headers["Location"].endswith(f"/api/v1/tickets/{ticket['id']}")
    assert (ticket["status"], ticket["priority"], ticket["category"], ticket["channel"]) == \
        ("open", "high", "billing", "api")
    assert ticket["customer"] == {"id": people["customer"].id, "name": "Jane Customer", "email": "jane@example.com"}
    assert [m["body"] for m in ticket["messages"]] == ["I completed a session yesterday but no payment."]
    assert ticket["messages"][0]["author"]["role"] == "customer"
    assert ISO_Z.match(ticket["created_at"]) and ticket["first_response_at"] is None

    queue = agent.get("/tickets?status=open").get_json()
    assert ticket["id"] in [t["id"] for t in queue["data"]]

    changed = agent.patch(f"/tickets/{ticket['id']}", {"status": "in_progress", "priority": "urgent"})
    assert changed.status_code == 200
    assert (changed.get_json()["data"]["status"], changed.get_json()["data"]["priority"]) == ("in_progress", "urgent")

    staff_reply = agent.post(f"/tickets/{ticket['id']}/messages", {"body": "I can see the payment was **captured**."})
    assert staff_reply.status_code == 201
    reply = staff_reply.get_json()["data"]
    assert reply["author"]["role"] == "agent" and reply["internal"] is False and reply["kind"] == "reply"
    assert "<strong>captured</strong>" in reply["body_html"]

    mine = customer.get("/tickets").get_json()["data"][0]
    assert mine["unread"] is True
    thread = customer.get(f"/tickets/{ticket['id']}").get_json()["data"]
    assert thread["first_response_at"] is not None and ISO_Z.match(thread["first_response_at"])
    staff_bodies = [m["body"] for m in thread["messages"] if m["author"] and m["author"]["role"] == "agent"
                    and m["kind"] == "reply"]
    assert staff_bodies == ["I can see the payment was **captured**."]
    assert customer.get("/tickets").get_json()["data"][0]["unread"] is False

    closed = customer.post(f"/tickets/{ticket['id']}/close")
    assert closed.status_code == 200
    assert closed.get_json()["data"]["status"] == "closed"
    assert ISO_Z.match(closed.get_json()["data"]["closed_at"])
    again = customer.post(f"/tickets/{ticket['id']}/close")
    assert again.status_code == 409 and again.get_json()["code"] == "CONFLICT"

    history = agent.get(f"/tickets/{ticket['id']}/history").get_json()["data"]
    assert [(h["field"], h["new_value"]) for h in history] == [
        ("priority", "urgent"), ("status", "in_progress"), ("status", "closed")]
    assert history[0]["actor"]["name"] == "Sam Support"


def test_agent_reply_can_set_status_and_write_notes(as_, people):
    customer, agent = as_("customer"), as_("agent")
    created = customer.post("/tickets", {"subject": "Export fails", "description": "Timeout."})
    ticket_id = created.get_json()["data"]["id"]
    note = agent.post(f"/tickets/{ticket_id}/messages", {"body": "Known issue.", "internal": True})
    assert note.get_json()["data"]["kind"] == "note" and note.get_json()["data"]["internal"] is True
    answer = agent.post(f"/tickets/{ticket_id}/messages", {"body": "Fixed now.", "status": "resolved"})
    assert answer.status_code == 201
    data = customer.get(f"/tickets/{ticket_id}").get_json()["data"]
    assert data["status"] == "resolved" and data["resolved_at"] is not None
    assert "Known issue." not in [m["body"] for m in data["messages"]]
    # A customer's reply on a resolved ticket opens it again.
    customer.post(f"/tickets/{ticket_id}/messages", {"body": "Still broken."})
    assert customer.get(f"/tickets/{ticket_id}").get_json()["data"]["status"] == "open"


def test_customers_cannot_write_notes_or_set_status(as_):
    customer = as_("customer")
    ticket_id = customer.post("/tickets", {"subject": "Hello", "description": "Hi"}).get_json()["data"]["id"]
    response = customer.post(f"/tickets/{ticket_id}/messages", {"body": "x", "internal": True, "status": "closed"})
    assert response.status_code == 422
    locations = {e["location"] for e in response.get_json()["errors"]}
    assert locations == {"body.internal", "body.status"}


def test_agent_files_for_a_customer_with_tags_and_assignee(as_, people):
    agent = as_("agent")
    response = agent.post("/tickets", {"subject": "Phoned in", "description": "Called about invoices.",
                                       "customer_email": "New.Caller@Example.com", "customer_name": "New Caller",
                                       "tags": ["phone", "vip"], "assignee_id": people["agent"].id})
    assert response.status_code == 201
    data = response.get_json()["data"]
    assert data["customer"]["email"] == "new.caller@example.com"
    assert data["tags"] == ["phone", "vip"]
    assert data["assignee"]["id"] == people["agent"].id
    listed = agent.get("/tickets?tags=vip,phone&assignee_id=me").get_json()
    assert [t["id"] for t in listed["data"]] == [data["id"]]


def test_list_filters(as_, people):
    customer, agent = as_("customer"), as_("agent")
    a = customer.post("/tickets", {"subject": "Refund please", "description": "Double charge.",
                                   "category": "billing", "priority": "urgent"}).get_json()["data"]["id"]
    b = customer.post("/tickets", {"subject": "Crash on upload", "description": "Photo.",
                                   "category": "bug", "priority": "low"}).get_json()["data"]["id"]
    c = as_("other").post("/tickets", {"subject": "Other refund", "description": "Me too."}).get_json()["data"]["id"]
    agent.patch(f"/tickets/{b}", {"status": "waiting", "assignee_id": people["agent"].id})

    def ids(query):
        response = agent.get("/tickets?" + query)
        assert response.status_code == 200, response.get_json()
        return {t["id"] for t in response.get_json()["data"]}

    assert ids("status=open") == {a, c}
    assert ids("status=open,waiting") == {a, b, c}
    assert ids("priority=urgent,low") == {a, b}
    assert ids("category=billing") == {a}
    assert ids(f"customer_id={people['customer'].id}") == {a, b}
    assert ids(f"assignee_id={people['agent'].id}") == {b}
    assert ids("unassigned=true") == {a, c}
    assert ids("search=refund") == {a, c}
    ordered = agent.get("/tickets?order_by=priority&order_dir=desc").get_json()["data"]
    assert [t["priority"] for t in ordered] == ["urgent", "normal", "low"]
    oldest = agent.get("/tickets?order_by=created_at&order_dir=asc").get_json()["data"]
    assert [t["id"] for t in oldest] == [a, b, c]


# ------------------------------------------------------------------------------------------------- seed 002 flow


def test_seed_002_contact_upload_lock(client, as_, people):
    guest = Api(client)
    categories = guest.get("/categories").get_json()
    assert {"slug": "billing", "name": "Billing", "description": "Invoices, payments, refunds and plans.",
            "active": True, "fields": []} in categories["data"]
    contact = guest.post("/contact", {"name": "Gina Guest", "email": "gina@example.com", "company": "Acme",
                                      "phone": "+44 20 1234", "category": "billing", "subject": "Invoice question",
                                      "body": "Where is my invoice?"})
    assert contact.status_code == 201
    receipt = contact.get_json()["data"]
    assert receipt["status"] == "open"
    assert receipt["access_url"].startswith("http://localhost/t/")
    page = client.get(receipt["access_url"].replace("http://localhost", ""))
    assert page.status_code == 200 and "Where is my invoice?" in page.get_data(as_text=True)
    ticket = Ticket.get_by_id(receipt["ticket_id"])
    assert ticket.channel == "contact_form" and ticket.customer.company == "Acme"

    customer, agent = as_("customer"), as_("agent")
    ticket_id = customer.post("/tickets", {"subject": "Screenshot", "description": "See next message."}) \
        .get_json()["data"]["id"]
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    uploaded = customer.upload(png, "screen.png", "image/png")
    assert uploaded.status_code == 201
    file = uploaded.get_json()["data"]
    assert (file["filename"], file["size"], file["content_type"]) == ("screen.png", len(png), "image/png")
    reply = customer.post(f"/tickets/{ticket_id}/messages", {"body": "Attached.", "attachment_ids": [file["id"]]})
    assert reply.status_code == 201
    assert [a["id"] for a in reply.get_json()["data"]["attachments"]] == [file["id"]]
    download = agent.get(f"/attachments/{file['id']}")
    assert download.status_code == 200 and download.data == png
    assert download.headers["Content-Type"] == "image/png"
    # Attached files can no longer be deleted (the uploader still sees them: a conflict, not "not found"), nor
    # attached twice.
    assert customer.delete(f"/attachments/{file['id']}").status_code == 409
    twice = customer.post(f"/tickets/{ticket_id}/messages", {"body": "Again.", "attachment_ids": [file["id"]]})
    assert twice.status_code == 422

    text = customer.upload(b"<script>alert(1)</script>", "evil.html", "text/html").get_json()["data"]
    evil = customer.get(f"/attachments/{text['id']}")
    assert evil.headers["Content-Disposition"].startswith("attachment")
    assert customer.delete(f"/attachments/{text['id']}").status_code == 204
    assert customer.get(f"/attachments/{text['id']}").status_code == 404

    locked = agent.patch(f"/tickets/{ticket_id}", {"locked": True})
    assert locked.get_json()["data"]["locked"] is True and locked.get_json()["data"]["status"] == "closed"
    reopen = customer.post(f"/tickets/{ticket_id}/reopen")
    assert reopen.status_code == 409 and reopen.get_json()["code"] == "CONFLICT"
    assert "locked" in reopen.get_json()["detail"]
    refused = customer.post(f"/tickets/{ticket_id}/messages", {"body": "Hello?"})
    assert refused.status_code == 409
    assert agent.post(f"/tickets/{ticket_id}/reopen").get_json()["data"]["status"] == "open"


def test_ticket_with_attachment_at_creation(as_):
    customer = as_("customer")
    file = customer.upload(b"trace", "trace.txt").get_json()["data"]
    created = customer.post("/tickets", {"subject": "With file", "description": "See file.",
                                         "attachment_ids": [file["id"]]}).get_json()["data"]
    assert created["messages"][0]["attachments"][0]["filename"] == "trace.txt"
    assert Attachment.get_by_id(file["id"]).message_id == created["messages"][0]["id"]


def test_idempotency_key_creates_one_ticket(as_, client):
    customer = as_("customer")
    first = customer.post("/tickets", {"subject": "Once", "description": "Only once."},
                          headers={"Idempotency-Key": "abc-123"})
    second = customer.post("/tickets", {"subject": "Once", "description": "Only once."},
                           headers={"Idempotency-Key": "abc-123"})
    assert first.get_json()["data"]["id"] == second.get_json()["data"]["id"]
    assert Ticket.select().count() == 1
    guest = Api(client)
    body = {"name": "Gus", "email": "gus@example.com", "category": "general", "subject": "Hello", "body": "Hi"}
    one = guest.post("/contact", body, headers={"Idempotency-Key": "form-1"}).get_json()["data"]
    two = guest.post("/contact", body, headers={"Idempotency-Key": "form-1"}).get_json()["data"]
    assert one["ticket_id"] == two["ticket_id"] and one["access_url"] and two["access_url"] is None


# ---------------------------------------------------------------------------------------------------- pagination


@pytest.mark.parametrize("order", ["order_by=updated_at&order_dir=desc", "order_by=created_at&order_dir=asc",
                                   "order_by=priority&order_dir=desc"])
def test_walking_every_page_yields_each_ticket_once_while_tickets_arrive(as_, people, order):
    agent = as_("agent")
    customer = people["customer"]
    priorities = ["low", "normal", "high", "urgent"]
    existing = {tickets.create_ticket(customer, f"Ticket {n}", "Body", priority=priorities[n % 4]).id
                for n in range(23)}
    seen = []
    cursor = None
    pages = 0
    while True:
        url = f"/tickets?limit=5&{order}" + (f"&cursor={cursor}" if cursor else "")
        body = agent.get(url).get_json()
        assert body["meta"]["limit"] == 5
        seen.extend(t["id"] for t in body["data"])
        pages += 1
        # New tickets keep arriving between pages.
        tickets.create_ticket(customer, f"Arrived during page {pages}", "Body", priority="urgent")
        cursor = body["meta"]["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen))
    assert existing <= set(seen)
    assert pages >= 5


def test_limit_bounds_and_total(as_, people):
    agent = as_("agent")
    for n in range(3):
        tickets.create_ticket(people["customer"], f"T{n}", "Body")
    body = agent.get("/tickets?limit=2").get_json()
    assert len(body["data"]) == 2 and body["meta"]["total"] == 3 and body["meta"]["next_cursor"]
    for bad in ("limit=0", "limit=101", "limit=abc"):
        response = agent.get("/tickets?" + bad)
        assert response.status_code == 422
        assert response.get_json()["errors"][0]["location"] == "query.limit"


def test_message_pages(as_, people):
    customer, agent = as_("customer"), as_("agent")
    ticket_id = customer.post("/tickets", {"subject": "Long thread", "description": "First"}).get_json()["data"]["id"]
    for n in range(6):
        agent.post(f"/tickets/{ticket_id}/messages", {"body": f"Reply {n}"})
    agent.post(f"/tickets/{ticket_id}/messages", {"body": "Secret", "internal": True})
    bodies, cursor = [], None
    while True:
        url = f"/tickets/{ticket_id}/messages?limit=3" + (f"&cursor={cursor}" if cursor else "")
        page = customer.get(url).get_json()
        bodies.extend(m["body"] for m in page["data"])
        cursor = page["meta"]["next_cursor"]
        if not cursor:
            break
    assert bodies == ["First"] + [f"Reply {n}" for n in range(6)]
    assert page["meta"]["total"] == 7
    assert customer.get(f"/tickets/{ticket_id}/messages?cursor=nonsense").status_code == 422


@pytest.mark.parametrize("cursor", ["nonsense", "W10", "WyJ1cGRhdGVkX2F0Iix7fSwxXQ",  # ["updated_at",{},1]
                                    "WyJ1cGRhdGVkX2F0IiwiMjAyNS0wMS0wMSIsMTAwMDAwMDAwMDAwMDAwMDAwMDAwMDBd"])
def test_forged_cursors_are_422_not_500(as_, cursor):
    response = as_("agent").get(f"/tickets?cursor={cursor}")
    assert response.status_code == 422
    assert response.get_json()["errors"] == [
        {"location": "query.cursor", "message": "This cursor is not valid; start again from the first page."}]


# ------------------------------------------------------------------------------------------------ error contract


def test_malformed_json_is_400(as_):
    response = as_("customer").post("/tickets", data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["code"] == "BAD_REQUEST" and problem["title"] == "Bad request"
    assert problem["type"].endswith("/api/docs#error-bad-request")


def test_a_body_that_is_not_json_is_400(as_):
    response = as_("customer").post("/tickets", data="subject=x", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400


def test_invalid_fields_are_422_with_locations(as_):
    response = as_("customer").post("/tickets", {"subject": "x", "priority": "extreme", "surprise": 1})
    assert response.status_code == 422
    problem = response.get_json()
    assert problem["code"] == "VALIDATION_ERROR"
    assert {e["location"] for e in problem["errors"]} == {
        "body.subject", "body.description", "body.priority", "body.surprise"}


def test_service_rules_come_back_located_too(as_):
    response = as_("customer").post("/tickets", {"subject": "Hello", "description": "   ", "category": "nope"})
    assert response.status_code == 422
    errors = {e["location"]: e["message"] for e in response.get_json()["errors"]}
    assert errors == {"body.description": "Enter a description.",
                      "body.category": "Choose one of the listed categories."}


def test_types_are_strict_in_json_bodies(as_, people):
    response = as_("agent").post("/tickets", {"subject": "Hello", "description": "Hi", "assignee_id": "1"})
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["location"] == "body.assignee_id"


def test_query_errors_are_located_in_the_query(as_):
    response = as_("agent").get("/tickets?status=open,nope&order_by=colour")
    assert response.status_code == 422
    assert {e["location"] for e in response.get_json()["errors"]} == {"query.status", "query.order_by"}


def test_unknown_paths_and_methods_answer_problem_json(client, as_):
    missing = client.get("/api/v1/nothing-here")
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"
    assert client.get("/api/elsewhere").mimetype == "application/problem+json"
    wrong = as_("customer").call("PUT", "/tickets")
    assert wrong.status_code == 405 and wrong.get_json()["code"] == "METHOD_NOT_ALLOWED"
    assert set(wrong.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}
    assert as_("customer").get("/tickets/0").status_code == 404  # ids start at 1
    too_big = as_("customer").get("/tickets/99999999999999999999")
    assert too_big.status_code == 404 and too_big.mimetype == "application/problem+json"


def test_oversized_upload_and_body_are_413(app, as_):
    customer = as_("customer")
    app.config["MAX_ATTACHMENT_MB"] = 0.001
    big = customer.upload(b"x" * 5000, "big.bin", "application/octet-stream")
    assert big.status_code == 413 and big.get_json()["code"] == "PAYLOAD_TOO_LARGE"
    assert Attachment.select().count() == 0
    app.config["MAX_CONTENT_LENGTH"] = 2000
    huge = customer.post("/tickets", {"subject": "Big", "description": "y" * 5000})
    assert huge.status_code == 413 and huge.mimetype == "application/problem+json"


def test_empty_upload_is_422(as_):
    response = as_("customer").upload(b"", "empty.txt")
    assert response.status_code == 422
    no_file = as_("customer").post("/attachments", data={"other": "x"}, content_type="multipart/form-data")
    assert no_file.status_code == 422 and no_file.get_json()["errors"][0]["location"] == "body.file"


def test_unexpected_errors_are_500_problem_json_without_a_trace(as_, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(tickets, "list_tickets", boom)
    response = as_("agent").get("/tickets")
    assert response.status_code == 500
    assert response.mimetype == "application/problem+json"
    text = response.get_data(as_text=True)
    assert "secret internals" not in text and "Traceback" not in text
    assert response.get_json()["code"] == "INTERNAL_SERVER_ERROR"


def test_contact_is_rate_limited(tmp_path):
    from portal import create_app
    from portal.cli import init_db
    from portal.db import db

    app = create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x", "SERVER_NAME": "localhost",
                      "DATABASE_URL": "sqlite:///" + str(tmp_path / "limits.db"), "RATELIMIT_ENABLED": True,
                      "UPLOAD_FOLDER": str(tmp_path / "uploads")})
    try:
        with app.app_context():
            init_db()
            db.connect(reuse_if_open=True)
            guest = Api(app.test_client())
            body = {"name": "Spam Bot", "email": "bot@example.com", "category": "general", "subject": "Buy",
                    "body": "Now"}
            statuses = [guest.post("/contact", body).status_code for _ in range(6)]
            assert statuses == [201] * 5 + [429]
            limited = guest.post("/contact", body)
            assert limited.mimetype == "application/problem+json"
            assert limited.get_json()["code"] == "TOO_MANY_REQUESTS"
            db.close()
    finally:
        # The limiter is one object shared by every app in this process: switch it off again for the next test.
        from portal.extensions import limiter

        limiter.enabled = False


def test_times_are_utc_with_z(as_):
    data = as_("customer").post("/tickets", {"subject": "Time", "description": "Check"}).get_json()["data"]
    assert ISO_Z.match(data["created_at"]) and ISO_Z.match(data["updated_at"])
    assert ISO_Z.match(data["messages"][0]["created_at"])


def test_get_ticket_queries_stay_constant(as_, people, count_queries):
    customer, agent = as_("customer"), as_("agent")
    ticket_id = customer.post("/tickets", {"subject": "Count", "description": "Q"}).get_json()["data"]["id"]
    agent.post(f"/tickets/{ticket_id}/messages", {"body": "one"})
    agent.get(f"/tickets/{ticket_id}")
    with count_queries() as few:
        agent.get(f"/tickets/{ticket_id}")
    for n in range(8):
        agent.post(f"/tickets/{ticket_id}/messages", {"body": f"more {n}"})
    with count_queries() as many:
        agent.get(f"/tickets/{ticket_id}")
    assert many.count == few.count


def test_list_queries_stay_constant(as_, people, count_queries):
    agent = as_("agent")
    for n in range(2):
        tickets.create_ticket(people["customer"], f"A{n}", "Body")
    agent.get("/tickets")  # the token's first use is stamped; later calls within a minute are reads only
    with count_queries() as few:
        agent.get("/tickets")
    for n in range(10):
        ticket = tickets.create_ticket(people["other"], f"B{n}", "Body")
        tickets.update_ticket(people["agent"], ticket.id, tags=["x", f"t{n}"], assignee_id=people["agent"].id)
    with count_queries() as many:
        agent.get("/tickets")
    assert many.count == few.count


def test_api_prefix_is_served_under_api_v1(client):
    assert client.get(API + "/categories").status_code == 200
