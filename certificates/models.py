"""Certificates: proof that an enrolment completed its session."""

from django.db import models
from django.db.models import Q
from django.db.models.functions import Now


class Certificate(models.Model):
    """A certificate with a readable number and an unguessable verification code."""

    enrolment = models.ForeignKey(
        "trainings.Enrolment", on_delete=models.PROTECT, related_name="certificates"
    )
    number = models.CharField(max_length=60, unique=True)
    code = models.CharField(max_length=40, unique=True, help_text="Public verification code.")
    issued_on = models.DateField()
    revoked = models.BooleanField(default=False)
    revoked_on = models.DateField(null=True, blank=True)
    revoked_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_default=Now())

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(
                fields=["enrolment"],
                condition=Q(revoked=False),
                name="certificate_one_valid_per_enrolment",
            ),
            models.CheckConstraint(
                condition=Q(revoked=False) | Q(revoked_on__isnull=False),
                name="certificate_revoked_has_date",
            ),
        ]

    def __str__(self) -> str:
        return self.number
