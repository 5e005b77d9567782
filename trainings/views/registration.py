"""Public registration: the organiser opens it and shares a link; anyone with it registers."""

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
    path("sessions/<str:code>/registration/", stub, name="registration_manage"),
    path("sessions/<str:code>/registration/qr.svg", stub, name="registration_qr"),
    path("register/<str:token>/", stub, name="register"),
    path("register/<str:token>/done/", stub, name="register_done"),
]
