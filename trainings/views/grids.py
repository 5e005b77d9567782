"""Trainers' grids: attendance per day and pre/post scores, saved cell by cell."""

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
    path("sessions/<str:code>/attendance/", stub, name="attendance_grid"),
    path("sessions/<str:code>/attendance/mark/", stub, name="attendance_mark"),
    path("sessions/<str:code>/scores/", stub, name="score_grid"),
    path("sessions/<str:code>/scores/save/", stub, name="score_save"),
]
