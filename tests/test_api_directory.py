"""Customers, users, tags, articles and collections through the API."""
import pytest

from portal.models import ApiToken, Tag, User
from portal.services import help_center, tickets

from .test_api_auth import Api, person, token_for


@pytest.fixture
def staff(app, client):
    agent = person("agent", "sam@example.com", "Sam Support")
    admin = person("admin", "ada@example.com", "Ada Admin")
    return {"agent": Api(client, token_for(agent)), "admin": Api(client, token_for(admin)),
            "agent_user": agent, "admin_user": admin}


def test_customers_crud_with_ticket_count(staff):
    agent, admin = staff["agent"], staff["admin"]
    created = agent.post("/customers", {"email": "Pat@Example.com", "name": "Pat Doe", "phone": "+1 555 0123",
                                        "company": "Acme Inc"})
    assert created.status_code == 201
    customer = created.get_json()["data"]
    assert customer["email"] == "pat@example.com" and customer["ticket_count"] == 0
    assert created.headers["Location"].endswith(f"/customers/{customer['id']}")

    duplicate = agent.post("/customers", {"email": "pat@example.com", "name": "Pat Again"})
    assert duplicate.status_code == 422 and duplicate.get_json()["errors"][0]["location"] == "body.email"

    tickets.create_ticket(User.get_by_id(customer["id"]), "Hello", "First ticket")
    shown = agent.get(f"/customers/{customer['id']}").get_json()["data"]
    assert shown["ticket_count"] == 1
    listed = agent.get("/customers?search=acme").get_json()
    assert [c["id"] for c in listed["data"]] == [customer["id"]] and listed["data"][0]["ticket_count"] == 1

    patched = agent.patch(f"/customers/{customer['id']}", {"name": "Pat Smith", "company": None})
    assert patched.get_json()["data"]["name"] == "Pat Smith"
    assert patched.get_json()["data"]["company"] is None
    assert patched.get_json()["data"]["phone"] == "+1 555 0123"

    refused = admin.delete(f"/customers/{customer['id']}")
    assert refused.status_code == 409 and refused.get_json()["code"] == "CONFLICT"
    empty = agent.post("/customers", {"email": "gone@example.com", "name": "Soon Gone"}).get_json()["data"]
    assert admin.delete(f"/customers/{empty['id']}").status_code == 204
    assert agent.get(f"/customers/{empty['id']}").status_code == 404


def test_staff_are_not_customers(staff):
    agent_id = staff["agent_user"].id
    assert staff["agent"].get(f"/customers/{agent_id}").status_code == 404
    assert staff["admin"].delete(f"/customers/{agent_id}").status_code == 404


def test_customer_pages(staff):
    for n in range(7):
        person("customer", f"c{n}@example.com", f"Customer {n:02d}")
    names, cursor = [], None
    while True:
        page = staff["agent"].get("/customers?limit=3" + (f"&cursor={cursor}" if cursor else "")).get_json()
        names.extend(c["name"] for c in page["data"])
        cursor = page["meta"]["next_cursor"]
        if not cursor:
            break
    assert names == [f"Customer {n:02d}" for n in range(7)]


def test_users_read_by_agents_written_by_admins(staff):
    agent, admin = staff["agent"], staff["admin"]
    listed = agent.get("/users?role=staff").get_json()
    assert {u["email"] for u in listed["data"]} == {"sam@example.com", "ada@example.com"}
    created = admin.post("/users", {"email": "newbie@example.com", "name": "New Agent", "role": "agent",
                                    "password": "a-good-password"})
    assert created.status_code == 201
    user = created.get_json()["data"]
    assert user["role"] == "agent" and user["is_active"] is True
    assert agent.get(f"/users/{user['id']}").get_json()["data"]["name"] == "New Agent"
    assert agent.patch(f"/users/{user['id']}", {"name": "Nope"}).status_code == 403

    promoted = admin.patch(f"/users/{user['id']}", {"role": "admin", "company": "Support Co"})
    assert promoted.get_json()["data"]["role"] == "admin"
    assert promoted.get_json()["data"]["company"] == "Support Co"
    assert {u["id"] for u in agent.get("/users?role=admin").get_json()["data"]} == {user["id"], staff["admin_user"].id}

    short = admin.post("/users", {"email": "x@example.com", "name": "Xavier", "role": "agent", "password": "short"})
    assert short.status_code == 422 and short.get_json()["errors"][0]["location"] == "body.password"


def test_admins_cannot_lock_themselves_out(staff):
    admin_id = staff["admin_user"].id
    demote = staff["admin"].patch(f"/users/{admin_id}", {"role": "agent"})
    assert demote.status_code == 409
    deactivate = staff["admin"].patch(f"/users/{admin_id}", {"is_active": False})
    assert deactivate.status_code == 409
    assert User.get_by_id(admin_id).role == "admin" and User.get_by_id(admin_id).is_active


