"""Browser tests: the real app served from a thread, driven by Playwright in Debian's chromium."""
import threading

import pytest
from werkzeug.serving import make_server

from portal import create_app
from portal.cli import init_db
from portal.db import db
from portal.services import accounts

from ..conftest import PASSWORD, test_config

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@pytest.fixture
def live_app(tmp_path):
    app = create_app(test_config(tmp_path))
    with app.app_context():
        init_db()
    return app


@pytest.fixture
def live_server(live_app):
    """The app on a free port of 127.0.0.1; yields its base URL."""
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture
def make_account(live_app):
    """Create a user in the live app's database: make_account(role, email, name)."""

    def make(role, email, name):
        with live_app.app_context():
            with db.connection_context():
                return accounts.create_user(email, name, role, PASSWORD, verified=True)

    return make


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.js_errors = errors
    yield page
    context.close()


def sign_in(page, base, email, password=PASSWORD):
    page.goto(base + "/login")
    page.fill("#email", email)
    page.fill("#password", password)
    click_through(page, "button:has-text('Sign in')")


def click_through(page, selector):
    """Click something that loads a new page and wait until it has loaded (and htmx has bound to it)."""
    with page.expect_navigation():
        page.click(selector)
