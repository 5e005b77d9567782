"""Admin for courses, sessions, training days, enrolments and attendance."""

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Count, Max, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.text import smart_split
from import_export.admin import ImportExportMixin

from certificates.models import Certificate
from certificates.rendering import certificates_pdf, certificates_zip
from certificates.services import certificates_issue
from participants.normalize import fold
from trainings.admin_import import BilimImportExportMixin
from trainings.audit import history_record_ids
from trainings.models import Attendance, Course, Enrolment, Session, TrainingDay
from trainings.services import (
    attendance_blocks_message,
    scores_above_message,
    session_days_default,
    session_length_problem,
    session_update,
    training_days_plan,
)
from trainings.sheets import sign_in_sheets_document, sign_in_sheets_pdf


class ParentsFirstForm(forms.ModelForm):
    """Leave out the model's clean() while a record it reads is missing.

    TrainingDay, Enrolment and Attendance.clean() read their session, enrolment or day and
    would fail with RelatedObjectDoesNotExist (a server error) when the field is left blank;
    the field's own "required" error already says what to do.
    """

    parents: tuple[str, ...] = ()

    def _post_clean(self) -> None:
        if any(name in self._errors for name in self.parents):
            return
        super()._post_clean()


class SessionChildForm(ParentsFirstForm):
    parents = ("session",)


class AttendanceForm(ParentsFirstForm):
    parents = ("enrolment", "day")


# --- courses -----------------------------------------------------------------------------------


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "title",
        "thematic_area",
        "pass_mark",
        "min_attendance",
        "assessed",
        "session_count",
    )
    list_filter = ("assessed", "thematic_area")
    # Explicit, because Meta.ordering is dropped from the grouped (annotated) queries.
    ordering = ("code",)
    search_fields = ("code", "title")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(session_count=Count("sessions"))

    @admin.display(description="sessions", ordering="session_count")
    def session_count(self, course: Course) -> int:
        return course.session_count


# --- sessions ----------------------------------------------------------------------------------


class SessionYearFilter(admin.SimpleListFilter):
    title = "year"
    parameter_name = "year"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple]:
        years = Session.objects.dates("start_date", "year", order="DESC")
        return [(str(d.year), str(d.year)) for d in years]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() and self.value().isdigit():
            return queryset.filter(start_date__year=int(self.value()))
        return queryset


class SessionForm(forms.ModelForm):
    """Pass mark and minimum attendance may be left blank to take the course's."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name in ("pass_mark", "min_attendance"):
            if name in self.fields:
                self.fields[name].required = False
                self.fields[name].help_text += " Leave blank for the course's."

    def clean(self) -> dict:
        cleaned = super().clean()
        course = cleaned.get("course")
        for name in ("pass_mark", "min_attendance"):
            if name in self.fields and cleaned.get(name) is None and course is not None:
                cleaned[name] = getattr(course, name)
        start, end = cleaned.get("start_date"), cleaned.get("end_date")
        if start and end and start <= end:
            problem = session_length_problem(start, end)
            if problem:
                self.add_error("end_date", problem)
            elif self.instance.pk:
                self._check_against_records(start, end, cleaned.get("max_score"))
        return cleaned

    def _check_against_records(self, start, end, max_score) -> None:
        """Refuse what session_update would refuse, so the user sees it on the form."""
        stored = self.instance  # not yet changed: construct_instance runs after clean()
        days = dict(TrainingDay.objects.filter(session=stored).values_list("date", "pk"))
        remove, _ = training_days_plan(
            old_start=stored.start_date,
            old_end=stored.end_date,
            new_start=start,
            new_end=end,
            existing=days,
        )
        attended = set(
            Attendance.objects.filter(day_id__in=[days[d] for d in remove])
            .values_list("day__date", flat=True)
            .distinct()
        )
        before = [d for d in attended if d < start]
        after = [d for d in attended if d > end]
        if before:
            self.add_error("start_date", attendance_blocks_message(before))
        if after:
            self.add_error("end_date", attendance_blocks_message(after))
        if max_score is not None and max_score < stored.max_score:
            tops = Enrolment.objects.filter(session=stored).aggregate(
                pre=Max("pre_score"), post=Max("post_score")
            )
            top = max((t for t in tops.values() if t is not None), default=None)
            if top is not None and top > max_score:
                self.add_error("max_score", scores_above_message(top, max_score))


class TrainingDayInline(admin.TabularInline):
    model = TrainingDay
    extra = 0
    # The organiser attaches the signed sign-in sheet's scan to its day.
    fields = ("date", "sign_in_scan")


class EnrolmentInline(admin.TabularInline):
    """The session's enrolments; the person is shown, not chosen, so no query per row."""

    model = Enrolment
    extra = 0
    fields = ("participant", "status", "pre_score", "post_score")
    readonly_fields = ("participant",)
    show_change_link = True
    verbose_name_plural = "enrolments"

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("participant", "session")


