"""Privacy: a customer's data exported as a ZIP, a customer anonymised for good, the trash purged after the retention
period, and every one of these written to the privacy log."""
import io
import json
import zipfile
from datetime import timedelta

import pytest

from portal import jobs
from portal.models import (
    ApiToken, InboundEmail, Message, OutgoingMail, PrivacyLog, Ticket, TicketCC, User, utcnow,
)
from portal.services import accounts, attachments, customers, privacy, tickets
from portal.services.errors import Conflict, NotFound, PermissionDenied

from .conftest import make_user


def _open_zip(archive):
    return zipfile.ZipFile(io.BytesIO(archive.read()))


@pytest.fixture
def story(customer, agent):
    """Cara's ticket: her message with a file, an agent's public reply, an internal note with a file of its own."""
    upload = attachments.upload(customer, io.BytesIO(b"%PDF-1.4 invoice bytes"), "invoice.pdf", "application/pdf")
    ticket = tickets.create_ticket(customer, "Invoice is wrong", "The total is off by 10.", attachment_ids=[upload.id])
    tickets.reply(agent, ticket.id, "We are fixing the total.")
    note_file = attachments.upload(agent, io.BytesIO(b"ledger"), "ledger.csv", "text/csv")
    tickets.reply(agent, ticket.id, "Finance says it is a rounding bug.", internal=True, attachment_ids=[note_file.id])
    return ticket, upload, note_file


# ---------------------------------------------------------------------------------------------------------- export


def test_export_holds_profile_tickets_public_replies_and_file_bytes(customer, admin, story):
    ticket, upload, note_file = story
    filename, archive = privacy.export_customer(admin, customer.id)
    assert filename.startswith(f"customer-{customer.id}-") and filename.endswith(".zip")
    zf = _open_zip(archive)
    profile = json.loads(zf.read("customer.json"))
    assert profile["email"] == "cara@example.com" and profile["name"] == "Cara Customer"
    data = json.loads(zf.read("tickets.json"))
    [exported] = data["tickets"]
    assert exported["id"] == ticket.id and exported["subject"] == "Invoice is wrong"
    bodies = [m["body"] for m in exported["messages"]]
    assert bodies == ["The total is off by 10.", "We are fixing the total."]
    assert [m["from"] for m in exported["messages"]] == ["you", "support"]
    # Internal notes and their files stay inside the desk.
    assert "rounding bug" not in zf.read("tickets.json").decode()
    [file_entry] = exported["messages"][0]["attachments"]
    assert file_entry["file"] == f"attachments/{upload.id}-invoice.pdf"
    assert zf.read(file_entry["file"]) == b"%PDF-1.4 invoice bytes"
    assert not any("ledger" in name for name in zf.namelist())


def test_export_includes_uploads_not_yet_attached(customer, admin):
    loose = attachments.upload(customer, io.BytesIO(b"draft text"), "draft.txt", "text/plain")
    _, archive = privacy.export_customer(admin, customer.id)
    zf = _open_zip(archive)
    assert zf.read(f"attachments/{loose.id}-draft.txt") == b"draft text"
    assert json.loads(zf.read("tickets.json"))["other_files"][0]["id"] == loose.id


def test_export_is_logged_without_personal_data(customer, admin, story):
    privacy.export_customer(admin, customer.id)
    [entry] = PrivacyLog.select()
    assert entry.action == "export" and entry.actor_id == admin.id
    assert entry.subject_label == f"customer #{customer.id}"
    assert "cara" not in (entry.subject_label + entry.detail).lower()


def test_only_admins_export_and_only_customers_are_exported(customer, agent, admin):
    with pytest.raises(PermissionDenied):
        privacy.export_customer(agent, customer.id)
    with pytest.raises(NotFound):
        privacy.export_customer(admin, agent.id)
    assert PrivacyLog.select().count() == 0


# ------------------------------------------------------------------------------------------------------- anonymise


def test_anonymise_replaces_identity_keeps_the_thread(customer, agent, admin, story):
    ticket, _, _ = story
    accounts.create_token(customer, "laptop")
    tickets.update_ticket(agent, ticket.id, cc=["cara@example.com", "boss@example.com"])
    InboundEmail.create(source="pipe", from_address="Cara@Example.com", subject="Hi", message_id="m1@x",
                        outcome="threaded", raw_sha256="0" * 64)
    OutgoingMail.create(sender="desk@localhost", recipients="cara@example.com", subject="Re", raw=b"To: cara")
    generation = User.get_by_id(customer.id).session_generation

    anonymous = privacy.anonymize_customer(admin, customer.id)

    assert anonymous.name == f"Anonymous customer #{customer.id}"
    assert anonymous.email == f"anonymized-{customer.id}@invalid"
    assert anonymous.phone is None and anonymous.company is None and anonymous.password_hash is None
    assert not anonymous.is_active and anonymous.anonymized_at is not None
    assert anonymous.session_generation == generation + 1
    assert ApiToken.select().where(ApiToken.user == customer.id, ApiToken.revoked_at.is_null()).count() == 0
    assert [cc.email for cc in TicketCC.select()] == ["boss@example.com"]
    assert InboundEmail.get().from_address == anonymous.email
    assert OutgoingMail.select().count() == 0
    # No trace of the address in the thread's event lines either; the bodies themselves stay.
    assert not Message.select().where(Message.body.contains("cara@example.com")).exists()
    thread = tickets.thread(agent, tickets.get_ticket(agent, ticket.id))
    assert "The total is off by 10." in [m.body for m in thread]
    assert Ticket.get_by_id(ticket.id).access_key_hash is None


