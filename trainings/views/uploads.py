"""Spreadsheet uploads with a preview and a confirm step, and the import templates.

An upload is read exactly as ``manage.py import_*`` reads a file and validated by a dry run of
the same resource. With problems, nothing is kept and the page lists them with the form to send
the corrected file. Without, the bytes wait under MEDIA_ROOT/imports/ (named by a random token
kept in the session) for the confirm, which reads them again and imports all or nothing.
"""

from pathlib import Path

import tablib
from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from trainings import roles
from trainings import uploads as up
from trainings.importing import ImportFileError, ImportProblem
from trainings.permissions import (
    PLANNERS,
    RoleRequiredMixin,
    SessionAccessMixin,
    sessions_for,
)


class UploadForm(forms.Form):
    """One spreadsheet file; its contents are checked by the import, its shape here."""

    file = forms.FileField(
        label=gettext_lazy("Spreadsheet file (.xlsx or .csv)"),
        widget=forms.FileInput(attrs={"accept": ".xlsx,.csv", "aria-describedby": "file-help"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if Path(upload.name).suffix.lower() not in up.SUFFIXES:
            raise forms.ValidationError(
                _("Only .xlsx and .csv files can be imported: save the spreadsheet as one of them.")
            )
        if upload.size > settings.BILIM_IMPORT_MAX_BYTES:
            raise forms.ValidationError(up.too_large_message(upload.size))
        return upload


class _UploadView(View):
    """Upload -> preview -> confirm for one kind of import (see the module's docstring)."""

    kind: str
    template_name = "trainings/upload_page.html"
    http_method_names = ["get", "post"]

    # -- what differs between the kinds

    def scope(self) -> str:
        """What the upload is for, beyond its kind: a session's code, or '' for sessions."""
        return ""

    def prepare(self, dataset: tablib.Dataset) -> tuple[tablib.Dataset, list[ImportProblem]]:
        return dataset, []

    def success_url(self) -> str:
        raise NotImplementedError

    def page_context(self) -> dict:
        return {}

    # -- the steps

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        return self.show(UploadForm())

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if "confirm" in request.POST:
            return self.confirm(request)
        if "discard" in request.POST:
            return self.discard(request)
        return self.preview(request)

    def preview(self, request: HttpRequest) -> HttpResponse:
        """Read and validate the file (a dry run); keep it for the confirm only when valid."""
        form = UploadForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.show(form)
        upload = form.cleaned_data["file"]
        data = upload.read()
        try:
            dataset = up.read_upload(data, upload.name)
        except ImportFileError as exc:
            form.add_error("file", up.file_error_message(exc))
            return self.show(form)
        dataset, early = self.prepare(dataset)
        result, problems = up.run_import(
            up.RESOURCES[self.kind], dataset, dry_run=True, problems=early
        )
        file_name = Path(upload.name).name
        if problems:
            return self.show(UploadForm(), problems=problems, file_name=file_name)
        counts = up.count_rows(result.counts)
        stored = up.upload_store(
            request, kind=self.kind, scope=self.scope(), name=upload.name, data=data
        )
        return self.show(
            UploadForm(),
            result=result,
            counts=counts,
            counts_notes=any(row.notes for row in counts),
            preview=up.preview(self.kind, dataset, result, hide=self.hidden_columns()),
            token=stored.token,
            file_name=stored.name,
        )

    def confirm(self, request: HttpRequest) -> HttpResponse:
        """Read the stored file again and import it for real, all or nothing; then delete it."""
        stored = up.upload_find(
            request, request.POST.get("token", ""), kind=self.kind, scope=self.scope()
        )
        if stored is None:
            messages.error(
                request,
                _(
                    "This upload is no longer waiting to be imported (it was imported, "
                    "discarded or is too old). Nothing was written: upload the file again."
                ),
            )
            return redirect(request.path)
        try:
            dataset = up.read_upload(stored.read(), stored.name)
        except (OSError, ImportFileError):
            up.upload_discard(request, stored)
            messages.error(
                request, _("The uploaded file is gone. Nothing was written: upload it again.")
            )
            return redirect(request.path)
        dataset, early = self.prepare(dataset)
        if self.kind == "roster" and not early:
            from jobs.views import roster_import_start  # a large roster imports in the background

            job = roster_import_start(request, self.session, stored, len(dataset))
            if job is not None:
                return redirect("jobs:detail", job.pk)
        result, problems = up.run_import(
            up.RESOURCES[self.kind], dataset, dry_run=False, problems=early, actor=request.user
        )
        up.upload_discard(request, stored)
        if problems:
            # Something changed since the preview (another import, an edit): nothing was kept.
            return self.show(
                UploadForm(), problems=problems, file_name=stored.name, changed_meanwhile=True
            )
        messages.success(request, up.import_message(self.kind, result.counts))
        return redirect(self.success_url())

    def discard(self, request: HttpRequest) -> HttpResponse:
        stored = up.upload_find(
            request, request.POST.get("token", ""), kind=self.kind, scope=self.scope()
        )
        if stored is not None:
            up.upload_discard(request, stored)
        messages.info(request, _("The upload was discarded. Nothing was written."))
        return redirect(request.path)

    # -- the page

    def hidden_columns(self) -> tuple[str, ...]:
        return ()

    def show(self, form: UploadForm, status: int = 200, **context) -> HttpResponse:
        if form.is_bound and form.errors:
            form.fields["file"].widget.attrs["aria-invalid"] = "true"
        context = {
            "form": form,
            "kind": self.kind,
            "columns_help": up.column_help(self.kind),
            "general_help": up.general_help(),
            "max_bytes": settings.BILIM_IMPORT_MAX_BYTES,
            "max_rows": settings.BILIM_IMPORT_MAX_ROWS,
            "preview_limit": up.PREVIEW_ROWS,
            **self.page_context(),
            **context,
        }
        url = context.get("template_url")
        if url:
            context["template_csv_url"] = url + ("&" if "?" in url else "?") + "format=csv"
        return render(self.request, self.template_name, context, status=status)


class SessionsUploadView(RoleRequiredMixin, _UploadView):
    """Organisers plan many sessions at once from a spreadsheet."""

    roles = PLANNERS
    kind = "sessions"

    def success_url(self) -> str:
        return reverse("trainings:session_list")

    def page_context(self) -> dict:
        return {
            "title": _("Import sessions"),
            "template_url": reverse("trainings:import_template", args=["sessions"]),
        }


class _SessionUploadView(SessionAccessMixin, _UploadView):
    """An upload for the one session the URL names: every row must be for that session."""

    changes = True

    def scope(self) -> str:
        return self.session.code

    def prepare(self, dataset: tablib.Dataset) -> tuple[tablib.Dataset, list[ImportProblem]]:
        return up.pin_session(dataset, self.session, up.RESOURCES[self.kind])

    def hidden_columns(self) -> tuple[str, ...]:
        return ("session",)

    def success_url(self) -> str:
        return reverse("trainings:session_detail", args=[self.session.code])

    def template_url(self) -> str:
        url = reverse("trainings:import_template", args=[self.kind])
        return f"{url}?session={self.session.code}"


class RosterUploadView(_SessionUploadView):
    """Organisers register the participants of a session from a roster spreadsheet."""

    roles = PLANNERS
    kind = "roster"

    def page_context(self) -> dict:
        return {
            "title": _("Import the roster of %(code)s") % {"code": self.session.code},
            "session": self.session,
            "template_url": self.template_url(),
        }


class ResultsUploadView(_SessionUploadView):
    """A session's trainers (and organisers) record attendance and scores from a spreadsheet."""

    roles = (*PLANNERS, roles.TRAINER)
    kind = "results"

    def page_context(self) -> dict:
        return {
            "title": _("Import the results of %(code)s") % {"code": self.session.code},
            "session": self.session,
            "template_url": self.template_url(),
        }


class ImportTemplateView(RoleRequiredMixin, View):
    """Download an import template; for a session, pre-filled with what it already holds."""

    roles = (*PLANNERS, roles.TRAINER)
    http_method_names = ["get"]

    def get(self, request: HttpRequest, kind: str) -> HttpResponse:
        if kind not in up.TEMPLATE_KINDS:
            raise Http404("no such import template")
        session = None
        code = request.GET.get("session", "")
        if code and kind in ("roster", "results"):
            session = get_object_or_404(sessions_for(request.user), code=code)
        as_csv = request.GET.get("format") == "csv"
        stem = f"bilim-{kind}" + (f"-{_file_safe(session.code)}" if session else "")
        if as_csv:
            content = up.template_csv(kind, session)
            content_type = "text/csv; charset=utf-8"
            filename = f"{stem}.csv"
        else:
            content = up.template_workbook(kind, session)
            content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            filename = f"{stem}.xlsx"
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = content_disposition_header(True, filename)
        return response


def _file_safe(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in text)[:60]


urlpatterns = [
    path("sessions/import/", SessionsUploadView.as_view(), name="sessions_upload"),
    path("sessions/<str:code>/roster/", RosterUploadView.as_view(), name="roster_upload"),
    path("sessions/<str:code>/results/", ResultsUploadView.as_view(), name="results_upload"),
    path("imports/templates/<str:kind>/", ImportTemplateView.as_view(), name="import_template"),
]
