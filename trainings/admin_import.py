"""The admin's import and export buttons, reading files exactly as the import commands do.

The uploaded bytes go through ``trainings.importing.load_dataset`` (semicolons, BOM, blank rows
that keep their row numbers, size and row caps), then through the same resources as the
``manage.py import_*`` commands, whose ``import_data`` is all or nothing. Problems are shown as
``row N: column: message``; on confirm the file is read again and written.
"""

import contextlib
import csv
import io
import re
from typing import Any

import tablib
from django.contrib import messages
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.module_loading import import_string
from import_export import fields, resources
from import_export.formats import base_formats
from import_export.results import Result

from participants.models import Participant
from trainings.importing import BilimResource, ImportFileError, header_key, load_dataset

# --- formats -----------------------------------------------------------------------------------


class _LoadDatasetFormat:
    """Read an upload with the commands' reader; binary, so the bytes reach it untouched."""

    suffix = ""

    def is_binary(self) -> bool:
        return True

    def get_read_mode(self) -> str:
        return "rb"

    def create_dataset(self, in_stream: bytes | str, **kwargs: Any) -> tablib.Dataset:
        if isinstance(in_stream, str):
            in_stream = in_stream.encode("utf-8")
        return load_dataset(io.BytesIO(in_stream), filename=f"upload{self.suffix}")


class CSVImportFormat(_LoadDatasetFormat, base_formats.CSV):
    """A .csv upload: UTF-8 with or without BOM, comma or semicolon."""

    suffix = ".csv"

    def create_dataset(self, in_stream: bytes | str, **kwargs: Any) -> tablib.Dataset:
        if isinstance(in_stream, bytes) and in_stream.startswith(b"PK\x03\x04"):
            raise ImportFileError("this is an .xlsx workbook, not a CSV file: choose xlsx")
        return super().create_dataset(in_stream, **kwargs)


class XLSXImportFormat(_LoadDatasetFormat, base_formats.XLSX):
    """An .xlsx upload: the first sheet, header in row 1."""

    suffix = ".xlsx"


# A value a spreadsheet program would run as a formula; phone numbers and negative numbers
# (only digits, spaces and +-(). ) are left alone.
_FORMULA = re.compile(r"^[=+\-@\t\r]")
_NUMBER_LIKE = re.compile(r"^[+\-]?[\d\s().\-]+$")


def _is_formula_like(value: object) -> bool:
    return (
        isinstance(value, str) and bool(_FORMULA.match(value)) and not (_NUMBER_LIKE.match(value))
    )


class CSVExportFormat(base_formats.CSV):
    """CSV for Excel: with a BOM so Cyrillic opens right, formula-like text quoted as text."""

    def export_data(self, dataset: tablib.Dataset, **kwargs: Any) -> str:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(dataset.headers or [])
        for row in dataset:
            writer.writerow(["'" + v if _is_formula_like(v) else v for v in row])
        return "\ufeff" + out.getvalue()


class XLSXExportFormat(base_formats.XLSX):
    """An .xlsx workbook whose text cells stay text, even when they start with '='."""

    def export_data(self, dataset: tablib.Dataset, **kwargs: Any) -> bytes:
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(dataset.title or "Export")

        def cell(value: Any) -> Any:
            if not isinstance(value, str):
                return value
            value = ILLEGAL_CHARACTERS_RE.sub("\N{REPLACEMENT CHARACTER}", value)
            result = WriteOnlyCell(sheet, value=value)
            result.data_type = "s"
            return result

        sheet.append([cell(str(h)) for h in dataset.headers or []])
        for row in dataset:
            sheet.append([cell(v) for v in row])
        out = io.BytesIO()
        workbook.save(out)
        return out.getvalue()


# --- export-only resources ---------------------------------------------------------------------


class ParticipantExportResource(resources.ModelResource):
    """People, with the roster's column names and the reference lists by name."""

    gender = fields.Field(attribute="gender__code", column_name="gender")
    agency = fields.Field(attribute="agency__name", column_name="agency")
    agency_type = fields.Field(attribute="agency__type__name", column_name="agency_type")
    region = fields.Field(attribute="region__name", column_name="region")

    class Meta:
        model = Participant
        name = "Participants"
        fields = (
            "id",
            "last_name",
            "first_name",
            "middle_name",
            "gender",
            "birth_year",
            "agency",
            "agency_type",
            "position",
            "region",
            "email",
            "phone",
            "disability",
            "consent",
            "consent_at",
        )
        export_order = fields


# --- the admin mixin ---------------------------------------------------------------------------


