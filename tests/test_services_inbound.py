"""Mail in (SPEC §10): every outcome in its order, the loop guards, threading, CC lists, attachments, failures."""
import os

import pytest

from portal.models import Attachment, InboundEmail, Message, Ticket, TicketCC, User
from portal.services import inbound, mail, tickets
from portal.services.errors import Conflict, PermissionDenied

from .conftest import make_user
from .mailbox import DESK, answer_to, outbox, raw_mail, sent_to


def ingest(raw):
    return inbound.ingest(raw, "pipe")


def public_messages(ticket_id):
    return list(Message.select().where(Message.ticket == ticket_id, Message.kind == "reply").order_by(Message.id))


# ------------------------------------------------------------------------------------------------------ new tickets


def test_a_mail_from_a_stranger_opens_an_email_ticket_and_gets_a_threaded_receipt(app):
    entry = ingest(raw_mail(frm="Nina Newcomer <nina@example.org>", message_id="<first@mail.example.com>"))
    assert entry.outcome == "new_ticket" and entry.ticket_id
    ticket = Ticket.get_by_id(entry.ticket_id)
    assert ticket.channel == "email" and ticket.status == "open" and ticket.subject == "Printer jam"
    customer = ticket.customer
    assert customer.email == "nina@example.org" and customer.name == "Nina Newcomer"
    assert not customer.email_verified and customer.password_hash is None
    (message,) = public_messages(ticket.id)
    assert message.body == "The printer jams on every page." and message.author_id == customer.id

    (receipt,) = sent_to(app, "nina@example.org")
    assert f"[#{ticket.id}]" in receipt["Subject"]
    assert receipt["In-Reply-To"] == "<first@mail.example.com>"
    assert receipt["Auto-Submitted"] == "auto-generated"
    assert mail.ticket_id_for_address(receipt["Reply-To"]) == ticket.id
    assert "/t/" in receipt.get_content()  # a private link to follow it in the browser


def test_the_log_entry_records_sender_subject_and_message_id(app):
    entry = ingest(raw_mail(message_id="<abc@mail.example.com>", subject="Invoice"))
    row = InboundEmail.get_by_id(entry.id)
    assert (row.from_address, row.subject, row.message_id, row.source) == (
        "cara@example.com", "Invoice", "abc@mail.example.com", "pipe")
    assert row.reason and row.size > 0


def test_a_known_customer_keeps_their_account(app, customer):
    entry = ingest(raw_mail(frm="Someone Else <CARA@example.com>"))
    ticket = Ticket.get_by_id(entry.ticket_id)
    assert ticket.customer_id == customer.id
    assert User.get_by_id(customer.id).name == "Cara Customer"


# ------------------------------------------------------------------------------------------------ duplicates, loops


def test_the_same_message_twice_is_a_duplicate(app):
    raw = raw_mail(message_id="<twice@mail.example.com>")
    first, second = ingest(raw), ingest(raw)
    assert first.outcome == "new_ticket" and second.outcome == "duplicate"
    assert second.ticket_id is None
    assert Ticket.select().count() == 1
    assert len(outbox(app)) == 1  # one receipt, not two


def test_a_message_without_message_id_is_still_caught_the_second_time(app):
    raw = b"From: cara@example.com\r\nTo: support@localhost\r\nSubject: No id\r\n\r\nHello there\r\n"
    assert ingest(raw).outcome == "new_ticket"
    assert ingest(raw).outcome == "duplicate"


@pytest.mark.parametrize("headers", [
    {"Auto-Submitted": "auto-replied"},
    {"Auto-Submitted": "auto-generated"},
    {"X-Autoreply": "yes"},
    {"X-Autorespond": "Out of office"},
    {"Precedence": "bulk"},
    {"Precedence": "list"},
    {"Precedence": "junk"},
    {"Precedence": "auto_reply"},
])
def test_auto_replies_are_ignored_and_never_answered(app, headers):
    entry = ingest(raw_mail(subject="Out of office", headers=headers))
    assert entry.outcome == "ignored"
    assert Ticket.select().count() == 0 and outbox(app) == []


@pytest.mark.parametrize("sender", ["MAILER-DAEMON@mx.example.com", "postmaster@example.com"])
def test_bounces_are_ignored(app, sender):
    assert ingest(raw_mail(frm=sender, subject="Undelivered Mail Returned to Sender")).outcome == "ignored"
    assert Ticket.select().count() == 0 and outbox(app) == []


