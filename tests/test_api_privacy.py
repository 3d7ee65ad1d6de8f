"""Privacy through the API and the pages: export a customer as a ZIP, anonymise them, read the privacy log."""
import io
import json
import zipfile

import pytest

from portal.models import PrivacyLog
from portal.services import accounts, attachments, tickets

from .conftest import csrf_from

API = "/api/v1"


def bearer(user):
    return {"Authorization": f"Bearer {accounts.create_token(user, 'tests')[1]}"}


@pytest.fixture
def cara_ticket(customer, agent):
    upload = attachments.upload(customer, io.BytesIO(b"\x89PNG\r\n\x1a\nscreen"), "screen.png", "image/png")
    ticket = tickets.create_ticket(customer, "Screen is black", "After the update.", attachment_ids=[upload.id])
    tickets.reply(agent, ticket.id, "Try holding the power button.")
    return ticket, upload


def test_export_downloads_a_zip_with_json_and_files(client, customer, admin, cara_ticket):
    ticket, upload = cara_ticket
    response = client.get(f"{API}/customers/{customer.id}/export", headers=bearer(admin))
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert f"customer-{customer.id}-" in response.headers["Content-Disposition"]
    zf = zipfile.ZipFile(io.BytesIO(response.data))
    assert json.loads(zf.read("customer.json"))["email"] == "cara@example.com"
    [exported] = json.loads(zf.read("tickets.json"))["tickets"]
    assert exported["id"] == ticket.id
    assert zf.read(f"attachments/{upload.id}-screen.png") == b"\x89PNG\r\n\x1a\nscreen"
    assert PrivacyLog.get().action == "export"


@pytest.mark.parametrize("who", ["agent", "customer"])
def test_export_is_for_admins(client, customer, agent, who):
    actor = {"agent": agent, "customer": customer}[who]
    response = client.get(f"{API}/customers/{customer.id}/export", headers=bearer(actor))
    assert response.status_code == 403
    assert response.mimetype == "application/problem+json"
    assert PrivacyLog.select().count() == 0


def test_anonymize_answers_the_customer_and_refuses_a_second_time(client, customer, admin, cara_ticket):
    response = client.post(f"{API}/customers/{customer.id}/anonymize", headers=bearer(admin))
    assert response.status_code == 200
    data = response.get_json()["data"]
    assert data["name"] == f"Anonymous customer #{customer.id}"
    assert data["email"] == f"anonymized-{customer.id}@invalid"
    assert data["phone"] is None and data["ticket_count"] == 1
    again = client.post(f"{API}/customers/{customer.id}/anonymize", headers=bearer(admin))
    assert again.status_code == 409 and again.mimetype == "application/problem+json"


def test_anonymized_customer_token_stops_working(client, customer, admin):
    own = bearer(customer)
    assert client.get(f"{API}/me", headers=own).status_code == 200
    client.post(f"{API}/customers/{customer.id}/anonymize", headers=bearer(admin))
    assert client.get(f"{API}/me", headers=own).status_code == 401


def test_privacy_log_lists_actions_newest_first(client, customer, admin):
    headers = bearer(admin)
    client.get(f"{API}/customers/{customer.id}/export", headers=headers)
    client.post(f"{API}/customers/{customer.id}/anonymize", headers=headers)
    response = client.get(f"{API}/privacy-log", headers=headers)
    assert response.status_code == 200
    body = response.get_json()
    assert [e["action"] for e in body["data"]] == ["anonymize", "export"]
    first = body["data"][0]
    assert first["actor_id"] == admin.id and first["subject"] == f"customer #{customer.id}"
    assert body["meta"]["total"] == 2


# ----------------------------------------------------------------------------------------------------------- pages


def test_admin_exports_and_anonymises_from_the_customer_page(client, auth, customer, admin, cara_ticket):
    ticket, _ = cara_ticket
    auth.login(admin.email)
    page = client.get(f"/agent/customers/{customer.id}").get_data(as_text=True)
    assert f"/admin/privacy/customers/{customer.id}/export" in page and "Anonymise" in page
    download = client.get(f"/admin/privacy/customers/{customer.id}/export")
    assert download.mimetype == "application/zip"
    assert zipfile.ZipFile(io.BytesIO(download.data)).read("customer.json")

    response = client.post(f"/admin/privacy/customers/{customer.id}/anonymize",
                           data={"csrf_token": csrf_from(page)})
    assert response.status_code == 303
    page = client.get(f"/agent/customers/{customer.id}").get_data(as_text=True)
    assert f"Anonymous customer #{customer.id}" in page and "Cara" not in page
    # The thread still reads, under the anonymous name.
    thread = client.get(f"/agent/tickets/{ticket.id}").get_data(as_text=True)
    assert "After the update." in thread and "Cara Customer" not in thread
    log = client.get("/admin/privacy").get_data(as_text=True)
    assert "Anonymisation" in log and "Export" in log and "cara@example.com" not in log


def test_agents_see_no_privacy_buttons(client, auth, customer, agent):
    auth.login(agent.email)
    page = client.get(f"/agent/customers/{customer.id}").get_data(as_text=True)
    assert "Export data" not in page and "Anonymise" not in page
    assert client.get(f"/admin/privacy/customers/{customer.id}/export").status_code == 403
