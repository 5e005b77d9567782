"""Certificates: proof that an enrolment completed its session."""

from django.core.validators import FileExtensionValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from simple_history.models import HistoricalRecords

IMAGE_FILE = FileExtensionValidator(["png", "jpg", "jpeg", "svg"])


class CertificateDesign(models.Model):
    """How certificates look: the issuing organisation, its logo and who signs."""

    name = models.CharField(max_length=100, unique=True)
    issuer = models.CharField(
        max_length=255, help_text="The issuing organisation(s), as printed in English."
    )
    issuer_ru = models.CharField("issuer (Russian)", max_length=255, blank=True)
    issuer_ky = models.CharField("issuer (Kyrgyz)", max_length=255, blank=True)
    logo = models.FileField(upload_to="certificates/logos/", blank=True, validators=[IMAGE_FILE])
    is_default = models.BooleanField(
        default=False, help_text="Used for sessions that name no design of their own."
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=Q(is_default=True),
                name="certificate_design_one_default",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Signatory(models.Model):
    """A person who signs the certificates of a design, with their title."""

    design = models.ForeignKey(
        CertificateDesign, on_delete=models.CASCADE, related_name="signatories"
    )
    name = models.CharField(max_length=150)
    name_ru = models.CharField("name (Russian)", max_length=150, blank=True)
    name_ky = models.CharField("name (Kyrgyz)", max_length=150, blank=True)
    title = models.CharField(max_length=255, help_text="Position, as printed in English.")
    title_ru = models.CharField("title (Russian)", max_length=255, blank=True)
    title_ky = models.CharField("title (Kyrgyz)", max_length=255, blank=True)
    signature = models.FileField(
        upload_to="certificates/signatures/", blank=True, validators=[IMAGE_FILE]
    )
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["design", "order", "pk"]
        verbose_name_plural = "signatories"

    def __str__(self) -> str:
        return f"{self.name}, {self.title}"


class Certificate(models.Model):
    """A certificate with a readable number and an unguessable verification code."""

    enrolment = models.ForeignKey(
        "trainings.Enrolment", on_delete=models.PROTECT, related_name="certificates"
    )
    number = models.CharField(max_length=60, unique=True)
    sequence = models.PositiveIntegerField(
        default=0, help_text="Position in the session's issue order: the NNN of the number."
    )
    code = models.CharField(max_length=40, unique=True, help_text="Public verification code.")
    issued_on = models.DateField()
    revoked = models.BooleanField(default=False)
    revoked_on = models.DateField(null=True, blank=True)
    revoked_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_default=Now())

    # The audit trail: who changed what, when, with the old and new values.
    history = HistoricalRecords()

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