def test_a_delivery_report_is_ignored(app):
    raw = (b"From: mx@example.com\r\nTo: support@localhost\r\nSubject: Delivery Status Notification\r\n"
           b"Message-ID: <dsn@mx.example.com>\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: multipart/report; report-type=delivery-status; boundary=b1\r\n\r\n"
           b"--b1\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n--b1--\r\n")
    assert ingest(raw).outcome == "ignored"
    assert outbox(app) == []


def test_auto_submitted_no_is_a_person(app):
    assert ingest(raw_mail(headers={"Auto-Submitted": "no"})).outcome == "new_ticket"


def test_mail_from_the_desk_itself_is_ignored(app):
    assert ingest(raw_mail(frm=DESK)).outcome == "ignored"
    assert ingest(raw_mail(frm="support+7-0123456789abcdef@localhost")).outcome == "ignored"


def test_the_desk_s_own_mail_coming_back_is_a_duplicate(app, customer, agent):
    ticket = tickets.create_ticket(customer, "Printer jam", "It jams")
    tickets.reply(agent, ticket.id, "Pull the tray.")
    (sent,) = outbox(app)
    assert ingest(sent.as_bytes()).outcome == "duplicate"
    assert len(public_messages(ticket.id)) == 2


def test_an_answer_to_our_auto_reply_does_not_start_a_loop(app):
    """Two desks that answer each other: ours marks its receipt auto-generated; theirs answers it without a mark."""
    ingest(raw_mail(frm="robot@other-desk.example", subject="Hello"))
    (receipt,) = outbox(app)
    for _ in range(3):  # their robot answers every mail it gets, ours must not answer back
        ingest(answer_to(outbox(app)[-1], "robot@other-desk.example", "We got your mail."))
    assert len(outbox(app)) == 1
    assert Ticket.select().count() == 1


# -------------------------------------------------------------------------------------------------------- threading


def test_an_answer_to_the_receipt_threads_on_the_ticket(app):
    first = ingest(raw_mail(frm="nina@example.org"))
    (receipt,) = outbox(app)
    entry = ingest(answer_to(receipt, "nina@example.org", "Here is the model number: X100."))
    assert entry.outcome == "threaded" and entry.ticket_id == first.ticket_id
    assert "In-Reply-To" in entry.reason
    bodies = [m.body for m in public_messages(first.ticket_id)]
    assert bodies[-1] == "Here is the model number: X100."  # the quoted receipt is stripped


def test_the_reply_address_alone_threads(app, customer):
    ticket = tickets.create_ticket(customer, "Printer jam", "It jams")
    entry = ingest(raw_mail(frm=customer.email, subject="something else", to=mail.reply_address(ticket.id),
                            body="Still jammed."))
    assert entry.outcome == "threaded" and entry.ticket_id == ticket.id and "reply address" in entry.reason


def test_a_forged_reply_address_opens_a_new_ticket(app, customer):
    ticket = tickets.create_ticket(customer, "Printer jam", "It jams")
    forged = f"support+{ticket.id}-0000000000000000@localhost"
    entry = ingest(raw_mail(frm="mallory@example.net", to=forged, body="Let me in"))
    assert entry.outcome == "new_ticket" and entry.ticket_id != ticket.id
    assert len(public_messages(ticket.id)) == 1


def test_the_ticket_number_threads_for_its_customer(app, customer):
    ticket = tickets.create_ticket(customer, "Printer jam", "It jams")
    entry = ingest(raw_mail(frm=customer.email, subject=f"Re: [#{ticket.id}] Printer jam", body="Any news?"))
    assert entry.outcome == "threaded" and entry.ticket_id == ticket.id


def test_the_ticket_number_threads_for_a_cc_address(app, customer, agent):
    ticket = tickets.create_ticket(customer, "Printer jam", "It jams")
    tickets.update_ticket(agent, ticket.id, cc=["boss@example.com"])
    entry = ingest(raw_mail(frm="boss@example.com", subject=f"[#{ticket.id}] Printer jam", body="Please hurry."))
    assert entry.outcome == "threaded" and entry.ticket_id == ticket.id
    assert public_messages(ticket.id)[-1].author.email == "boss@example.com"


def test_a_stranger_with_a_ticket_number_gets_a_ticket_of_their_own_and_learns_nothing(app, customer):
    ticket = tickets.create_ticket(customer, "Secret merger plans", "Top secret details")
    entry = ingest(raw_mail(frm="mallory@example.net", subject=f"Re: [#{ticket.id}] tell me more", body="Hi"))
    assert entry.outcome == "new_ticket" and entry.ticket_id != ticket.id
    assert len(public_messages(ticket.id)) == 1
    (receipt,) = sent_to(app, "mallory@example.net")
    text = receipt.get_content() + receipt["Subject"]
    assert "Secret merger" not in text and "Top secret" not in text and customer.email not in text
    assert f"[#{entry.ticket_id}]" in receipt["Subject"]


