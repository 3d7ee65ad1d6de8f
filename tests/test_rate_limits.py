"""Sign-in and the public forms slow down guessers and floods (RATELIMIT_ENABLED on, as in production)."""
import pytest

from portal import create_app
from portal.cli import init_db
from portal.models import Ticket

from .conftest import csrf_from, test_config


@pytest.fixture
def limited_app(tmp_path):
    app = create_app(test_config(tmp_path, RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://"))
    with app.app_context():
        init_db()
    return app


def test_login_is_rate_limited(limited_app):
    client = limited_app.test_client()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    # A different address each time: this is the per-IP limit, not the per-account throttle (test_sign_in_throttle).
    codes = [client.post("/login", data={"email": f"who{i}@example.com", "password": f"guess-{i}",
                                         "csrf_token": token},
                         environ_base={"REMOTE_ADDR": "203.0.113.7"}).status_code for i in range(12)]
    assert codes[:10] == [422] * 10
    assert codes[10:] == [429, 429]
    page = client.post("/login", data={"email": "who@example.com", "password": "x", "csrf_token": token},
                       environ_base={"REMOTE_ADDR": "203.0.113.7"})
    assert "Too many attempts" in page.get_data(as_text=True)
    # Someone else, from another address, can still sign in.
    other = client.post("/login", data={"email": "who@example.com", "password": "x", "csrf_token": token},
                        environ_base={"REMOTE_ADDR": "203.0.113.8"})
    assert other.status_code == 422


def test_contact_form_is_rate_limited(limited_app):
    client = limited_app.test_client()
    token = csrf_from(client.get("/contact").get_data(as_text=True))
    codes = []
    for i in range(6):
        codes.append(client.post("/contact", data={"name": "Flood Bot", "email": f"bot{i}@example.com",
                                                   "subject": f"Spam {i}", "body": "Buy now", "csrf_token": token},
                                 environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code)
    assert codes == [303] * 5 + [429]
    with limited_app.app_context():
        assert Ticket.select().count() == 5
