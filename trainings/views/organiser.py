"""Organisers' pages: the course catalogue, sessions, a session's page, registering by hand."""

import re
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import (
    Count,
    Exists,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views import View
from django.views.generic import TemplateView

from certificates.models import Certificate
from certificates.rendering import certificates_pdf
from certificates.services import CertificateError, certificates_issue
from participants.matching import PersonIndex, Probe
from participants.models import Agency, Participant
from participants.normalize import clean_text, fold
from participants.services import agency_create, participant_create
from participants.translit import is_cyrillic, latin_key
from trainings import services
from trainings.forms import (
    CourseForm,
    EnrolmentStatusForm,
    NewPersonForm,
    SearchForm,
    SessionCopyForm,
    SessionFilterForm,
    SessionForm,
    add_service_errors,
)
from trainings.models import Course, Enrolment, Session, TrainingDay
from trainings.permissions import (
    ALL_ROLES,
    PLANNERS,
    READERS,
    RoleRequiredMixin,
    SessionAccessMixin,
    roles_of,
    sessions_for,
)
from trainings.sheets import sign_in_sheets_pdf

PAGE_SIZE = 25
# How many people the register page's search lists.
SEARCH_LIMIT = 20
# Searching by Latin spelling reads every name; above this many people it is left out.
TRANSLIT_SCAN_LIMIT = 5000
PDF = "application/pdf"


def person_name(participant: Participant) -> str:
    """Return a person's name as messages say it: first name, then last name."""
    return " ".join(p for p in (participant.first_name, participant.last_name) if p)


def is_planner(user: Any) -> bool:
    return bool(roles_of(user) & set(PLANNERS))


def _count(rows: QuerySet, on: str) -> Coalesce:
    """A correlated subquery counting ``rows`` per ``on`` (the outer session), 0 when none."""
    counted = rows.order_by().values(on).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def with_counts(sessions: QuerySet[Session]) -> QuerySet[Session]:
    """Annotate enrolled, waitlisted and day counts; join the course and region.

    The counts are correlated subqueries, not joins grouped by session: the database then sorts
    and cuts the page first and counts for its 50 sessions only (an index on enrolments' session
    and status answers each), and the paginator's COUNT(*) leaves the unused subqueries out
    instead of grouping every enrolment of every session.
    """
    of_session = Enrolment.objects.filter(session=OuterRef("pk"))
    return sessions.select_related("course", "region").annotate(
        enrolled=_count(of_session.filter(status__in=Enrolment.COUNTED), "session"),
        waitlisted=_count(of_session.filter(status=Enrolment.Status.WAITLISTED), "session"),
        day_count=_count(TrainingDay.objects.filter(session=OuterRef("pk")), "session"),
    )


def _download(content: bytes, filename: str) -> HttpResponse:
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in filename)
    response = HttpResponse(content, content_type=PDF)
    response["Content-Disposition"] = f'attachment; filename="{safe}"'
    return response


# --- courses -------------------------------------------------------------------------------------


class CourseListView(RoleRequiredMixin, TemplateView):
    """List the course catalogue with each course's number of sessions; search it."""

    roles = READERS
    template_name = "trainings/course_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        form = SearchForm(self.request.GET)
        query = fold(form.cleaned_data["q"]) if form.is_valid() else ""
        courses = list(Course.objects.annotate(session_count=Count("sessions")).order_by("code"))
        total = len(courses)
        if query:
            # The catalogue is short; folding in Python matches Cyrillic on SQLite too.
            courses = [
                c
                for c in courses
                if all(
                    word in fold(f"{c.code} {c.title} {c.thematic_area}") for word in query.split()
                )
            ]
        return super().get_context_data(
            form=form,
            query=query,
            courses=courses,
            total=total,
            can_plan=is_planner(self.request.user),
            **kwargs,
        )


class CourseFormView(RoleRequiredMixin, TemplateView):
    """Add a course to the catalogue, or change one."""

    roles = PLANNERS
    template_name = "trainings/course_form.html"

    def get_course(self) -> Course | None:
        code = self.kwargs.get("code")
        return get_object_or_404(Course, code=code) if code else None

    def get(self, request, *args, **kwargs):
        course = self.get_course()
        return self.render_to_response(
            self.get_context_data(form=CourseForm(instance=course), course=course)
        )

    def post(self, request, *args, **kwargs):
        course = self.get_course()
        form = CourseForm(request.POST, instance=course)
        if form.is_valid():
            values = dict(form.cleaned_data)
            try:
                if course is None:
                    course = services.course_create(actor=request.user, **values)
                    messages.success(request, _("Course %(code)s added.") % {"code": course.code})
                else:
                    values.pop("code", None)
                    course = services.course_update(course=course, actor=request.user, **values)
                    messages.success(request, _("Course %(code)s saved.") % {"code": course.code})
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                return redirect("trainings:course_list")
        return self.render_to_response(self.get_context_data(form=form, course=course))


