"""The participant directory, a person's history, duplicate suggestions and merging."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views import View

from participants import duplicates
from participants.forms import DirectoryFilterForm, MergeForm
from participants.models import Participant
from participants.selectors import (
    merges_into,
    participant_directory,
    participant_for_page,
    participant_history,
    people_for_merge,
)
from participants.services import ParticipantMergeError, participant_merge
from reports.cache import CachedCountPaginator
from trainings.permissions import PLANNERS, READERS, RoleRequiredMixin, roles_of

PAGE_SIZE = 50
# The duplicates page shows at most this many pairs, best first.
SUGGESTION_CAP = 100

REASONS = {
    duplicates.SAME_NAME: gettext_lazy("same name"),
    duplicates.OTHER_ALPHABET: gettext_lazy("same name in another alphabet"),
    duplicates.OTHER_SPELLING: gettext_lazy("same name spelt differently"),
    duplicates.SWAPPED: gettext_lazy("first and last name swapped"),
    duplicates.ONE_LETTER: gettext_lazy("names differ by one letter"),
    duplicates.SAME_FIRST_NAME: gettext_lazy("same first name"),
    duplicates.SAME_PHONE: gettext_lazy("same phone"),
    duplicates.SAME_BIRTH_YEAR: gettext_lazy("same birth year"),
    duplicates.SAME_AGENCY: gettext_lazy("same agency"),
    duplicates.SAME_REGION: gettext_lazy("same region"),
}


def reason_labels(reasons) -> list[str]:
    """Return the suggestion's reasons in the reader's language."""
    return [str(REASONS.get(r, r)) for r in reasons]


class ParticipantListView(RoleRequiredMixin, View):
    """The directory of participants with filters, a folded name search and pages of 50."""

    roles = READERS

    def get(self, request: HttpRequest) -> HttpResponse:
        form = DirectoryFilterForm(request.GET or None)
        people = participant_directory(**form.filters())
        query = request.GET.copy()
        query.pop("page", None)
        paginator = CachedCountPaginator(
            people, PAGE_SIZE, count_key=("participant-directory", sorted(query.lists()))
        )
        page = paginator.get_page(request.GET.get("page"))
        return TemplateResponse(
            request,
            "participants/participant_list.html",
            {
                "form": form,
                "page_obj": page,
                # Seven or so numbers, not a loop over every page (hundreds at scale).
                "page_range": page.paginator.get_elided_page_range(
                    page.number, on_each_side=2, on_ends=1
                ),
                "ellipsis": page.paginator.ELLIPSIS,
                "people": page.object_list,
                "filtered": form.is_filtered(),
                "query": query.urlencode(),
            },
        )


def _participant_or_404(pk: int) -> Participant:
    try:
        return participant_for_page(pk)
    except Participant.DoesNotExist:
        raise Http404(_("No such participant.")) from None


class ParticipantDetailView(RoleRequiredMixin, View):
    """A person's record, consent, every enrolment with scores and certificates, and merges."""

    roles = READERS

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        person = _participant_or_404(pk)
        history = participant_history(person)
        return TemplateResponse(
            request,
            "participants/participant_detail.html",
            {
                "person": person,
                "history": history,
                "participations": sum(1 for row in history if row.counted),
                "merges": list(merges_into(person)),
                "can_merge": bool(roles_of(request.user) & set(PLANNERS)),
            },
        )


class DuplicateListView(RoleRequiredMixin, View):
    """Pairs of records that may be one person, best first, each with a link to review it."""

    roles = PLANNERS

    def get(self, request: HttpRequest) -> HttpResponse:
        found = duplicates.duplicate_suggestions(limit=SUGGESTION_CAP + 1)
        capped = len(found) > SUGGESTION_CAP
        found = found[:SUGGESTION_CAP]
        # The suggestions hold only the matching columns: load the shown people in one query.
        people = people_for_merge([p.pk for s in found for p in (s.first, s.second)])
        pairs = [
            {
                "first": people[s.first.pk],
                "second": people[s.second.pk],
                "score": s.score,
                "reasons": reason_labels(s.reasons),
                "review_url": f"{reverse('participants:participant_merge')}"
                f"?a={s.first.pk}&b={s.second.pk}",
            }
            for s in found
            if s.first.pk in people and s.second.pk in people
        ]
        return TemplateResponse(
            request,
            "participants/duplicate_list.html",
            {"pairs": pairs, "capped": capped, "cap": SUGGESTION_CAP},
        )


