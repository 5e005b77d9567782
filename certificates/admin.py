"""Admin for certificates."""

import secrets

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from certificates.models import Certificate


class CertificateForm(forms.ModelForm):
    def clean(self) -> dict:
        cleaned = super().clean()
        # A constraint requires the date of a revocation; ticking the box means "today".
        if cleaned.get("revoked") and not cleaned.get("revoked_on"):
            cleaned["revoked_on"] = timezone.localdate()
        return cleaned


@admin.register(Certificate)
class CertificateAdmin(admin.ModelAdmin):
    form = CertificateForm
    list_display = ("number", "participant", "session", "issued_on", "revoked")
    list_filter = ("revoked", "issued_on")
    list_select_related = ("enrolment__participant", "enrolment__session")
    search_fields = ("number", "code")
    date_hierarchy = "issued_on"
    autocomplete_fields = ("enrolment",)
    readonly_fields = ("code", "created_at")
    fields = (
        "number",
        "enrolment",
        "issued_on",
        "code",
        "revoked",
        "revoked_on",
        "revoked_reason",
        "created_at",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return (
            super()
            .get_queryset(request)
            .select_related("enrolment__participant", "enrolment__session")
        )

    @admin.display(ordering="enrolment__participant__name_key")
    def participant(self, certificate: Certificate) -> str:
        return certificate.enrolment.participant.full_name

    @admin.display(ordering="enrolment__session__code")
    def session(self, certificate: Certificate) -> str:
        return certificate.enrolment.session.code

    def save_model(self, request: HttpRequest, obj: Certificate, form, change: bool) -> None:
        if not obj.code:
            # The public verification code must not be guessable, so it is never typed.
            obj.code = secrets.token_urlsafe(24)
        super().save_model(request, obj, form, change)