# --- the list of sessions ------------------------------------------------------------------------


class SessionListView(RoleRequiredMixin, TemplateView):
    """List the sessions the user may see, filtered, with enrolled and waitlisted counts."""

    roles = ALL_ROLES
    template_name = "trainings/session_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        visible = sessions_for(self.request.user)
        # From the first to the last session's year: two index lookups, where the distinct years
        # took a pass over every session (on SQLite through a Python function per row).
        bounds = visible.aggregate(first=Min("start_date"), last=Max("start_date"))
        years = (
            list(range(bounds["last"].year, bounds["first"].year - 1, -1)) if bounds["last"] else []
        )
        form = SessionFilterForm(self.request.GET or None, years=years)
        sessions = visible
        filtered = False
        if form.is_bound and form.is_valid():
            data = form.cleaned_data
            if data["status"]:
                sessions = sessions.filter(status=data["status"])
            if data["course"]:
                sessions = sessions.filter(course=data["course"])
            if data["region"]:
                sessions = sessions.filter(region=data["region"])
            if data["year"]:
                sessions = sessions.filter(start_date__year=data["year"])
            if data["q"]:
                sessions = sessions.filter(pk__in=self._matching(visible, data["q"]))
            filtered = any(data.values())
        sessions = with_counts(sessions).order_by("-start_date", "code")
        page = Paginator(sessions, PAGE_SIZE).get_page(self.request.GET.get("page"))
        query = self.request.GET.copy()
        query.pop("page", None)
        return super().get_context_data(
            form=form,
            page=page,
            sessions=page.object_list,
            filtered=filtered,
            querystring=query.urlencode(),
            can_plan=is_planner(self.request.user),
            **kwargs,
        )

    @staticmethod
    def _matching(sessions: QuerySet[Session], text: str) -> list[int]:
        # Titles are Cyrillic as often as not, and SQLite folds ASCII only: fold in Python.
        words = fold(text).split()
        rows = sessions.values_list("pk", "code", "title", "course__title", "course__code")
        return [
            pk
            for pk, *texts in rows
            if all(word in fold(" ".join(t or "" for t in texts)) for word in words)
        ]


# --- creating and changing sessions --------------------------------------------------------------


class SessionCreateView(RoleRequiredMixin, TemplateView):
    """Plan a session of a course."""

    roles = PLANNERS
    template_name = "trainings/session_form.html"

    def get(self, request, *args, **kwargs):
        initial = {}
        if request.GET.get("course"):
            initial["course"] = Course.objects.filter(code=request.GET["course"]).first()
        return self.render_to_response(self.get_context_data(form=SessionForm(initial=initial)))

    def post(self, request, *args, **kwargs):
        form = SessionForm(request.POST)
        if form.is_valid():
            try:
                session = services.session_create(actor=request.user, **form.service_values())
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("Session %(code)s planned with %(days)s training days.")
                    % {"code": session.code, "days": session.days.count()},
                )
                return redirect("trainings:session_detail", session.code)
        return self.render_to_response(self.get_context_data(form=form))


class PlannerSessionMixin(SessionAccessMixin):
    """A page of one session that only organisers and administrators use."""

    roles = PLANNERS
    changes = True


