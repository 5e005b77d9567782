"""The statistics page: filters, headline figures, breakdowns, charts."""

from django.http import HttpResponse
from django.urls import path
from django.views import View

from trainings.permissions import READERS, RoleRequiredMixin


class _Stub(RoleRequiredMixin, View):
    """Placeholder until the pages are built."""

    roles = READERS

    def get(self, request, *args, **kwargs):
        return HttpResponse("Not built yet")


stub = _Stub.as_view()

urlpatterns = [
    path("reports/", stub, name="statistics"),
]
