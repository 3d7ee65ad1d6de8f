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
from huey.api import PeriodicTask
from huey.signals import SIGNAL_ERROR
from huey.storage import RedisStorage, SqliteStorage

log = logging.getLogger(__name__)

# Configured by init_app(); until then (and in tests) jobs run at once, in memory.
huey = Huey("support-desk", results=False, immediate=True)
_apps = []


def storage_settings(config):
    """Which storage the queue uses for this configuration: (class, keyword arguments)."""
    if config.get("REDIS_URL"):
        return RedisStorage, {"url": config["REDIS_URL"]}
    return SqliteStorage, {"filename": config["JOBS_DATABASE"]}


def init_app(app):
    """Point the queue at this app's storage; remember the app so the worker can give tasks a context."""
    _apps[:] = [app]
    huey.storage_class, huey.storage_kwargs = storage_settings(app.config)
    # Set the flag directly and build the storage ourselves: huey's `immediate` setter rebuilds it only when the
    # flag changes, and a second app in the same process (tests) needs its own file even when the flag does not.
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
    """A job whose retries are spent is written down where admins look, never dropped in silence.

    Periodic jobs run again soon anyway: they report their own state (see poll_mailbox)."""
    if task.retries or isinstance(task, PeriodicTask):
        return
    with _context():
        from .db import db
        from .services import failures

        db.connect(reuse_if_open=True)
        failures.record(task.name, _summary(task.args), exc)


def _summary(args):
    return ", ".join(repr(a)[:300] for a in args or ())


# --------------------------------------------------------------------------------------------------------- the jobs
# Task bodies import their module when they run: services enqueue these jobs, so this module cannot import them first.


@job()
def deliver_mail(mail_id):
    """Send one stored message; after a failure, come back when its next try is due."""
    from .services import mail

    delay = mail.deliver(mail_id)
    if delay is not None:
        deliver_mail.schedule((mail_id,), delay=delay.total_seconds())


@job(crontab(minute="*/5"))
def resume_mail():
    """Hand out again the messages whose time has come but whose job was lost (a worker stopped or died)."""
    from .services import mail

    for mail_id in mail.due_mail():
        deliver_mail(mail_id)


@job(crontab(minute="*"))
def poll_mailbox():
    """Fetch new mail from the IMAP mailbox every minute, when one is configured."""
    if not current_app.config.get("IMAP_URL"):
        return
    from .mail import imap
    from .services import failures

    # Every worker runs the periodic tasks; the lock (in the shared queue storage) lets one poll at a time.
    with huey.lock_task("poll-mailbox"):
        try:
            entries = imap.poll(current_app.config["IMAP_URL"])
        except Exception as error:  # the mailbox is down or refuses us: admins see it until a poll works again
            failures.record("poll_mailbox", "the IMAP mailbox (IMAP_URL)", error)
            raise
    failures.resolve("poll_mailbox")
    if entries:
        log.info("mailbox: %d message(s) taken in", len(entries))


@job(crontab(minute="*"))
def watch_service_levels():
    """Every minute: mark tickets whose promised time just passed and tell their assignee (or the admins), once."""
    from .services import sla

    with huey.lock_task("watch-service-levels"):
        breached = sla.sweep_breaches()
    if breached:
        log.info("service levels: %d ticket(s) just missed a promised time", breached)


@job(crontab(minute="17", hour="3"))
def sweep_uploads():
    """Delete uploads that were never attached to a message, and long-delivered mail, once a day."""
    from .services import attachments, mail

    removed = attachments.sweep_stale(attachments.STALE_AFTER)
    forgotten = mail.forget_sent()
    log.info("swept %d unattached uploads and %d delivered messages", removed, forgotten)


@job(crontab(minute="*/10"))
def sweep_presence():
    """Forget who had which ticket open when their workspace went away without saying so (the database store)."""
    from .services import presence

    presence.sweep()


@job(crontab(minute="29", hour="3"))
def purge_trash():
    """Delete for good the tickets that have been in the trash longer than TRASH_RETENTION_DAYS, once a day."""
    from .services import privacy

    with huey.lock_task("purge-trash"):
        purged = privacy.purge_expired_trash()
    if purged:
        log.info("trash: %d ticket(s) past the retention period deleted for good", purged)


@job(crontab(minute="41", hour="3"))
def refresh_statistics():
    """Refresh the query planner's statistics once a day, so its index choices follow the data as it grows."""
    from .db import refresh_statistics as refresh

    with huey.lock_task("refresh-statistics"):
        refresh()


@job()
def deliver_webhook(delivery_id):
    """Make one attempt at a webhook delivery; after a failure, come back when its next try is due."""
    from .services import webhooks

    delay = webhooks.deliver(delivery_id)
    if delay is not None:
        deliver_webhook.schedule((delivery_id,), delay=delay.total_seconds())


@job(crontab(minute="*/5"))
def resume_webhooks():
    """Hand out again the webhook deliveries whose time has come but whose job was lost (a worker stopped or died)."""
    from .services import webhooks

    for delivery_id in webhooks.due_deliveries():
        deliver_webhook(delivery_id)


@job(crontab(minute="41", hour="3"))
def sweep_webhook_log():
    """Forget finished webhook deliveries older than 30 days, once a day."""
    from .services import webhooks

    log.info("forgot %d old webhook deliveries", webhooks.forget_old())


@job()
def answer_customer(ticket_id, message_id):
    """The assistant answers a customer's message on an assistant thread (or hands the ticket to a person)."""
    from .services import assistant

    assistant.answer_customer(ticket_id, message_id)


def run_worker(workers=2):
    """Run the consumer with the periodic tasks until interrupted (the `worker` command)."""
    if huey.immediate:
        raise RuntimeError("JOBS_IMMEDIATE is set: jobs run inside the requests, there is nothing for a worker to do.")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    consumer = huey.create_consumer(workers=workers, periodic=True, check_worker_health=True)
    log.info("worker started (pid %d), queue: %s", os.getpid(), huey.storage_class.__name__)
    consumer.run()
