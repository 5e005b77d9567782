"""Every change of state of a job: create and enqueue, progress, finish, fail.

Progress is one UPDATE of two integers, so a task may call ``job_progress`` every few hundred
items without slowing itself down; the page polls the row.
"""

import logging
import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import DEFAULT_DB_ALIAS, OperationalError, connection, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from jobs.models import Job

logger = logging.getLogger("jobs")

Status = Job.Status

# Above these sizes the work runs in the background; at or below them, at once in the request.
DEFAULT_THRESHOLDS = {
    "BILIM_BACKGROUND_CERTIFICATES": 50,
    "BILIM_BACKGROUND_EXPORT_ROWS": 20_000,
    "BILIM_BACKGROUND_IMPORT_ROWS": 2_000,
}


def threshold(name: str) -> int:
    """Return a background threshold: the setting if there is one, else the default."""
    return int(getattr(settings, name, DEFAULT_THRESHOLDS[name]))


def job_create(*, kind: str, user: Any, params: dict | None = None, total: int = 0) -> Job:
    """Record a queued job for the user; delete result files past their keeping time first."""
    job_results_prune()
    return Job.objects.create(kind=kind, created_by=user, params=params or {}, total=total)


def job_results_prune(*, days: int | None = None, now: Any = None) -> int:
    """Delete the result files of jobs finished more than ``days`` ago; return how many.

    Results are exports and certificates with people's names: they are kept for
    BILIM_JOB_RESULT_DAYS (so a person erased later does not stay in old files for ever). The
    job itself stays in the list, marked as having had its result deleted.
    """
    days = settings.BILIM_JOB_RESULT_DAYS if days is None else days
    cutoff = (now or timezone.now()) - timedelta(days=days)
    old = list(
        Job.objects.filter(finished_at__lt=cutoff).exclude(result="").only("result", "params")
    )
    for job in old:
        job.result.delete(save=False)
        job.params = {**job.params, "result_deleted": True}
        job.save(update_fields=["result", "params"])
    return len(old)


def job_enqueue(job: Job, task: Any) -> None:
    """Enqueue the task for the job once the current transaction commits.

    The worker must find the job row when it starts, so the enqueue waits for the commit; the
    task result's id is kept on the job (for the log and the admin of django-tasks-db).
    """

    def enqueue() -> None:
        result = task.enqueue(job.pk)
        Job.objects.filter(pk=job.pk).update(task_result_id=str(result.id))

    transaction.on_commit(enqueue)


def job_start(job_id: int, total: int | None = None, message: str = "") -> None:
    """Mark the job running (with its total if known)."""
    changes: dict[str, Any] = {"status": Status.RUNNING, "started_at": timezone.now()}
    if total is not None:
        changes["total"] = total
    if message:
        changes["message"] = message
    Job.objects.filter(pk=job_id).update(**changes)


def job_progress(job_id: int, done: int, total: int | None = None, message: str = "") -> None:
    """Record how far the job got: one cheap UPDATE."""
    changes: dict[str, Any] = {"done": done}
    if total is not None:
        changes["total"] = total
    if message:
        changes["message"] = message
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        # (In a transaction the job row may be the transaction's own: write it there.)
        Job.objects.filter(pk=job_id).update(**changes)
    elif connection.is_in_memory_db():
        # The tests' shared in-memory SQLite refuses a write at once while another thread
        # reads the table ("database table is locked"): a progress figure is not worth failing
        # the job for, the next one follows.
        try:
            Job.objects.filter(pk=job_id).update(**changes)
        except OperationalError as error:
            logger.info("job %s: progress not recorded (%s)", job_id, error)
    else:
        _sqlite_progress(job_id, changes)


_side = threading.local()


def _sqlite_progress(job_id: int, changes: dict[str, Any]) -> None:
    """Write progress through a connection of the worker's own, on SQLite.

    A job that streams a large query (an export's rows) keeps the read open on its connection;
    in SQLite that read is a snapshot, and once anyone else has written (a page's session, the
    queue) the snapshot can no longer be turned into a write: the UPDATE would fail with
    "database is locked" however long it waited. A second connection holds no snapshot.
    """
    side = getattr(_side, "connection", None)
    if side is None:
        side = _side.connection = connections.create_connection(DEFAULT_DB_ALIAS)
    table = side.ops.quote_name(Job._meta.db_table)
    columns = ", ".join(f"{side.ops.quote_name(name)} = %s" for name in changes)
    with side.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {columns} WHERE {side.ops.quote_name('id')} = %s",
            [*changes.values(), job_id],
        )


def progress_every(job_id: int, total: int, step: int) -> Callable[[int], None]:
    """Return ``tick(done)``: it records progress every ``step`` items and at the end."""
    last = [-step]

    def tick(done: int) -> None:
        if done - last[0] >= step or done >= total:
            last[0] = done
            job_progress(job_id, done, total)

    return tick


def job_finish(
    job_id: int,
    *,
    name: str,
    content: bytes | None = None,
    file: IO[bytes] | Path | None = None,
    message: str = "",
) -> Job:
    """Store the result file under MEDIA_ROOT/jobs/ and mark the job done."""
    job = Job.objects.get(pk=job_id)
    if content is not None:
        job.result.save(name, ContentFile(content), save=False)
    elif isinstance(file, Path):
        with file.open("rb") as handle:
            job.result.save(name, File(handle), save=False)
    elif file is not None:
        job.result.save(name, File(file), save=False)
    job.status = Status.DONE
    job.done = max(job.done, job.total)
    job.message = message
    job.finished_at = timezone.now()
    job.save(update_fields=["result", "status", "done", "message", "finished_at"])
    return job


def job_fail(job_id: int, error: str) -> None:
    """Mark the job failed with an error people can read."""
    Job.objects.filter(pk=job_id).update(
        status=Status.FAILED, error=error, finished_at=timezone.now()
    )


def failure_text(exc: BaseException) -> str:
    """Say in words what went wrong; our own errors carry a message written for people."""
    from certificates.services import CertificateError
    from jobs.tasks import ImportRefused

    if isinstance(exc, CertificateError | ImportRefused):
        return str(exc)
    return _(
        "The job stopped because of an unexpected error. Nothing was lost: try again, and if it "
        "fails again, tell your administrator (the error is in the worker's log)."
    )


def run_job(job_id: int, work: Callable[[Job], None]) -> None:
    """Run a job's work: mark it running; on any exception mark it failed, log, and re-raise.

    Re-raising lets django-tasks record the task as failed too (with the traceback).
    """
    job = Job.objects.select_related("created_by").get(pk=job_id)
    if job.finished:
        return
    job_start(job_id)
    try:
        work(job)
    except BaseException as exc:
        logger.exception("Job %s (%s) failed", job_id, job.kind)
        job_fail(job_id, failure_text(exc))
        raise
