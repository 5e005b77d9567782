"""Personal data pages: erase a person's data on request, and review records kept too long."""

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext as _
from django.views import View

from participants.erasure import ParticipantEraseError, participant_erase
from participants.forms import EraseForm
from participants.models import Participant
from participants.selectors import (
    participant_for_page,
    participant_history,
    participants_for_retention,
    retention_cutoff,
)
from trainings.permissions import PLANNERS, RoleRequiredMixin

PAGE_SIZE = 50


class ParticipantEraseView(RoleRequiredMixin, View):
    """Confirm, with a reason, that a person's data is to be erased; then erase it."""

    roles = PLANNERS

    def _person(self, pk: int) -> Participant:
        try:
            return participant_for_page(pk)
        except Participant.DoesNotExist:
            raise Http404(_("No such participant.")) from None

    def _render(self, request: HttpRequest, person: Participant, form: EraseForm, error=""):
        history = participant_history(person)
        return TemplateResponse(
            request,
            "participants/participant_erase.html",
            {
                "person": person,
                "form": form,
                "error": error,
                "enrolments": len(history),
                "certificates": sum(len(row.certificates) for row in history),
            },
        )

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self._render(request, self._person(pk), EraseForm())

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        person = self._person(pk)
        form = EraseForm(request.POST)
        if not form.is_valid():
            return self._render(request, person, form)
        try:
            participant_erase(
                participant=person, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except ParticipantEraseError as exc:
            return self._render(request, person, form, error=str(exc))
        messages.success(
            request,
            _(
                "The personal data of participant #%(id)s was erased. Their enrolments, scores "
                "and certificates still count in the figures, without a name."
            )
            % {"id": person.pk},
        )
        return redirect("participants:participant_detail", pk=person.pk)


class RetentionView(RoleRequiredMixin, View):
    """The people with no activity for the retention period, oldest first, to erase or keep."""

    roles = PLANNERS

    def get(self, request: HttpRequest) -> HttpResponse:
        years = settings.BILIM_RETENTION_YEARS
        people = participants_for_retention(years=years)
        page = Paginator(people, PAGE_SIZE).get_page(request.GET.get("page"))
        return TemplateResponse(
            request,
            "participants/participant_retention.html",
            {
                "years": years,
                "cutoff": retention_cutoff(years),
                "page_obj": page,
                "people": page.object_list,
            },
        )


urlpatterns = [
    path(
        "participants/<int:pk>/erase/",
        ParticipantEraseView.as_view(),
        name="participant_erase",
    ),
    path("participants/retention/", RetentionView.as_view(), name="participant_retention"),
]
