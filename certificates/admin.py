"""Admin for certificates and their designs: revoke with a reason, download, verify."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from certificates.codes import certificate_code_display
from certificates.models import Certificate, CertificateDesign, Signatory
from certificates.rendering import certificate_pdf, certificates_pdf, file_name
from certificates.selectors import eligibility, enrolments_with_eligibility
from certificates.services import CertificateError, certificate_issue, certificate_revoke


def pdf_response(content: bytes, filename: str, content_type: str = "application/pdf"):
    """Return a file download."""
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- designs -----------------------------------------------------------------------------------


class SignatoryInline(admin.StackedInline):
    model = Signatory
    extra = 0
    fields = (
        ("name", "name_ru", "name_ky"),
        ("title", "title_ru", "title_ky"),
        "signature",
        "order",
    )


@admin.register(CertificateDesign)
class CertificateDesignAdmin(admin.ModelAdmin):
    list_display = ("name", "issuer", "is_default")
    list_filter = ("is_default",)
    search_fields = ("name", "issuer")
    fields = ("name", "is_default", "issuer", "issuer_ru", "issuer_ky", "logo")
    inlines = (SignatoryInline,)


# --- certificates ------------------------------------------------------------------------------


class CertificateAddForm(forms.ModelForm):
    """Issue one certificate by hand: the enrolment must be eligible and have no valid one."""

    class Meta:
        model = Certificate
        fields = ("enrolment", "issued_on")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["issued_on"].required = False
        self.fields["issued_on"].help_text = "Leave blank for today."

    def clean(self) -> dict:
        cleaned = super().clean()
        if not cleaned.get("issued_on"):
            cleaned["issued_on"] = timezone.localdate()
        enrolment = cleaned.get("enrolment")
        if enrolment is not None:
            annotated = enrolments_with_eligibility(enrolment.session).get(pk=enrolment.pk)
            if annotated.has_valid_certificate:
                self.add_error("enrolment", "This enrolment already has a valid certificate.")
            else:
                eligible, reason = eligibility(annotated, annotated.session)
                if not eligible:
                    self.add_error("enrolment", f"Not eligible for a certificate: {reason}.")
        return cleaned

    def _post_clean(self) -> None:
        # Number and code are given by the service on saving, not checked on the blank instance.
        pass


class RevokeForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Kept on record for the programme; the public page shows only the date.",
    )


@admin.register(Certificate)
class CertificateAdmin(admin.ModelAdmin):
    add_form = CertificateAddForm
    list_display = ("number", "participant", "session", "issued_on", "revoked", "links")
    list_filter = ("revoked", "issued_on")
    list_select_related = ("enrolment__participant", "enrolment__session")
    search_fields = ("number", "code")
    date_hierarchy = "issued_on"
    autocomplete_fields = ("enrolment",)
    actions = ("revoke", "download_pdf")
    # Issuing and revoking go through the services (numbering, reasons): the record itself is
    # not edited by hand once it exists.
    readonly_fields = (
        "number",
        "enrolment",
        "issued_on",
        "sequence",
        "code_display",
        "verification",
        "revoked",
        "revoked_on",
        "revoked_reason",
        "created_at",
    )

    def get_fields(self, request: HttpRequest, obj: Certificate | None = None):
        if obj is None:
            return ("enrolment", "issued_on")
        return self.readonly_fields

    def get_form(self, request: HttpRequest, obj: Certificate | None = None, **kwargs):
        if obj is None:
            kwargs["form"] = self.add_form
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Certificate | None = None):
        return self.readonly_fields if obj is not None else ()

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return (
            super()
            .get_queryset(request)
            .select_related("enrolment__participant", "enrolment__session")
        )

    def get_urls(self):
        own = [
            path(
                "<int:pk>/pdf/",
                self.admin_site.admin_view(self.pdf_view),
                name="certificates_certificate_pdf",
            )
        ]
        return own + super().get_urls()

    def pdf_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        certificate = get_object_or_404(self.get_queryset(request), pk=pk)
        if not self.has_view_permission(request, certificate):
            raise PermissionDenied
        return pdf_response(certificate_pdf(certificate), file_name(certificate))

    def save_model(self, request: HttpRequest, obj: Certificate, form, change: bool) -> None:
        if change:
            return  # every field is read-only; revoking is an action
        # The service numbers the certificate and draws its unguessable code.
        issued = certificate_issue(
            enrolment=form.cleaned_data["enrolment"],
            actor=request.user,
            issued_on=form.cleaned_data["issued_on"],
        )
        for field in Certificate._meta.concrete_fields:
            setattr(obj, field.attname, getattr(issued, field.attname))
        obj._state.adding = False

    @admin.display(ordering="enrolment__participant__name_key")
    def participant(self, certificate: Certificate) -> str:
        return certificate.enrolment.participant.full_name

    @admin.display(ordering="enrolment__session__code")
    def session(self, certificate: Certificate) -> str:
        return certificate.enrolment.session.code

    @admin.display(description="code")
    def code_display(self, certificate: Certificate) -> str:
        return certificate_code_display(certificate.code)

    @admin.display(description="verification page")
    def verification(self, certificate: Certificate) -> str:
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">{}</a>',
            reverse("certificates:verify", args=[certificate.code]),
            "Open the public verification page",
        )

    @admin.display(description="")
    def links(self, certificate: Certificate) -> str:
        return format_html(
            '<a href="{}">PDF</a> · <a href="{}" target="_blank" rel="noopener">verify</a>',
            reverse("admin:certificates_certificate_pdf", args=[certificate.pk]),
            reverse("certificates:verify", args=[certificate.code]),
        )

    @admin.action(description="Revoke selected certificates…", permissions=["change"])
    def revoke(self, request: HttpRequest, queryset: QuerySet):
        form = RevokeForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            revoked, problems = 0, []
            for certificate in queryset:
                try:
                    certificate_revoke(
                        certificate=certificate,
                        reason=form.cleaned_data["reason"],
                        actor=request.user,
                    )
                    revoked += 1
                except CertificateError as error:
                    problems.append(str(error))
            messages.success(request, f"{revoked} certificate(s) revoked.")
            for problem in problems:
                messages.warning(request, problem.capitalize())
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Revoke certificates",
            "opts": self.model._meta,
            "form": form,
            "certificates": queryset,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
            "media": self.media,
        }
        return TemplateResponse(request, "certificates/certificate_revoke.html", context)

    @admin.action(description="Download PDF of selected certificates", permissions=["view"])
    def download_pdf(self, request: HttpRequest, queryset: QuerySet):
        certificates = list(queryset.order_by("number"))
        if len(certificates) == 1:
            return pdf_response(certificate_pdf(certificates[0]), file_name(certificates[0]))
        return pdf_response(certificates_pdf(certificates), "certificates.pdf")