def _id(value: str | None) -> int:
    try:
        number = int(value or "")
    except ValueError:
        number = 0
    # Ids start at 1; one beyond a database integer would crash the lookup rather than miss.
    if not 0 < number < 2**63:
        raise Http404(_("Choose two participants to compare."))
    return number


class ParticipantMergeView(RoleRequiredMixin, View):
    """Compare two records side by side, choose the one to keep, merge the other into it."""

    roles = PLANNERS

    def _load(self, request: HttpRequest) -> list[Participant]:
        data = request.POST if request.method == "POST" else request.GET
        a, b = _id(data.get("a")), _id(data.get("b"))
        if a == b:
            raise Http404(_("Choose two different participants to merge."))
        people = people_for_merge([a, b])
        if len(people) != 2:
            raise Http404(_("No such participant."))
        return [people[a], people[b]]

    def _render(self, request, people, form, error: str = "") -> HttpResponse:
        suggestion = next(iter(duplicates.suggestions_among(people)), None)
        records = [{"person": p, "history": participant_history(p)} for p in people]
        return TemplateResponse(
            request,
            "participants/participant_merge.html",
            {
                "records": records,
                "people": people,
                "form": form,
                "error": error,
                "reasons": reason_labels(suggestion.reasons) if suggestion else [],
                "suggested": suggestion is not None,
            },
        )

    def get(self, request: HttpRequest) -> HttpResponse:
        people = self._load(request)
        # Keep by default the record with more participations, then the older one.
        default = max(people, key=lambda p: (p.participations, -p.pk))
        form = MergeForm(people=people, initial={"keep": default.pk})
        return self._render(request, people, form)

    def post(self, request: HttpRequest) -> HttpResponse:
        people = self._load(request)
        form = MergeForm(request.POST, people=people)
        if not form.is_valid():
            return self._render(request, people, form)
        keep_pk = form.cleaned_data["keep"]
        keep = next(p for p in people if p.pk == keep_pk)
        merge = next(p for p in people if p.pk != keep_pk)
        try:
            record = participant_merge(keep=keep, merge=merge, actor=request.user)
        except ParticipantMergeError as exc:
            return self._render(request, people, form, error=str(exc))
        snapshot = record.merged_snapshot
        moved = len(snapshot.get("enrolments_moved", []))
        combined = len(snapshot.get("combined", []))
        text = _("%(merged)s (#%(merged_id)s) was merged into %(kept)s (#%(kept_id)s).") % {
            "merged": merge.full_name,
            "merged_id": merge.pk,
            "kept": keep.full_name,
            "kept_id": keep.pk,
        }
        text += " " + ngettext(
            "%(count)d enrolment moved.", "%(count)d enrolments moved.", moved
        ) % {"count": moved}
        if combined:
            text += " " + ngettext(
                "%(count)d enrolment combined with one in the same session.",
                "%(count)d enrolments combined with ones in the same sessions.",
                combined,
            ) % {"count": combined}
        messages.success(request, text)
        return redirect("participants:participant_detail", pk=keep.pk)


urlpatterns = [
    path("participants/", ParticipantListView.as_view(), name="participant_list"),
    path("participants/<int:pk>/", ParticipantDetailView.as_view(), name="participant_detail"),
    path("participants/duplicates/", DuplicateListView.as_view(), name="duplicate_list"),
    path("participants/merge/", ParticipantMergeView.as_view(), name="participant_merge"),
]
