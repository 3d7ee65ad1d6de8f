"""An agent merges a duplicate ticket from the workspace in a real browser and lands on the merged conversation."""
import re
from datetime import timedelta

import pytest
import time_machine
from playwright.sync_api import expect

from portal.db import db
from portal.models import utcnow
from portal.services import tickets

from .conftest import click_through, sign_in


@pytest.fixture
def duplicates(live_app, make_account):
    """Two tickets of one customer about one printer, whose messages interleave in time."""
    make_account("agent", "ana@example.com", "Ana Agent")
    agent = make_account("agent", "bo@example.com", "Bo Agent")
    customer = make_account("customer", "carol@example.com", "Carol Customer")
    start = utcnow() - timedelta(hours=5)
    with live_app.app_context(), db.connection_context():
        with time_machine.travel(start, tick=False):
            target = tickets.create_ticket(customer, "Printer jams on page 3", "First: page 3 jams.")
        with time_machine.travel(start + timedelta(hours=1), tick=False):
            source = tickets.create_ticket(customer, "Printer beeping", "Second: it beeps now.")
        with time_machine.travel(start + timedelta(hours=2), tick=False):
            tickets.reply(agent, target.id, "Third: try the manual feed.")
        with time_machine.travel(start + timedelta(hours=3), tick=False):
            tickets.reply(customer, source.id, "Fourth: manual feed beeps too.")
    return {"target": target.id, "source": source.id}


def test_agent_merges_a_duplicate_and_lands_on_both_threads(live_server, page, duplicates):
    target, source = duplicates["target"], duplicates["source"]
    sign_in(page, live_server, "ana@example.com")
    page.goto(f"{live_server}/agent/tickets/{source}")

    # Focusing the field lists the customer's other open ticket; typing narrows by words of the subject.
    page.click("#merge-q")
    candidates = page.locator("#merge-candidates .merge-list li")
    expect(candidates).to_have_count(1)
    page.fill("#merge-q", "jams page")
    expect(candidates).to_have_count(1)
    expect(candidates.first).to_contain_text(f"#{target} Printer jams on page 3")
    expect(candidates.first).to_contain_text("Same customer")

    click_through(page, f"#merge-candidates a:has-text('#{target}')")
    expect(page.locator(".merge-confirm h2")).to_have_text(f"Merge into #{target} “Printer jams on page 3”?")
    expect(page.locator(".merge-effects")).to_contain_text("2 replies and 0 internal notes")

    click_through(page, f"button:has-text('Merge into #{target}')")
    expect(page).to_have_url(re.compile(rf"/agent/tickets/{target}$"))
    expect(page.locator(".flash-success")).to_contain_text(f"Ticket #{source} is merged into #{target}")
    lines = page.locator("#ws-thread > li")
    texts = [t for t in lines.all_inner_texts()]
    order = [next(i for i, text in enumerate(texts) if word in text) for word in
             ("First:", "Second:", "Third:", "Fourth:", f"#{source} merged into this ticket by Ana Agent")]
    assert order == sorted(order), texts
    expect(page.locator("#ws-thread .event").last).to_contain_text(f"#{source} merged into this ticket")

    # The merged ticket now points here, without a composer or a merge control.
    page.goto(f"{live_server}/agent/tickets/{source}")
    expect(page.locator(".ws-merged")).to_contain_text(f"Merged into #{target}")
    expect(page.locator("#composer")).to_have_count(0)
    expect(page.locator("#ticket-merge")).to_have_count(0)
    click_through(page, f".ws-merged a:has-text('#{target}')")
    expect(page).to_have_url(re.compile(rf"/agent/tickets/{target}$"))
    assert page.js_errors == []
