"""The job queue: the huey instance, every background task and the periodic-task table.

Storage is a SQLite file in the instance folder, or Redis when REDIS_URL is set; tests run jobs in huey's immediate
mode (JOBS_IMMEDIATE). A task body is a thin call into a service, inside an app context of its own.
"""
import functools
import logging
import os
from contextlib import nullcontext

from flask import current_app, has_app_context
from huey import Huey, crontab
from huey.signals import SIGNAL_ERROR
from huey.storage import RedisStorage, SqliteStorage

log = logging.getLogger(__name__)

# Configured by init_app(); until then (and in tests) jobs run at once, in memory.
huey = Huey("support-desk", results=False, immediate=True)
_apps = []

MAIL_RETRIES = 12  # with the backoff below: retried for about two days before it counts as failed
MAIL_RETRY_DELAY = 30  # seconds, doubled after every failure


def storage_settings(config):
    """Which storage the queue uses for this configuration: (class, keyword arguments)."""
    if config.get("REDIS_URL"):
        return RedisStorage, {"url": config["REDIS_URL"]}
    return SqliteStorage, {"filename": config["JOBS_DATABASE"]}


def init_app(app):
    """Point the queue at this app's storage; remember the app so the worker can give tasks a context."""
    _apps[:] = [app]
    huey.storage_class, huey.storage_kwargs = storage_settings(app.config)
    huey._immediate = bool(app.config.get("JOBS_IMMEDIATE"))
    huey.storage = huey.create_storage()


def _context():
    # Inside a request or a test (immediate mode) the caller's context serves; the worker pushes one per task.
    return nullcontext() if has_app_context() else _apps[0].app_context()


def job(*decorator_args, **options):
    """A huey task whose body runs inside an app context with a database connection."""

    def decorate(func):
        @functools.wraps(func)
        def run(*args, **kwargs):
            with _context():
                from .db import db

                db.connect(reuse_if_open=True)
                return func(*args, **kwargs)

        return huey.task(**options)(run) if not decorator_args else huey.periodic_task(*decorator_args, **options)(run)

    return decorate


@huey.signal(SIGNAL_ERROR)
def _record_final_failure(signal, task, exc=None):
    """A job whose retries are spent is written down where admins look, never dropped in silence."""
    if task.retries:
        return
    with _context():
        from .db import db
        from .services import failures

        db.connect(reuse_if_open=True)
        failures.record(task.name, _summary(task.args), exc)


def _summary(args):
    parts = [f"<{len(a):,} bytes>" if isinstance(a, bytes) else repr(a)[:300] for a in args or ()]
    return ", ".join(parts)


# --------------------------------------------------------------------------------------------------------- the jobs
# Task bodies import their module when they run: services enqueue these jobs, so this module cannot import them first.


@job(retries=MAIL_RETRIES, retry_delay=MAIL_RETRY_DELAY, retry_backoff=2, context=True)
def deliver_mail(raw, sender, recipients, task=None):
    """Hand one composed message to the mail server (or the outbox); a failure raises, and huey retries."""
    from .mail import outgoing

    try:
        outgoing.deliver(raw, sender, recipients)
    except Exception:
        if task is not None and not task.retries:
            outgoing.keep_undelivered(raw)  # the last try: the message stays on disk for an admin to resend
        raise


@job(crontab(minute="*"))
def poll_mailbox():
    """Fetch new mail from the IMAP mailbox every minute, when one is configured."""
    if not current_app.config.get("IMAP_URL"):
        return
    from .mail import imap

    # Every worker runs the periodic tasks; the lock (in the shared queue storage) lets one poll at a time.
    with huey.lock_task("poll-mailbox"):
        entries = imap.poll(current_app.config["IMAP_URL"])
    if entries:
        log.info("mailbox: %d message(s) taken in", len(entries))


@job(crontab(minute="17", hour="3"))
def sweep_uploads():
    """Delete uploads that were never attached to a message, once a day."""
    from .services import attachments

    removed = attachments.sweep_stale(attachments.STALE_AFTER)
    log.info("swept %d unattached uploads", removed)


def run_worker(workers=2):
    """Run the consumer with the periodic tasks until interrupted (the `worker` command)."""
    if huey.immediate:
        raise RuntimeError("JOBS_IMMEDIATE is set: jobs run inside the requests, there is nothing for a worker to do.")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    consumer = huey.create_consumer(workers=workers, periodic=True, check_worker_health=True)
    log.info("worker started (pid %d), queue: %s", os.getpid(), huey.storage_class.__name__)
    consumer.run()
