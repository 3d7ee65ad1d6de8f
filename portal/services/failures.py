"""Background jobs that failed for good: written down so an admin sees them, never lost in a log file."""
from ..db import write
from ..models import JobFailure
from .permissions import require_admin

SHOWN = 50


def record(task, detail, error):
    """Remember one job whose retries are spent."""
    with write():
        return JobFailure.create(task=task[:80], detail=detail or "", error=f"{type(error).__name__}: {error}"[:2000]
                                 if error is not None else "")


def recent(actor):
    """The latest failed jobs, newest first (admins). :raises PermissionDenied: for anyone else."""
    require_admin(actor)
    return list(JobFailure.select().order_by(JobFailure.at.desc(), JobFailure.id.desc()).limit(SHOWN))
