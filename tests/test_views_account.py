"""The API tokens page: create (the secret shown once), list, revoke; and the token really works against the API."""
import re

import pytest

from portal.models import ApiToken

from .conftest import csrf_from, make_user

SECRET = re.compile(r'id="new-token" type="text" readonly value="(sd_[^"]+)"')


@pytest.fixture
def signed_in(auth, customer):
    auth.login(customer.email)
    return customer


def _create(client, name="CI export"):
    token = csrf_from(client.get("/account/tokens").get_data(as_text=True))
    return client.post("/account/tokens", data={"name": name, "csrf_token": token})


def test_page_needs_a_sign_in(client):
    response = client.get("/account/tokens")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_empty_page(client, signed_in):
    response = client.get("/account/tokens")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "No tokens yet" in html
    assert 'action="/account/tokens"' in html
    assert response.headers["Cache-Control"] == "no-store"


def test_create_shows_the_secret_once(client, signed_in):
    response = _create(client)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/account/tokens")
    first = client.get("/account/tokens").get_data(as_text=True)
    secret = SECRET.search(first).group(1)
    assert "the only time it is shown" in first
    assert ApiToken.get().prefix == secret[:10]
    assert ApiToken.get().token_hash != secret
    again = client.get("/account/tokens").get_data(as_text=True)
    assert secret not in again and "CI export" in again and secret[:10] in again

    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.status_code == 200 and me.get_json()["data"]["email"] == signed_in.email


def test_a_name_is_required_and_the_error_sits_beside_the_field(client, signed_in):
    response = _create(client, name="   ")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="name-error"' in html and "Enter a name for the token." in html
    assert 'aria-invalid="true"' in html
    assert ApiToken.select().count() == 0


def test_creating_needs_the_csrf_token(client, signed_in):
    response = client.post("/account/tokens", data={"name": "No CSRF"})
    assert response.status_code == 400
    assert ApiToken.select().count() == 0


def test_revoke_with_a_plain_form(client, signed_in):
    _create(client, "Old script")
    secret = SECRET.search(client.get("/account/tokens").get_data(as_text=True)).group(1)
    token = ApiToken.get()
    page = client.get("/account/tokens").get_data(as_text=True)
    assert f'action="/account/tokens/{token.id}/revoke"' in page
    assert f'hx-post="/account/tokens/{token.id}/revoke"' in page
    response = client.post(f"/account/tokens/{token.id}/revoke", data={"csrf_token": csrf_from(page)})
    assert response.status_code == 303
    after = client.get("/account/tokens").get_data(as_text=True)
    assert "is revoked" in after and "Revoked" in after
    assert ApiToken.get_by_id(token.id).revoked_at is not None
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401


def test_revoke_with_htmx_swaps_only_the_list(client, signed_in):
    _create(client, "Zapier")
    token = ApiToken.get()
    page = client.get("/account/tokens").get_data(as_text=True)
    response = client.post(f"/account/tokens/{token.id}/revoke",
                           headers={"HX-Request": "true", "X-CSRFToken": csrf_from(page)})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<section id="token-list"')
    assert "<html" not in html
    assert "The token “Zapier” is revoked." in html
    assert "HX-Request" in response.headers["Vary"]


def test_someone_elses_token_is_not_found(client, signed_in, app):
    from portal.services import accounts

    other = make_user("customer", "someone@example.com")
    token, _ = accounts.create_token(other, "theirs")
    page = client.get("/account/tokens").get_data(as_text=True)
    response = client.post(f"/account/tokens/{token.id}/revoke", data={"csrf_token": csrf_from(page)})
    assert response.status_code == 404
    assert ApiToken.get_by_id(token.id).revoked_at is None
    assert "theirs" not in client.get("/account/tokens").get_data(as_text=True)


def test_agents_have_tokens_too(client, auth, agent):
    auth.login(agent.email)
    assert client.get("/account/tokens").status_code == 200
    assert _create(client, "Agent bot").status_code == 303


def test_the_page_has_no_inline_script_or_style(client, signed_in):
    _create(client)
    html = client.get("/account/tokens").get_data(as_text=True)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert " style=" not in html
    assert "css/api.css" in html
