"""Background jobs that are failing: written down so an admin sees them, never lost in a log file."""
from ..db import write
from ..models import JobFailure, utcnow
from .permissions import require_admin

SHOWN = 50


def record(task, detail, error):
    """Note one failure; the same job failing the same way again counts up on one row."""
    text = f"{type(error).__name__}: {error}"[:2000] if error is not None else ""
    with write():
        updated = (JobFailure.update(count=JobFailure.count + 1, error=text, at=utcnow())
                   .where(JobFailure.task == task[:80], JobFailure.detail == (detail or "")).execute())
        if not updated:
            JobFailure.create(task=task[:80], detail=detail or "", error=text)


def resolve(task):
    """A job that works again: its failure rows go."""
    with write():
        JobFailure.delete().where(JobFailure.task == task[:80]).execute()


def recent(actor):
    """The latest failures, newest first (admins). :raises PermissionDenied: for anyone else."""
    require_admin(actor)
    return list(JobFailure.select().order_by(JobFailure.at.desc(), JobFailure.id.desc()).limit(SHOWN))
