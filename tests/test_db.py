"""The database settings the product relies on: WAL, foreign keys, a busy timeout, and writers that queue."""
import threading

import pytest

from portal.db import db
from portal.models import Ticket
from portal.services import tickets

from .conftest import make_user


def test_sqlite_pragmas(app):
    assert db.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute_sql("PRAGMA busy_timeout").fetchone()[0] >= 5000


def test_init_db_is_idempotent(app):
    from portal.cli import init_db
    from portal.models import Category

    init_db()
    init_db()
    assert Category.select().count() == 6


def test_concurrent_writers_wait_instead_of_failing(app):
    customers = [make_user() for _ in range(4)]
    errors = []

    def file_many(customer):
        try:
            with app.app_context():
                for i in range(10):
                    ticket = tickets.create_ticket(customer, f"Parallel {i}", "Body")
                    tickets.reply(customer, ticket.id, "More")
        except Exception as exc:  # the assertion below reports it
            errors.append(exc)
        finally:
            db.close()

    threads = [threading.Thread(target=file_many, args=(c,)) for c in customers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert Ticket.select().count() == 40
    assert all(t.message_count == 2 for t in Ticket.select())


def test_a_failed_write_leaves_nothing_behind(app, monkeypatch):
    customer = make_user()

    def explode(*args, **kwargs):
        raise RuntimeError("disk unplugged")

    monkeypatch.setattr("portal.search.index_ticket", explode)
    with pytest.raises(RuntimeError):
        tickets.create_ticket(customer, "Half-written", "Body")
    assert Ticket.select().count() == 0