class SessionEditView(PlannerSessionMixin, TemplateView):
    """Change a session's settings, dates and trainers."""

    template_name = "trainings/session_form.html"

    def get(self, request, *args, **kwargs):
        return self.render_to_response(
            self.get_context_data(form=SessionForm(instance=self.session))
        )

    def post(self, request, *args, **kwargs):
        form = SessionForm(request.POST, instance=self.session)
        if form.is_valid():
            try:
                session = services.session_update(
                    session=self.session, actor=request.user, **form.service_values()
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Session %(code)s saved.") % {"code": session.code})
                return redirect("trainings:session_detail", session.code)
        # A failed save may have changed the instance in memory: show the stored code.
        self.session.refresh_from_db()
        return self.render_to_response(self.get_context_data(form=form))


def suggested_code(code: str) -> str:
    """Return the code with its last number counted up (UPR-2025-01 -> UPR-2025-02), if free."""
    match = re.search(r"(\d+)(\D*)$", code)
    if not match:
        return ""
    digits = match.group(1)
    stem = code[: match.start(1)]
    number = int(digits)
    candidates = [
        f"{stem}{str(number + i).zfill(len(digits))}{match.group(2)}" for i in range(1, 21)
    ]
    taken = set(Session.objects.filter(code__in=candidates).values_list("code", flat=True))
    return next((c for c in candidates if c not in taken), "")


class SessionCopyView(PlannerSessionMixin, TemplateView):
    """Plan the next run of a session: a new code and start date, everything else kept."""

    template_name = "trainings/session_copy.html"
    session_queryset_related = ("course", "region", "certificate_design")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        kwargs.setdefault("trainers", list(self.session.trainers.all()))
        kwargs.setdefault("length", (self.session.end_date - self.session.start_date).days + 1)
        return super().get_context_data(**kwargs)

    def get(self, request, *args, **kwargs):
        form = SessionCopyForm(initial={"code": suggested_code(self.session.code)})
        return self.render_to_response(self.get_context_data(form=form))

    def post(self, request, *args, **kwargs):
        form = SessionCopyForm(request.POST)
        if form.is_valid():
            try:
                copy = services.session_copy(
                    session=self.session,
                    code=form.cleaned_data["code"],
                    start_date=form.cleaned_data["start_date"],
                    actor=request.user,
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("Session %(code)s planned as a copy of %(original)s.")
                    % {"code": copy.code, "original": self.session.code},
                )
                return redirect("trainings:session_detail", copy.code)
        return self.render_to_response(self.get_context_data(form=form))


class SessionCancelView(PlannerSessionMixin, TemplateView):
    """Ask for confirmation, then cancel the session."""

    template_name = "trainings/session_cancel.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        counts = self.session.enrolments.aggregate(
            counted=Count("pk", filter=Q(status__in=Enrolment.COUNTED)),
            waitlisted=Count("pk", filter=Q(status=Enrolment.Status.WAITLISTED)),
        )
        return super().get_context_data(**counts, **kwargs)

    def post(self, request, *args, **kwargs):
        if self.session.status == Session.Status.CANCELLED:
            messages.info(
                request, _("%(code)s was already cancelled.") % {"code": self.session.code}
            )
            return redirect("trainings:session_detail", self.session.code)
        counted = self.session.enrolments.filter(status__in=Enrolment.COUNTED).count()
        services.session_cancel(session=self.session, actor=request.user)
        messages.success(
            request,
            ngettext(
                "%(code)s cancelled; its %(count)s enrolment no longer counts in the figures.",
                "%(code)s cancelled; its %(count)s enrolments no longer count in the figures.",
                counted,
            )
            % {"code": self.session.code, "count": counted},
        )
        return redirect("trainings:session_detail", self.session.code)


# --- a session's page ----------------------------------------------------------------------------


class SessionDetailView(SessionAccessMixin, TemplateView):
    """Show a session: its settings, days, trainers and enrolments, and the ways to act on it."""

    roles = ALL_ROLES
    template_name = "trainings/session_detail.html"
    session_queryset_related = ("course", "region")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        session = self.session
        days = list(TrainingDay.objects.filter(session=session).order_by("date"))
        certificate = Certificate.objects.filter(enrolment=OuterRef("pk"), revoked=False)
        enrolments = list(
            session.enrolments.select_related("participant__agency", "participant__gender")
            .annotate(
                days_present=Count("attendance", filter=Q(attendance__present=True)),
                certificate_number=Subquery(certificate.values("number")[:1]),
            )
            .order_by("participant__last_name", "participant__first_name", "pk")
        )
        counts = {status: 0 for status in Enrolment.Status.values}
        for enrolment in enrolments:
            counts[enrolment.status] += 1
        enrolled = counts[Enrolment.Status.REGISTERED] + counts[Enrolment.Status.CONFIRMED]
        planner = is_planner(self.request.user)
        cancelled = session.status == Session.Status.CANCELLED
        if planner and not cancelled:
            # The buttons of each row, worked out here rather than by an include per button:
            # a 40-person session's page rendered 80 includes.
            for enrolment in enrolments:
                enrolment.actions = ENROLMENT_ACTIONS[enrolment.status]
        return super().get_context_data(
            days=days,
            trainers=list(session.trainers.order_by("last_name", "first_name", "username")),
            enrolments=enrolments,
            enrolled=enrolled,
            waitlisted=counts[Enrolment.Status.WAITLISTED],
            withdrawn=counts[Enrolment.Status.WITHDRAWN],
            full=session.capacity is not None and enrolled >= session.capacity,
            planner=planner,
            cancelled=cancelled,
            **kwargs,
        )


