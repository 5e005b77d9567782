"""Courses, their sessions and training days, enrolments, attendance and test scores."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

PERCENT = [MinValueValidator(0), MaxValueValidator(100)]


class Course(models.Model):
    """A training in the catalogue, run as one or more sessions."""

    code = models.CharField(max_length=30, unique=True)
    title = models.CharField(max_length=255)
    thematic_area = models.CharField(max_length=255, blank=True)
    pass_mark = models.PositiveSmallIntegerField(
        default=60, validators=PERCENT, help_text="Percent of the maximum score."
    )
    min_attendance = models.PositiveSmallIntegerField(
        default=80, validators=PERCENT, help_text="Percent of the training days."
    )
    assessed = models.BooleanField(
        default=True, help_text="Whether participants take a pre- and a post-test."
    )

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(pass_mark__lte=100), name="course_pass_mark_percent"
            ),
            models.CheckConstraint(
                condition=Q(min_attendance__lte=100), name="course_min_attendance_percent"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code}: {self.title}"


class Session(models.Model):
    """One run of a course, on explicit training days."""

    class Format(models.TextChoices):
        IN_PERSON = "in_person", _("In person")
        ONLINE = "online", _("Online")
        HYBRID = "hybrid", _("Hybrid")

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        OPEN = "open", _("Open for registration")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")

    code = models.CharField(max_length=40, unique=True)
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="sessions")
    title = models.CharField(max_length=255, blank=True, help_text="Defaults to the course title.")
    start_date = models.DateField()
    end_date = models.DateField()
    region = models.ForeignKey(
        "participants.Region", on_delete=models.PROTECT, related_name="sessions"
    )
    venue = models.CharField(max_length=255, blank=True)
    format = models.CharField(max_length=10, choices=Format.choices, default=Format.IN_PERSON)
    language = models.CharField(max_length=50, blank=True)
    trainers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="trained_sessions"
    )
    capacity = models.PositiveIntegerField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PLANNED)
    max_score = models.DecimalField(
        max_digits=7, decimal_places=2, default=Decimal(100), help_text="Maximum test score."
    )
    pass_mark = models.PositiveSmallIntegerField(
        validators=PERCENT, help_text="Percent of the maximum score; defaults to the course's."
    )
    min_attendance = models.PositiveSmallIntegerField(
        validators=PERCENT, help_text="Percent of the training days; defaults to the course's."
    )
    training_hours = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Hours of training, printed on certificates; without it, the days are.",
    )
    certificate_language = models.CharField(
        max_length=2,
        choices=[("en", "English"), ("ru", "Russian"), ("ky", "Kyrgyz")],
        default="en",
        help_text="The language of this session's certificates.",
    )
    certificate_design = models.ForeignKey(
        "certificates.CertificateDesign",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sessions",
        help_text="Without one, the default design.",
    )
    # Public registration: open while registration_open is set; the token makes the link
    # unguessable and survives closing and reopening, so a shared link keeps working.
    registration_open = models.BooleanField(default=False)
    registration_token = models.CharField(max_length=32, unique=True, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_default=Now())
    updated_at = models.DateTimeField(auto_now=True, db_default=Now())

    # The audit trail: who changed what, when, with the old and new values.
    history = HistoricalRecords()

    class Meta:
        ordering = ["-start_date", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="session_end_not_before_start"
            ),
            models.CheckConstraint(condition=Q(max_score__gt=0), name="session_max_score_positive"),
            models.CheckConstraint(
                condition=Q(capacity__isnull=True) | Q(capacity__gt=0),
                name="session_capacity_positive",
            ),
            models.CheckConstraint(
                condition=Q(pass_mark__lte=100), name="session_pass_mark_percent"
            ),
            models.CheckConstraint(
                condition=Q(min_attendance__lte=100), name="session_min_attendance_percent"
            ),
        ]
        indexes = [models.Index(fields=["start_date"], name="session_start_idx")]

    def __str__(self) -> str:
        return f"{self.code}: {self.display_title}"

    def clean(self) -> None:
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": "The end date is before the start date."})

    @property
    def display_title(self) -> str:
        return self.title or self.course.title


class TrainingDay(models.Model):
    """A day on which a session meets; a session may skip days between its start and end."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="days")
    date = models.DateField()
    sign_in_scan = models.FileField(
        "signed sign-in sheet",
        upload_to="sign-in-sheets/%Y/",
        blank=True,
        validators=[FileExtensionValidator(["pdf", "png", "jpg", "jpeg"])],
        help_text="The scan of the sheet participants signed on this day.",
    )

    class Meta:
        ordering = ["session", "date"]
        constraints = [
            models.UniqueConstraint(fields=["session", "date"], name="training_day_unique")
        ]

    def __str__(self) -> str:
        return f"{self.session.code} {self.date.isoformat()}"

    def clean(self) -> None:
        if self.session_id is None:
            return  # the form reports the missing session
        session = self.session
        if self.date and not (session.start_date <= self.date <= session.end_date):
            raise ValidationError(
                {
                    "date": f"{self.date.isoformat()} is outside the session's dates "
                    f"({session.start_date.isoformat()} to {session.end_date.isoformat()})."
                }
            )


