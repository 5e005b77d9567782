"""Downloads of the statistics: the M&E workbook (.xlsx) and the Data sheet as CSV.

Both read the statistics page's filters from the query string (StatisticsFilterForm) and
``pseudonymize=1`` (the page's checkbox); invalid filters answer 400 with what is wrong. Users
whose role may not see names (``may_see_names``: M&E officers) always get pseudonymized files.
"""

import tempfile

from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from reports.forms import StatisticsFilterForm
from reports.stats import Filters
from reports.workbook import csv_lines, write_workbook
from trainings.permissions import READERS, RoleRequiredMixin, may_see_names

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TRUE = frozenset({"1", "on", "true", "yes"})


class _Download(RoleRequiredMixin, View):
    """Parse the filters, answer 400 if they are invalid, otherwise hand them to ``download``."""

    roles = READERS

    def get(self, request, *args, **kwargs):
        form = StatisticsFilterForm(request.GET)
        if not form.is_valid():
            problems = "\n".join(
                f"{form.fields[name].label if name in form.fields else ''}: {message}".lstrip(": ")
                for name, messages in form.errors.items()
                for message in messages
            )
            return HttpResponse(
                _("The filters are not valid:") + "\n" + problems,
                status=400,
                content_type="text/plain; charset=utf-8",
            )
        pseudonymize = request.GET.get("pseudonymize", "").strip().lower() in TRUE
        # Names only for the roles allowed them, whatever the query string asks.
        pseudonymize = pseudonymize or not may_see_names(request.user)
        return self.download(form.filters(), pseudonymize)

    def download(self, filters: Filters, pseudonymize: bool) -> HttpResponse:
        raise NotImplementedError

    @staticmethod
    def filename(stem: str, extension: str, pseudonymize: bool) -> str:
        suffix = "-pseudonymized" if pseudonymize else ""
        return f"{stem}-{timezone.localdate().isoformat()}{suffix}.{extension}"


class WorkbookDownload(_Download):
    """The M&E workbook: written to a temporary file (write-only mode), then sent from it."""

    def download(self, filters: Filters, pseudonymize: bool) -> FileResponse:
        # An anonymous temporary file: gone when the response closes it, or on any error.
        file = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - FileResponse closes it
        try:
            write_workbook(file, filters, pseudonymize)
            file.seek(0)
        except BaseException:
            file.close()
            raise
        return FileResponse(
            file,
            as_attachment=True,
            filename=self.filename("bilim-statistics", "xlsx", pseudonymize),
            content_type=XLSX,
        )


class DataCsvDownload(_Download):
    """The Data sheet as CSV (UTF-8 with a BOM), streamed row by row."""

    def download(self, filters: Filters, pseudonymize: bool) -> StreamingHttpResponse:
        response = StreamingHttpResponse(
            (line.encode("utf-8") for line in csv_lines(filters, pseudonymize)),
            content_type="text/csv; charset=utf-8",
        )
        name = self.filename("bilim-participations", "csv", pseudonymize)
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


urlpatterns = [
    path("reports/workbook.xlsx", WorkbookDownload.as_view(), name="workbook"),
    path("reports/data.csv", DataCsvDownload.as_view(), name="data_csv"),
]
