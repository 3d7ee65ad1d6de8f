"""The customer portal and the public pages through Flask's test client."""
import re

from portal.models import Message, Ticket
from portal.services import mail, tickets

from .conftest import PASSWORD, csrf_from, make_user


def new_ticket(client, auth, **overrides):
    token = auth.csrf("/tickets/new")
    page = client.get("/tickets/new").get_data(as_text=True)
    key = re.search(r'name="submission_key" type="hidden" value="([^"]+)"', page).group(1)
    data = {"subject": "Cannot export", "description": "The export button spins.", "category": "technical",
            "priority": "high", "csrf_token": token, "submission_key": key}
    data.update(overrides)
    return client.post("/tickets/new", data=data)


def test_home_and_public_pages_render(client):
    for path in ("/", "/contact", "/login", "/register"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "Content-Security-Policy" in response.headers
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]


def test_customer_pages_require_sign_in(client):
    response = client.get("/tickets/new")
    assert response.status_code == 302
    assert "/login?next=%2Ftickets%2Fnew" in response.headers["Location"]


def test_expired_session_during_htmx_sends_the_page_to_sign_in(client):
    listing = client.get("/tickets?q=x", headers={"HX-Request": "true",
                                                   "HX-Current-URL": "http://localhost/tickets?status=done"})
    assert listing.status_code == 401
    # Back to the page the person was on, not to the fragment htmx asked for.
    assert listing.headers["HX-Redirect"] == "/login?next=%2Ftickets%3Fstatus%3Ddone"
    plain = client.get("/tickets/new")
    assert plain.status_code == 302 and plain.headers["Location"] == "/login?next=%2Ftickets%2Fnew"