def test_a_reply_reopens_a_resolved_ticket(app, customer, agent):
    ticket = tickets.create_ticket(customer, "Printer jam", "It jams")
    tickets.update_ticket(agent, ticket.id, status="resolved")
    ingest(raw_mail(frm=customer.email, to=mail.reply_address(ticket.id), body="It is back."))
    assert Ticket.get_by_id(ticket.id).status == "open"


def test_a_locked_ticket_rejects_the_reply_and_says_so_politely(app, customer, agent):
    ticket = tickets.create_ticket(customer, "Printer jam", "It jams")
    tickets.update_ticket(agent, ticket.id, locked=True)
    entry = ingest(raw_mail(frm=customer.email, to=mail.reply_address(ticket.id), body="One more thing"))
    assert entry.outcome == "rejected" and entry.ticket_id == ticket.id and "locked" in entry.reason
    assert len(public_messages(ticket.id)) == 1
    (answer,) = sent_to(app, customer.email)
    assert answer["Auto-Submitted"] == "auto-generated" and "locked" in answer.get_content()


def test_mail_from_a_staff_address_becomes_an_internal_note(app, customer, agent):
    ticket = tickets.create_ticket(customer, "Printer jam", "It jams")
    entry = ingest(raw_mail(frm=agent.email, to=mail.reply_address(ticket.id), body="Customer is on the old model"))
    assert entry.outcome == "threaded"
    note = Message.select().where(Message.ticket == ticket.id, Message.kind == "note").get()
    assert note.author_id == agent.id and not note.is_public
    assert sent_to(app, customer.email) == []


def test_a_trashed_ticket_is_not_threaded_onto(app, customer, admin):
    ticket = tickets.create_ticket(customer, "Printer jam", "It jams")
    tickets.delete_ticket(admin, ticket.id)
    entry = ingest(raw_mail(frm=customer.email, to=mail.reply_address(ticket.id), body="Hello?"))
    assert entry.outcome == "new_ticket" and entry.ticket_id != ticket.id


# ------------------------------------------------------------------------------------------------- CC and attachments


def test_to_and_cc_addresses_become_the_ticket_s_cc_list(app):
    entry = ingest(raw_mail(frm="nina@example.org", to=f"{DESK}, Tom <tom@example.org>",
                            cc="lee@example.org, support+x@localhost, nina@example.org"))
    ticket = tickets.get_ticket(make_user("agent"), entry.ticket_id)
    assert ticket.cc_list == ["tom@example.org", "lee@example.org"]


def test_cc_addresses_get_public_replies_never_notes(app, customer, agent):
    ticket = tickets.create_ticket(customer, "Printer jam", "It jams")
    tickets.update_ticket(agent, ticket.id, cc=["boss@example.com"])
    tickets.reply(agent, ticket.id, "SECRET: customer is grumpy", internal=True)
    tickets.reply(agent, ticket.id, "Please pull the tray.")
    (sent,) = outbox(app)
    assert sent["To"] == customer.email and sent["Cc"] == "boss@example.com"
    assert "Please pull the tray." in sent.get_content()
    assert all("SECRET" not in m.get_content() for m in outbox(app))


def test_attachments_are_kept_and_oversized_ones_named(app):
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
    big = b"x" * (int(app.config["MAX_ATTACHMENT_MB"] * 1024 * 1024) + 1)
    entry = ingest(raw_mail(attachments=[("screen.png", "image/png", png), ("dump.bin", "application/octet-stream",
                                                                            big)]))
    (message,) = public_messages(entry.ticket_id)
    files = list(Attachment.select().where(Attachment.message == message.id))
    assert [(f.filename, f.content_type, f.size) for f in files] == [("screen.png", "image/png", len(png))]
    assert "dump.bin" in message.body and "not kept" in message.body


def test_a_20_mb_mail_is_taken_in_with_what_fits_the_attachment_rules(app):
    photo = b"\x89PNG\r\n\x1a\n" + os.urandom(5 * 1024 * 1024)
    video = os.urandom(15 * 1024 * 1024)
    raw = raw_mail(attachments=[("photo.png", "image/png", photo), ("video.mp4", "video/mp4", video)])
    assert len(raw) > 20 * 1024 * 1024
    entry = ingest(raw)
    assert entry.outcome == "new_ticket"
    (message,) = public_messages(entry.ticket_id)
    assert [a.filename for a in message.attachments] == ["photo.png"]
    assert "video.mp4 (larger than 10 MB)" in message.body


