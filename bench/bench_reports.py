"""How fast the reports are at real sizes, over HTTP through gunicorn, like a real desk. Prints figures; asserts nothing.

    .venv/bin/python bench/bench_reports.py            # 200,000 tickets
    BENCH_TICKETS=1000000 .venv/bin/python bench/bench_reports.py
    BENCH_DATABASE_URL=postgresql://user@host/empty_db .venv/bin/python bench/bench_reports.py

The database is built in a temporary folder with bulk inserts: two years of tickets with first responses,
resolutions, closings without a resolution, SLA policies (some breached, some overdue), ratings and a few in the
trash, so every figure of the report has work to do. Then a gunicorn with two workers serves it; the page, its htmx
fragment, CSV downloads and the API summary are fetched over HTTP several times each (after a few warm-up requests),
for several ranges and filters, and the median, p90 and max are printed. The report's own service call is timed in-process as well.
"""
import http.cookiejar
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from datetime import timedelta

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, ROOT)

from portal import create_app  # noqa: E402
from portal.cli import init_db  # noqa: E402
from portal.db import db  # noqa: E402
from portal.models import PRIORITY_RANK, Category, Rating, SlaPolicy, Ticket, utcnow  # noqa: E402
from portal.services import accounts, reports  # noqa: E402
from bench_lists import add_people  # noqa: E402 (the script's own folder is on the path)

PASSWORD = "bench-password"
DAYS_OF_HISTORY = 730
RUNS = 15
WARM_UP = 3


def build(count, rng):
    """Customers, agents, two SLA policies and `count` tickets spread over two years, with ratings."""
    customer_ids, agent_ids = add_people()
    category_ids = [c.id for c in Category.select(Category.id)]
    policies = [SlaPolicy.create(name="Standard", first_response_minutes=240, resolution_minutes=2880).id,
                SlaPolicy.create(name="Urgent", priorities="urgent", first_response_minutes=30,
                                 resolution_minutes=480, position=1).id]
    now = utcnow()
    span = timedelta(days=DAYS_OF_HISTORY).total_seconds()
    batch = 2000
    for start in range(0, count, batch):
        rows, ratings = [], []
        for n in range(start, min(start + batch, count)):
            created = now - timedelta(seconds=span * (count - n) / count)
            age_hours = (now - created).total_seconds() / 3600
            priority = rng.choice(list(PRIORITY_RANK))
            # Old tickets are done; recent ones are still being worked.
            if age_hours > 24 * 10 or rng.random() < 0.5:
                status = rng.choices(["closed", "resolved"], [3, 1])[0]
            else:
                status = rng.choice(["open", "in_progress", "waiting", "resolved"])
            first_response = created + timedelta(minutes=rng.lognormvariate(4.5, 1.2))
            resolved = closed = None
            if status in ("resolved", "closed"):
                done = created + timedelta(minutes=rng.lognormvariate(7.5, 1.3))
                done = min(done, now)
                first_response = min(first_response, done)
                if status == "closed" and rng.random() < 0.1:
                    closed = done  # closed without ever being resolved
                else:
                    resolved = done
                    closed = done + timedelta(days=3) if status == "closed" else None
            if first_response > now or (status == "open" and rng.random() < 0.3):
                first_response = None
            policy = rng.choice(policies + [None])
            breached = None
            due = None
            if policy is not None:
                if rng.random() < 0.15:
                    breached = created + timedelta(hours=5)
                if status in ("open", "in_progress"):
                    due = created + timedelta(hours=rng.choice([4, 48, 400]))
            rows.append({
                "subject": f"Bench ticket {n}",
                "status": status,
                "priority": priority,
                "priority_rank": PRIORITY_RANK[priority],
                "category": rng.choice(category_ids + [None]),
                "customer": rng.choice(customer_ids),
                "assignee": rng.choice(agent_ids + [None] * 3),
                "created_at": created,
                "updated_at": closed or resolved or first_response or created,
                "first_response_at": first_response,
                "resolved_at": resolved,
                "closed_at": closed,
                "message_count": 2,
                "sla_policy": policy,
                "due_at": due,
                "sla_breached_at": breached,
                "deleted_at": now if rng.random() < 0.002 else None,
            })
        with db.atomic():
            ids = [row[0] for row in Ticket.insert_many(rows).returning(Ticket.id).tuples().execute()]
            for ticket_id, row in zip(ids, rows):
                solved_at = row["resolved_at"] or row["closed_at"]
                if solved_at is not None and rng.random() < 0.3:
                    ratings.append({"ticket": ticket_id, "score": rng.choices(["good", "bad"], [4, 1])[0],
                                    "comment": "", "rated_at": min(solved_at + timedelta(hours=2), now)})
            if ratings:
                Rating.insert_many(ratings).execute()
    db.execute_sql("ANALYZE")
    return agent_ids, category_ids


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(env, port, log):
    command = [os.path.join(os.path.dirname(sys.executable), "gunicorn"), "--workers", "2",
               "--bind", f"127.0.0.1:{port}", "app:app"]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("gunicorn stopped; see its log")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=1).read()
            return process
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer in 30 s")


