"""The participant directory, a person's history, duplicate suggestions and merging."""

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
    path("participants/", stub, name="participant_list"),
    path("participants/<int:pk>/", stub, name="participant_detail"),
    path("participants/duplicates/", stub, name="duplicate_list"),
    path("participants/merge/", stub, name="participant_merge"),
]
