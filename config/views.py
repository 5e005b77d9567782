"""The start pages: "/" sends each person to the page of their role."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import Prefetch, QuerySet
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.views import View
from django.views.generic import TemplateView

from reports import cache as stats_cache
from reports.stats import Filters, summary
from trainings import roles
from trainings.models import Session, TrainingDay
from trainings.permissions import RoleRequiredMixin, role_of
from trainings.views.organiser import with_counts

START_PAGES = {
    roles.ORGANISER: "home_organiser",
    roles.TRAINER: "home_trainer",
    roles.ME_OFFICER: "home_me",
    roles.ADMINISTRATOR: "home_administrator",
}

# How many sessions each list on a start page shows; the admin lists the rest.
LIST_LIMIT = 10


def _with_counts(sessions: QuerySet[Session]) -> QuerySet[Session]:
    """Annotate enrolled, waitlisted and day counts; join the course and region.

    The session list's counting (a subquery per count, so that only the sessions shown are
    counted): grouping every enrolment of every session took most of a second at 100,000.
    """
    return with_counts(sessions)


class HomeView(LoginRequiredMixin, View):
    """Send a signed-in person to their role's start page; explain when they have no role."""

    def get(self, request):
        role = role_of(request.user)
        if role is None:
            return render(request, "home/no_role.html", status=403)
        return redirect(START_PAGES[role])


class OrganiserHomeView(RoleRequiredMixin, TemplateView):
    """Show current, upcoming and recent sessions with their enrolment counts."""

    roles = [roles.ORGANISER, roles.ADMINISTRATOR]
    template_name = "home/organiser.html"

    def get_context_data(self, **kwargs):
        today = timezone.localdate()
        sessions = _with_counts(Session.objects.all())
        upcoming = (
            sessions.filter(end_date__gte=today)
            .exclude(status=Session.Status.CANCELLED)
            .order_by("start_date", "code")[:LIST_LIMIT]
        )
        recent = sessions.filter(end_date__lt=today).order_by("-end_date", "code")[:LIST_LIMIT]
        return super().get_context_data(
            today=today, upcoming=list(upcoming), recent=list(recent), **kwargs
        )


class TrainerHomeView(RoleRequiredMixin, TemplateView):
    """Show the sessions the signed-in trainer is assigned to, with their days and enrolments."""

    roles = [roles.TRAINER, roles.ADMINISTRATOR]
    template_name = "home/trainer.html"

    def get_context_data(self, **kwargs):
        today = timezone.localdate()
        days = Prefetch("days", queryset=TrainingDay.objects.only("id", "session_id", "date"))
        mine = _with_counts(Session.objects.filter(trainers=self.request.user)).prefetch_related(
            days
        )
        # One query (and one for the days) whichever lists are empty: a trainer has few sessions.
        sessions = list(mine.order_by("start_date", "code"))
        upcoming = [s for s in sessions if s.end_date >= today]
        past = [s for s in reversed(sessions) if s.end_date < today][:LIST_LIMIT]
        return super().get_context_data(today=today, upcoming=upcoming, past=past, **kwargs)


class MEHomeView(RoleRequiredMixin, TemplateView):
    """Show the headline figures of every participation, as ``manage.py stats`` counts them."""

    roles = [roles.ME_OFFICER, roles.ADMINISTRATOR]
    template_name = "home/me_officer.html"

    def get_context_data(self, **kwargs):
        # From the statistics cache while no counted row changes (reports/cache.py).
        figures = stats_cache.remember(
            ("me-start-page", get_language()), lambda: summary(Filters())
        )
        participants = figures["participants"]
        women = figures["by_gender"].get("female", {}).get("participants", 0)
        rate = figures["attendance_rate"]
        return super().get_context_data(
            figures=figures,
            women_percent=100 * women / participants if participants else None,
            attendance_percent=100 * rate if rate is not None else None,
            mean_gain=figures["assessment"]["mean_gain"],
            **kwargs,
        )


class AdministratorHomeView(RoleRequiredMixin, TemplateView):
    """Show the administrator the way into each section of the admin."""

    roles = [roles.ADMINISTRATOR]
    template_name = "home/administrator.html"
