"""Signing out, changing the password and "sign out everywhere" end sessions on the server: old cookies die."""
from portal.models import User

from .conftest import PASSWORD, Auth, csrf_from


def signed_in(client):
    """True when the client's cookie still opens a signed-in page."""
    response = client.get("/tickets")
    return response.status_code == 200


def copy_of(app, client):
    """A second client holding a copy of `client`'s cookies: what a thief who copied the cookie jar has."""
    thief = app.test_client()
    with client.session_transaction() as original:
        stolen = dict(original)
    with thief.session_transaction() as session:
        session.update(stolen)
    return thief


def test_a_copied_cookie_dies_when_its_owner_signs_out(app, client, auth, customer):
    auth.login(customer.email)
    thief = copy_of(app, client)
    assert signed_in(thief)
    client.post("/logout", data={"csrf_token": auth.csrf("/tickets")})
    assert not signed_in(client)
    replay = thief.get("/tickets")
    assert replay.status_code == 302 and "/login" in replay.headers["Location"]


def test_changing_the_password_ends_other_sessions_but_keeps_this_one(app, client, auth, customer):
    auth.login(customer.email)
    other = app.test_client()
    Auth(other).login(customer.email)
    assert signed_in(other)
    token = csrf_from(client.get("/account/security").get_data(as_text=True))
    wrong = client.post("/account/password", data={"current_password": "nope", "new_password": "a-brand-new-one",
                                                   "csrf_token": token})
    assert wrong.status_code == 422 and 'id="current_password-error"' in wrong.get_data(as_text=True)
    assert signed_in(other)

    done = client.post("/account/password", data={"current_password": PASSWORD, "new_password": "a-brand-new-one",
                                                  "csrf_token": token})
    assert done.status_code == 303
    assert signed_in(client)
    assert not signed_in(other)
    assert Auth(other).login(customer.email, "a-brand-new-one").status_code == 303


def test_sign_out_everywhere_ends_every_session_including_this_one(app, client, auth, customer):
    auth.login(customer.email)
    laptop = app.test_client()
    Auth(laptop).login(customer.email)
    thief = copy_of(app, client)
    token = csrf_from(client.get("/account/security").get_data(as_text=True))
    response = client.post("/account/sessions/end", data={"csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"].endswith("/login")
    assert not any(signed_in(c) for c in (client, laptop, thief))
    # Signing in again works and the new session is good.
    assert auth.login(customer.email).status_code == 303 and signed_in(client)


def test_a_password_reset_ends_other_sessions(app, client, auth, customer):
    from portal.services import accounts

    other = app.test_client()
    Auth(other).login(customer.email)
    _, token = accounts.password_reset_token(customer.email)
    page = client.get(f"/password/reset/{token}").get_data(as_text=True)
    client.post(f"/password/reset/{token}", data={"password": "reset-password-1", "csrf_token": csrf_from(page)})
    assert signed_in(client) and not signed_in(other)


def test_a_deactivated_users_session_dies(app, client, auth, customer):
    auth.login(customer.email)
    assert signed_in(client)
    User.update(is_active=False).where(User.id == customer.id).execute()
    assert not signed_in(client)


def test_the_security_page_needs_a_session(client):
    assert client.get("/account/security").status_code == 302
