"""Changes after certificates: scores and attendance changed once an enrolment held a certificate.

Donors audit the certificates' numbers; a score raised after the certificate was issued is what
an M&E officer must be able to find, with who raised it. ``manage.py audit_changes`` lists the
same rows.
"""

from typing import Any

from django import forms
from django.core.paginator import Paginator
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from trainings.history import (
    PAGE_SIZE,
    SCORES_AND_ATTENDANCE,
    after_certificates_keys,
    changes_load,
)
from trainings.models import Session
from trainings.permissions import READERS, RoleRequiredMixin


class AuditFilterForm(forms.Form):
    """The GET parameter ``session``: a session code, optional."""

    session = forms.CharField(
        required=False,
        max_length=40,
        label=gettext_lazy("Session code"),
        help_text=gettext_lazy("Leave blank for every session."),
    )

    def clean_session(self) -> Session | None:
        code = self.cleaned_data["session"].strip()
        if not code:
            return None
        session = Session.objects.filter(code__iexact=code).first()
        if session is None:
            raise forms.ValidationError(
                _("There is no session with the code “%(code)s”.") % {"code": code}
            )
        return session


class ChangesAfterCertificatesView(RoleRequiredMixin, TemplateView):
    """List score and attendance changes made after a valid certificate was issued."""

    roles = READERS
    template_name = "reports/changes_after_certificates.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        form = AuditFilterForm(self.request.GET or None)
        session = form.cleaned_data["session"] if form.is_valid() else None
        page, changes = None, []
        if not form.is_bound or form.is_valid():
            paginator = Paginator(after_certificates_keys(session), PAGE_SIZE)
            page = paginator.get_page(self.request.GET.get("page"))
            changes = changes_load(page, only=SCORES_AND_ATTENDANCE)
        return super().get_context_data(
            form=form,
            session=session,
            page=page,
            changes=changes,
            querystring=f"session={session.code}" if session else "",
            **kwargs,
        )


urlpatterns = [
    path(
        "reports/changes-after-certificates/",
        ChangesAfterCertificatesView.as_view(),
        name="changes_after_certificates",
    ),
]