def test_register_signs_in_and_lands_on_my_tickets(app, client, auth):
    token = auth.csrf("/register")
    response = client.post("/register", data={"name": "Rita Reg", "email": "Rita@Example.com", "csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"].endswith("/register/sent")
    with app.test_request_context():
        body = mail.sent_messages()[-1].get_content()
    link = re.search(r"http://localhost(/register/\S+)", body).group(1)
    response = client.post(link, data={"password": "long-enough-pw", "csrf_token": auth.csrf(link)})
    assert response.status_code == 303 and response.headers["Location"].endswith("/tickets")
    page = client.get("/tickets").get_data(as_text=True)
    assert "Rita Reg" in page and "No tickets yet" in page


def test_register_errors_beside_fields(client, auth):
    token = auth.csrf("/register")
    response = client.post("/register", data={"name": "R", "email": "nope", "csrf_token": token})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="name-error"' in html and 'id="email-error"' in html
    assert 'value="nope"' in html  # the input is kept


def test_login_failure_does_not_reveal_whether_email_exists(client, auth, customer):
    wrong_password = auth.login(customer.email, "wrong-password")
    unknown = auth.login("nobody@example.com", "wrong-password")
    assert wrong_password.status_code == unknown.status_code == 422
    message = "That e-mail and password do not match an account."
    assert message in wrong_password.get_data(as_text=True)
    assert message in unknown.get_data(as_text=True)


def test_login_next_only_redirects_locally(client, customer):
    for target, expected in (("/tickets/new", "/tickets/new"), ("https://evil.example/", "/tickets"),
                             ("//evil.example", "/tickets"), ("/\\evil.example", "/tickets")):
        client.get("/login")
        page = client.get("/login?next=" + target).get_data(as_text=True)
        token = csrf_from(page)
        response = client.post("/login", data={"email": customer.email, "password": PASSWORD, "next": target,
                                               "csrf_token": token})
        assert response.status_code == 303
        assert response.headers["Location"] == expected, target
        client.post("/logout", data={"csrf_token": csrf_from(client.get("/tickets").get_data(as_text=True))})


def test_session_cookie_is_httponly_and_lax(client, auth, customer):
    response = auth.login(customer.email)
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_post_without_csrf_token_is_refused(client, auth, customer):
    auth.login(customer.email)
    response = client.post("/tickets/new", data={"subject": "No token", "description": "x"})
    assert response.status_code == 400
    assert "expired" in response.get_data(as_text=True)
    assert Ticket.select().count() == 0


def test_contact_post_without_csrf_is_refused(client):
    response = client.post("/contact", data={"name": "Gus", "email": "g@example.com", "subject": "Hi", "body": "x"})
    assert response.status_code == 400 and Ticket.select().count() == 0


def test_htmx_request_without_csrf_header_is_refused(client, auth, customer):
    auth.login(customer.email)
    ticket = tickets.create_ticket(customer, "Subject", "Body")
    response = client.post(f"/tickets/{ticket.id}/reply", data={"body": "hi"}, headers={"HX-Request": "true"})
    assert response.status_code == 400
    token = auth.csrf("/tickets")
    ok = client.post(f"/tickets/{ticket.id}/reply", data={"body": "hi"},
                     headers={"HX-Request": "true", "X-CSRFToken": token})
    assert ok.status_code == 200


def test_file_a_ticket_and_see_it(client, auth, customer):
    auth.login(customer.email)
    response = new_ticket(client, auth)
    assert response.status_code == 303
    ticket = Ticket.get()
    assert response.headers["Location"].endswith(f"/tickets/{ticket.id}")
    page = client.get(f"/tickets/{ticket.id}").get_data(as_text=True)
    assert "Cannot export" in page and "The export button spins." in page and "Technical problem" in page
    assert f"Ticket #{ticket.id}" in page


def test_double_submitted_new_ticket_creates_one(client, auth, customer):
    auth.login(customer.email)
    token = auth.csrf("/tickets/new")
    data = {"subject": "Twice", "description": "Clicked twice", "category": "", "priority": "normal",
            "csrf_token": token, "submission_key": "same-key-for-both"}
    first = client.post("/tickets/new", data=data)
    second = client.post("/tickets/new", data=data)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert Ticket.select().count() == 1


def test_new_ticket_errors_beside_fields(client, auth, customer):
    auth.login(customer.email)
    response = new_ticket(client, auth, subject="x", description="", category="nope")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="subject-error"' in html and 'id="description-error"' in html and 'id="category-error"' in html
    assert Ticket.select().count() == 0


def test_foreign_ticket_is_404(client, auth, customer, other_customer):
    ticket = tickets.create_ticket(other_customer, "Private", "Do not look")
    auth.login(customer.email)
    assert client.get(f"/tickets/{ticket.id}").status_code == 404
    token = auth.csrf("/tickets")
    assert client.post(f"/tickets/{ticket.id}/reply", data={"body": "x", "csrf_token": token}).status_code == 404
    assert client.post(f"/tickets/{ticket.id}/close", data={"csrf_token": token}).status_code == 404
    assert client.get("/tickets/99999").status_code == 404


def test_reply_htmx_returns_conversation_fragment(client, auth, customer):
    ticket = tickets.create_ticket(customer, "Subject here", "Body")
    auth.login(customer.email)
    token = auth.csrf("/tickets")
    response = client.post(f"/tickets/{ticket.id}/reply", data={"body": "A **bold** reply", "csrf_token": token},
                           headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<section id="conversation"' in html and "<html" not in html
    assert "<strong>bold</strong>" in html
    assert "HX-Request" in response.headers["Vary"]
    # The reply form comes back empty.
    assert re.search(r'<textarea[^>]*name="body"[^>]*>\s*</textarea>', html)


def test_plain_reply_redirects(client, auth, customer):
    ticket = tickets.create_ticket(customer, "Subject here", "Body")
    auth.login(customer.email)
    token = auth.csrf("/tickets")
    response = client.post(f"/tickets/{ticket.id}/reply", data={"body": "plain", "csrf_token": token})
    assert response.status_code == 303
    assert Message.select().where(Message.body == "plain").exists()


def test_empty_reply_is_422_with_message(client, auth, customer):
    ticket = tickets.create_ticket(customer, "Subject here", "Body")
    auth.login(customer.email)
    token = auth.csrf("/tickets")
    response = client.post(f"/tickets/{ticket.id}/reply", data={"body": "  ", "csrf_token": token},
                           headers={"HX-Request": "true"})
    assert response.status_code == 422 and 'id="body-error"' in response.get_data(as_text=True)


def test_close_and_reopen_buttons(client, auth, customer, agent):
    ticket = tickets.create_ticket(customer, "Subject here", "Body")
    auth.login(customer.email)
    token = auth.csrf("/tickets")
    assert client.post(f"/tickets/{ticket.id}/close", data={"csrf_token": token}).status_code == 303
    assert Ticket.get_by_id(ticket.id).status == "closed"
    page = client.get(f"/tickets/{ticket.id}").get_data(as_text=True)
    assert "Reopen ticket" in page and "The ticket is closed" in page
    client.post(f"/tickets/{ticket.id}/reopen", data={"csrf_token": token})
    assert Ticket.get_by_id(ticket.id).status == "open"
    # Reopening an open ticket: a clear message, nothing changes.
    client.post(f"/tickets/{ticket.id}/reopen", data={"csrf_token": token})
    assert "Only a resolved or closed ticket can be reopened." in client.get(f"/tickets/{ticket.id}").get_data(as_text=True)


def test_locked_ticket_shows_message_and_no_reply_form(client, auth, customer, agent):
    ticket = tickets.create_ticket(customer, "Subject here", "Body")
    tickets.update_ticket(agent, ticket.id, locked=True)
    auth.login(customer.email)
    page = client.get(f"/tickets/{ticket.id}").get_data(as_text=True)
    assert "This ticket is locked" in page and 'id="reply-form"' not in page and "Reopen ticket" not in page
    token = auth.csrf("/tickets")
    response = client.post(f"/tickets/{ticket.id}/reply", data={"body": "let me", "csrf_token": token})
    assert response.status_code == 409 and "locked" in response.get_data(as_text=True)


def test_notes_never_on_customer_page(client, auth, customer, agent):
    ticket = tickets.create_ticket(customer, "Subject here", "Body")
    tickets.reply(agent, ticket.id, "INTERNAL-ONLY remark", internal=True)
    tickets.reply(agent, ticket.id, "Public answer")
    auth.login(customer.email)
    page = client.get(f"/tickets/{ticket.id}").get_data(as_text=True)
    assert "Public answer" in page and "INTERNAL-ONLY" not in page


def test_list_filters_by_status_and_text_and_serves_fragment(client, auth, customer, agent):
    a = tickets.create_ticket(customer, "Alpha invoice", "Body")
    tickets.create_ticket(customer, "Beta crash", "Body")
    tickets.update_ticket(agent, a.id, status="resolved")
    auth.login(customer.email)
    page = client.get("/tickets?status=done").get_data(as_text=True)
    assert "Alpha invoice" in page and "Beta crash" not in page
    fragment = client.get("/tickets?q=crash", headers={"HX-Request": "true"})
    html = fragment.get_data(as_text=True)
    assert html.lstrip().startswith('<div id="ticket-list"') and "Beta crash" in html and "Alpha" not in html
    assert "No tickets match" in client.get("/tickets?q=zzzz").get_data(as_text=True)


def test_unread_reply_is_marked_in_the_list(client, auth, customer, agent):
    ticket = tickets.create_ticket(customer, "Waiting for answer", "Body")
    tickets.reply(agent, ticket.id, "Here is your answer")
    auth.login(customer.email)
    assert "New reply" in client.get("/tickets").get_data(as_text=True)
    client.get(f"/tickets/{ticket.id}")
    assert "badge-unread" not in client.get("/tickets").get_data(as_text=True)


def test_my_tickets_query_count_is_constant(client, auth, customer, agent, count_queries):
    def add(n):
        for i in range(n):
            t = tickets.create_ticket(customer, f"Ticket {i}", "Body", category="billing")
            tickets.update_ticket(agent, t.id, tags=["vip", "refund"], assignee_id=agent.id)
            tickets.reply(agent, t.id, "Answer")

    def queries():
        with count_queries() as q:
            response = client.get("/tickets")
        assert response.status_code == 200
        return q.count, response.get_data(as_text=True).count("<li class=\"row")

    auth.login(customer.email)
    add(5)
    few, rows_few = queries()
    add(45)
    many, rows_many = queries()
    assert (rows_few, rows_many) == (5, 25)  # a full page of 25 out of 50
    assert few == many


def test_contact_form_journey(client):
    page = client.get("/contact").get_data(as_text=True)
    token = csrf_from(page)
    key = re.search(r'name="submission_key" type="hidden" value="([^"]+)"', page).group(1)
    data = {"name": "Gus Guest", "email": "gus@example.com", "company": "", "phone": "", "category": "billing",
            "subject": "Refund please", "body": "I was charged twice.", "csrf_token": token, "submission_key": key}
    response = client.post("/contact", data=data)
    assert response.status_code == 303
    confirmation = client.get(response.headers["Location"]).get_data(as_text=True)
    ticket = Ticket.get()
    assert f"#{ticket.id}" in confirmation
    link = re.search(r'id="ticket-link" type="text" readonly value="([^"]+)"', confirmation).group(1)
    path = link.split("localhost", 1)[1]
    assert path.startswith("/t/")
    # Submitting the same form again creates nothing new.
    assert client.post("/contact", data=data).status_code == 303
    assert Ticket.select().count() == 1
    # The link works in a fresh browser without any session.
    other = client.application.test_client()
    guest_page = other.get(path)
    assert guest_page.status_code == 200 and "I was charged twice." in guest_page.get_data(as_text=True)
    assert guest_page.headers["Referrer-Policy"] == "no-referrer"
    reply_token = csrf_from(guest_page.get_data(as_text=True))
    reply = other.post(path + "/reply", data={"body": "Any news?", "csrf_token": reply_token})
    assert reply.status_code == 303
    assert "Any news?" in other.get(path).get_data(as_text=True)


def test_contact_form_errors_beside_fields(client):
    token = csrf_from(client.get("/contact").get_data(as_text=True))
    response = client.post("/contact", data={"name": "G", "email": "bad", "phone": "12", "subject": "x", "body": "",
                                             "csrf_token": token})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    for name in ("name", "email", "phone", "subject", "body"):
        assert f'id="{name}-error"' in html, name
    assert Ticket.select().count() == 0


def test_guest_link_hides_notes_and_unknown_keys_404(client, agent):
    ticket, key = tickets.submit_contact("Gus Guest", "gus@example.com", "Hello", "Body")
    tickets.reply(agent, ticket.id, "NOTE-SECRET", internal=True)
    assert "NOTE-SECRET" not in client.get(f"/t/{key}").get_data(as_text=True)
    assert client.get("/t/wrong-key").status_code == 404


def test_logout_requires_post_and_signs_out(client, auth, customer):
    auth.login(customer.email)
    assert client.get("/logout").status_code == 200  # a confirmation page, not a sign-out
    assert client.get("/tickets").status_code == 200
    token = auth.csrf("/tickets")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 303
    assert client.get("/tickets").status_code == 302


def test_deactivated_user_is_signed_out(client, auth):
    user = make_user("customer")
    auth.login(user.email)
    assert client.get("/tickets").status_code == 200
    from portal.models import User

    User.update(is_active=False).where(User.id == user.id).execute()
    assert client.get("/tickets").status_code == 302
    assert auth.login(user.email).status_code == 422
