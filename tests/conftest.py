"""Plain fixtures: a fresh database file per test, a client, sign-in helpers and a few people."""
import re
from contextlib import contextmanager

import pytest
from flask import g

from portal import create_app
from portal.cli import init_db
from portal.db import db
from portal.services import accounts

PASSWORD = "correct-horse-battery"


def test_config(folder, **overrides):
    """An app of its own in `folder`: database file, uploads and outbox; rate limits off."""
    return {
        "TESTING": True,
        "INSTANCE_PATH": str(folder),
        "DATABASE_URL": "sqlite:///" + str(folder / "test.db"),
        "UPLOAD_FOLDER": str(folder / "uploads"),
        "SECRET_KEY": "test-secret",
        "RATELIMIT_ENABLED": False,
        "JOBS_IMMEDIATE": True,
        # Tests fill the contact form in no time; tests/test_spam.py turns the minimum fill time back on.
        "CONTACT_MIN_FILL_SECONDS": 0,
        **overrides,
    }


test_config.__test__ = False  # a helper, not a test


@contextmanager
def open_app(folder, **overrides):
    """An app on a fresh database in `folder`, its context held open for the whole test."""
    app = create_app(test_config(folder, SERVER_NAME="localhost", **overrides))
    # The test keeps one app context open so services can run between requests; give each request a fresh `g`
    # as a real server would (flask-login and flask-wtf cache the user and CSRF token there).
    app.before_request_funcs.setdefault(None, []).insert(0, lambda: g.__dict__.clear())
    with app.app_context():
        init_db()
        db.connect(reuse_if_open=True)
        yield app
        if not db.is_closed():
            db.close()


@pytest.fixture
def app(tmp_path):
    with open_app(tmp_path) as app:
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


def make_user(role="customer", email=None, name=None, verified=True):
    make_user.counter += 1
    n = make_user.counter
    return accounts.create_user(
        email or f"{role}{n}@example.com", name or f"{role.capitalize()} {n}", role, PASSWORD, verified=verified
    )


make_user.counter = 0


@pytest.fixture
def customer(app):
    return make_user("customer", "cara@example.com", "Cara Customer")


@pytest.fixture
def other_customer(app):
    return make_user("customer", "otto@example.com", "Otto Other")


@pytest.fixture
def agent(app):
    return make_user("agent", "ana@example.com", "Ana Agent")


@pytest.fixture
def admin(app):
    return make_user("admin", "adam@example.com", "Adam Admin")


def csrf_from(html):
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf-token" content="([^"]+)"', html
    )
    assert match, "no CSRF token on the page"
    return match.group(1)


class Auth:
    """Sign a test client in and out through the real login form."""

    def __init__(self, client):
        self.client = client

    def login(self, email, password=PASSWORD):
        page = self.client.get("/login")
        token = csrf_from(page.get_data(as_text=True))
        return self.client.post("/login", data={"email": email, "password": password, "csrf_token": token})

    def csrf(self, path="/"):
        return csrf_from(self.client.get(path).get_data(as_text=True))


@pytest.fixture
def auth(client):
    return Auth(client)


class QueryCounter:
    """Counts the SQL statements run inside a `with` block."""

    def __init__(self):
        self.count = 0

    def __enter__(self):
        database = db.obj
        self._original = database.execute_sql

        def counting(sql, params=None, *args, **kwargs):
            self.count += 1
            return self._original(sql, params, *args, **kwargs)

        database.execute_sql = counting
        return self

    def __exit__(self, *exc):
        db.obj.execute_sql = self._original


@pytest.fixture
def count_queries():
    return QueryCounter
