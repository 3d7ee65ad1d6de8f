"""Who may download which attachment: owner, other customer, guest with and without the key, agent, notes."""
import io

import pytest

from portal.models import Attachment, Ticket, User, utcnow
from portal.services import attachments, tickets
from portal.services.accounts import hash_password

from .conftest import PASSWORD, Auth


@pytest.fixture
def world(customer, other_customer, agent):
    """A customer's ticket with a public file and an agent's note file, a guest ticket with both, a pending upload."""

    def upload(actor, name):
        return attachments.upload(actor, io.BytesIO(name.encode()), name, "text/plain").id

    ticket = tickets.create_ticket(customer, "Mine", "First.", attachment_ids=[upload(customer, "public.txt")])
    tickets.reply(agent, ticket.id, "Staff only.", internal=True, attachment_ids=[upload(agent, "note.txt")])
    tickets.reply(agent, ticket.id, "Here you go.", attachment_ids=[upload(agent, "agent-reply.txt")])

    guest_ticket, key = tickets.submit_contact("Gus Guest", "gus@example.com", "Guest", "Hello.")
    holder = tickets.key_holder(key)
    tickets.reply(holder, guest_ticket.id, "A file.", attachment_ids=[upload(holder, "guest.txt")])
    tickets.reply(agent, guest_ticket.id, "Note.", internal=True, attachment_ids=[upload(agent, "guest-note.txt")])

    _, other_key = tickets.submit_contact("Olga Other", "olga@example.com", "Other guest", "Hello.")
    pending = upload(customer, "pending.txt")

    ids = {a.filename.rsplit(".", 1)[0]: a.id for a in Attachment.select()}
    ids["pending"] = pending
    return {"ids": ids, "key": key, "other_key": other_key}


# (who, attachment, expected status)
MATRIX = [
    ("owner", "public", 200), ("owner", "agent-reply", 200), ("owner", "note", 404), ("owner", "pending", 200),
    ("owner", "guest", 404),
    ("other_customer", "public", 404), ("other_customer", "agent-reply", 404), ("other_customer", "note", 404),
    ("other_customer", "pending", 404), ("other_customer", "guest", 404),
    ("anonymous", "public", 404), ("anonymous", "note", 404), ("anonymous", "guest", 404),
    ("anonymous", "pending", 404),
    ("agent", "public", 200), ("agent", "agent-reply", 200), ("agent", "note", 200), ("agent", "guest", 200),
    ("agent", "guest-note", 200), ("agent", "pending", 404),
    ("admin", "note", 200), ("admin", "guest", 200),
    ("guest_with_key", "guest", 200), ("guest_with_key", "guest-note", 404), ("guest_with_key", "public", 404),
    ("guest_with_key", "note", 404), ("guest_with_key", "pending", 404),
    ("guest_other_key", "guest", 404), ("guest_other_key", "guest-note", 404),
    ("guest_wrong_key", "guest", 404), ("guest_no_session_url", "guest", 404),
    ("same_address_unverified", "guest", 404), ("same_address_verified", "guest", 200),
    ("same_address_verified", "guest-note", 404),
]


@pytest.mark.parametrize("who, name, expected", MATRIX, ids=[f"{w}-{n}" for w, n, _ in MATRIX])
def test_download_matrix(client, auth, world, customer, other_customer, agent, admin, who, name, expected):
    attachment_id = world["ids"][name]
    url = f"/attachments/{attachment_id}"
    signed_in = {"owner": customer, "other_customer": other_customer, "agent": agent, "admin": admin}
    if who in signed_in:
        auth.login(signed_in[who].email)
    elif who == "guest_with_key":
        url = f"/t/{world['key']}/attachments/{attachment_id}"
    elif who == "guest_other_key":
        url = f"/t/{world['other_key']}/attachments/{attachment_id}"
    elif who == "guest_wrong_key":
        url = f"/t/{'x' * 32}/attachments/{attachment_id}"
    elif who.startswith("same_address"):
        # The guest's address as a registered account sees the guest ticket only once the address is verified.
        User.update(password_hash=hash_password(PASSWORD), email_verified=(who == "same_address_verified")).where(
            User.email == "gus@example.com"
        ).execute()
        auth.login("gus@example.com")
    response = client.get(url)
    assert response.status_code == expected
    if expected == 200:
        assert response.data == f"{name}.txt".encode()
        assert response.headers["Content-Disposition"].startswith("attachment")
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    else:
        assert f"{name}.txt".encode() not in response.data


def test_guest_page_never_links_a_note_file(client, world):
    html = client.get(f"/t/{world['key']}").get_data(as_text=True)
    assert "guest.txt" in html and "guest-note.txt" not in html


def test_customer_page_never_links_a_note_file(client, auth, world, customer):
    auth.login(customer.email)
    ticket = Ticket.get(Ticket.subject == "Mine")
    html = client.get(f"/tickets/{ticket.id}").get_data(as_text=True)
    assert "public.txt" in html and "agent-reply.txt" in html and "note.txt\"" not in html
    assert f"/attachments/{world['ids']['note']}" not in html


def test_deleted_ticket_files_are_for_admins_only(app, world, customer, agent, admin):
    Ticket.update(deleted_at=utcnow()).where(Ticket.subject == "Mine").execute()
    url = f"/attachments/{world['ids']['public']}"
    for person, expected in ((customer, 404), (agent, 404), (admin, 200)):
        client = app.test_client()
        Auth(client).login(person.email)
        assert client.get(url).status_code == expected, person.role