# What a planner may do with an enrolment of each status: (the status it moves to, the button).
ENROLMENT_ACTIONS = {
    Enrolment.Status.WAITLISTED: [
        (Enrolment.Status.REGISTERED, gettext_lazy("Move up")),
        (Enrolment.Status.WITHDRAWN, gettext_lazy("Withdraw")),
    ],
    Enrolment.Status.REGISTERED: [
        (Enrolment.Status.CONFIRMED, gettext_lazy("Confirm")),
        (Enrolment.Status.WITHDRAWN, gettext_lazy("Withdraw")),
    ],
    Enrolment.Status.CONFIRMED: [(Enrolment.Status.WITHDRAWN, gettext_lazy("Withdraw"))],
    Enrolment.Status.WITHDRAWN: [(Enrolment.Status.REGISTERED, gettext_lazy("Take back"))],
}


class SessionActionView(SessionAccessMixin, View):
    """A POST-only action on a session by organisers and administrators."""

    roles = PLANNERS
    changes = True

    def back(self) -> HttpResponseRedirect:
        return redirect("trainings:session_detail", self.session.code)


class EnrolmentStatusView(SessionActionView):
    """Withdraw, confirm or register an enrolment; moving a seat up the waitlist as it frees."""

    DONE = {
        Enrolment.Status.WITHDRAWN: gettext_lazy("%(name)s withdrawn."),
        Enrolment.Status.CONFIRMED: gettext_lazy("%(name)s confirmed."),
        Enrolment.Status.REGISTERED: gettext_lazy("%(name)s registered."),
        Enrolment.Status.WAITLISTED: gettext_lazy("%(name)s put on the waitlist."),
    }

    def post(self, request, *args, **kwargs):
        enrolment = get_object_or_404(
            Enrolment.objects.select_related("participant"), pk=kwargs["pk"], session=self.session
        )
        form = EnrolmentStatusForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Choose a valid status."))
            return self.back()
        name = person_name(enrolment.participant)
        before = enrolment.status
        try:
            enrolment, promoted = services.enrolment_status_set(
                enrolment=enrolment, status=form.cleaned_data["status"], actor=request.user
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return self.back()
        if before == Enrolment.Status.WAITLISTED and enrolment.status in Enrolment.COUNTED:
            text = _("%(name)s moved off the waitlist.") % {"name": name}
        else:
            text = str(self.DONE[enrolment.status]) % {"name": name}
        if promoted:
            names = ", ".join(person_name(e.participant) for e in promoted)
            text = (
                text.rstrip(".")
                + "; "
                + (_("%(names)s moved up from the waitlist.") % {"names": names})
            )
        messages.success(request, text)
        return self.back()


class CertificatesIssueView(SessionActionView):
    """Issue a certificate to every eligible enrolment that has none."""

    def post(self, request, *args, **kwargs):
        try:
            report = certificates_issue(session=self.session, actor=request.user)
        except CertificateError as exc:
            messages.error(request, str(exc))
            return self.back()
        issued = len(report.issued)
        messages.success(
            request,
            ngettext(
                "Issued %(issued)s certificate, %(already)s already issued, "
                "%(not_eligible)s not eligible.",
                "Issued %(issued)s certificates, %(already)s already issued, "
                "%(not_eligible)s not eligible.",
                issued,
            )
            % {
                "issued": issued,
                "already": report.already_issued,
                "not_eligible": report.not_eligible,
            },
        )
        return self.back()


class CertificatesPdfView(SessionAccessMixin, View):
    """Download every valid certificate of the session as one PDF, for printing."""

    roles = ALL_ROLES

    def get(self, request, *args, **kwargs):
        certificates = list(
            Certificate.objects.filter(enrolment__session=self.session, revoked=False).order_by(
                "sequence", "number"
            )
        )
        if not certificates:
            messages.warning(
                request, _("%(code)s has no certificates yet.") % {"code": self.session.code}
            )
            return redirect("trainings:session_detail", self.session.code)
        return _download(certificates_pdf(certificates), f"certificates-{self.session.code}.pdf")


class SignInSheetsView(SessionAccessMixin, View):
    """Download the session's printable sign-in sheets, one section per training day."""

    roles = ALL_ROLES

    def get(self, request, *args, **kwargs):
        content = sign_in_sheets_pdf(self.session)
        return _download(content, f"sign-in-sheets-{self.session.code}.pdf")


# --- registering by hand -------------------------------------------------------------------------


def people_matching(text: str, *, session: Session, limit: int = SEARCH_LIMIT) -> list[Participant]:
    """Find people whose name or email contains every word typed, in any alphabet and case.

    Compares the stored folded keys, so Cyrillic matches on SQLite too. When nothing is found
    and the text is in Latin letters, compares the Latin spelling of every name as well
    (``latin_key``), so that "Aigul Osmonova" finds "Айгүл Осмонова".
    """
    words = fold(text).split()
    if not words:
        return []
    condition = Q()
    for word in words:
        condition &= Q(name_key__contains=word)
    if len(words) == 1:
        condition |= Q(email_key__contains=words[0])
    enrolled = Enrolment.objects.filter(session=session, participant=OuterRef("pk"))
    people = Participant.objects.select_related("agency").annotate(
        enrolled_here=Exists(enrolled.exclude(status=Enrolment.Status.WITHDRAWN))
    )
    found = list(people.filter(condition).order_by("name_key", "pk")[:limit])
    if not found and not is_cyrillic(text) and any(len(w) >= 3 for w in words):
        latin = [latin_key(w) for w in words]
        keys = Participant.objects.values_list("pk", "name_key")[: TRANSLIT_SCAN_LIMIT + 1]
        rows = list(keys)
        if len(rows) <= TRANSLIT_SCAN_LIMIT:
            ids = [pk for pk, key in rows if all(w in latin_key(key) for w in latin)][:limit]
            if ids:
                found = list(people.filter(pk__in=ids).order_by("name_key", "pk"))
    return found


class EnrolmentAddView(SessionAccessMixin, TemplateView):
    """Register a participant in the session: find a known person, or record a new one."""

    roles = PLANNERS
    changes = True
    template_name = "trainings/enrolment_add.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        search = SearchForm(self.request.GET)
        query = search.cleaned_data["q"] if search.is_valid() else ""
        kwargs.setdefault("form", NewPersonForm())
        return super().get_context_data(
            search=search,
            query=query,
            people=people_matching(query, session=self.session) if query else [],
            agencies=Agency.objects.order_by("name").values_list("name", flat=True),
            **kwargs,
        )

    def post(self, request, *args, **kwargs):
        if "participant" in request.POST:
            return self.enrol_known(request)
        return self.enrol_new(request)

    def enrol_known(self, request):
        pk = request.POST.get("participant", "")
        # A tampered id (text, out of range) or an erased record is nobody to register.
        participant = (
            Participant.objects.filter(pk=int(pk), erased_at__isnull=True).first()
            if pk.isdecimal() and 0 < int(pk) < 2**63
            else None
        )
        if participant is None:
            messages.error(request, _("That person is not recorded any more: search again."))
            return redirect("trainings:enrolment_add", self.session.code)
        return self.enrol(participant)

    def enrol(self, participant: Participant, *, found: bool = False) -> HttpResponseRedirect:
        name = person_name(participant)
        back = redirect("trainings:enrolment_add", self.session.code)
        before = (
            Enrolment.objects.filter(session=self.session, participant=participant)
            .values_list("status", flat=True)
            .first()
        )
        if before is not None and before != Enrolment.Status.WITHDRAWN:
            messages.info(self.request, _("%(name)s was already enrolled.") % {"name": name})
            return back
        try:
            enrolment, _created = services.enrolment_create(
                session=self.session, participant=participant, actor=self.request.user
            )
        except ValidationError as exc:
            messages.error(self.request, " ".join(exc.messages))
            return back
        if enrolment.status == Enrolment.Status.WAITLISTED:
            text = _("%(name)s put on the waitlist: the session is full.") % {"name": name}
            messages.warning(self.request, self._found(text, found))
        else:
            text = _("%(name)s registered.") % {"name": name}
            messages.success(self.request, self._found(text, found))
        return back

    @staticmethod
    def _found(text: str, found: bool) -> str:
        if not found:
            return text
        return text + " " + _("They were already recorded: their record was used, not a new one.")

    def enrol_new(self, request):
        form = NewPersonForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            probe = Probe.of(
                last_name=clean_text(data["last_name"]),
                first_name=clean_text(data["first_name"]),
                middle_name=clean_text(data["middle_name"]),
                email=data["email"],
                birth_year=data["birth_year"],
            )
            index = PersonIndex.load(
                email_keys=[probe.email_key],
                name_keys=[probe.name_key],
                queryset=Participant.objects.all(),
            )
            match = index.match(probe)
            if match.ambiguous:
                name = f"{clean_text(data['first_name'])} {clean_text(data['last_name'])}"
                column, message = match.problem(probe, name)
                form.add_error(column if column in form.fields else None, message)
            elif match.person is not None:
                person = Participant.objects.get(pk=match.person.pk)
                return self.enrol(person, found=True)
            else:
                try:
                    person = self.create_person(form)
                except ValidationError as exc:
                    add_service_errors(form, exc)
                else:
                    return self.enrol(person)
        return self.render_to_response(self.get_context_data(form=form, show_new=True))

    @transaction.atomic
    def create_person(self, form: NewPersonForm) -> Participant:
        data = form.cleaned_data
        agency = form.agency
        if agency is None:
            try:
                agency = agency_create(
                    name=data["agency_name"], type=data["agency_type"], actor=self.request.user
                )
            except ValidationError as exc:
                raise ValidationError({"agency_name": exc.messages}) from exc
        return participant_create(
            last_name=data["last_name"],
            first_name=data["first_name"],
            middle_name=data["middle_name"],
            gender=data["gender"],
            birth_year=data["birth_year"],
            agency=agency,
            position=data["position"],
            region=data["region"],
            email=data["email"],
            phone=data["phone"],
            disability=data["disability"] or Participant.Disability.NOT_STATED,
            consent=data["consent"],
            actor=self.request.user,
        )


class EnrolmentSearchView(SessionAccessMixin, TemplateView):
    """The search results of the register page, for search-as-you-type."""

    roles = PLANNERS
    changes = True
    template_name = "trainings/partials/_enrolment_results.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        search = SearchForm(self.request.GET)
        query = search.cleaned_data["q"] if search.is_valid() else ""
        return super().get_context_data(
            query=query,
            people=people_matching(query, session=self.session) if query else [],
            **kwargs,
        )

    def get(self, request, *args, **kwargs):
        if not request.htmx:
            # Without JavaScript the search is the register page's own GET form.
            url = reverse("trainings:enrolment_add", args=[self.session.code])
            return redirect(f"{url}?{request.GET.urlencode()}")
        return super().get(request, *args, **kwargs)


urlpatterns = [
    path("courses/", CourseListView.as_view(), name="course_list"),
    path("courses/new/", CourseFormView.as_view(), name="course_create"),
    path("courses/<str:code>/edit/", CourseFormView.as_view(), name="course_edit"),
    path("sessions/", SessionListView.as_view(), name="session_list"),
    path("sessions/new/", SessionCreateView.as_view(), name="session_create"),
    path("sessions/<str:code>/", SessionDetailView.as_view(), name="session_detail"),
    path("sessions/<str:code>/edit/", SessionEditView.as_view(), name="session_edit"),
    path("sessions/<str:code>/copy/", SessionCopyView.as_view(), name="session_copy"),
    path("sessions/<str:code>/cancel/", SessionCancelView.as_view(), name="session_cancel"),
    path("sessions/<str:code>/register/", EnrolmentAddView.as_view(), name="enrolment_add"),
    path(
        "sessions/<str:code>/register/search/",
        EnrolmentSearchView.as_view(),
        name="enrolment_search",
    ),
    path(
        "sessions/<str:code>/enrolments/<int:pk>/status/",
        EnrolmentStatusView.as_view(),
        name="enrolment_status",
    ),
    path(
        "sessions/<str:code>/sign-in-sheets.pdf",
        SignInSheetsView.as_view(),
        name="sign_in_sheets",
    ),
    path(
        "sessions/<str:code>/certificates/issue/",
        CertificatesIssueView.as_view(),
        name="certificates_issue",
    ),
    path(
        "sessions/<str:code>/certificates.pdf",
        CertificatesPdfView.as_view(),
        name="certificates_pdf",
    ),
]
