"""Spreadsheet uploads with a preview and a confirm step, and the import templates."""

from django.http import HttpResponse
from django.urls import path
from django.views import View

from trainings.permissions import ALL_ROLES, RoleRequiredMixin


class _Stub(RoleRequiredMixin, View):
    """Placeholder until the pages are built."""

    roles = ALL_ROLES

    def get(self, request, *args, **kwargs):
        return HttpResponse("Not built yet")

    post = get


stub = _Stub.as_view()

urlpatterns = [
    path("sessions/import/", stub, name="sessions_upload"),
    path("sessions/<str:code>/roster/", stub, name="roster_upload"),
    path("sessions/<str:code>/results/", stub, name="results_upload"),
    path("imports/templates/<str:kind>/", stub, name="import_template"),
]
