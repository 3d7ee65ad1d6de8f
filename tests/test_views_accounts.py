"""E-mail confirmation and password reset, through the pages and the outbox."""
import re

from portal.models import User
from portal.services import accounts, mail, tickets

from .conftest import PASSWORD, Auth, csrf_from, make_user


def last_link(app):
    with app.test_request_context():
        body = mail.sent_messages()[-1].get_content()
    return re.search(r"http://localhost(/\S+)", body).group(1)


def sign_in_unverified(client, email="vera@example.com"):
    """An account whose address is not confirmed yet: a guest of the contact form who was given a password."""
    if not User.select().where(User.email == email).exists():
        make_user("customer", email, "Vera Verify", verified=False)
    User.update(password_hash=accounts.hash_password(PASSWORD)).where(User.email == email).execute()
    Auth(client).login(email)


def test_contact_form_mails_the_private_link(client, app):
    page = client.get("/contact").get_data(as_text=True)
    client.post("/contact", data={"name": "Gus Guest", "email": "gus@example.com", "subject": "Hello there",
                                  "body": "Help", "csrf_token": csrf_from(page)})
    message = mail.sent_messages()[-1]
    assert message["To"] == "gus@example.com" and "Hello there" in message["Subject"]
    link = last_link(app)
    assert link.startswith("/t/") and "Help" in client.get(link).get_data(as_text=True)


def test_verifying_the_address_brings_in_contact_form_tickets(client, app):
    ticket, _ = tickets.submit_contact("Vera Verify", "vera@example.com", "Earlier question", "From the form")
    sign_in_unverified(client)
    listing = client.get("/tickets").get_data(as_text=True)
    assert "Earlier question" not in listing and "Please confirm your e-mail" in listing
    client.post("/verify", data={"csrf_token": csrf_from(listing)})
    link = last_link(app)
    assert link.startswith("/verify/")
    client.get(link)
    assert User.get(User.email == "vera@example.com").email_verified
    listing = client.get("/tickets").get_data(as_text=True)
    assert "Earlier question" in listing and "Please confirm your e-mail" not in listing


def test_altered_verification_link_does_nothing(client, app):
    sign_in_unverified(client)
    client.post("/verify", data={"csrf_token": csrf_from(client.get("/tickets").get_data(as_text=True))})
    link = last_link(app)
    client.get(link[:-3] + "xyz")
    assert not User.get(User.email == "vera@example.com").email_verified


def test_password_reset_works_once_and_does_not_reveal_accounts(client, app, customer):
    def ask(email):
        token = csrf_from(client.get("/password/forgot").get_data(as_text=True))
        response = client.post("/password/forgot", data={"email": email, "csrf_token": token})
        return response, client.get("/login").get_data(as_text=True)

    before = len(mail.sent_messages())
    unknown, unknown_page = ask("nobody@example.com")
    assert len(mail.sent_messages()) == before
    known, known_page = ask(customer.email)
    assert len(mail.sent_messages()) == before + 1
    assert unknown.status_code == known.status_code == 303
    assert "If an account uses that address" in unknown_page and "If an account uses that address" in known_page

    link = last_link(app)
    token = csrf_from(client.get(link).get_data(as_text=True))
    short = client.post(link, data={"password": "short", "csrf_token": token})
    assert short.status_code == 422 and 'id="password-error"' in short.get_data(as_text=True)
    done = client.post(link, data={"password": "brand-new-password", "csrf_token": token})
    assert done.status_code == 303
    client.post("/logout", data={"csrf_token": token})
    # The old password no longer works, the new one does, and the link is spent.
    login_token = csrf_from(client.get("/login").get_data(as_text=True))
    assert client.post("/login", data={"email": customer.email, "password": PASSWORD,
                                       "csrf_token": login_token}).status_code == 422
    again = client.post(link, data={"password": "another-password", "csrf_token": token})
    assert again.status_code == 303 and again.headers["Location"].endswith("/password/forgot")
    assert client.post("/login", data={"email": customer.email, "password": "brand-new-password",
                                       "csrf_token": login_token}).status_code == 303
