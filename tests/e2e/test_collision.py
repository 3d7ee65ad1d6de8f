"""Two agents on one ticket in two browsers: each sees the other, and the second reply is held until confirmed."""
from playwright.sync_api import expect

from portal.db import db
from portal.models import Message
from portal.services import tickets

from .conftest import sign_in


def test_two_agents_see_each_other_and_the_second_reply_is_held(live_server, live_app, browser, page, make_account):
    customer = make_account("customer", "cleo@example.com", "Cleo Customer")
    make_account("agent", "ana@example.com", "Ana Agent")
    make_account("agent", "ben@example.com", "Ben Agent")
    with live_app.app_context(), db.connection_context():
        ticket = tickets.create_ticket(customer, "Cannot log in", "The password reset mail never arrives.")
    url = f"{live_server}/agent/tickets/{ticket.id}"

    ben_context = browser.new_context(viewport={"width": 1280, "height": 900})
    ben = ben_context.new_page()
    ben.set_default_timeout(10_000)
    try:
        sign_in(page, live_server, "ana@example.com")
        page.goto(url)
        sign_in(ben, live_server, "ben@example.com")
        ben.goto(url)

        # Within a poll or two each sees the other.
        expect(page.locator("#presence-list")).to_contain_text("Ben Agent is viewing")
        expect(ben.locator("#presence-list")).to_contain_text("Ana Agent is viewing")

        # Ana starts typing: Ben sees her replying.
        page.fill("#composer textarea[name=body]", "")
        page.type("#composer textarea[name=body]", "Resetting it for you")
        expect(ben.locator("#presence-list")).to_contain_text("Ana Agent is replying")

        # Ben answers first.
        ben.fill("#composer textarea[name=body]", "I have sent a new reset link just now.")
        ben.click("#composer button:has-text('Send reply')")
        expect(ben.locator("#ws-thread")).to_contain_text("I have sent a new reset link just now.")

        # Ana's poll tells her the thread moved on; her send is held with Ben's reply shown.
        expect(page.locator("#presence-list")).to_contain_text("1 new reply since you opened this ticket")
        page.fill("#composer textarea[name=body]", "Here is a reset link for you.")
        page.click("#composer button:has-text('Send reply')")
        expect(page.locator("#held-reply")).to_contain_text("I have sent a new reset link just now.")
        expect(page.locator("#composer textarea[name=body]")).to_have_value("Here is a reset link for you.")
        with live_app.app_context(), db.connection_context():
            assert Message.select().where(Message.body == "Here is a reset link for you.").count() == 0

        # She changes her mind and sends a different answer anyway.
        page.fill("#composer textarea[name=body]", "Ben's link is the one to use; the old ones no longer work.")
        page.click("#composer button:has-text('Send anyway')")
        expect(page.locator("#ws-thread")).to_contain_text("the old ones no longer work")
        expect(page.locator("#held-reply")).to_have_count(0)
        assert page.js_errors == []
    finally:
        ben_context.close()
