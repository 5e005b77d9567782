"""The background tasks (Django's tasks API; ``manage.py db_worker`` runs them).

Each task takes the id of its Job row, does the work the page would have done, reports progress
on the job as it goes and stores the result under MEDIA_ROOT/jobs/. ``run_job`` turns an
exception into a failed job with a message for people (the traceback goes to the log).
"""

import csv
import tempfile
from pathlib import Path
from typing import Any

from django.utils import timezone, translation
from django_tasks import task

from certificates.models import Certificate
from certificates.rendering import certificates_document
from certificates.services import CertificateError, certificates_issue
from jobs.models import Job
from jobs.services import job_finish, job_progress, progress_every, run_job
from reports import stats
from reports.forms import StatisticsFilterForm
from reports.stats import Filters
from reports.workbook import EXPORTS, DataExport, WorkbookRenderer, csv_text
from trainings.models import Session
from trainings.permissions import may_see_names

# Certificates laid out per WeasyPrint document; the pages are joined into one PDF at the end.
CERTIFICATE_CHUNK = 50
# Data rows between two progress updates of an export.
EXPORT_STEP = 2_000


# --- certificates ------------------------------------------------------------------------------


def certificates_work(job: Job) -> None:
    """Issue every eligible certificate of the session, then render all valid ones as one PDF."""
    session = Session.objects.select_related("course").get(pk=job.params["session"])
    report = certificates_issue(session=session, actor=job.created_by)
    keys = list(
        Certificate.objects.filter(enrolment__session=session, revoked=False)
        .order_by("sequence", "number")
        .values_list("pk", flat=True)
    )
    total = len(keys)
    summary = {
        "issued": len(report.issued),
        "already": report.already_issued,
        "not_eligible": report.not_eligible,
    }
    Job.objects.filter(pk=job.pk).update(params={**job.params, "summary": summary})
    if not total:
        raise CertificateError(f"{session.code} has no certificates to print: no one is eligible")
    job_progress(job.pk, 0, total)
    documents = []
    for start in range(0, total, CERTIFICATE_CHUNK):
        chunk = Certificate.objects.filter(pk__in=keys[start : start + CERTIFICATE_CHUNK])
        documents.append(certificates_document(chunk.order_by("sequence", "number")))
        job_progress(job.pk, min(start + CERTIFICATE_CHUNK, total), total)
    pages = [page for document in documents for page in document.pages]
    pdf = documents[0].copy(pages).write_pdf()
    job_finish(job.pk, name=f"certificates-{session.code}.pdf", content=pdf)


@task()
def certificates_batch(job_id: int) -> None:
    run_job(job_id, certificates_work)


# --- exports -----------------------------------------------------------------------------------


def export_filters(params: dict[str, Any]) -> tuple[Filters, bool]:
    """Read the statistics filters a job was started with (already checked by the start view)."""
    form = StatisticsFilterForm(params.get("query", {}))
    if not form.is_valid():
        raise ValueError(f"invalid filters: {form.errors.as_json()}")
    return form.filters(), bool(params.get("pseudonymize"))


class CountedDataExport(DataExport):
    """The Data sheet, calling ``tick(rows so far)`` every EXPORT_STEP rows."""

    def __init__(self, filters: Filters, pseudonymize: bool, tick: Any) -> None:
        super().__init__(filters, pseudonymize)
        self.tick = tick

    def rows(self):
        n = 0
        for n, row in enumerate(super().rows(), 1):
            yield row
            if n % EXPORT_STEP == 0:
                self.tick(n)
        self.tick(n)


def _stamp(stem: str, extension: str, pseudonymize: bool) -> str:
    suffix = "-pseudonymized" if pseudonymize else ""
    return f"{stem}-{timezone.localdate().isoformat()}{suffix}.{extension}"


def workbook_work(job: Job) -> None:
    """Write the M&E workbook (as reports.workbook.write_workbook does), reporting Data rows."""
    filters, pseudonymize = export_filters(job.params)
    pseudonymize = pseudonymize or not may_see_names(job.created_by)
    total = stats.participations(filters).count()
    job_progress(job.pk, 0, total)
    tick = progress_every(job.pk, total, EXPORT_STEP)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "workbook.xlsx"
        with translation.override("en"):
            renderer = WorkbookRenderer(filters, pseudonymize)
            for export in EXPORTS:
                if export is DataExport:
                    renderer.render(CountedDataExport(filters, pseudonymize, tick))
                else:
                    renderer.render(export(filters, pseudonymize))
            renderer.save(path)
        job_finish(job.pk, name=_stamp("bilim-statistics", "xlsx", pseudonymize), file=path)


@task()
def workbook_export(job_id: int) -> None:
    run_job(job_id, workbook_work)


def csv_work(job: Job) -> None:
    """Write the Data sheet as CSV (UTF-8 with a BOM, as the direct download), reporting rows."""
    filters, pseudonymize = export_filters(job.params)
    pseudonymize = pseudonymize or not may_see_names(job.created_by)
    total = stats.participations(filters).count()
    job_progress(job.pk, 0, total)
    tick = progress_every(job.pk, total, EXPORT_STEP)
    export = CountedDataExport(filters, pseudonymize, tick)
    table = export.tables()[0]
    kinds = [c.kind for c in table.columns]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "data.csv"
        with path.open("w", encoding="utf-8", newline="") as target:
            target.write("\ufeff")
            writer = csv.writer(target)
            writer.writerow([c.header for c in table.columns])
            for values in table.rows:
                writer.writerow([csv_text(v, k) for v, k in zip(values, kinds, strict=True)])
        job_finish(job.pk, name=_stamp("bilim-participations", "csv", pseudonymize), file=path)


@task()
def csv_export(job_id: int) -> None:
    run_job(job_id, csv_work)


# --- roster import -----------------------------------------------------------------------------


class ImportRefused(Exception):
    """The roster had problems at import time (something changed since its preview)."""


def roster_import_work(job: Job) -> None:
    """Import a confirmed roster file, all or nothing, as the upload page's confirm step does."""
    from trainings import uploads as up

    session = Session.objects.select_related("course").get(pk=job.params["session"])
    path = up.imports_dir() / job.params["input"]
    try:
        dataset = up.read_upload(path.read_bytes(), job.params["name"])
        dataset, early = up.pin_session(dataset, session, up.RESOURCES["roster"])
        total = len(dataset)
        job_progress(job.pk, 0, total)
        # One all-or-nothing transaction: the bar moves from checking to written.
        result, problems = up.run_import(
            up.RESOURCES["roster"], dataset, dry_run=False, problems=early, actor=job.created_by
        )
    finally:
        path.unlink(missing_ok=True)
    if problems:
        lines = [str(p) for p in problems[:20]]
        if len(problems) > 20:
            lines.append(f"... and {len(problems) - 20} more")
        raise ImportRefused(
            "Nothing was written: the roster has problems now (something changed since its "
            "preview). Upload it again to see them.\n" + "\n".join(lines)
        )
    counts = {kind: dict(counter) for kind, counter in result.counts.by_kind.items()}
    Job.objects.filter(pk=job.pk).update(params={**job.params, "counts": counts})
    job_finish(job.pk, name="")


@task()
def roster_import(job_id: int) -> None:
    run_job(job_id, roster_import_work)


TASKS = {
    Job.Kind.CERTIFICATES: certificates_batch,
    Job.Kind.WORKBOOK: workbook_export,
    Job.Kind.CSV: csv_export,
    Job.Kind.ROSTER_IMPORT: roster_import,
}
