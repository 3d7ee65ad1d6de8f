"""E-mail in the browser: a mail becomes a ticket an agent answers with a CC list, and the admin reads the log."""
from portal.db import db
from portal.services import inbound, mail

from ..mailbox import raw_mail
from .conftest import sign_in


def ingest(live_app, raw):
    with live_app.app_context(), db.connection_context():
        return inbound.ingest(raw, "pipe")


def test_a_mail_is_answered_from_the_workspace_and_the_cc_list_gets_the_reply(live_server, live_app, page,
                                                                              make_account):
    make_account("agent", "ana@example.com", "Ana Agent")
    entry = ingest(live_app, raw_mail(frm="Nina <nina@example.org>", subject="Printer jam", body="It jams."))
    sign_in(page, live_server, "ana@example.com")
    page.goto(f"{live_server}/agent/tickets/{entry.ticket_id}")
    assert "via e-mail" in page.inner_text(".ws-main, main")
    page.fill("textarea[name=cc]", "boss@example.org")
    page.locator("textarea[name=cc]").blur()  # the side bar saves on change
    page.wait_for_selector("text=set CC to boss@example.org")
    page.fill("textarea[name=body]", "Please try the manual feed slot.")
    page.click("button:has-text('Send reply')")
    page.wait_for_selector("text=Please try the manual feed slot.")
    with live_app.app_context():
        sent = [m for m in mail.sent_messages() if "manual feed" in m.get_content()]
    assert len(sent) == 1 and sent[0]["To"] == "nina@example.org" and sent[0]["Cc"] == "boss@example.org"
    assert not page.js_errors


def test_the_admin_filters_the_inbound_log_and_back_works(live_server, live_app, page, make_account):
    make_account("admin", "adam@example.com", "Adam Admin")
    ingest(live_app, raw_mail(subject="Printer jam"))
    ingest(live_app, raw_mail(subject="Away until Monday", headers={"Auto-Submitted": "auto-replied"}))
    sign_in(page, live_server, "adam@example.com")
    page.goto(f"{live_server}/admin/mail")
    page.click(".outcome-tabs >> text=Ignored")
    page.wait_for_url("**/admin/mail?outcome=ignored")
    assert "Away until Monday" in page.inner_text("#mail-list")
    assert "Printer jam" not in page.inner_text("#mail-list")
    assert page.inner_text(".outcome-tabs [aria-current]").startswith("Ignored")
    page.go_back()
    page.wait_for_url("**/admin/mail")
    page.wait_for_selector("#mail-list >> text=Printer jam")
    assert page.inner_text(".outcome-tabs [aria-current]").startswith("All")
    assert not page.js_errors
