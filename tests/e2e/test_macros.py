"""Macros in a real browser: an agent finds one by typing, sees the composer filled and the changes listed, sends."""
import pytest
from playwright.sync_api import expect

from portal.db import db
from portal.services import macros, tickets

from .conftest import sign_in


@pytest.fixture
def desk(live_app, make_account):
    admin = make_account("admin", "adam@example.com", "Adam Admin")
    agent = make_account("agent", "ana@example.com", "Ana Agent")
    customer = make_account("customer", "carol@example.com", "Carol Customer")
    with live_app.app_context(), db.connection_context():
        ticket = tickets.create_ticket(customer, "Charged twice", "My card was charged twice this month.")
        macros.create_macro(admin, "Refund issued", "Hi {{ customer.first_name }}, we refunded the second charge.",
                            shared=True, actions={"status": "waiting", "priority": "high", "add_tags": ["refund"]})
        macros.create_macro(admin, "Ask for details", "Could you tell us more?", shared=True)
        macros.create_macro(agent, "Password reset", "Use the reset link.")
    return {"ticket": ticket.id, "agent": agent}


def test_agent_picks_a_macro_by_typing_and_sends_it(live_server, page, desk):
    sign_in(page, live_server, "ana@example.com")
    page.goto(f"{live_server}/agent/tickets/{desk['ticket']}")
    page.evaluate("window.__sameDocument = true")

    page.click("#macro-picker > summary")
    items = page.locator("#macro-list .macro-choice")
    expect(items).to_have_count(3)
    page.fill("#macro-q", "refu")
    expect(items).to_have_count(1)
    expect(items.first).to_contain_text("Refund issued")
    expect(items.first).to_contain_text("status → Waiting")

    items.first.click()
    body = page.locator("#composer textarea[name=body]")
    expect(body).to_have_value("Hi Carol, we refunded the second charge.")
    expect(page.locator("#macro-chosen")).to_contain_text(
        "On send: status → Waiting · priority → High · tags + refund")
    expect(page.locator("#composer input[name=macro_id]")).to_be_checked()
    expect(page.locator("#composer input[name=kind][value=reply]")).to_be_checked()
    expect(body).to_be_focused()

    body.fill("Hi Carol, we refunded the second charge. Sorry about that!")
    page.click("#composer button.btn-primary")
    thread = page.locator("#ws-thread")
    expect(thread).to_contain_text("Sorry about that!")
    expect(page.locator("#macro-chosen")).to_have_count(0)  # a fresh composer
    expect(page.locator("#ticket-panel select[name=status]")).to_have_value("waiting")
    expect(page.locator("#ticket-panel select[name=priority]")).to_have_value("high")
    expect(page.locator("#ticket-panel input[name=tags]")).to_have_value("refund")
    assert page.evaluate("window.__sameDocument === true")
    assert page.js_errors == []


def test_a_phone_sized_header_keeps_the_macros_tab_reachable(live_server, browser, desk):
    context = browser.new_context(viewport={"width": 390, "height": 800})
    page = context.new_page()
    try:
        sign_in(page, live_server, "ana@example.com")
        page.goto(f"{live_server}/agent/macros")
        tab = page.locator(".staff-tabs a", has_text="Macros")
        expect(tab).to_have_attribute("aria-current", "page")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        expect(page.locator(".macro-row")).to_have_count(3)
    finally:
        context.close()
