"""A session's history: every recorded change to it, its enrolments, attendance and certificates."""

from typing import Any

from django.core.paginator import Paginator
from django.urls import path
from django.views.generic import TemplateView

from trainings.history import PAGE_SIZE, changes_load, session_change_keys
from trainings.permissions import ALL_ROLES, SessionAccessMixin


class SessionHistoryView(SessionAccessMixin, TemplateView):
    """List a session's recorded changes, newest first, fifty a page: when, who, what."""

    roles = ALL_ROLES
    template_name = "trainings/session_history.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        paginator = Paginator(session_change_keys(self.session), PAGE_SIZE)
        page = paginator.get_page(self.request.GET.get("page"))
        return super().get_context_data(page=page, changes=changes_load(page), **kwargs)


urlpatterns = [
    path("sessions/<str:code>/history/", SessionHistoryView.as_view(), name="session_history"),
]
