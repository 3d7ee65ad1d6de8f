"""The queue in a real browser: a filter change swaps only the table, and "Save this view" saves what is shown."""
from playwright.sync_api import expect

from portal.db import db
from portal.services import tickets

from .conftest import sign_in


def test_a_view_saved_after_filtering_keeps_the_filters_shown(live_server, live_app, page, make_account):
    customer = make_account("customer", "cleo@example.com", "Cleo Customer")
    make_account("agent", "arno@example.com", "Arno Agent")
    with live_app.app_context(), db.connection_context():
        tickets.create_ticket(customer, "Site is down", "Nothing loads.", priority="urgent")
        tickets.create_ticket(customer, "Typo on invoice", "Small one.", priority="low")

    sign_in(page, live_server, "arno@example.com")
    page.goto(live_server + "/agent?view=open")
    expect(page.locator(".qt-row")).to_have_count(2)
    counts_before = page.locator("#queue-views").inner_text()
    page.select_option("#qf-priority", "urgent")
    expect(page.locator(".qt-row")).to_have_count(1)
    expect(page.locator("#queue-results")).to_contain_text("Site is down")
    # The side bar stayed as it was (its counts do not depend on the filters).
    assert page.locator("#queue-views").inner_text() == counts_before

    page.click("#queue-views summary:has-text('Save this view')")
    page.fill("#qv-save-name", "Urgent only")
    page.click("#queue-views button:has-text('Save view')")
    saved = page.locator("#queue-views .qv-saved a:has-text('Urgent only')")
    expect(saved).to_contain_text("1")
    saved.click()
    expect(page.locator(".qt-row")).to_have_count(1)
    expect(page.locator("#queue-results")).to_contain_text("Site is down")
    expect(page.locator("#qf-priority")).to_have_value("urgent")
