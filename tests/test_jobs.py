"""The job queue: mail waits in it (never in the page), retries with backoff, a real worker process delivers it,
Redis takes the queue and the rate limits when REDIS_URL is set."""
import datetime
import io
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from portal import create_app, jobs
from portal.cli import init_db
from portal.db import db
from portal.models import Attachment, OutgoingMail
from portal.services import attachments, mail, tickets

from .conftest import PASSWORD, csrf_from, make_user, open_app, test_config
from .servers import free_port, redis_url  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def queued_app(tmp_path):
    """An app whose jobs wait in a real SQLite queue (no worker runs unless a test starts one)."""
    with open_app(tmp_path, JOBS_IMMEDIATE=False) as app:
        yield app
    jobs.huey.storage.flush_all()


def run_due_jobs(now=None):
    """Do what a worker does: run the scheduled jobs due by `now` (a moment in the future stands for time going by),
    then every queued one; a job queued for later goes to the schedule."""
    huey = jobs.huey
    for task in huey.read_schedule(now or later()):
        huey.execute(task, timestamp=now)
    while (task := huey.dequeue()) is not None:
        huey.execute(task)


def reply_on_a_new_ticket(text):
    """A customer's ticket and an agent's public reply to it (which mails the customer); returns the customer."""
    customer, agent = make_user("customer"), make_user("agent")
    ticket = tickets.create_ticket(customer, "Printer jam", "It jams")
    tickets.reply(agent, ticket.id, text)
    return customer


def later(**delta):
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) + datetime.timedelta(**delta)


def test_mail_waits_in_the_queue_instead_of_the_request(queued_app):
    client = queued_app.test_client()
    customer = make_user("customer")
    agent = make_user("agent")
    ticket = tickets.create_ticket(customer, "Printer jam", "It jams")
    client.post("/login", data={"email": agent.email, "password": PASSWORD,
                                "csrf_token": csrf_from(client.get("/login").get_data(as_text=True))})
    page = client.get(f"/agent/tickets/{ticket.id}").get_data(as_text=True)
    response = client.post(f"/agent/tickets/{ticket.id}/reply",
                           data={"kind": "reply", "body": "Pull the tray", "csrf_token": csrf_from(page)})
    assert response.status_code == 303
    assert mail.sent_messages() == [] and jobs.huey.pending_count() == 1
    run_due_jobs()
    (sent,) = mail.sent_messages()
    assert sent["To"] == customer.email and "Pull the tray" in sent.get_content()


def time_passes(**delta):
    """Move every stored message's due time back by `delta`, as if that much time had gone by."""
    for row in OutgoingMail.select():
        OutgoingMail.update(next_attempt_at=row.next_attempt_at - datetime.timedelta(**delta)).where(
            OutgoingMail.id == row.id).execute()
    return later(**delta)


def test_a_mail_server_that_is_down_delays_mail_and_loses_none(queued_app):
    queued_app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())  # nothing listens there
    reply_on_a_new_ticket("Pull the tray")  # the service returns at once: the mail is only queued
    run_due_jobs()
    (row,) = OutgoingMail.select()
    assert row.attempts == 1 and row.sent_at is None and "Connection refused" in row.last_error
    assert jobs.huey.scheduled_count() == 1 and jobs.huey.pending_count() == 0  # waits for its next try

    run_due_jobs(now=later(seconds=25))
    assert jobs.huey.scheduled_count() == 1  # not before its time

    queued_app.config["MAIL_SERVER"] = None  # the server is back (here: the outbox)
    run_due_jobs(now=time_passes(seconds=31))
    (sent,) = mail.sent_messages()
    assert "Pull the tray" in sent.get_content() and jobs.huey.scheduled_count() == 0
    assert OutgoingMail.get().sent_at is not None


def test_tries_back_off_then_an_admin_sees_the_mail_and_sends_it_again(queued_app):
    queued_app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())
    customer = reply_on_a_new_ticket("Pull the tray")
    waits = []
    for attempt in range(mail.MAX_ATTEMPTS):
        run_due_jobs(now=time_passes(days=3))
        row = OutgoingMail.get()
        if row.failed_at is None:
            waits.append(round((row.next_attempt_at - later()).total_seconds() / 10) * 10)
    assert waits[:4] == [30, 60, 120, 240]
    assert row.attempts == mail.MAX_ATTEMPTS and row.failed_at is not None and jobs.huey.scheduled_count() == 0
    assert mail.sent_messages() == []

    admin = make_user("admin")
    (failed,) = mail.failed_mail(admin)
    assert failed.recipients == customer.email and "Connection refused" in failed.last_error
    queued_app.config["MAIL_SERVER"] = None
    mail.send_again(admin, failed.id)
    run_due_jobs()
    assert "Pull the tray" in mail.sent_messages()[0].get_content()


