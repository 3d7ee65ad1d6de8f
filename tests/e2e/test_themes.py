"""Light, dark and system themes in the browser: an agent's choice on the account page, a guest's device setting."""
from playwright.sync_api import expect

from .conftest import click_through, sign_in

DARK_BG = "rgb(15, 19, 28)"
LIGHT_BG = "rgb(246, 247, 249)"


def background(page):
    return page.evaluate("getComputedStyle(document.body).backgroundColor")


def test_an_agent_switches_to_dark_and_back(live_server, page, make_account):
    make_account("agent", "ana@example.com", "Ana Agent")
    sign_in(page, live_server, "ana@example.com")
    assert background(page) == LIGHT_BG  # the browser asks for light; "system" follows it

    page.goto(live_server + "/account/security")
    page.check("input[name=theme][value=dark]")
    click_through(page, "button:has-text('Save theme')")
    expect(page.locator(".flash-success")).to_have_text("Theme saved.")
    expect(page.locator("input[name=theme][value=dark]")).to_be_checked()

    page.goto(live_server + "/agent")
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    assert background(page) == DARK_BG
    # Text and surfaces follow: light text on the dark page, a dark table.
    assert page.evaluate("getComputedStyle(document.body).color") == "rgb(228, 231, 239)"
    assert page.evaluate("getComputedStyle(document.querySelector('.qf')).backgroundColor") == "rgb(23, 28, 39)"

    page.goto(live_server + "/account/security")
    page.check("input[name=theme][value=light]")
    click_through(page, "button:has-text('Save theme')")
    page.goto(live_server + "/agent")
    assert page.evaluate("document.documentElement.dataset.theme") == "light"
    assert background(page) == LIGHT_BG
    assert page.js_errors == []


def test_a_guest_follows_the_device_setting(live_server, browser):
    for scheme, expected in (("dark", DARK_BG), ("light", LIGHT_BG)):
        context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme=scheme)
        try:
            page = context.new_page()
            page.goto(live_server + "/contact")
            assert page.evaluate("document.documentElement.dataset.theme") == "system"
            assert background(page) == expected
            field = page.evaluate("getComputedStyle(document.querySelector('#subject')).backgroundColor")
            assert (field == "rgb(17, 21, 30)") == (scheme == "dark")
        finally:
            context.close()


def test_an_explicit_light_choice_wins_over_a_dark_device(live_server, browser, make_account):
    make_account("customer", "cara@example.com", "Cara Customer")
    context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme="dark")
    try:
        page = context.new_page()
        sign_in(page, live_server, "cara@example.com")
        assert background(page) == DARK_BG
        page.goto(live_server + "/account/security")
        page.check("input[name=theme][value=light]")
        click_through(page, "button:has-text('Save theme')")
        page.goto(live_server + "/tickets")
        assert background(page) == LIGHT_BG
    finally:
        context.close()
