"""Keyboard-only triage in a real browser: walk the queue, open, reply, note, send, go back, and the shortcut list."""
import re

import pytest
from playwright.sync_api import expect

from portal.db import db
from portal.models import Message
from portal.services import tickets

from .conftest import sign_in

SUBJECTS = ("Printer is on fire", "Invoice has the wrong VAT number", "Feature idea: dark mode")


@pytest.fixture
def desk(live_app, make_account):
    make_account("agent", "ana@example.com", "Ana Agent")
    customer = make_account("customer", "carol@example.com", "Carol Customer")
    ids = {}
    with live_app.app_context(), db.connection_context():
        for subject in SUBJECTS:
            ids[subject] = tickets.create_ticket(customer, subject, "Please help.").id
    return ids


def messages(live_app, ticket_id):
    """(kind, is_public, body) of the ticket's messages after the first, oldest first."""
    with live_app.app_context(), db.connection_context():
        rows = Message.select().where(Message.ticket == ticket_id).order_by(Message.id)
        return [(m.kind, m.is_public, m.body) for m in rows][1:]


def arrive(page, pattern):
    """Wait for the page a shortcut navigated to, scripts included (they are deferred)."""
    expect(page).to_have_url(re.compile(pattern))
    page.wait_for_load_state("load")


def selected(page):
    return page.locator("#queue-results tr.qt-kbd-selected")


def walk_to(page, subject):
    """Press j until `subject` is the selected row, from a freshly loaded queue (nothing selected yet)."""
    titles = page.locator("#queue-results tr.qt-row .qt-title").all_inner_texts()
    for _ in range(titles.index(subject) + 1):
        page.keyboard.press("j")
    expect(selected(page)).to_have_count(1)
    expect(selected(page)).to_contain_text(subject)


def send_from_composer(page, kind, text):
    page.keyboard.press("r" if kind == "reply" else "n")
    body = page.locator("#composer textarea[name=body]")
    expect(body).to_be_focused()
    expect(page.locator(f"#composer input[name=kind][value={kind}]")).to_be_checked()
    page.keyboard.type(text)
    page.keyboard.press("Control+Enter")
    expect(page.locator("#ws-thread")).to_contain_text(text)
    fresh = page.locator("#composer textarea[name=body]")
    expect(fresh).to_have_value("")
    expect(fresh).not_to_be_focused()  # the composer lets go, so the next shortcut is not typed into it


def test_keyboard_only_triage_of_three_tickets(live_server, live_app, page, desk):
    sign_in(page, live_server, "ana@example.com")
    arrive(page, r"/agent$")
    rows = page.locator("#queue-results tr.qt-row")
    expect(rows).to_have_count(3)

    # j and k move one visible selection; it never runs off either end.
    page.keyboard.press("j")
    expect(selected(page)).to_have_count(1)
    first = rows.nth(0)
    expect(first).to_have_class(re.compile("qt-kbd-selected"))
    page.keyboard.press("j")
    expect(rows.nth(1)).to_have_class(re.compile("qt-kbd-selected"))
    page.keyboard.press("k")
    page.keyboard.press("k")
    expect(first).to_have_class(re.compile("qt-kbd-selected"))
    expect(selected(page)).to_have_count(1)

    # 1. The newest ticket, already selected at the top: o opens it, r replies, Ctrl+Enter sends, u goes back.
    page.keyboard.press("k")
    first_subject = selected(page).locator(".qt-title").inner_text()
    page.keyboard.press("o")
    arrive(page, rf"/agent/tickets/{desk[first_subject]}$")
    send_from_composer(page, "reply", "We are on it.")
    page.keyboard.press("u")
    arrive(page, r"/agent$")

    # 2. The invoice: Enter opens it, n writes an internal note.
    second_subject = "Invoice has the wrong VAT number"
    walk_to(page, second_subject)
    page.keyboard.press("Enter")
    arrive(page, rf"/agent/tickets/{desk[second_subject]}$")
    send_from_composer(page, "note", "Finance must reissue this one.")
    page.keyboard.press("u")
    arrive(page, r"/agent$")

    # 3. The one left: x ticks it for a bulk change (and unticks it), then o, r and send.
    third_subject = next(s for s in SUBJECTS if s not in (first_subject, second_subject))
    walk_to(page, third_subject)
    page.keyboard.press("x")
    expect(selected(page).locator("input[name=ticket_ids]")).to_be_checked()
    expect(page.locator("[data-selected-count]")).to_have_text("1 selected")
    page.keyboard.press("x")
    expect(selected(page).locator("input[name=ticket_ids]")).not_to_be_checked()
    page.keyboard.press("o")
    arrive(page, rf"/agent/tickets/{desk[third_subject]}$")
    send_from_composer(page, "reply", "Thanks, it is on our list.")

    assert messages(live_app, desk[first_subject]) == [("reply", True, "We are on it.")]
    assert messages(live_app, desk[second_subject]) == [("note", False, "Finance must reissue this one.")]
    assert messages(live_app, desk[third_subject]) == [("reply", True, "Thanks, it is on our list.")]
    assert page.js_errors == []


def test_question_mark_lists_the_shortcuts_in_a_dialog(live_server, page, desk):
    sign_in(page, live_server, "ana@example.com")
    dialog = page.locator("dialog#shortcuts")
    expect(dialog).to_be_hidden()
    page.keyboard.press("?")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Open the selected ticket")
    assert page.evaluate("document.getElementById('shortcuts').matches(':modal')")
    # Shortcuts rest while it is open: j does not move the queue behind it.
    page.keyboard.press("j")
    expect(selected(page)).to_have_count(0)
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    page.keyboard.press("?")
    expect(dialog).to_be_visible()
    page.keyboard.press("?")
    expect(dialog).to_be_hidden()

    # The hint opens it too, and closing gives focus back to the hint.
    hint = page.locator("[data-shortcuts-open]")
    hint.click()
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Close the shortcuts").click()
    expect(dialog).to_be_hidden()
    expect(hint).to_be_focused()
    assert page.js_errors == []


def test_typing_j_in_the_search_box_types_a_j(live_server, page, desk):
    sign_in(page, live_server, "ana@example.com")
    page.keyboard.press("j")
    before = selected(page).inner_text()
    page.keyboard.press("/")
    search = page.locator("#qf-q")
    expect(search).to_be_focused()
    expect(search).to_have_value("")  # the slash itself is not typed
    page.keyboard.type("jk")
    expect(search).to_have_value("jk")
    assert selected(page).count() == 0 or selected(page).inner_text() == before
    # Ctrl or Alt held: not a shortcut either.
    page.locator("#qf-q").blur()
    page.keyboard.press("Alt+j")
    page.keyboard.press("Control+o")
    arrive(page, r"/agent")
    assert "/tickets/" not in page.url