def test_anonymised_customer_is_not_found_by_old_name_or_address(customer, agent, admin, story):
    privacy.anonymize_customer(admin, customer.id)
    for text in ("Cara", "cara@example.com", "example.com"):
        assert customers.search_customers(agent, text).total == 0
    assert tickets.list_tickets(agent, tickets.TicketFilter(search="Cara")).total == 0
    # The words of the thread still find the ticket, now under the anonymous name.
    [found] = tickets.list_tickets(agent, tickets.TicketFilter(search="total")).items
    assert found.customer.name.startswith("Anonymous customer")


def test_anonymise_is_logged_once_without_the_old_address(customer, admin):
    privacy.anonymize_customer(admin, customer.id)
    with pytest.raises(Conflict):
        privacy.anonymize_customer(admin, customer.id)
    [entry] = PrivacyLog.select()
    assert entry.action == "anonymize" and entry.subject_label == f"customer #{customer.id}"
    assert "cara" not in (entry.subject_label + entry.detail + entry.actor_label).lower()


def test_anonymised_customer_cannot_sign_in(client, customer, admin, auth):
    privacy.anonymize_customer(admin, customer.id)
    response = auth.login("cara@example.com")
    assert response.status_code != 303
    assert client.get("/tickets").status_code in (302, 303)


def test_agents_cannot_anonymise(customer, agent):
    with pytest.raises(PermissionDenied):
        privacy.anonymize_customer(agent, customer.id)
    assert User.get_by_id(customer.id).anonymized_at is None


# ------------------------------------------------------------------------------------------------------ trash purge


def _trash(admin, customer, subject, days_ago):
    ticket = tickets.create_ticket(customer, subject, "Old news.")
    tickets.delete_ticket(admin, ticket.id)
    Ticket.update(deleted_at=utcnow() - timedelta(days=days_ago)).where(Ticket.id == ticket.id).execute()
    return ticket.id


def test_the_worker_purges_tickets_past_the_retention_period(app, customer, admin):
    old = _trash(admin, customer, "Trashed long ago", 31)
    recent = _trash(admin, customer, "Trashed last week", 7)
    live = tickets.create_ticket(customer, "Still open", "Help.").id

    jobs.purge_trash.call_local()

    remaining = {t.id for t in Ticket.select()}
    assert old not in remaining and {recent, live} <= remaining
    assert not Message.select().where(Message.ticket == old).exists()
    [entry] = PrivacyLog.select()
    assert entry.action == "purge" and entry.actor_id is None and f"#{old}" in entry.detail


def test_a_purge_run_with_nothing_to_do_logs_nothing(app, customer, admin):
    _trash(admin, customer, "Trashed yesterday", 1)
    assert privacy.purge_expired_trash() == 0
    assert PrivacyLog.select().count() == 0


def test_retention_period_comes_from_the_configuration(app, customer, admin):
    ticket_id = _trash(admin, customer, "Trashed three days ago", 3)
    app.config["TRASH_RETENTION_DAYS"] = 2
    assert privacy.purge_expired_trash() == 1
    assert not Ticket.select().where(Ticket.id == ticket_id).exists()


def test_privacy_log_lists_newest_first_for_admins_only(customer, agent, admin):
    other = make_user("customer")
    privacy.export_customer(admin, customer.id)
    privacy.export_customer(admin, other.id)
    page = privacy.list_log(admin)
    assert [e.subject_label for e in page.items] == [f"customer #{other.id}", f"customer #{customer.id}"]
    with pytest.raises(PermissionDenied):
        privacy.list_log(agent)


def test_deleting_from_the_trash_by_hand_is_logged(app, customer, admin):
    trashed = _trash(admin, customer, "Trashed today", 0)
    privacy.purge_from_trash(admin, trashed)
    assert not Ticket.select().where(Ticket.id == trashed).exists()
    [entry] = PrivacyLog.select()
    assert entry.action == "purge" and entry.actor_id == admin.id and entry.subject_label == f"ticket #{trashed}"
    with pytest.raises(NotFound):
        privacy.purge_from_trash(admin, trashed)
    assert PrivacyLog.select().count() == 1


def test_no_mail_goes_to_an_anonymised_customer(app, customer, agent, admin, story):
    from portal.services import mail

    ticket, _, _ = story
    privacy.anonymize_customer(admin, customer.id)
    with app.test_request_context():
        before = len(mail.sent_messages())
    tickets.reply(agent, ticket.id, "One more thing about your invoice.")
    with app.test_request_context():
        sent = mail.sent_messages()[before:]
    assert [m["To"] for m in sent if "@invalid" in m["To"]] == []
