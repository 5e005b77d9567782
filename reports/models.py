"""Programmes (donor-funded projects grouping sessions) and their indicator targets."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _


class Programme(models.Model):
    """A donor-funded project: it groups sessions and carries indicator targets."""

    code = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=255)
    donors = models.CharField(
        max_length=255, blank=True, help_text="Who funds it, e.g. 'EU; Government of Norway'."
    )
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    description = models.TextField(blank=True)
    sessions = models.ManyToManyField("trainings.Session", blank=True, related_name="programmes")
    created_at = models.DateTimeField(auto_now_add=True, db_default=Now())
    updated_at = models.DateTimeField(auto_now=True, db_default=Now())

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(start_date__isnull=True)
                | Q(end_date__isnull=True)
                | Q(end_date__gte=F("start_date")),
                name="programme_end_not_before_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.code}: {self.name}"

    def clean(self) -> None:
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": _("The end date is before the start date.")})


class Target(models.Model):
    """A programme's target for one indicator over a period (default: the programme's)."""

    class Indicator(models.TextChoices):
        PARTICIPANTS = "participants", _("Participants trained")
        WOMEN_SHARE = "women_share", _("Share of women among participants")
        IMPROVED_SHARE = "improved_share", _("Share of participants whose post score improved")
        CERTIFICATES = "certificates", _("Certificates issued")

    # Indicators whose value is a share (0..1); the others are counts.
    SHARES = frozenset({Indicator.WOMEN_SHARE, Indicator.IMPROVED_SHARE})

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="targets")
    indicator = models.CharField(max_length=20, choices=Indicator.choices)
    value = models.DecimalField(
        max_digits=12,
        decimal_places=4,
        validators=[MinValueValidator(Decimal(0))],
        help_text="A count, or a share as a fraction (0.5 for 50 %).",
    )
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["programme", "indicator", "period_start"]
        constraints = [
            models.CheckConstraint(condition=Q(value__gte=0), name="target_value_not_negative"),
            models.CheckConstraint(
                condition=Q(period_start__isnull=True)
                | Q(period_end__isnull=True)
                | Q(period_end__gte=F("period_start")),
                name="target_period_end_not_before_start",
            ),
            models.UniqueConstraint(
                fields=["programme", "indicator", "period_start", "period_end"],
                name="target_one_per_indicator_and_period",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.programme.code}: {self.get_indicator_display()} {self.value}"

    def clean(self) -> None:
        errors = {}
        if self.period_start and self.period_end and self.period_end < self.period_start:
            errors["period_end"] = _("The end of the period is before its start.")
        if self.indicator in self.SHARES and self.value is not None and self.value > 1:
            errors["value"] = _("A share is a fraction between 0 and 1 (0.5 for 50 %).")
        if errors:
            raise ValidationError(errors)