def test_a_failed_user_change_changes_nothing(staff):
    admin_id = staff["admin_user"].id
    response = staff["admin"].patch(f"/users/{admin_id}", {"name": "Renamed", "role": "customer"})
    assert response.status_code == 409
    assert User.get_by_id(admin_id).name == "Ada Admin"


def test_deactivated_users_tokens_stop(staff, client):
    target = person("customer", "leaving@example.com", "Leaving Soon")
    token = token_for(target)
    assert Api(client, token).get("/me").status_code == 200
    staff["admin"].patch(f"/users/{target.id}", {"is_active": False})
    assert Api(client, token).get("/me").status_code == 401
    assert ApiToken.select().where(ApiToken.user == target.id).count() == 1  # still listed, no longer valid


def test_tags(staff):
    agent, admin = staff["agent"], staff["admin"]
    created = agent.post("/tags", {"name": "billing", "color": "#FF0000"})
    assert created.status_code == 201
    tag = created.get_json()["data"]
    assert tag == {"id": tag["id"], "name": "billing", "color": "#ff0000"}
    assert agent.post("/tags", {"name": "BILLING"}).status_code == 422
    assert agent.post("/tags", {"name": "a,b"}).get_json()["errors"][0]["location"] == "body.name"
    assert agent.post("/tags", {"name": "ok", "color": "red"}).get_json()["errors"][0]["location"] == "body.color"
    renamed = agent.patch(f"/tags/{tag['id']}", {"name": "invoices"}).get_json()["data"]
    assert renamed == {"id": tag["id"], "name": "invoices", "color": "#ff0000"}
    assert [t["name"] for t in agent.get("/tags").get_json()["data"]] == ["invoices"]
    assert agent.delete(f"/tags/{tag['id']}").status_code == 403
    assert admin.delete(f"/tags/{tag['id']}").status_code == 204
    assert Tag.select().count() == 0


def test_articles_and_collections(staff, client):
    agent = staff["agent"]
    guest = Api(client)
    collection = help_center.create_collection(staff["admin_user"], "Billing", "Money")
    created = agent.post("/articles", {"title": "Download an invoice", "body": "Open **Billing**.",
                                       "collection_id": collection.id})
    assert created.status_code == 201
    article = created.get_json()["data"]
    assert article["status"] == "draft" and article["slug"] == "download-an-invoice"
    assert article["author"]["name"] == "Sam Support" and "<strong>Billing</strong>" in article["body_html"]

    assert guest.get(f"/articles/{article['id']}").status_code == 404
    assert guest.get("/articles").get_json()["data"] == []
    assert [a["id"] for a in agent.get("/articles?status=draft").get_json()["data"]] == [article["id"]]

    published = agent.patch(f"/articles/{article['id']}", {"status": "published"}).get_json()["data"]
    assert published["status"] == "published" and published["published_at"] is not None
    assert guest.get(f"/articles/{article['id']}").get_json()["data"]["title"] == "Download an invoice"
    assert [a["id"] for a in guest.get("/articles?search=invoice").get_json()["data"]] == [article["id"]]
    assert [a["id"] for a in guest.get(f"/articles?collection_id={collection.id}").get_json()["data"]] \
        == [article["id"]]
    collections = guest.get("/collections").get_json()["data"]
    assert collections == [{"id": collection.id, "name": "Billing", "slug": "billing", "description": "Money",
                            "article_count": 1}]

    taken = agent.post("/articles", {"title": "Another", "body": "x", "slug": "download-an-invoice"})
    assert taken.status_code == 422 and taken.get_json()["errors"][0]["location"] == "body.slug"

    assert agent.delete(f"/articles/{article['id']}").status_code == 204
    assert guest.get(f"/articles/{article['id']}").status_code == 404
    assert guest.get("/articles?search=invoice").get_json()["data"] == []


def test_article_search_pages(staff, client):
    for n in range(5):
        help_center.create_article(staff["admin_user"], f"Printer guide {n}", "All about printers.",
                                   status="published")
    guest = Api(client)
    seen, cursor = [], None
    while True:
        page = guest.get("/articles?search=printer&limit=2" + (f"&cursor={cursor}" if cursor else "")).get_json()
        seen.extend(a["id"] for a in page["data"])
        cursor = page["meta"]["next_cursor"]
        if not cursor:
            break
    assert len(seen) == 5 == len(set(seen))
    assert page["meta"]["total"] == 5
    other = guest.get("/articles?search=printer&limit=2").get_json()["meta"]["next_cursor"]
    assert guest.get(f"/articles?search=scanner&cursor={other}").status_code == 422
