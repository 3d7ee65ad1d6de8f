"""Live ticket counts for the queue's side bar.

On SQLite, triggers keep the queue_count table in step with every insert, update and delete of a ticket, inside the
same transaction, so counts cost a read of a few hundred rows however many tickets there are. Other databases count
with one GROUP BY.
"""
from peewee import fn

from .db import db, is_sqlite
from .models import QueueCount, Ticket

_KEY = "status, category_key, assignee_key, deleted"


def _values(row):
    return f"{row}.status, IFNULL({row}.category_id, 0), IFNULL({row}.assignee_id, 0), {row}.deleted_at IS NOT NULL"


def _add(row):
    return (
        f"INSERT INTO queue_count({_KEY}, n) VALUES ({_values(row)}, 1) "
        f"ON CONFLICT({_KEY}) DO UPDATE SET n = n + 1;"
    )


def _remove(row):
    return (
        f"UPDATE queue_count SET n = n - 1 WHERE status = {row}.status AND category_key = IFNULL({row}.category_id, 0) "
        f"AND assignee_key = IFNULL({row}.assignee_id, 0) AND deleted = ({row}.deleted_at IS NOT NULL);"
    )


TRIGGERS = {
    "queue_count_insert": f"AFTER INSERT ON ticket BEGIN {_add('NEW')} END",
    "queue_count_delete": f"AFTER DELETE ON ticket BEGIN {_remove('OLD')} END",
    "queue_count_update": (
        "AFTER UPDATE OF status, category_id, assignee_id, deleted_at ON ticket "
        "WHEN OLD.status IS NOT NEW.status OR OLD.category_id IS NOT NEW.category_id "
        "OR OLD.assignee_id IS NOT NEW.assignee_id OR (OLD.deleted_at IS NULL) <> (NEW.deleted_at IS NULL) "
        f"BEGIN {_remove('OLD')} {_add('NEW')} END"
    ),
}


def install():
    """Create the triggers, and fill the table from the tickets when it is new (an existing database)."""
    if not is_sqlite():
        return
    for name, body in TRIGGERS.items():
        db.execute_sql(f"CREATE TRIGGER IF NOT EXISTS {name} {body}")
    if not QueueCount.select().exists() and Ticket.select().exists():
        rebuild()


def rebuild():
    """Recount every ticket into queue_count (after a bulk import that bypassed the triggers, say)."""
    with db.atomic():
        db.execute_sql("DELETE FROM queue_count")
        db.execute_sql(
            f"INSERT INTO queue_count({_KEY}, n) SELECT {_values('ticket')}, COUNT(*) FROM ticket "
            "GROUP BY 1, 2, 3, 4"
        )


def live_counts():
    """(status, category id or None, assignee id or None, count) for every group of tickets not in the trash."""
    if is_sqlite():
        rows = (
            QueueCount.select(QueueCount.status, QueueCount.category_key, QueueCount.assignee_key, QueueCount.n)
            .where(QueueCount.deleted == False, QueueCount.n > 0)  # noqa: E712
            .tuples()
        )
        return [(status, category or None, assignee or None, n) for status, category, assignee, n in rows]
    rows = (
        Ticket.select(Ticket.status, Ticket.category, Ticket.assignee, fn.COUNT(Ticket.id))
        .where(Ticket.deleted_at.is_null())
        .group_by(Ticket.status, Ticket.category, Ticket.assignee)
        .tuples()
    )
    return list(rows)



