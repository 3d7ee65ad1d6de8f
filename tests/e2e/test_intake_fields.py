"""Intake questions in the browser: choosing a category on the contact form swaps in its questions, a missing
answer is marked beside its question, and the form then goes through."""
from playwright.sync_api import expect

from portal.db import db
from portal.services import accounts, intake_fields

from .conftest import click_through


def test_contact_form_asks_the_categorys_questions(live_server, live_app, page):
    with live_app.app_context(), db.connection_context():
        admin = accounts.create_user("adam@example.com", "Adam Admin", "admin", None, verified=True)
        intake_fields.create_field(admin, "billing", "order_number", "Order number", "text", required=True)
        intake_fields.create_field(admin, "billing", "plan", "Plan", "select", options="Free\nTeam")
        intake_fields.create_field(admin, "billing", "refund_approved", "Refund approved", "checkbox",
                                   visible_to_customer=False)

    page.goto(live_server + "/contact")
    expect(page.locator("#question-order_number")).to_have_count(0)
    # The "Show questions" button sits in <noscript>: with JavaScript, the select does its work instead.
    expect(page.locator("button[name=show_questions]")).to_have_count(0)
    page.fill("#name", "Gina Guest")
    page.fill("#email", "gina@example.com")
    page.select_option("#category", "billing")
    expect(page.locator("#question-order_number")).to_be_visible()
    expect(page.locator("#intake-fields")).not_to_contain_text("Refund approved")
    page.select_option("#question-plan", "Team")
    page.fill("#subject", "Charged twice in November")
    page.fill("#body", "My card shows two payments of 49 EUR.")
    click_through(page, "button:has-text('Send message')")  # htmx binds to the page that comes back

    expect(page.locator("#question-order_number-error")).to_have_text("Answer this question.")
    expect(page.locator("#question-order_number")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#question-plan")).to_have_value("Team")
    expect(page.locator("#subject")).to_have_value("Charged twice in November")

    # Another category takes its questions away; coming back brings them fresh.
    page.select_option("#category", "technical")
    expect(page.locator("#question-order_number")).to_have_count(0)
    page.select_option("#category", "billing")
    page.fill("#question-order_number", "A-1042")
    page.click("button:has-text('Send message')")
    expect(page.locator("h1")).to_have_text("Thanks, we have your message")

    page.goto(page.locator("#ticket-link").input_value())
    expect(page.locator(".ticket-answers")).to_contain_text("A-1042")
    expect(page.locator(".ticket-answers")).not_to_contain_text("Refund")
