"""The guest and customer journeys in a real browser."""
import re

from playwright.sync_api import expect

from .conftest import click_through, sign_in


def test_guest_contact_form_secret_link_and_reply(live_server, page):
    page.goto(live_server + "/contact")
    page.fill("#name", "Gina Guest")
    page.fill("#email", "gina@example.com")
    page.select_option("#category", "billing")
    page.fill("#subject", "Charged twice in November")
    page.fill("#body", "My card shows two payments of 49 EUR.")
    page.click("button:has-text('Send message')")

    expect(page.locator("h1")).to_have_text("Thanks, we have your message")
    number = page.locator(".ticket-number").inner_text()
    assert re.fullmatch(r"Ticket #\d+", number)
    link = page.locator("#ticket-link").input_value()
    assert "/t/" in link

    # A fresh visit through the secret link, as if from another device.
    page.context.clear_cookies()
    page.goto(link)
    expect(page.locator("h1")).to_have_text("Charged twice in November")
    expect(page.locator(".thread")).to_contain_text("My card shows two payments of 49 EUR.")
    url_before = page.url
    page.fill("#body", "Here is the **receipt** number: R-1234.")
    page.click("button:has-text('Send reply')")
    expect(page.locator(".thread .message")).to_have_count(2)
    expect(page.locator(".thread .message").last).to_contain_text("receipt number: R-1234.")
    expect(page.locator(".thread .message").last.locator(".message-body strong")).to_have_text("receipt")
    expect(page.locator("#body")).to_have_value("")
    assert page.url == url_before  # no page load: the reply came back through htmx
    assert page.js_errors == []


def test_customer_registers_files_replies_closes_and_reopens(live_server, live_app, page):
    page.goto(live_server + "/register")
    page.fill("#name", "Rosa Register")
    page.fill("#email", "rosa@example.com")
    page.click("button:has-text('Create account')")
    expect(page.locator("h1")).to_have_text("Check your inbox")
    # The account is created by the link mailed to the address (sign-up never tells who already has one).
    from portal.services import mail

    with live_app.test_request_context():
        body = mail.sent_messages()[-1].get_content()
    page.goto(live_server + re.search(r"https?://[^/\s]+(/register/\S+)", body).group(1))
    page.fill("#password", "a-long-password")
    page.click("button:has-text('Create account')")
    expect(page.locator("h1")).to_have_text("My tickets")
    expect(page.locator(".empty-state")).to_contain_text("No tickets yet")

    page.click("text=File your first ticket")
    page.fill("#subject", "Export to CSV spins forever")
    page.select_option("#category", "technical")
    page.select_option("#priority", "high")
    page.fill("#description", "Clicking **Export** shows a spinner that never stops.")
    click_through(page, "button:has-text('Submit ticket')")

    expect(page.locator("h1")).to_have_text("Export to CSV spins forever")
    expect(page.locator(".ticket-meta")).to_contain_text("Open")
    expect(page.locator(".ticket-meta")).to_contain_text("High")
    expect(page.locator(".flash-success")).to_contain_text("is filed")
    ticket_url = page.url

    page.fill("#body", "It also happens with the PDF export.")
    page.click("button:has-text('Send reply')")
    expect(page.locator(".thread .message")).to_have_count(2)
    expect(page.locator(".thread")).to_contain_text("It also happens with the PDF export.")
    assert page.url == ticket_url

    page.click("button:has-text('Close ticket')")
    expect(page.locator(".ticket-meta .badge").first).to_have_text("Closed")
    expect(page.locator(".flash-success")).to_contain_text("The ticket is closed")
    page.click("button:has-text('Reopen ticket')")
    expect(page.locator(".ticket-meta .badge").first).to_have_text("Open")
    expect(page.locator(".flash-success")).to_contain_text("open again")

    # The list filters without a page reload and the URL follows.
    click_through(page, "text=← My tickets")
    expect(page.locator(".rows .row")).to_have_count(1)
    page.select_option("#status", "done")
    expect(page.locator("#ticket-list")).to_contain_text("No tickets match")
    expect(page).to_have_url(re.compile(r"status=done"))
    page.select_option("#status", "active")
    expect(page.locator(".rows .row")).to_have_count(1)
    page.fill("#q", "nothing-like-this")
    expect(page.locator("#ticket-list")).to_contain_text("No tickets match")
    expect(page).to_have_url(re.compile(r"q=nothing-like-this"))
    page.go_back()
    expect(page).to_have_url(re.compile(r"status=active$"))
    assert page.js_errors == []


def test_customer_pages_fit_a_phone(live_app, live_server, browser, make_account):
    from portal.db import db
    from portal.services import tickets

    customer = make_account("customer", "pia@example.com", "Pia Phone")
    with live_app.app_context(), db.connection_context():
        ticket = tickets.create_ticket(customer, "A very long subject line that goes on and on about an export that "
                                       "never finishes and a spinner that never stops", "Body")
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        sign_in(page, live_server, "pia@example.com")
        for path in ("/tickets", f"/tickets/{ticket.id}", "/tickets/new", "/contact", "/"):
            page.goto(live_server + path)
            assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
    finally:
        context.close()
