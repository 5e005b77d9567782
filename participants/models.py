"""People, the agencies they work for, and the reference lists that describe them."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.utils.translation import gettext
from simple_history.models import HistoricalRecords

from participants.normalize import email_key, fold, name_key


class ReferenceItem(models.Model):
    """An entry of a reference list that administrators edit; matched case-insensitively."""

    name = models.CharField(max_length=100)
    name_key = models.CharField(max_length=100, unique=True, editable=False)
    aliases = models.CharField(
        max_length=500,
        blank=True,
        help_text="Other spellings accepted in spreadsheets, separated by commas.",
    )
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        abstract = True
        ordering = ["sort_order", "name"]

    def __str__(self) -> str:
        # The seeded names (participants/reference.py) are translated; others show as typed.
        return gettext(self.name)

    def save(self, *args, **kwargs) -> None:
        self.name_key = fold(self.name)
        super().save(*args, **kwargs)

    @property
    def spellings(self) -> set[str]:
        """Every folded spelling this entry answers to: its name and its aliases."""
        keys = {fold(self.name)}
        keys.update(fold(a) for a in self.aliases.split(",") if a.strip())
        return keys


class Gender(ReferenceItem):
    """A gender as the M&E breakdowns report it; ``code`` is the key statistics use."""

    code = models.SlugField(max_length=30, unique=True)

    class Meta(ReferenceItem.Meta):
        pass


class AgencyType(ReferenceItem):
    """A kind of agency: Ministry, Court, Police, Civil society, ..."""

    class Meta(ReferenceItem.Meta):
        verbose_name = "agency type"


class Region(ReferenceItem):
    """A region of the country where sessions are held and participants live."""

    class Meta(ReferenceItem.Meta):
        pass


class Agency(models.Model):
    """An organisation participants work for; its name is unique in every alphabet's case."""

    name = models.CharField(max_length=255)
    name_key = models.CharField(max_length=255, unique=True, editable=False)
    type = models.ForeignKey(AgencyType, on_delete=models.PROTECT, related_name="agencies")
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "agencies"

    def __str__(self) -> str:
        # The seeded names (participants/reference.py) are translated; others show as typed.
        return gettext(self.name)

    def save(self, *args, **kwargs) -> None:
        self.name_key = fold(self.name)
        super().save(*args, **kwargs)


class Participant(models.Model):
    """One real person, whatever number of sessions they attend."""

    class Disability(models.TextChoices):
        YES = "yes", "Yes"
        NO = "no", "No"
        NOT_STATED = "", "Not stated"

    last_name = models.CharField(max_length=100)
    first_name = models.CharField(max_length=100)
    middle_name = models.CharField(max_length=100, blank=True)
    name_key = models.CharField(max_length=320, db_index=True, editable=False)
    gender = models.ForeignKey(Gender, on_delete=models.PROTECT, related_name="participants")
    birth_year = models.PositiveSmallIntegerField(null=True, blank=True)
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="participants")
    position = models.CharField(max_length=255, blank=True)
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, null=True, blank=True, related_name="participants"
    )
    email = models.EmailField(max_length=254, blank=True)
    email_key = models.CharField(max_length=254, blank=True, editable=False)
    phone = models.CharField(max_length=50, blank=True)
    disability = models.CharField(
        max_length=3, choices=Disability.choices, blank=True, default=Disability.NOT_STATED
    )
    consent = models.BooleanField("consent to data processing", default=False)
    consent_at = models.DateTimeField("consent given at", null=True, blank=True)
    consent_version = models.CharField(
        "consent text version",
        max_length=20,
        blank=True,
        db_default="",
        help_text="Which consent text the person agreed to (public registration records it).",
    )
    created_at = models.DateTimeField(auto_now_add=True, db_default=Now())
    updated_at = models.DateTimeField(auto_now=True, db_default=Now())
    erased_at = models.DateTimeField(
        "erased at",
        null=True,
        blank=True,
        help_text="When the person's data was erased on request; the record is anonymous since.",
    )
    # The audit trail: who changed what, when, old and new values. The matching keys are derived
    # from the names and email, so they are not kept twice.
    history = HistoricalRecords(excluded_fields=["name_key", "email_key", "updated_at"])

    class Meta:
        ordering = ["last_name", "first_name", "middle_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["email_key"],
                condition=~Q(email_key=""),
                name="participant_email_unique_ci",
            ),
            models.CheckConstraint(
                condition=Q(birth_year__isnull=True) | Q(birth_year__range=(1900, 2100)),
                name="participant_birth_year_plausible",
            ),
            models.CheckConstraint(
                condition=Q(consent=False) | Q(consent_at__isnull=False),
                name="participant_consent_has_date",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    def save(self, *args, **kwargs) -> None:
        self.refresh_keys()
        super().save(*args, **kwargs)

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.last_name, self.first_name, self.middle_name) if p)

    def refresh_keys(self) -> None:
        """Recompute the stored matching keys from the names and email (none once erased)."""
        # An erased record is nobody: no name search, no import or registration matches it.
        # Read from __dict__: imports load people with only() and must not query per person.
        if self.__dict__.get("erased_at") is not None:
            self.name_key = self.email_key = ""
            return
        self.name_key = name_key(self.last_name, self.first_name, self.middle_name)
        self.email_key = email_key(self.email)


class ParticipantMerge(models.Model):
    """The record of two participant records merged into one: who, when, and what was merged."""

    kept = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="merges")
    merged_id = models.BigIntegerField(help_text="The id the merged-away record had.")
    merged_snapshot = models.JSONField(
        help_text="The merged-away record's fields as they were, and the enrolments it brought."
    )
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="participant_merges",
    )
    merged_at = models.DateTimeField(auto_now_add=True, db_default=Now())

    class Meta:
        ordering = ["-merged_at"]

    def __str__(self) -> str:
        return f"#{self.merged_id} merged into {self.kept}"