class Enrolment(models.Model):
    """A participant in a session, with their attendance and test scores."""

    class Status(models.TextChoices):
        REGISTERED = "registered", _("Registered")
        WAITLISTED = "waitlisted", _("Waitlisted")
        CONFIRMED = "confirmed", _("Confirmed")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    # Enrolments that count as participations (domain.md: withdrawn and waitlisted excluded).
    COUNTED = (Status.REGISTERED, Status.CONFIRMED)

    session = models.ForeignKey(Session, on_delete=models.PROTECT, related_name="enrolments")
    participant = models.ForeignKey(
        "participants.Participant", on_delete=models.PROTECT, related_name="enrolments"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REGISTERED)
    pre_score = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    post_score = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_default=Now())
    updated_at = models.DateTimeField(auto_now=True, db_default=Now())

    # The audit trail: who changed what, when, with the old and new values.
    history = HistoricalRecords()

    class Meta:
        ordering = ["session", "participant"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "participant"], name="enrolment_one_per_person_per_session"
            ),
            # The upper bound, the session's max score, lives on another table: services check it.
            models.CheckConstraint(
                condition=Q(pre_score__isnull=True) | Q(pre_score__gte=0),
                name="enrolment_pre_score_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(post_score__isnull=True) | Q(post_score__gte=0),
                name="enrolment_post_score_not_negative",
            ),
        ]
        indexes = [
            # Per session and status, with the person: covering for the course breakdown and the
            # counted enrolments' subqueries (the session list's counts use its prefix).
            models.Index(
                fields=["session", "status", "participant"], name="enrolment_session_person_idx"
            ),
            # The statistics group the counted enrolments per person: covering, SQLite never
            # reads the table (/work/notes/indexes6.md, from the statistics' profile).
            models.Index(
                fields=["participant", "status", "session"],
                name="enrolment_person_status_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.participant} in {self.session.code}"

    def clean(self) -> None:
        if self.session_id is None:
            return  # the form reports the missing session
        max_score = self.session.max_score
        errors = {}
        for name in ("pre_score", "post_score"):
            score = getattr(self, name)
            if score is not None and not (0 <= score <= max_score):
                errors[name] = (
                    f"The score must be between 0 and the session's maximum, {max_score}."
                )
        if errors:
            raise ValidationError(errors)


class Attendance(models.Model):
    """Whether an enrolled participant was present on one training day."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="attendance")
    day = models.ForeignKey(TrainingDay, on_delete=models.CASCADE, related_name="attendance")
    present = models.BooleanField(default=False)

    # The audit trail: who changed what, when, with the old and new values.
    history = HistoricalRecords()

    class Meta:
        ordering = ["enrolment", "day"]
        constraints = [
            models.UniqueConstraint(fields=["enrolment", "day"], name="attendance_one_per_day")
        ]
        verbose_name_plural = "attendance"
        # The statistics count present marks per enrolment: covering, the rows are never read.
        indexes = [models.Index(fields=["enrolment", "present"], name="attendance_present_idx")]

    def __str__(self) -> str:
        return f"{self.enrolment} {self.day.date}: {'present' if self.present else 'absent'}"

    def clean(self) -> None:
        if self.enrolment_id is None or self.day_id is None:
            return  # the form reports what is missing
        if self.enrolment.session_id != self.day.session_id:
            raise ValidationError({"day": "This day belongs to another session."})