class BilimImportExportMixin:
    """Use with import-export's ImportMixin / ExportMixin on a ModelAdmin.

    Resources are named by dotted path and imported when first used, so an admin module does
    not depend on the import order of the resource modules.
    """

    import_formats = [XLSXImportFormat, CSVImportFormat]
    export_formats = [XLSXExportFormat, CSVExportFormat]
    import_template_name = "admin/bilim/import.html"
    # (dotted path, label shown in the admin, permission codenames the import needs)
    import_resources: tuple[tuple[str, str, tuple[str, ...]], ...] = ()
    # (dotted path, label shown in the admin)
    export_resources: tuple[tuple[str, str], ...] = ()

    # -- permissions: the buttons obey the model permissions, not just admin access

    def _allowed_import_resources(self, request: HttpRequest) -> list[tuple[str, str]]:
        return [
            (path, label)
            for path, label, perms in self.import_resources
            if request.user.has_perms(perms)
        ]

    def has_import_permission(self, request: HttpRequest) -> bool:
        return bool(self._allowed_import_resources(request))

    def has_export_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    # -- resources

    def get_import_resource_classes(self, request: HttpRequest) -> list[type]:
        return [import_string(path) for path, _ in self._allowed_import_resources(request)]

    def get_export_resource_classes(self, request: HttpRequest) -> list[type]:
        return [import_string(path) for path, _ in self.export_resources]

    def get_export_form_class(self):
        labels = [label for _, label in self.export_resources]
        base = super().get_export_form_class()

        class LabelledExportForm(base):
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, **kwargs)
                self.fields["resource"].choices = list(enumerate(labels))

        return LabelledExportForm

    def create_import_form(self, request: HttpRequest):
        form = super().create_import_form(request)
        labels = [label for _, label in self._allowed_import_resources(request)]
        form.fields["resource"].choices = list(enumerate(labels))
        return form

    def import_action(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        response = super().import_action(request, **kwargs)
        if isinstance(response, TemplateResponse) and response.context_data is not None:
            response.context_data["fields_list"] = [
                (label, _column_names(import_string(path)))
                for path, label in self._allowed_import_resources(request)
            ]
            result = response.context_data.get("result")
            if result is not None:
                _fill_preview_cells(result)
            if not response.context_data.get("confirm_form"):
                self._remove_uploaded_copy(response.context_data.get("form"))
        return response

    def _remove_uploaded_copy(self, form) -> None:
        """Delete the upload's temporary copy when there is nothing to confirm.

        import-export keeps it for the confirm step; a roster holds personal data, so a file
        that failed its preview is not left behind in the temporary folder.
        """
        cleaned = getattr(form, "cleaned_data", None) or {}
        name = getattr(cleaned.get("import_file"), "tmp_storage_name", None)
        if name:
            storage = self.get_tmp_storage_class()(name=name, **self.get_tmp_storage_class_kwargs())
            with contextlib.suppress(OSError):
                storage.remove()

    def add_data_read_fail_error_to_form(self, form, e: Exception) -> None:
        if isinstance(e, ImportFileError):
            form.add_error("import_file", f"{e}; nothing was imported")
        else:
            super().add_data_read_fail_error_to_form(form, e)

    # -- the confirm step

    def process_dataset(self, dataset: tablib.Dataset, form, request: HttpRequest, **kwargs):
        result = super().process_dataset(dataset, form, request, **kwargs)
        result.file_name = kwargs.get("file_name") or form.cleaned_data.get("original_file_name")
        return result

    def process_result(self, result: Result, request: HttpRequest) -> HttpResponse:
        problems = getattr(result, "problems", None)
        if problems or result.has_errors() or result.has_validation_errors():
            # The data changed since the preview (or the database refused): nothing was
            # written. Show the problems on the import page, where the user can re-upload.
            return self._render_failed_import(request, result)
        return super().process_result(result, request)

    def _render_failed_import(self, request: HttpRequest, result: Result) -> TemplateResponse:
        resources_ = self.get_import_resource_classes(request)
        form = self.get_import_form_class(request)(self.get_import_formats(), resources_)
        labels = [label for _, label in self._allowed_import_resources(request)]
        form.fields["resource"].choices = list(enumerate(labels))
        context = {
            **self.admin_site.each_context(request),
            "title": "Import",
            "form": form,
            "opts": self.model._meta,
            "media": self.media + form.media,
            "result": result,
            "fields_list": [],
            "import_error_display": self.import_error_display,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, [self.import_template_name], context)

    def add_success_message(self, result: Result, request: HttpRequest) -> None:
        if hasattr(result, "summary_line"):
            messages.success(request, f"Import finished: {result.summary_line()}.")
        else:
            super().add_success_message(result, request)

    def generate_log_entries(self, result: Result, request: HttpRequest) -> None:
        """Record the import as one admin log entry, whatever the number of rows.

        import-export logs one entry per row from ``row.instance``; a Bilim import writes in
        bulk and a row may stand for several records (a person and their enrolment), so one
        entry that names the file and the counts is both cheaper and truer.
        """
        if self.get_skip_admin_log():
            return
        counts = getattr(result, "counts", None)
        created = bool(counts and any(c["created"] for c in counts.by_kind.values()))
        file_name = getattr(result, "file_name", None) or "a file"
        summary = result.summary_line() if hasattr(result, "summary_line") else ""
        LogEntry.objects.create(
            user_id=request.user.pk,
            content_type_id=ContentType.objects.get_for_model(self.model).pk,
            object_id=None,
            object_repr=f"import of {file_name}"[:200],
            action_flag=ADDITION if created else CHANGE,
            change_message=f"Imported {file_name}: {summary}",
        )


def _fill_preview_cells(result: Result) -> None:
    """Give every previewed row its cells under the file's headers, as the preview lists them."""
    keys = [header_key(h) for h in result.diff_headers]
    for row in result.rows:
        if row.diff is None:
            values = row.row_values or {}
            row.diff = ["" if values.get(k) is None else values.get(k) for k in keys]


def _column_names(resource_class: type) -> list[str]:
    """The columns a resource reads, required ones marked, for the import page's help."""
    if issubclass(resource_class, BilimResource) and resource_class.columns:
        names = [
            f"{name} (required)" if required else name
            for name, required in resource_class.columns.items()
        ]
        if resource_class.column_pattern is not None:
            names.append("one column per training day, named YYYY-MM-DD")
        return names
    return [f.column_name for f in resource_class().get_user_visible_fields()]
