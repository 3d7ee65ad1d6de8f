"""An agent's working day in a real browser: filter the queue, open a ticket, write a note and a reply."""
import re

import pytest
from playwright.sync_api import expect

from portal.db import db
from portal.services import tickets

from .conftest import click_through, sign_in


@pytest.fixture
def desk(live_app, make_account):
    """An agent, a customer with three tickets, and the ids of those tickets."""
    agent = make_account("agent", "ana@example.com", "Ana Agent")
    customer = make_account("customer", "carol@example.com", "Carol Customer")
    with live_app.app_context(), db.connection_context():
        printer = tickets.create_ticket(customer, "Printer is on fire", "Smoke everywhere.", priority="urgent",
                                        category="technical")
        invoice = tickets.create_ticket(customer, "Invoice has the wrong VAT number", "Please fix.",
                                        category="billing")
        tickets.create_ticket(customer, "Feature idea: dark mode", "Would be nice.", priority="low")
    return {"agent": agent, "customer": customer, "printer": printer.id, "invoice": invoice.id}


def rows(page):
    return page.locator("#queue-results tbody tr")


def test_agent_filters_opens_notes_and_replies_then_customer_sees_only_the_reply(live_server, page, browser, desk):
    sign_in(page, live_server, "ana@example.com")
    expect(page).to_have_url(re.compile(r"/agent$"))
    expect(page.locator("h1")).to_have_text("All open")
    expect(rows(page)).to_have_count(3)
    expect(page.locator("#queue-views a[aria-current=page] .qv-count")).to_have_text("3")
    page.evaluate("window.__sameDocument = true")

    # Filtering swaps the table, not the page, and the address bar follows.
    page.select_option("#qf-priority", "urgent")
    expect(page).to_have_url(re.compile(r"priority=urgent"))
    expect(rows(page)).to_have_count(1)
    expect(rows(page).first).to_contain_text("Printer is on fire")
    page.fill("#qf-q", "VAT")
    page.select_option("#qf-priority", "")
    expect(page).to_have_url(re.compile(r"q=VAT"))
    expect(page).not_to_have_url(re.compile(r"priority="))
    expect(rows(page)).to_have_count(1)
    expect(rows(page).first).to_contain_text("Invoice has the wrong VAT number")
    assert page.evaluate("window.__sameDocument === true")

    # The filtered URL is a real page: reloading it shows the same table.
    filtered_url = page.url
    page.reload()
    expect(rows(page)).to_have_count(1)
    expect(page.locator("#qf-q")).to_have_value("VAT")
    page.go_back()
    expect(page).to_have_url(re.compile(r"priority=urgent"))
    expect(rows(page)).to_have_count(1)
    expect(rows(page).first).to_contain_text("Printer is on fire")
    page.goto(filtered_url)

    click_through(page, "text=Invoice has the wrong VAT number")
    expect(page).to_have_url(re.compile(rf"/agent/tickets/{desk['invoice']}$"))
    expect(page.locator("#ticket-head h1")).to_have_text("Invoice has the wrong VAT number")
    expect(page.locator("#ws-thread")).to_contain_text("Please fix.")
    page.evaluate("window.__sameDocument = true")

    # An internal note: it looks different and appears without a page load.
    page.check("input[name=kind][value=note]")
    expect(page.locator("button:has-text('Add internal note')")).to_be_visible()
    expect(page.locator("button:has-text('Send and mark waiting')")).to_be_hidden()
    page.fill("#body", "Their VAT id changed in March; check the **billing** system.")
    page.click("button:has-text('Add internal note')")
    note = page.locator("#ws-thread .message-note")
    expect(note).to_have_count(1)
    expect(note).to_contain_text("Their VAT id changed in March")
    expect(note.locator(".badge-note")).to_have_text("Internal note")
    expect(page.locator("#body")).to_have_value("")

    # A public reply that marks the ticket waiting, in one step.
    page.check("input[name=kind][value=reply]")
    page.fill("#body", "We have corrected the VAT number; a new invoice is on its way.")
    page.click("button:has-text('Send and mark waiting')")
    expect(page.locator("#ws-thread .message-staff")).to_contain_text("We have corrected the VAT number")
    expect(page.locator("#ws-thread")).to_contain_text("set status to waiting")
    expect(page.locator("#ticket-head .badge.status-waiting")).to_be_visible()
    expect(page.locator("#status")).to_have_value("waiting")
    expect(page.locator("#ticket-history")).to_contain_text("waiting")
    assert page.evaluate("window.__sameDocument === true")

    # A field change from the side panel saves at once and lands in the history.
    page.select_option("#priority", "high")
    expect(page.locator("#ticket-history")).to_contain_text("Priority")
    expect(page.locator("#ticket-head .badge.priority-high")).to_be_visible()
    assert page.js_errors == []

    # The customer sees the reply and the status change, never the note.
    customer_context = browser.new_context(viewport={"width": 390, "height": 844})
    customer_page = customer_context.new_page()
    try:
        sign_in(customer_page, live_server, "carol@example.com")
        customer_page.goto(f"{live_server}/tickets/{desk['invoice']}")
        thread = customer_page.locator(".thread")
        expect(thread).to_contain_text("We have corrected the VAT number")
        expect(thread).to_contain_text("Please fix.")
        expect(thread).not_to_contain_text("VAT id changed in March")
        expect(customer_page.locator(".message-note")).to_have_count(0)
        expect(customer_page.locator(".ticket-meta")).to_contain_text("Waiting")
        assert "billing system" not in customer_page.content()
    finally:
        customer_context.close()


def test_agent_bulk_assigns_from_the_queue(live_server, page, desk):
    sign_in(page, live_server, "ana@example.com")
    expect(rows(page)).to_have_count(3)
    page.check(f"input[name=ticket_ids][value='{desk['printer']}']")
    page.check(f"input[name=ticket_ids][value='{desk['invoice']}']")
    expect(page.locator("[data-selected-count]")).to_have_text("2 selected")
    page.select_option("#bulk-assignee", "me")
    page.click("#bulk-form button:has-text('Apply')")
    expect(page.locator("#queue-results .flash-success")).to_have_text("2 tickets updated.")
    expect(page.locator("#queue-views a[href$='view=mine'] .qv-count")).to_have_text("2")
    page.click("#queue-views a[href$='view=mine']")
    expect(page.locator("h1")).to_have_text("My open")
    expect(rows(page)).to_have_count(2)
    assert page.js_errors == []


def test_queue_works_on_a_phone(live_server, browser, desk):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        sign_in(page, live_server, "ana@example.com")
        expect(rows(page)).to_have_count(3)
        # The table becomes cards: no header row, no sideways scrolling.
        expect(page.locator("#queue-results thead")).to_be_hidden()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390
        page.click("text=Printer is on fire")
        expect(page.locator("#ticket-head h1")).to_have_text("Printer is on fire")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        # Every link of the top bar and every section tab is on screen, none cut off at the edge of a scroller.
        for path in ("/agent", page.url):
            page.goto(path if path.startswith("http") else live_server + path)
            cut_off = page.evaluate("""() => [...document.querySelectorAll('.nav a, .staff-tabs a')]
                .filter(a => { const r = a.getBoundingClientRect(); return r.left < 0 || r.right > 390 || r.width === 0; })
                .map(a => a.textContent.trim())""")
            assert cut_off == [], cut_off
            expect(page.locator(".nav a", has_text="API tokens")).to_be_visible()
    finally:
        context.close()