def test_html_only_mail_becomes_safe_text(app):
    raw = (b"From: cara@example.com\r\nTo: support@localhost\r\nSubject: Html\r\nMessage-ID: <h@x>\r\n"
           b"MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
           b"<p>Hello <b>team</b></p><script>alert(1)</script><a href=\"https://example.com/x\">link</a>")
    entry = ingest(raw)
    (message,) = public_messages(entry.ticket_id)
    assert "alert(1)" not in message.body and "<script" not in message.body_html
    assert "Hello" in message.body and "https://example.com/x" in message.body_html


def test_a_mail_over_the_size_limit_is_refused_with_a_reason(app):
    app.config["MAX_INBOUND_MB"] = 0.01
    entry = ingest(raw_mail(body="x" * 20_000))
    assert entry.outcome == "rejected" and "larger" in entry.reason
    assert Ticket.select().count() == 0


def test_garbage_is_refused_not_a_crash(app):
    entry = ingest(b"\x00\xff\xfe garbage \x00")
    assert entry.outcome == "rejected" and entry.reason
    assert InboundEmail.select().count() == 1


# ------------------------------------------------------------------------------------------------- errors and retry


def test_a_failure_halfway_leaves_no_half_made_ticket_and_can_be_retried(app, admin, monkeypatch):
    def broken(ticket, addresses):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(tickets, "add_cc", broken)
    entry = ingest(raw_mail(frm="nina@example.org", cc="tom@example.org"))
    assert entry.outcome == "error" and "disk on fire" in entry.reason and entry.ticket_id is None
    assert Ticket.select().count() == 0 and Message.select().count() == 0 and TicketCC.select().count() == 0
    assert outbox(app) == []  # nobody hears of a ticket that was rolled back

    monkeypatch.undo()
    raw_file = inbound._raw_path(entry.raw_sha256)
    assert os.path.exists(raw_file)  # kept for the retry
    again = inbound.retry(admin, entry.id)
    assert again.id == entry.id and again.outcome == "new_ticket"
    assert not os.path.exists(raw_file)  # the ticket holds it now
    assert InboundEmail.select().count() == 1 and Ticket.select().count() == 1
    with pytest.raises(Conflict):
        inbound.retry(admin, entry.id)


def test_only_admins_read_and_retry_the_log(app, agent):
    entry = ingest(raw_mail())
    with pytest.raises(PermissionDenied):
        inbound.list_entries(agent)
    with pytest.raises(PermissionDenied):
        inbound.retry(agent, entry.id)


def test_the_log_filters_by_outcome(app, admin):
    raw = raw_mail()
    ingest(raw), ingest(raw), ingest(raw_mail(headers={"Precedence": "bulk"}))
    assert [e.outcome for e in inbound.list_entries(admin, "duplicate").items] == ["duplicate"]
    assert inbound.list_entries(admin).total == 3
    assert inbound.outcome_counts(admin)["ignored"] == 1


# ------------------------------------------------------------------------------------------------------ round trip


def test_round_trip_through_mail_ingest(app, customer, agent):
    """The agent's mail in the outbox, answered from a mail client and piped to `mail-ingest`, lands on the ticket."""
    ticket = tickets.create_ticket(customer, "Printer jam", "It jams")
    tickets.reply(agent, ticket.id, "Please pull the paper tray out and push it back in.", status="waiting")
    (sent,) = outbox(app)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["mail-ingest"], input=answer_to(sent, customer.email, "That fixed it, thanks!"))
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"threaded ticket #{ticket.id}:")
    thread = public_messages(ticket.id)
    assert [m.body for m in thread][-1] == "That fixed it, thanks!"
    assert thread[-1].author_id == customer.id
    assert Ticket.get_by_id(ticket.id).status == "open"  # the customer answered: back in the agents' court


def test_mail_ingest_reads_a_file_and_exits_75_on_an_error(app, tmp_path, monkeypatch):
    path = tmp_path / "message.eml"
    path.write_bytes(raw_mail(subject="From a file"))
    monkeypatch.setattr(tickets, "create_ticket", lambda *a, **k: 1 / 0)
    failed = app.test_cli_runner().invoke(args=["mail-ingest", str(path)])
    assert failed.exit_code == 75 and failed.output.startswith("error")
    monkeypatch.undo()
    ok = app.test_cli_runner().invoke(args=["mail-ingest", str(path)])
    assert ok.exit_code == 0 and ok.output.startswith("new_ticket")
