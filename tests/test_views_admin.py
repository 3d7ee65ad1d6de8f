"""Administration pages through Flask's test client: users, categories, tags and the trash."""
import re

import pytest

from portal.models import Category, Tag, Ticket, User
from portal.services import accounts, tickets

from .conftest import PASSWORD, csrf_from, make_user


def file(customer, subject="Printer is on fire", **kw):
    return tickets.create_ticket(customer, subject, "It smells of toner.", **kw)


@pytest.fixture
def signed_in_admin(client, auth, admin):
    auth.login(admin.email)
    return admin


def token(client, path="/admin"):
    return csrf_from(client.get(path).get_data(as_text=True))


def test_overview_counts(client, signed_in_admin, agent, customer):
    tickets.delete_ticket(signed_in_admin, file(customer).id)
    html = client.get("/admin").get_data(as_text=True)
    assert "1 agent · 1 admin" in html and "1 ticket" in html


def test_create_agent_who_can_sign_in(client, signed_in_admin):
    response = client.post("/admin/users", data={"csrf_token": token(client), "name": "Nora New",
                                                 "email": "nora@example.com", "role": "agent",
                                                 "password": "long-enough-pw"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/admin/users")
    assert "Nora New can now sign in as agent." in client.get("/admin/users").get_data(as_text=True)
    assert accounts.authenticate("nora@example.com", "long-enough-pw").role == "agent"


def test_create_user_errors_beside_fields(client, signed_in_admin):
    response = client.post("/admin/users", data={"csrf_token": token(client), "name": "Nora New",
                                                 "email": "not-an-email", "role": "agent", "password": "short"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="email-error"' in html and 'id="password-error"' in html and 'value="Nora New"' in html


def test_users_list_filters(client, signed_in_admin, agent, customer):
    html = client.get("/admin/users").get_data(as_text=True)
    assert "Ana Agent" in html and "Cara Customer" not in html
    html = client.get("/admin/users?role=customer").get_data(as_text=True)
    assert "Cara Customer" in html and "Ana Agent" not in html
    fragment = client.get("/admin/users?role=all&q=cara", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="users-list"') and "Cara Customer" in fragment


def test_change_role(client, signed_in_admin, agent):
    response = client.post(f"/admin/users/{agent.id}/role", data={"csrf_token": token(client), "role": "admin"})
    assert response.status_code == 303
    assert User.get_by_id(agent.id).role == "admin"
    own = client.post(f"/admin/users/{signed_in_admin.id}/role", data={"csrf_token": token(client), "role": "agent"})
    assert own.status_code == 303
    assert User.get_by_id(signed_in_admin.id).role == "admin"
    assert "You cannot take away your own admin role" in client.get("/admin/users").get_data(as_text=True)


def test_deactivated_agent_is_signed_out_and_their_token_stops(app, client, signed_in_admin, agent):
    _, raw = accounts.create_token(agent, "CI")
    agent_client = app.test_client()
    page = agent_client.get("/login").get_data(as_text=True)
    agent_client.post("/login", data={"email": agent.email, "password": PASSWORD, "csrf_token": csrf_from(page)})
    assert agent_client.get("/agent").status_code == 200

    response = client.post(f"/admin/users/{agent.id}/deactivate", data={"csrf_token": token(client)})
    assert response.status_code == 303
    assert User.get_by_id(agent.id).is_active is False
    # Their open session ends, they cannot sign in again and their API token is dead.
    assert agent_client.get("/agent").status_code == 302
    page = agent_client.get("/login").get_data(as_text=True)
    again = agent_client.post("/login", data={"email": agent.email, "password": PASSWORD,
                                              "csrf_token": csrf_from(page)})
    assert again.status_code == 422
    assert accounts.user_for_token(raw) is None
    assert "Deactivated" in client.get("/admin/users").get_data(as_text=True)

    client.post(f"/admin/users/{agent.id}/activate", data={"csrf_token": token(client)})
    assert User.get_by_id(agent.id).is_active is True


def test_categories_create_rename_deactivate(client, signed_in_admin):
    response = client.post("/admin/categories", data={"csrf_token": token(client), "name": "Sales",
                                                      "slug": "", "description": "Buying"})
    assert response.status_code == 303
    category = Category.get(Category.slug == "sales")
    bad = client.post("/admin/categories", data={"csrf_token": token(client), "name": "S", "slug": "sales"})
    assert bad.status_code == 422 and 'id="name-error"' in bad.get_data(as_text=True)

    client.post(f"/admin/categories/{category.id}", data={"csrf_token": token(client), "name": "Sales leads",
                                                          "description": "Pre-sales"})
    assert Category.get_by_id(category.id).name == "Sales leads"
    rename_bad = client.post(f"/admin/categories/{category.id}", data={"csrf_token": token(client), "name": ""})
    assert rename_bad.status_code == 422
    assert f'id="cat-{category.id}-name-error"' in rename_bad.get_data(as_text=True)

    client.post(f"/admin/categories/{category.id}/active", data={"csrf_token": token(client), "active": "0"})
    assert Category.get_by_id(category.id).is_active is False
    client.post(f"/admin/categories/{category.id}/active", data={"csrf_token": token(client), "active": "1"})
    assert Category.get_by_id(category.id).is_active is True


def test_tags_create_update_delete(client, signed_in_admin, customer):
    response = client.post("/admin/tags", data={"csrf_token": token(client), "name": "vip", "color": "#aa0000"})
    assert response.status_code == 303
    tag = Tag.get(Tag.name == "vip")
    assert tag.color == "#aa0000"
    ticket = file(customer)
    tickets.update_ticket(signed_in_admin, ticket.id, tags=["vip"])
    client.post(f"/admin/tags/{tag.id}", data={"csrf_token": token(client), "name": "VIP", "color": "#00aa00"})
    assert (Tag.get_by_id(tag.id).name, Tag.get_by_id(tag.id).color) == ("VIP", "#00aa00")
    bad = client.post(f"/admin/tags/{tag.id}", data={"csrf_token": token(client), "name": "VIP", "color": "green"})
    assert bad.status_code == 422
    client.post(f"/admin/tags/{tag.id}/delete", data={"csrf_token": token(client)})
    assert Tag.select().count() == 0
    assert tickets.get_ticket(signed_in_admin, ticket.id).tag_list == []


def test_trash_delete_restore_purge(client, signed_in_admin, customer):
    ticket = file(customer, subject="Spam message")
    path = f"/agent/tickets/{ticket.id}"
    page = client.get(path).get_data(as_text=True)
    assert "Move to trash" in page
    response = client.post(path + "/delete", data={"csrf_token": csrf_from(page)})
    assert response.status_code == 303 and response.headers["Location"].endswith("/agent")
    assert Ticket.get_by_id(ticket.id).deleted_at is not None
    assert "Spam message" not in client.get("/agent").get_data(as_text=True)
    trash = client.get("/admin/trash").get_data(as_text=True)
    assert "Spam message" in trash
    # The workspace of a trashed ticket tells the admin so and offers to restore it.
    assert "in the trash" in client.get(path).get_data(as_text=True)

    client.post(f"/admin/trash/{ticket.id}/restore", data={"csrf_token": token(client)})
    assert Ticket.get_by_id(ticket.id).deleted_at is None
    assert "Spam message" in client.get("/agent").get_data(as_text=True)

    tickets.delete_ticket(signed_in_admin, ticket.id)
    client.post(f"/admin/trash/{ticket.id}/purge", data={"csrf_token": token(client)})
    assert Ticket.get_or_none(Ticket.id == ticket.id) is None
    assert "The trash is empty" in client.get("/admin/trash").get_data(as_text=True)


def test_purging_a_live_ticket_is_404(client, signed_in_admin, customer):
    ticket = file(customer)
    assert client.post(f"/admin/trash/{ticket.id}/purge", data={"csrf_token": token(client)}).status_code == 404
    assert Ticket.get_or_none(Ticket.id == ticket.id) is not None


def test_admin_pages_have_no_inline_script_or_style(client, signed_in_admin, customer):
    tickets.delete_ticket(signed_in_admin, file(customer).id)
    make_user("agent")
    client.post("/admin/tags", data={"csrf_token": token(client), "name": "vip", "color": "#aa0000"})
    for path in ("/admin", "/admin/users", "/admin/categories", "/admin/tags", "/admin/trash"):
        html = client.get(path).get_data(as_text=True)
        assert "style=" not in html, path
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), path
