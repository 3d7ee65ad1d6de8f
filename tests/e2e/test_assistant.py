"""The assistant in a real browser: an agent asks for a draft and finds it in the reply box, unsent."""
import pytest
from playwright.sync_api import expect

from portal import create_app
from portal.cli import init_db
from portal.db import db
from portal.models import Ticket
from portal.services import tickets

from ..assist_server import assist_server
from ..conftest import test_config
from .conftest import sign_in


@pytest.fixture
def model():
    with assist_server() as server:
        yield server


@pytest.fixture
def live_app(tmp_path, model):
    """The live app, pointed at the stand-in model."""
    app = create_app(test_config(tmp_path, ASSIST_API_URL=model.url, ASSIST_TIMEOUT=3))
    with app.app_context():
        init_db()
    return app


def test_agent_drafts_a_reply_into_the_composer(live_server, live_app, page, make_account, model):
    make_account("agent", "ana@example.com", "Ana Agent")
    customer = make_account("customer", "carol@example.com", "Carol Customer")
    with live_app.app_context(), db.connection_context():
        ticket = tickets.create_ticket(customer, "Router keeps dropping", "Every hour, since Monday.")
    model.answers.append("Hello Carol, please restart the router and tell us if it still drops.")

    sign_in(page, live_server, "ana@example.com")
    page.goto(f"{live_server}/agent/tickets/{ticket.id}")
    expect(page.locator("#ws-suggestions")).to_contain_text("No solved ticket shares words")  # loaded lazily
    page.click("button:has-text('Draft a reply')")

    box = page.locator("#composer textarea[name=body]")
    expect(box).to_have_value("Hello Carol, please restart the router and tell us if it still drops.")
    expect(page.locator("#assistant [role=status]")).to_contain_text("The draft is in the reply box")
    expect(box).to_be_focused()
    assert "Every hour, since Monday." in model.prompt_text()

    # A failure shows in place and the page stays usable.
    model.status = 500
    page.click("button:has-text('Draft a reply')")
    expect(page.locator("#assistant [role=alert]")).to_contain_text("The assistant service answered 500.")
    expect(box).to_have_value("Hello Carol, please restart the router and tell us if it still drops.")
    assert page.js_errors == []
    with live_app.app_context(), db.connection_context():
        assert Ticket.get_by_id(ticket.id).message_count == 1  # nothing was sent
