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


def test_queue_counts_follow_every_kind_of_change(app):
    from portal import counts
    from portal.models import Ticket
    from portal.services import tickets as svc

    customer, agent, admin = make_user(), make_user("agent"), make_user("admin")

    def truth():
        rows = (Ticket.select(Ticket.status, Ticket.category, Ticket.assignee).where(Ticket.deleted_at.is_null()))
        tally = {}
        for t in rows:
            key = (t.status, t.category_id, t.assignee_id)
            tally[key] = tally.get(key, 0) + 1
        return tally

    def maintained():
        return {(s, c, a): n for s, c, a, n in counts.live_counts()}

    made = [svc.create_ticket(customer, f"Count me {i}", "Body", category="billing" if i % 2 else None)
            for i in range(6)]
    assert maintained() == truth()
    svc.update_ticket(agent, made[0].id, status="resolved", assignee_id=agent.id)
    svc.update_ticket(agent, made[1].id, category="technical")
    svc.update_ticket(agent, made[2].id, locked=True)
    svc.reply(customer, made[3].id, "reopen?")
    svc.close_ticket(customer, made[4].id)
    svc.delete_ticket(admin, made[5].id)
    assert maintained() == truth()
    svc.restore_ticket(admin, made[5].id)
    svc.delete_ticket(admin, made[1].id)
    svc.purge_ticket(admin, made[1].id)
    assert maintained() == truth()
    counts.rebuild()
    assert maintained() == truth()


def test_search_index_rebuilds_from_the_data(app):
    from portal import search
    from portal.services import tickets as svc

    customer = make_user()
    ticket = svc.create_ticket(customer, "Quarterly invoice", "Where is the zeppelin?")
    db.execute_sql("DELETE FROM ticket_fts")
    assert svc.list_tickets(customer, svc.TicketFilter(search="zeppelin")).total == 0
    search.rebuild()
    assert [t.id for t in svc.list_tickets(customer, svc.TicketFilter(search="zeppelin")).items] == [ticket.id]
    assert svc.list_tickets(customer, svc.TicketFilter(search="quarterly")).total == 1


def test_an_index_of_an_older_layout_is_rebuilt(app):
    from portal import search
    from portal.services import tickets as svc

    customer = make_user()
    ticket = svc.create_ticket(customer, "Quarterly invoice", "Where is the zeppelin?")
    db.execute_sql("DROP TABLE ticket_fts")
    db.execute_sql("CREATE VIRTUAL TABLE ticket_fts USING fts5(subject)")
    db.execute_sql("CREATE VIRTUAL TABLE message_fts USING fts5(body)")
    search.create_tables()
    assert not db.execute_sql("SELECT 1 FROM sqlite_master WHERE name = 'message_fts'").fetchone()
    assert svc.list_tickets(customer, svc.TicketFilter(search="zeppelin")).total == 1
    assert [t.id for t in svc.list_tickets(customer, svc.TicketFilter(search="quarterly")).items] == [ticket.id]
