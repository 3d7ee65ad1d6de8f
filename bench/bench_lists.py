"""How fast the lists, search and a ticket page are at real sizes. Prints figures; asserts nothing.

    .venv/bin/python bench/bench_lists.py            # 200,000 tickets
    BENCH_TICKETS=1000000 .venv/bin/python bench/bench_lists.py

The database is built in a temporary folder with bulk inserts, then each operation runs through the service layer
(the same calls the pages and the API make) several times; the median is printed.
"""
import itertools
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from portal import create_app, search  # noqa: E402
from portal.cli import init_db  # noqa: E402
from portal.db import db  # noqa: E402
from portal.models import PRIORITY_RANK, Message, Ticket, User, utcnow  # noqa: E402
from portal.services import queue, tickets  # noqa: E402

# A vocabulary of 5,000 made-up words used with Zipf-like frequencies, as words are in real support mail: a few
# very common, most rare.
_SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "sa", "to", "vi", "ze", "po", "qu", "ba", "de", "fi", "gu"]
WORDS = sorted({a + b + c for a in _SYLLABLES for b in _SYLLABLES for c in _SYLLABLES})[:5000]
CUMULATIVE = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(WORDS))))


def words(rng, n):
    return " ".join(rng.choices(WORDS, cum_weights=CUMULATIVE, k=n))


def add_people(customers=2000, agents=20):
    """Bulk-insert customers and agents; returns (customer ids, agent ids)."""
    users = [{"email": f"c{i}@example.com", "name": f"Customer {i}", "role": "customer", "email_verified": True}
             for i in range(customers)]
    users += [{"email": f"agent{i}@example.com", "name": f"Agent {i}", "role": "agent"} for i in range(agents)]
    with db.atomic():
        for start in range(0, len(users), 500):
            User.insert_many(users[start:start + 500]).execute()
    customer_ids = [u.id for u in User.select(User.id).where(User.role == "customer")]
    agent_ids = [u.id for u in User.select(User.id).where(User.role == "agent")]
    return customer_ids, agent_ids


def build(count, rng):
    customer_ids, agent_ids = add_people()
    statuses = ["open", "in_progress", "waiting", "resolved", "closed"]
    now = utcnow()
    batch = 2000
    for start in range(0, count, batch):
        rows = []
        for n in range(start, min(start + batch, count)):
            at = now - timedelta(minutes=count - n)
            priority = rng.choice(list(PRIORITY_RANK))
            status = rng.choice(statuses)
            # Tickets still being worked have a promised time: those of the last days are mostly ahead, older ones
            # overdue, as on a desk that keeps up.
            due = at + timedelta(minutes=rng.randint(60, 48 * 60)) if status in ("open", "in_progress") else None
            rows.append({
                "subject": words(rng, 5),
                "status": status,
                "due_at": due,
                "priority": priority,
                "priority_rank": PRIORITY_RANK[priority],
                "customer": rng.choice(customer_ids),
                "assignee": rng.choice(agent_ids + [None] * 5),
                "created_at": at,
                "updated_at": at,
                "message_count": 1,
            })
        with db.atomic():
            first_id = Ticket.insert_many(rows).execute()
            # insert_many returns the last rowid on SQLite
            ids = range(first_id - len(rows) + 1, first_id + 1)
            messages = [{"ticket": tid, "kind": "reply", "body": words(rng, 30),
                         "body_html": "", "is_public": True, "created_at": r["created_at"]}
                        for tid, r in zip(ids, rows)]
            Message.insert_many(messages).execute()
            db.execute_sql(f"INSERT INTO ticket_fts(rowid, subject, replies, notes, scope) {search.TICKET_DOCUMENT} "
                           "WHERE t.id BETWEEN ? AND ?", (ids[0], ids[-1]))
    db.execute_sql("ANALYZE")
    return customer_ids, agent_ids


def measure(label, fn, runs=7):
    timings = []
    result = None
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        timings.append((time.perf_counter() - started) * 1000)
    print(f"{label:<48} median {statistics.median(timings):8.2f} ms   max {max(timings):8.2f} ms")
    return result


def main():
    count = int(os.environ.get("BENCH_TICKETS", "200000"))
    rng = random.Random(1)
    with tempfile.TemporaryDirectory() as folder:
        app = create_app({"INSTANCE_PATH": folder, "DATABASE_URL": f"sqlite:///{folder}/bench.db",
                          "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False})
        with app.app_context():
            init_db()
            started = time.perf_counter()
            customer_ids, agent_ids = build(count, rng)
            print(f"built {count:,} tickets in {time.perf_counter() - started:.1f} s")
            agent = User.get_by_id(agent_ids[0])
            customer = User.get_by_id(customer_ids[0])
            flt = tickets.TicketFilter
            measure("customer: my tickets, first page", lambda: tickets.list_tickets(customer, limit=25))
            measure("agent: all tickets, first page", lambda: tickets.list_tickets(agent, limit=25))
            page = tickets.list_tickets(agent, limit=25)
            measure("agent: all tickets, next page (cursor)",
                    lambda: tickets.list_tickets(agent, cursor=page.next_cursor, limit=25))
            measure("agent: open + unassigned",
                    lambda: tickets.list_tickets(agent, flt(statuses=["open"], assignee="none"), limit=25))
            measure("agent: my open, by priority",
                    lambda: tickets.list_tickets(agent, flt(statuses=["open", "in_progress"], assignee="me",
                                                            order_by="priority"), limit=25))
            for rank in (2000, 200, 20):
                word = WORDS[rank]
                hits = tickets.list_tickets(agent, flt(search=word), limit=25).total
                measure(f"agent: search a word of rank {rank} ({hits:,} tickets)",
                        lambda: tickets.list_tickets(agent, flt(search=word), limit=25))
            two = f"{WORDS[50]} {WORDS[300]}"
            measure("agent: search two words", lambda: tickets.list_tickets(agent, flt(search=two), limit=25))
            measure(f"customer: search '{WORDS[100]}'",
                    lambda: tickets.list_tickets(customer, flt(search=WORDS[100]), limit=25))
            ticket_id = count // 2
            measure("agent: one ticket with its thread",
                    lambda: tickets.thread(agent, tickets.get_ticket(agent, ticket_id)))
            measure("agent: queue side bar (all view counts)", lambda: queue.views(agent))
            for view in ("overdue", "due_soon"):
                _, view_filter = queue.queue_filter(agent, view=view)
                shown = queue.list_queue(agent, view_filter).total
                measure(f"agent: {view} view, first page ({shown:,} tickets)",
                        lambda: queue.list_queue(agent, view_filter))
            by_due = flt(statuses=["open", "in_progress"], order_by="due_at", order_dir="asc")
            measure("agent: open tickets by due time", lambda: tickets.list_tickets(agent, by_due, limit=25))


if __name__ == "__main__":
    main()