class NewEnrolmentInline(admin.TabularInline):
    """Blank rows to enrol more people, chosen by search rather than from a list of all."""

    model = Enrolment
    extra = 1
    fields = ("participant", "status")
    autocomplete_fields = ("participant",)
    verbose_name = "new enrolment"
    verbose_name_plural = "enrol participants"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).none()


@admin.register(Session)
class SessionAdmin(BilimImportExportMixin, ImportExportMixin, admin.ModelAdmin):
    form = SessionForm
    list_display = (
        "code",
        "course",
        "start_date",
        "end_date",
        "region",
        "format",
        "status",
        "capacity",
        "participation_count",
    )
    list_filter = ("status", "course", "region", "format", SessionYearFilter)
    list_select_related = ("course", "region")
    ordering = ("-start_date", "code")
    search_fields = ("code", "title", "course__code", "course__title")
    date_hierarchy = "start_date"
    filter_horizontal = ("trainers",)
    autocomplete_fields = ("course",)
    readonly_fields = ("created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("code", "course", "title", "status")}),
        ("When and where", {"fields": ("start_date", "end_date", "region", "venue")}),
        ("Delivery", {"fields": ("format", "language", "capacity", "trainers")}),
        ("Assessment", {"fields": ("max_score", "pass_mark", "min_attendance")}),
        (
            "Certificates",
            {"fields": ("certificate_language", "certificate_design", "training_hours")},
        ),
        ("Record", {"fields": ("created_at", "updated_at")}),
    )
    inlines = (TrainingDayInline, EnrolmentInline, NewEnrolmentInline)
    actions = (
        "mark_completed",
        "mark_cancelled",
        "issue_certificates",
        "download_certificates_pdf",
        "download_certificates_zip",
        "download_sign_in_sheets",
    )
    import_resources = (
        (
            "trainings.resources.SessionResource",
            "Sessions",
            ("trainings.add_session", "trainings.change_session"),
        ),
    )
    export_resources = (("trainings.resources.SessionResource", "Sessions"),)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        counted = Q(enrolments__status__in=Enrolment.COUNTED) & ~Q(status=Session.Status.CANCELLED)
        return (
            super()
            .get_queryset(request)
            .select_related("course", "region")
            .annotate(participation_count=Count("enrolments", filter=counted))
        )

    @admin.display(description="participations", ordering="participation_count")
    def participation_count(self, session: Session) -> int:
        return session.participation_count

    def save_model(self, request: HttpRequest, obj: Session, form, change: bool) -> None:
        if change:
            # The service moves the training days with the dates (the form checked it may).
            session_update(session=obj, actor=request.user)
        else:
            super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        if not change:
            # After the inlines, so that days typed on the add form are kept as they are.
            created = session_days_default(session=form.instance, actor=request.user)
            if created:
                messages.info(
                    request, f"{created} training day(s) added, one per day from start to end."
                )

    def _set_status(self, request: HttpRequest, queryset: QuerySet, status: str, skip) -> None:
        label = Session.Status(status).label.lower()
        to_change = queryset.exclude(status=status).exclude(status__in=skip)
        with transaction.atomic():
            ids = list(to_change.values_list("pk", flat=True))
            changed = Session.objects.filter(pk__in=ids).update(
                status=status, updated_at=timezone.now()
            )
            # A queryset update sends no signals: the audit trail records the new status here.
            history_record_ids(Session, ids, actor=request.user)
        skipped = queryset.filter(status__in=skip).count()
        messages.success(request, f"{changed} session(s) marked {label}.")
        if skipped:
            messages.warning(
                request,
                f"{skipped} session(s) left as they were: "
                f"a {' or '.join(skip)} session cannot be marked {label}.",
            )

    @admin.action(description="Mark selected sessions completed", permissions=["change"])
    def mark_completed(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._set_status(
            request, queryset, Session.Status.COMPLETED, skip=[Session.Status.CANCELLED]
        )

    @admin.action(description="Mark selected sessions cancelled", permissions=["change"])
    def mark_cancelled(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._set_status(
            request, queryset, Session.Status.CANCELLED, skip=[Session.Status.COMPLETED]
        )

    # Certificates and sign-in sheets. Issuing needs the right to add certificates; M&E
    # officers, who may only view them, can still download what was issued.

    def has_issue_certificates_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("certificates.add_certificate")

    def has_download_certificates_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("certificates.view_certificate")

    @admin.action(description="Issue certificates", permissions=["issue_certificates"])
    def issue_certificates(self, request: HttpRequest, queryset: QuerySet) -> None:
        for session in queryset.order_by("code"):
            report = certificates_issue(session=session, actor=request.user)
            messages.success(
                request,
                f"{session.code}: issued {len(report.issued)}, already issued "
                f"{report.already_issued}, not eligible {report.not_eligible}",
            )

    def _valid_certificates(self, request: HttpRequest, queryset: QuerySet):
        certificates = list(
            Certificate.objects.filter(enrolment__session__in=queryset, revoked=False).order_by(
                "enrolment__session__code", "sequence", "number"
            )
        )
        if not certificates:
            messages.warning(
                request,
                "The selected sessions have no valid certificates: issue them first.",
            )
        return certificates

    @admin.action(
        description="Download certificates (one PDF)", permissions=["download_certificates"]
    )
    def download_certificates_pdf(self, request: HttpRequest, queryset: QuerySet):
        certificates = self._valid_certificates(request, queryset)
        if not certificates:
            return None
        return _download(certificates_pdf(certificates), _batch_name(queryset, "pdf"), PDF)

    @admin.action(
        description="Download certificates (ZIP, one PDF each)",
        permissions=["download_certificates"],
    )
    def download_certificates_zip(self, request: HttpRequest, queryset: QuerySet):
        certificates = self._valid_certificates(request, queryset)
        if not certificates:
            return None
        return _download(certificates_zip(certificates), _batch_name(queryset, "zip"), ZIP)

    @admin.action(description="Download sign-in sheets (PDF)", permissions=["view"])
    def download_sign_in_sheets(self, request: HttpRequest, queryset: QuerySet):
        sessions = list(queryset.order_by("start_date", "code"))
        if len(sessions) == 1:
            content = sign_in_sheets_pdf(sessions[0])
        else:
            # One file to print: the sessions' sheets one after another.
            documents = [sign_in_sheets_document(session) for session in sessions]
            pages = [page for document in documents for page in document.pages]
            content = documents[0].copy(pages).write_pdf()
        return _download(content, _batch_name(queryset, "pdf", prefix="sign-in-sheets"), PDF)


PDF = "application/pdf"
ZIP = "application/zip"


def _batch_name(queryset: QuerySet, extension: str, prefix: str = "certificates") -> str:
    """Name a download after its session when there is one, else after the batch."""
    codes = list(queryset.order_by("code").values_list("code", flat=True)[:2])
    stem = codes[0] if len(codes) == 1 else "sessions"
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in stem)
    return f"{prefix}-{safe}.{extension}"


def _download(content: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- training days -----------------------------------------------------------------------------


@admin.register(TrainingDay)
class TrainingDayAdmin(admin.ModelAdmin):
    form = SessionChildForm
    list_display = ("date", "session")
    list_filter = ("session__course",)
    list_select_related = ("session", "session__course")
    search_fields = ("session__code",)
    date_hierarchy = "date"
    autocomplete_fields = ("session",)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("session", "session__course")


# --- enrolments and attendance -----------------------------------------------------------------


class AttendanceInline(admin.TabularInline):
    model = Attendance
    form = AttendanceForm
    extra = 0
    fields = ("day", "present")

    def get_formset(self, request: HttpRequest, obj=None, **kwargs):
        self._session_id = obj.session_id if obj is not None else None
        return super().get_formset(request, obj, **kwargs)

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        if db_field.name == "day":
            # Only the enrolment's own session's days, not every day of every session.
            kwargs["queryset"] = TrainingDay.objects.filter(
                session_id=getattr(self, "_session_id", None)
            ).select_related("session")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("day", "day__session")


class EnrolmentSearchMixin:
    """Search enrolments by the person's name or email (in any case) or the session code."""

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        return enrolment_search(queryset, search_term, prefix=""), False


def enrolment_search(queryset: QuerySet, search_term: str, *, prefix: str) -> QuerySet:
    """Keep the enrolments whose person or session code matches every word of the term."""
    for bit in smart_split(search_term):
        word = fold(bit.strip("\"'"))
        if word:
            queryset = queryset.filter(
                Q(**{f"{prefix}participant__name_key__contains": word})
                | Q(**{f"{prefix}participant__email_key__contains": word})
                | Q(**{f"{prefix}session__code__icontains": word})
            )
    return queryset


@admin.register(Enrolment)
class EnrolmentAdmin(
    BilimImportExportMixin, EnrolmentSearchMixin, ImportExportMixin, admin.ModelAdmin
):
    form = SessionChildForm
    list_display = ("participant", "session", "status", "pre_score", "post_score")
    list_filter = ("status", "session__course")
    list_select_related = ("participant", "session", "session__course")
    search_fields = ("participant__name_key", "participant__email_key", "session__code")
    search_help_text = "A person's name or email, in any case, or a session code."
    autocomplete_fields = ("participant", "session")
    readonly_fields = ("created_at", "updated_at")
    inlines = (AttendanceInline,)
    import_resources = (
        (
            "participants.resources.RosterResource",
            "Roster: people enrolled in sessions",
            ("trainings.add_enrolment", "participants.add_participant", "participants.add_agency"),
        ),
        (
            "trainings.resources.ResultsResource",
            "Results: attendance and test scores",
            ("trainings.change_enrolment", "trainings.add_attendance"),
        ),
    )
    export_resources = (
        ("participants.resources.RosterResource", "Roster: people enrolled in sessions"),
        ("trainings.resources.ResultsResource", "Results: attendance and test scores"),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return (
            super()
            .get_queryset(request)
            .select_related("participant", "session", "session__course")
        )


@admin.register(Attendance)
class AttendanceAdmin(admin.ModelAdmin):
    form = AttendanceForm
    list_display = ("participant", "session", "date", "present")
    list_filter = ("present", "day__session__course")
    list_select_related = ("enrolment__participant", "enrolment__session__course", "day")
    search_fields = ("enrolment__participant__name_key", "enrolment__session__code")
    autocomplete_fields = ("enrolment", "day")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return (
            super()
            .get_queryset(request)
            .select_related("enrolment__participant", "enrolment__session__course", "day__session")
        )

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        return enrolment_search(queryset, search_term, prefix="enrolment__"), False

    @admin.display(ordering="enrolment__participant__name_key")
    def participant(self, attendance: Attendance) -> str:
        return attendance.enrolment.participant.full_name

    @admin.display(ordering="enrolment__session__code")
    def session(self, attendance: Attendance) -> str:
        return attendance.enrolment.session.code

    @admin.display(ordering="day__date")
    def date(self, attendance: Attendance):
        return attendance.day.date
