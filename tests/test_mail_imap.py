"""The IMAP mailbox against a real dovecot: unseen mail is ingested once and marked seen, nothing is mocked."""
import pytest
from imapclient.exceptions import LoginError

from portal import jobs
from portal.mail import imap
from portal.models import InboundEmail, Ticket
from portal.services import failures

from .mailbox import outbox, raw_mail
from .servers import imap_server  # noqa: F401


def test_unseen_mail_becomes_tickets_and_is_marked_seen(app, imap_server):  # noqa: F811
    imap_server.append(raw_mail(frm="Nina <nina@example.org>", subject="Printer jam"))
    imap_server.append(raw_mail(frm="lee@example.org", subject="Away", headers={"Auto-Submitted": "auto-replied"}))
    entries = imap.poll(imap_server.url)
    assert sorted(e.outcome for e in entries) == ["ignored", "new_ticket"]
    assert {e.source for e in entries} == {"imap"}
    (ticket,) = Ticket.select()
    assert ticket.channel == "email" and ticket.customer.email == "nina@example.org"
    assert [m["To"] for m in outbox(app)] == ["nina@example.org"]  # the receipt; the auto-reply got nothing

    client = imap_server.client()
    try:
        client.select_folder("INBOX")
        assert client.search(["UNSEEN"]) == [] and len(client.search(["SEEN"])) == 2
    finally:
        client.logout()
    assert imap.poll(imap_server.url) == []  # a second poll takes nothing twice
    assert InboundEmail.select().count() == 2


def test_the_periodic_job_polls_the_configured_mailbox(app, imap_server):  # noqa: F811
    imap_server.append(raw_mail(subject="From the job"))
    app.config["IMAP_URL"] = imap_server.url
    jobs.poll_mailbox.call_local()
    assert Ticket.get().subject == "From the job"


def test_a_failing_mailbox_is_shown_to_admins_until_it_works_again(app, admin, imap_server):  # noqa: F811
    app.config["IMAP_URL"] = imap_server.url.replace("desk-secret", "wrong")
    for _ in range(2):
        with pytest.raises(LoginError):
            jobs.poll_mailbox.call_local()
    (failure,) = failures.recent(admin)
    assert failure.count == 2 and "poll_mailbox" in failure.task and "LoginError" in failure.error
    app.config["IMAP_URL"] = imap_server.url
    jobs.poll_mailbox.call_local()
    assert failures.recent(admin) == []


def test_a_mail_that_is_seen_again_after_a_crash_is_a_duplicate(app, imap_server):  # noqa: F811
    raw = raw_mail(subject="Twice", message_id="<twice@example.org>")
    imap_server.append(raw)
    imap_server.append(raw)  # what a crash between logging and flagging would leave behind
    outcomes = sorted(e.outcome for e in imap.poll(imap_server.url))
    assert outcomes == ["duplicate", "new_ticket"] and Ticket.select().count() == 1


def test_a_wrong_password_is_a_clear_error(app, imap_server):  # noqa: F811
    with pytest.raises(LoginError):
        imap.poll(imap_server.url.replace("desk-secret", "wrong"))


@pytest.mark.parametrize("url, message", [
    ("http://x/INBOX", "imap:// or imaps://"),
    ("imap://host/INBOX", "needs a user"),
])
def test_a_bad_imap_url_says_what_is_wrong(url, message):
    with pytest.raises(ValueError, match=message):
        imap.mailbox_from_url(url)


def test_the_imap_url_is_read_with_encoded_credentials():
    box = imap.mailbox_from_url("imaps://support%40example.com:p%40ss@mail.example.com/Support%20Inbox")
    assert (box.host, box.port, box.secure, box.user, box.password, box.folder) == (
        "mail.example.com", 993, True, "support@example.com", "p@ss", "Support Inbox")
