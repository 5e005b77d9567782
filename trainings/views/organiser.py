"""Organisers' pages: the course catalogue, sessions, a session's page, registering by hand."""

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
    path("courses/", stub, name="course_list"),
    path("courses/new/", stub, name="course_create"),
    path("courses/<str:code>/edit/", stub, name="course_edit"),
    path("sessions/", stub, name="session_list"),
    path("sessions/new/", stub, name="session_create"),
    path("sessions/<str:code>/", stub, name="session_detail"),
    path("sessions/<str:code>/edit/", stub, name="session_edit"),
    path("sessions/<str:code>/copy/", stub, name="session_copy"),
    path("sessions/<str:code>/cancel/", stub, name="session_cancel"),
    path("sessions/<str:code>/register/", stub, name="enrolment_add"),
    path("sessions/<str:code>/register/search/", stub, name="enrolment_search"),
    path("sessions/<str:code>/enrolments/<int:pk>/status/", stub, name="enrolment_status"),
]