def test_mail_whose_job_was_lost_is_sent_by_the_sweep(queued_app):
    reply_on_a_new_ticket("Pull the tray")
    jobs.huey.dequeue()  # a worker took the job and died before it ran
    assert jobs.huey.pending_count() == 0 and OutgoingMail.get().sent_at is None
    jobs.resume_mail.call_local()
    run_due_jobs()
    assert len(mail.sent_messages()) == 1


def test_a_claim_of_a_dead_worker_expires_and_nothing_is_sent_twice(queued_app):
    reply_on_a_new_ticket("Pull the tray")
    (row,) = OutgoingMail.select()
    # A worker claimed the message and died while sending it.
    OutgoingMail.update(attempts=1, next_attempt_at=later() + mail.CLAIM).execute()
    run_due_jobs()  # the queued job finds the message claimed and leaves it
    jobs.resume_mail.call_local()
    assert mail.sent_messages() == [] and jobs.huey.pending_count() == 0
    time_passes(minutes=11)
    jobs.resume_mail.call_local()
    run_due_jobs()
    assert len(mail.sent_messages()) == 1
    assert mail.deliver(row.id) is None and len(mail.sent_messages()) == 1  # a second delivery sends nothing


def test_a_real_worker_process_delivers_a_notification(tmp_path):
    """Start `flask worker` against a temporary queue; a reply made here reaches the outbox through it."""
    config = test_config(tmp_path, JOBS_IMMEDIATE=False, SERVER_NAME="localhost")
    app = create_app(config)
    env = {**os.environ, "INSTANCE_PATH": str(tmp_path), "DATABASE_URL": config["DATABASE_URL"],
           "SECRET_KEY": config["SECRET_KEY"], "FLASK_APP": "app", "JOBS_IMMEDIATE": "false"}
    env.pop("REDIS_URL", None)
    with app.app_context():
        init_db()
        db.connect(reuse_if_open=True)
        customer = make_user("customer")
        agent = make_user("agent")
        ticket = tickets.create_ticket(customer, "Printer jam", "It jams")
        worker = subprocess.Popen([sys.executable, "-m", "flask", "worker", "--workers", "1"], cwd=ROOT, env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            tickets.reply(agent, ticket.id, "Delivered by the worker")
            deadline = time.monotonic() + 30
            while not mail.sent_messages() and time.monotonic() < deadline and worker.poll() is None:
                time.sleep(0.2)
            sent = mail.sent_messages()
        finally:
            worker.terminate()
            output = worker.communicate(timeout=15)[0].decode(errors="replace")
            db.close()
        assert sent, f"the worker delivered nothing; it said:\n{output}"
        assert sent[0]["To"] == customer.email and "Delivered by the worker" in sent[0].get_content()
        assert jobs.huey.pending_count() == 0
    jobs.huey.storage.flush_all()


def test_uploads_are_swept_by_a_daily_periodic_task(app, customer):
    upload = attachments.upload(customer, io.BytesIO(b"left behind"), "old.txt", "text/plain")
    Attachment.update(created_at=later(days=-2)).where(Attachment.id == upload.id).execute()
    daily = jobs.sweep_uploads.task_class().validate_datetime
    assert daily(datetime.datetime(2026, 12, 3, 3, 17)) and not daily(datetime.datetime(2026, 12, 3, 4, 17))
    jobs.sweep_uploads.call_local()
    assert Attachment.get_or_none(Attachment.id == upload.id) is None


def test_redis_holds_the_queue_and_the_rate_limits(tmp_path, redis_url):  # noqa: F811
    app = create_app(test_config(tmp_path, JOBS_IMMEDIATE=False, REDIS_URL=redis_url, RATELIMIT_ENABLED=True,
                                 RATELIMIT_STORAGE_URI=redis_url))
    assert app.config["RATELIMIT_STORAGE_URI"] == redis_url
    with app.app_context():
        init_db()
        db.connect(reuse_if_open=True)
        reply_on_a_new_ticket("Through Redis")
        assert type(jobs.huey.storage).__name__ == "RedisStorage" and jobs.huey.pending_count() == 1
        run_due_jobs()
        assert "Through Redis" in mail.sent_messages()[0].get_content()
        db.close()
    # Two app instances (two processes in production) share one count in Redis.
    other = create_app(test_config(tmp_path, JOBS_IMMEDIATE=False, REDIS_URL=redis_url, RATELIMIT_ENABLED=True,
                                   RATELIMIT_STORAGE_URI=redis_url))
    contact = {"name": "Nina", "email": "nina@example.org", "category": "general", "subject": "Hello", "body": "Hi"}
    statuses = []
    for index in range(6):  # the contact form allows 5 a minute
        with (app if index % 2 else other).app_context():
            client = (app if index % 2 else other).test_client()
            statuses.append(client.post("/api/v1/contact", json=contact).status_code)
    assert statuses == [201] * 5 + [429]
