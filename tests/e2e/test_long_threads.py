"""A long thread in the browser: "Show earlier" brings older messages in above, without a page load."""
from datetime import timedelta

from playwright.sync_api import expect

from portal.db import db, write
from portal.models import Message
from portal.services import tickets

from .conftest import sign_in


def test_show_earlier_loads_older_messages_in_place(live_server, live_app, page, make_account):
    customer = make_account("customer", "lena@example.com", "Lena Long")
    agent = make_account("agent", "ana@example.com", "Ana Agent")
    with live_app.app_context(), db.connection_context():
        ticket = tickets.create_ticket(customer, "The saga", "Where it all began.")
        opening = Message.get(Message.ticket == ticket.id)
        rows = [{"ticket": ticket.id, "author": agent.id if n % 2 else customer.id, "body": f"Entry {n}",
                 "body_html": f"<p>Entry {n}</p>", "created_at": opening.created_at + timedelta(minutes=n)}
                for n in range(1, 121)]
        with write():
            Message.insert_many(rows).execute()
    sign_in(page, live_server, "ana@example.com")
    page.goto(f"{live_server}/agent/tickets/{ticket.id}")
    thread = page.locator("#ws-thread")
    expect(thread).to_contain_text("Where it all began.")
    expect(thread).to_contain_text("Entry 120")
    expect(thread).not_to_contain_text("Entry 70")
    page.evaluate("window.stillTheSamePage = true")

    page.click("text=Show 70 earlier messages")
    expect(thread.locator(".message", has_text="Entry 70")).to_be_visible()
    expect(thread).not_to_contain_text("Entry 20")
    # The older run sits between the first message and the latest ones, with a new control above it.
    earlier = page.locator(".thread-earlier a")
    expect(earlier).to_have_text("Show 20 earlier messages")
    top = lambda text: thread.locator(".message", has_text=text).first.bounding_box()["y"]  # noqa: E731
    assert top("Where it all began.") < earlier.bounding_box()["y"] < top("Entry 21") < top("Entry 70") < top(
        "Entry 71")
    assert page.evaluate("window.stillTheSamePage") is True

    earlier.click()
    expect(thread.get_by_text("Entry 1", exact=True)).to_be_visible()
    expect(page.locator(".thread-earlier")).to_have_count(0)
    assert thread.locator(".message").count() == 121
    assert page.evaluate("window.stillTheSamePage") is True
    assert not page.js_errors
