"""Sign-up, password reset and the contact form never tell a stranger whether an address has an account."""
import re

from portal.models import Ticket, User
from portal.services import mail, tickets

from .conftest import PASSWORD, Auth, csrf_from, make_user


def sign_up(client, email, name="Nora New"):
    token = csrf_from(client.get("/register").get_data(as_text=True))
    response = client.post("/register", data={"name": name, "email": email, "csrf_token": token})
    page = client.get(response.headers["Location"]).get_data(as_text=True) if response.status_code == 303 else ""
    return response, page


def comparable(html):
    """A page without its per-session tokens and the address typed."""
    html = re.sub(r'(name="csrf_token" type="hidden" value=|name="csrf-token" content=|"X-CSRFToken": )"[^"]*"', "", html)
    return re.sub(r"[\w.+-]+@example\.com", "ADDRESS", html)


def finish(client, link, password="a-long-password"):
    """Open the mailed link and choose the password there."""
    form = client.get(link)
    if form.status_code != 200:
        return form
    return client.post(link, data={"password": password, "csrf_token": csrf_from(form.get_data(as_text=True))})


def last_mail(app):
    with app.test_request_context():
        message = mail.sent_messages()[-1]
        return message["To"], message["Subject"], message.get_content()


def test_sign_up_answers_the_same_for_a_new_and_an_existing_address(app, customer):
    fresh, fresh_page = sign_up(app.test_client(), "nora@example.com")
    taken, taken_page = sign_up(app.test_client(), customer.email, name="Mallory")
    assert fresh.status_code == taken.status_code == 303
    assert fresh.headers["Location"] == taken.headers["Location"]
    assert comparable(fresh_page) == comparable(taken_page)
    assert "Check your inbox" in fresh_page
    # Nobody is signed in by asking, and nothing about the existing account changed.
    owner = User.get_by_id(customer.id)
    assert owner.name == "Cara Customer"
    assert Auth(app.test_client()).login(customer.email, PASSWORD).status_code == 303


def test_the_owner_of_an_existing_address_is_told_someone_tried(app, customer):
    sign_up(app.test_client(), customer.email)
    to, subject, body = last_mail(app)
    assert to == customer.email and "tried to create" in subject
    assert "/login" in body and "/password/forgot" in body
    assert "/register/" not in body


def test_a_new_address_gets_a_link_that_creates_the_account(app, client):
    sign_up(app.test_client(), "Nora@Example.com")
    assert not User.select().where(User.email == "nora@example.com").exists()
    assert Auth(client).login("nora@example.com", "a-long-password").status_code == 422

    to, subject, body = last_mail(app)
    link = re.search(r"http://localhost(/register/\S+)", body).group(1)
    assert to == "nora@example.com"
    opened = client.get(link)
    assert opened.status_code == 200 and "Choose a password" in opened.get_data(as_text=True)
    assert not User.select().where(User.email == "nora@example.com").exists()  # opening alone creates nothing
    weak = client.post(link, data={"password": "short", "csrf_token": csrf_from(opened.get_data(as_text=True))})
    assert weak.status_code == 422 and 'id="password-error"' in weak.get_data(as_text=True)
    assert not User.select().where(User.email == "nora@example.com").exists()
    created = finish(client, link)
    assert created.status_code == 303 and created.headers["Location"].endswith("/tickets")
    user = User.get(User.email == "nora@example.com")
    assert user.name == "Nora New" and user.email_verified
    assert client.get("/tickets").status_code == 200
    # The link works once.
    again = finish(app.test_client(), link, password="another-password")
    assert again.status_code == 302 and "/login" in again.headers["Location"]
    assert User.select().where(User.email == "nora@example.com").count() == 1
    assert Auth(app.test_client()).login("nora@example.com", "a-long-password").status_code == 303


def test_an_altered_sign_up_link_creates_nothing(app, client):
    sign_up(app.test_client(), "nora@example.com")
    link = re.search(r"http://localhost(/register/\S+)", last_mail(app)[2]).group(1)
    assert finish(client, link[:-4] + "abcd").status_code == 302
    assert not User.select().where(User.email == "nora@example.com").exists()


def test_a_contact_form_address_becomes_an_account_through_the_link(app, client):
    ticket, _ = tickets.submit_contact("Gus Guest", "gus@example.com", "Earlier question", "From the form",
                                       category="billing")
    fresh, _ = sign_up(app.test_client(), "nora@example.com")
    guest, _ = sign_up(app.test_client(), "gus@example.com", name="Gus Account")
    assert fresh.status_code == guest.status_code and fresh.headers["Location"] == guest.headers["Location"]
    link = re.search(r"http://localhost(/register/\S+)", last_mail(app)[2]).group(1)
    finish(client, link)
    user = User.get(User.email == "gus@example.com")
    assert user.id == ticket.customer_id and user.email_verified and user.password_hash
    assert "Earlier question" in client.get("/tickets").get_data(as_text=True)


def test_a_password_reset_request_answers_the_same_either_way(app, customer):
    answers = []
    for email in ("nobody@example.com", customer.email):
        client = app.test_client()
        token = csrf_from(client.get("/password/forgot").get_data(as_text=True))
        response = client.post("/password/forgot", data={"email": email, "csrf_token": token})
        answers.append((response.status_code, response.headers["Location"],
                        comparable(client.get(response.headers["Location"]).get_data(as_text=True))))
    assert answers[0] == answers[1]


def contact(client, email, **fields):
    token = csrf_from(client.get("/contact").get_data(as_text=True))
    data = {"name": "Someone Else", "email": email, "subject": "A question", "body": "Hello there",
            "company": "Evil Corp", "phone": "+1 555 0100", "category": "billing", "csrf_token": token, **fields}
    return client.post("/contact", data=data)


def test_the_contact_form_never_changes_an_existing_account(app):
    owner = make_user("customer", "owen@example.com", "Owen Owner")
    bare = make_user("customer", "bea@example.com", "Bea Bare")
    User.update(company="Owen Ltd", phone="+44 20 7946").where(User.id == owner.id).execute()
    for person in (owner, bare):
        tickets.submit_contact("Someone Else", person.email, "A question", "Hello", category="billing",
                               company="Evil Corp", phone="+1 555 0100")
    owner, bare = User.get_by_id(owner.id), User.get_by_id(bare.id)
    assert (owner.name, owner.company, owner.phone) == ("Owen Owner", "Owen Ltd", "+44 20 7946")
    # Even empty fields stay empty: whoever filled in the form may not be the owner.
    assert (bare.name, bare.company, bare.phone) == ("Bea Bare", None, None)
    # A new address does keep what it typed.
    tickets.submit_contact("Nia New", "nia@example.com", "Hi", "Hello", category="billing", company="Nia Co",
                           phone="+1 555 0199")
    nia = User.get(User.email == "nia@example.com")
    assert (nia.name, nia.company, nia.phone) == ("Nia New", "Nia Co", "+1 555 0199")


def test_the_contact_form_answers_the_same_for_known_and_unknown_addresses(app, customer):
    known = contact(app.test_client(), customer.email)
    unknown = contact(app.test_client(), "stranger@example.com")
    assert known.status_code == unknown.status_code == 303
    number = re.compile(r"/\d+$")
    assert number.sub("", known.headers["Location"]) == number.sub("", unknown.headers["Location"])
    assert Ticket.select().count() == 2
    assert User.get_by_id(customer.id).name == "Cara Customer"