def stop_gunicorn(process):
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


class Browser:
    """A signed-in staff member's session over plain HTTP (cookies kept)."""

    def __init__(self, base):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path, headers=None):
        request = urllib.request.Request(self.base + path, headers=headers or {})
        with self.opener.open(request, timeout=60) as response:
            return response.status, response.read()

    def sign_in(self, email):
        _, page = self.get("/login")
        token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1).decode()
        data = urllib.parse.urlencode({"email": email, "password": PASSWORD, "csrf_token": token}).encode()
        self.opener.open(urllib.request.Request(self.base + "/login", data=data), timeout=30).read()


def measure(label, fetch, runs=RUNS):
    for _ in range(WARM_UP):  # both workers' first requests, and the operating system's file cache
        status, body = fetch()
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        status, body = fetch()
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    p90 = timings[max(0, round(0.9 * len(timings)) - 1)]
    print(f"{label:<58} {status}  median {statistics.median(timings):7.1f} ms   p90 {p90:7.1f} ms   "
          f"max {max(timings):7.1f} ms   {len(body) / 1024:6.1f} KB   ({runs} runs)")


def main():
    count = int(os.environ.get("BENCH_TICKETS", "200000"))
    rng = random.Random(1)
    with tempfile.TemporaryDirectory() as folder:
        url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{folder}/bench.db"
        settings = {"INSTANCE_PATH": folder, "DATABASE_URL": url, "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False}
        app = create_app(settings)
        with app.app_context():
            init_db()
            started = time.perf_counter()
            agent_ids, category_ids = build(count, rng)
            print(f"built {count:,} tickets ({Rating.select().count():,} ratings) in "
                  f"{time.perf_counter() - started:.1f} s on {url.split(':')[0]}")
            admin = accounts.create_user("bench-admin@example.com", "Bench Admin", "admin", PASSWORD, verified=True)
            _, token = accounts.create_token(admin, "bench")
            category = Category.get_by_id(category_ids[0]).slug
            flt = reports.report_filter(admin)
            report = reports.report(admin, flt)
            print(f"last 30 days: {report.created:,} created, {report.solved:,} solved, "
                  f"first response median {report.first_response_minutes.median} min, "
                  f"SLA {report.sla_attainment}, CSAT {report.csat.score}")
            for label, args, runs in (("30 days", {}, 7), ("366 days", {"from": str(flt.end - timedelta(days=365))}, 3)):
                timings = []
                for _ in range(runs):
                    began = time.perf_counter()
                    reports.report(admin, reports.report_filter(admin, args.get("from")))
                    timings.append((time.perf_counter() - began) * 1000)
                print(f"{'service call, ' + label:<58}      median {statistics.median(timings):7.1f} ms   ({runs} runs)")
            db.close()

        port = free_port()
        env = dict(os.environ, DATABASE_URL=url, INSTANCE_PATH=folder, SECRET_KEY="bench", RATELIMIT_ENABLED="false")
        with open(os.path.join(folder, "gunicorn.log"), "wb") as log:
            server = start_gunicorn(env, port, log)
            try:
                base = f"http://127.0.0.1:{port}"
                browser = Browser(base)
                browser.sign_in("bench-admin@example.com")
                api = {"Authorization": f"Bearer {token}"}
                htmx = {"HX-Request": "true", "HX-Current-URL": base + "/agent/reports"}
                year_ago = (flt.end - timedelta(days=365)).isoformat()
                quarter_ago = (flt.end - timedelta(days=89)).isoformat()
                cases = [
                    ("page, last 30 days", "/agent/reports", None, RUNS),
                    ("page, last 30 days, htmx fragment", "/agent/reports", htmx, RUNS),
                    ("page, last 30 days, one category", f"/agent/reports?category={category}", htmx, RUNS),
                    ("page, last 30 days, one agent", f"/agent/reports?assignee_id={agent_ids[0]}", htmx, RUNS),
                    ("CSV: per day, last 30 days", "/agent/reports/by_day.csv", None, RUNS),
                    ("CSV: per agent, last 30 days", "/agent/reports/agents.csv", None, RUNS),
                    ("API GET /reports/summary, last 30 days", "/api/v1/reports/summary", api, RUNS),
                    ("page, last 90 days", f"/agent/reports?from={quarter_ago}", None, 5),
                    ("page, last 366 days", f"/agent/reports?from={year_ago}", None, 3),
                    ("API GET /reports/summary, last 366 days", f"/api/v1/reports/summary?from={year_ago}", api, 3),
                ]
                print(f"over HTTP, gunicorn with 2 workers, after {WARM_UP} warm-up requests each:")
                for label, path, headers, runs in cases:
                    measure(label, lambda: browser.get(path, headers), runs)
            finally:
                stop_gunicorn(server)


if __name__ == "__main__":
    main()
