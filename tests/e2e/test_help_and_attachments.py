"""The help center, deflection and attachments in a real browser."""
import pytest
from playwright.sync_api import expect

from portal.db import db
from portal.services import help_center

from ..test_attachments import png_bytes
from .conftest import click_through, sign_in


@pytest.fixture
def demo_articles(live_app, make_account):
    agent = make_account("agent", "ana@example.com", "Ana Agent")
    with live_app.app_context():
        with db.connection_context():
            help_center.load_demo_articles(agent)
    return agent


def test_customer_attaches_an_image_to_a_new_ticket_and_sees_its_preview(live_server, page, make_account, tmp_path):
    make_account("customer", "cara@example.com", "Cara Customer")
    picture = tmp_path / "screenshot.png"
    picture.write_bytes(png_bytes(40, 30))
    notes = tmp_path / "notes.txt"
    notes.write_text("Steps to reproduce.")

    sign_in(page, live_server, "cara@example.com")
    page.goto(live_server + "/tickets/new")
    page.fill("#subject", "The chart is blank")
    page.fill("#description", "See the screenshot.")
    page.set_input_files("#attachments", [str(picture), str(notes)])
    page.click("button:has-text('Submit ticket')")

    expect(page.locator("h1")).to_have_text("The chart is blank")
    attachments = page.locator(".thread .attachment")
    expect(attachments).to_have_count(2)
    preview = page.locator(".thread .attachment-preview img")
    expect(preview).to_have_count(1)
    expect(preview).to_have_attribute("alt", "screenshot.png")
    preview.scroll_into_view_if_needed()  # previews load lazily
    page.wait_for_function("document.querySelector('.attachment-preview img').naturalWidth === 40")
    expect(page.locator(".thread .attachment").nth(1)).to_contain_text("notes.txt")
    expect(page.locator(".thread .attachment").nth(1)).to_contain_text("19 bytes")
    assert page.js_errors == []


def test_a_reply_with_a_file_through_htmx(live_server, page, make_account, tmp_path):
    make_account("customer", "cara@example.com", "Cara Customer")
    picture = tmp_path / "second.png"
    picture.write_bytes(png_bytes(8, 8))
    sign_in(page, live_server, "cara@example.com")
    page.goto(live_server + "/tickets/new")
    page.fill("#subject", "Another problem")
    page.fill("#description", "First message.")
    click_through(page, "button:has-text('Submit ticket')")
    ticket_url = page.url

    page.fill("#body", "And a picture.")
    page.set_input_files("#attachments", str(picture))
    page.click("button:has-text('Send reply')")
    expect(page.locator(".thread .message")).to_have_count(2)
    expect(page.locator(".thread .message").last.locator(".attachment-preview img")).to_have_count(1)
    expect(page.locator("#body")).to_have_value("")
    assert page.url == ticket_url


def test_too_large_file_is_flagged_before_sending(live_server, live_app, page, make_account, tmp_path):
    live_app.config["MAX_ATTACHMENT_MB"] = 0.01
    make_account("customer", "cara@example.com", "Cara Customer")
    big = tmp_path / "big.bin"
    big.write_bytes(b"x" * 20_000)
    sign_in(page, live_server, "cara@example.com")
    page.goto(live_server + "/tickets/new")
    page.fill("#subject", "Big file")
    page.fill("#description", "Here.")
    page.set_input_files("#attachments", str(big))
    expect(page.locator("#attachments-client-error")).to_contain_text("“big.bin” is 20 KB, larger than 0.01 MB.")
    page.click("button:has-text('Submit ticket')")
    expect(page.locator("h1")).to_have_text("New ticket")  # nothing was sent
    assert page.url.endswith("/tickets/new")


def test_typing_password_in_the_contact_subject_suggests_the_article(live_server, page, demo_articles):
    page.goto(live_server + "/contact")
    suggestions = page.locator("#suggestions")
    expect(suggestions).to_be_hidden()
    page.locator("#subject").press_sequentially("password", delay=20)
    expect(suggestions.locator("a", has_text="Reset a forgotten password")).to_be_visible()
    assert suggestions.locator("li").count() <= 5
    page.fill("#subject", "zebra crossing")
    page.locator("#subject").dispatch_event("input")
    expect(suggestions).to_be_hidden()
    assert page.js_errors == []


def test_help_center_search_and_article(live_server, page, demo_articles):
    page.goto(live_server + "/")
    page.click("text=Account and sign-in")
    expect(page.locator("h1")).to_have_text("Account and sign-in")
    page.click("text=Reset a forgotten password")
    expect(page.locator(".help-body strong").first).to_have_text("Sign in")
    page.goto(live_server + "/help/search")
    page.locator("#help-search-q").press_sequentially("invoice", delay=20)
    expect(page.locator("#search-results")).to_contain_text("Download an invoice")
    expect(page).to_have_url(live_server + "/help/search?q=invoice")


def test_agent_writes_an_article_with_live_preview(live_server, page, demo_articles):
    sign_in(page, live_server, "ana@example.com")
    page.goto(live_server + "/agent/help/articles/new")
    page.fill("#title", "Export your data")
    page.locator("#body").press_sequentially("Open **Settings**", delay=10)
    expect(page.locator("#preview strong")).to_have_text("Settings")
    page.select_option("#status", "published")
    page.click("button:has-text('Save')")
    expect(page.locator(".flash-success")).to_contain_text("published")
    page.goto(live_server + "/help/articles/export-your-data")
    expect(page.locator("h1")).to_contain_text("Export your data")
