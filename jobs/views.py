"""Pages of background jobs: start one (or do small work at once), watch it, get its result.

A job is seen by the person who started it and by administrators; anyone else gets 404 (its
existence is not confirmed). Seeing and downloading also need the role that may start a job of
its kind: organisers and administrators for certificates and imports, readers (organisers, M&E
officers, administrators) for the workbook and CSV.
"""

from collections import Counter
from typing import Any

from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views import View
from django.views.generic import TemplateView

from certificates.selectors import issue_plan
from jobs import tasks
from jobs.models import Job
from jobs.services import job_create, job_enqueue, threshold
from reports import stats
from reports.downloads import TRUE
from reports.forms import StatisticsFilterForm
from trainings import roles
from trainings.permissions import (
    PLANNERS,
    READERS,
    RoleRequiredMixin,
    SessionAccessMixin,
    may_see_names,
    roles_of,
)
from trainings.views.organiser import CertificatesIssueView

KIND_ROLES = {
    Job.Kind.CERTIFICATES: PLANNERS,
    Job.Kind.ROSTER_IMPORT: PLANNERS,
    Job.Kind.WORKBOOK: READERS,
    Job.Kind.CSV: READERS,
}


def jobs_for(user) -> Any:
    """The jobs the user may see: their own; every job for administrators."""
    if roles.ADMINISTRATOR in roles_of(user):
        return Job.objects.all()
    return Job.objects.filter(created_by=user)


class JobMixin(RoleRequiredMixin):
    """Load ``self.job`` among the jobs the user may see (404 otherwise), with the kind's role."""

    roles = READERS

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated or not roles_of(request.user) & set(self.roles):
            return self.handle_no_permission()
        # The kind's role first (403, like starting one), then whose it is (404 for others').
        kind = Job.objects.filter(pk=kwargs["pk"]).values_list("kind", flat=True).first()
        if kind is not None and not roles_of(request.user) & set(KIND_ROLES[kind]):
            return self.handle_no_permission()
        self.job = get_object_or_404(
            jobs_for(request.user).select_related("created_by"), pk=kwargs["pk"]
        )
        return super().dispatch(request, *args, **kwargs)


def back_link(job: Job) -> tuple[str, str] | None:
    """Where the job was started from: (url, kind of page)."""
    if job.kind in (Job.Kind.CERTIFICATES, Job.Kind.ROSTER_IMPORT) and job.params.get("code"):
        return reverse("trainings:session_detail", args=[job.params["code"]]), "session"
    if job.kind in (Job.Kind.WORKBOOK, Job.Kind.CSV):
        return reverse("reports:statistics"), "statistics"
    return None


def outcome(job: Job) -> str:
    """What a finished job did, in the reader's language (an import's counts)."""
    if job.kind == Job.Kind.ROSTER_IMPORT and job.status == Job.Status.DONE:
        from trainings import uploads as up
        from trainings.importing import Counts

        counts = Counts({k: Counter(v) for k, v in job.params.get("counts", {}).items()})
        return up.import_message("roster", counts)
    return ""


class JobDetailView(JobMixin, TemplateView):
    template_name = "jobs/job_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        back = back_link(self.job)
        return super().get_context_data(
            job=self.job,
            outcome=outcome(self.job),
            back_url=back[0] if back else "",
            back_kind=back[1] if back else "",
        )


class JobProgressView(JobMixin, View):
    """The progress partial the detail page polls; it stops polling once the job finished."""

    def get(self, request, *args, **kwargs):
        context = {"job": self.job, "outcome": outcome(self.job)}
        return render(request, "jobs/_progress.html", context)


def roster_import_start(request, session, stored, rows: int) -> Job | None:
    """Run a confirmed roster import in the background when it has more rows than the threshold.

    The stored upload becomes the job's (renamed, still readable by this server's user only) and
    leaves the person's waiting uploads, so it cannot be confirmed twice. None: import at once.
    """
    from trainings import uploads as up

    if rows <= threshold("BILIM_BACKGROUND_IMPORT_ROWS"):
        return None
    job = job_create(
        kind=Job.Kind.ROSTER_IMPORT,
        user=request.user,
        params={"session": session.pk, "code": session.code, "name": stored.name},
        total=rows,
    )
    name = f"job-{job.pk}-{stored.token}{stored.suffix}"
    stored.path.rename(up.imports_dir() / name)
    job.params["input"] = name
    job.save(update_fields=["params"])
    up.upload_discard(request, stored)  # the file has moved: this only forgets the token
    job_enqueue(job, tasks.roster_import)
    return job


class JobResultView(JobMixin, View):
    """Download the job's result file."""

    def get(self, request, *args, **kwargs):
        if self.job.status != Job.Status.DONE or not self.job.result:
            raise Http404
        return FileResponse(
            self.job.result.open("rb"), as_attachment=True, filename=self.job.result_name
        )


class JobListView(RoleRequiredMixin, TemplateView):
    """The person's recent jobs (an administrator's own, too)."""

    roles = READERS
    template_name = "jobs/job_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        jobs = list(Job.objects.filter(created_by=self.request.user)[:50])
        return super().get_context_data(jobs=jobs, **kwargs)


class CertificatesStartView(SessionAccessMixin, View):
    """Issue the session's certificates: in the background above the threshold, else at once."""

    roles = PLANNERS
    changes = True

    def post(self, request, *args, **kwargs):
        plan = issue_plan(self.session)
        size = len(plan.to_issue) + plan.already_issued
        if size <= threshold("BILIM_BACKGROUND_CERTIFICATES"):
            # Small: issue at once, exactly as the session page's button always did.
            return CertificatesIssueView.as_view()(request, *args, **kwargs)
        job = job_create(
            kind=Job.Kind.CERTIFICATES,
            user=request.user,
            params={"session": self.session.pk, "code": self.session.code},
            total=size,
        )
        job_enqueue(job, tasks.certificates_batch)
        return redirect("jobs:detail", job.pk)


class _ExportStartView(RoleRequiredMixin, View):
    """Export with the statistics filters: in the background above the threshold, else direct."""

    roles = READERS
    kind: str = ""
    direct: str = ""

    def get(self, request, *args, **kwargs):
        direct = reverse(self.direct)
        query = request.GET.urlencode()
        form = StatisticsFilterForm(request.GET)
        if not form.is_valid():
            # The direct download answers invalid filters with what is wrong.
            return redirect(f"{direct}?{query}" if query else direct)
        size = stats.participations(form.filters()).count()
        if size <= threshold("BILIM_BACKGROUND_EXPORT_ROWS"):
            return redirect(f"{direct}?{query}" if query else direct)
        params = {
            "query": {name: request.GET[name] for name in form.fields if request.GET.get(name)},
            "pseudonymize": request.GET.get("pseudonymize", "").strip().lower() in TRUE
            or not may_see_names(request.user),
        }
        job = job_create(kind=self.kind, user=request.user, params=params, total=size)
        job_enqueue(job, tasks.TASKS[self.kind])
        return redirect("jobs:detail", job.pk)


class WorkbookStartView(_ExportStartView):
    kind = Job.Kind.WORKBOOK
    direct = "reports:workbook"


class CsvStartView(_ExportStartView):
    kind = Job.Kind.CSV
    direct = "reports:data_csv"
