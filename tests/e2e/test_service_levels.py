"""Service levels and satisfaction in a real browser: the agent's Overdue view, the customer's rating card."""
from datetime import timedelta

from playwright.sync_api import expect

from portal.db import db
from portal.models import SlaPolicy, Ticket
from portal.services import tickets

from .conftest import sign_in


def test_the_customer_rates_in_place_and_the_agent_sees_overdue_work(live_server, live_app, page, make_account):
    customer = make_account("customer", "cleo@example.com", "Cleo Customer")
    agent = make_account("agent", "arno@example.com", "Arno Agent")
    with live_app.app_context(), db.connection_context():
        SlaPolicy.create(name="Standard", first_response_minutes=60, resolution_minutes=600)
        late = tickets.create_ticket(customer, "Nothing loads", "The dashboard is blank.")
        # Filed two hours ago: the first answer is an hour overdue.
        two_hours_ago = late.created_at - timedelta(hours=2)
        Ticket.update(created_at=two_hours_ago, first_response_due_at=two_hours_ago + timedelta(hours=1),
                      due_at=two_hours_ago + timedelta(hours=1)).where(Ticket.id == late.id).execute()
        solved = tickets.create_ticket(customer, "Invoice address", "Please use our new address.")
        tickets.reply(agent, solved.id, "Done: the next invoice has it.", status="resolved")

    sign_in(page, live_server, "arno@example.com")
    page.goto(live_server + "/agent")
    page.click("#queue-views a:has-text('Overdue')")
    expect(page.locator("h1")).to_have_text("Overdue")
    expect(page.locator(".qt-row")).to_have_count(1)
    expect(page.locator(".qt-row .due-overdue")).to_have_text("Overdue 1 h")
    page.context.clear_cookies()

    sign_in(page, live_server, "cleo@example.com")
    page.goto(f"{live_server}/tickets/{solved.id}")
    expect(page.locator("#rating")).to_contain_text("How did we do?")
    url_before = page.url
    page.fill("#rating textarea", "Fast, thanks!")
    page.click("#rating button:has-text('Good')")
    expect(page.locator("#rating .rating-given")).to_contain_text("You rated this ticket Good")
    expect(page.locator("#rating .rating-given")).to_contain_text("Fast, thanks!")
    expect(page.locator("#rating button:has-text('Good')")).to_have_attribute("aria-pressed", "true")
    assert page.url == url_before  # answered in place, through htmx
    assert page.js_errors == []
