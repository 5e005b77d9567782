"""Public registration: the organiser opens it and shares a link; anyone with it registers."""

from __future__ import annotations

import io

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.translation import get_language_info
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.generic import TemplateView

from certificates.views import client_address
from trainings.forms_registration import HONEYPOT, RegistrationForm
from trainings.models import Enrolment, Session
from trainings.permissions import PLANNERS, SessionAccessMixin
from trainings.registration import (
    CONSENT_VERSION,
    Outcome,
    RegistrationError,
    registration_accepting,
    registration_close,
    registration_open,
    registration_submit,
)

POSTS_KEY = "trainings:register:posts:{address}"
# Where the done page finds the outcome: in the visitor's own session, never in the address.
OUTCOMES_KEY = "bilim_registration_outcomes"


def consent_context() -> dict[str, str]:
    """What the consent text needs: its version and where to write about one's data."""
    return {
        "consent_version": CONSENT_VERSION,
        "privacy_contact": getattr(settings, "BILIM_PRIVACY_CONTACT", ""),
    }


def registration_link(session: Session) -> str:
    """Return the absolute address of the session's public registration form."""
    base = getattr(settings, "BILIM_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
    return base + reverse("trainings:register", args=[session.registration_token])


# --- floods --------------------------------------------------------------------------------------


def _limit() -> int:
    return int(getattr(settings, "BILIM_REGISTER_LIMIT", 10))


def _window() -> int:
    return int(getattr(settings, "BILIM_REGISTER_WINDOW", 3600))


def posts_exceeded(address: str) -> bool:
    """Whether this address has sent its share of registrations in the current window."""
    return (cache.get(POSTS_KEY.format(address=address)) or 0) >= _limit()


def post_record(address: str) -> None:
    """Count one registration sent from the address; the window starts at its first."""
    key = POSTS_KEY.format(address=address)
    # add() then incr(): incr is atomic in a shared cache, so concurrent posts all count.
    cache.add(key, 0, timeout=_window())
    try:
        cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.add(key, 1, timeout=_window())


def _public(response: HttpResponse) -> HttpResponse:
    # The token is in the address: keep it out of search engines and other sites' logs.
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response


def _too_many(request: HttpRequest) -> HttpResponse:
    window = _window()
    response = render(
        request,
        "trainings/register_too_many.html",
        {"minutes": max(1, (window + 59) // 60)},
        status=429,
    )
    response["Retry-After"] = str(window)
    return _public(response)


def _closed(request: HttpRequest, session: Session) -> HttpResponse:
    return _public(render(request, "trainings/register_closed.html", {"session": session}))


def _remember(request: HttpRequest, token: str, outcome: Outcome) -> None:
    outcomes = dict(request.session.get(OUTCOMES_KEY, {}))
    outcomes[token] = outcome.value
    request.session[OUTCOMES_KEY] = outcomes


def language_name(code: str) -> str:
    """Name a session's language in the reader's language when it is written as a code."""
    try:
        return str(get_language_info(code.strip().lower())["name_translated"])
    except KeyError:
        return code


def _public_session(token: str) -> Session:
    return get_object_or_404(
        Session.objects.select_related("course", "region"), registration_token=token
    )


# --- the organiser's side ------------------------------------------------------------------------


class RegistrationManageView(SessionAccessMixin, TemplateView):
    """Open or close a session's public registration; show its link and QR code."""

    roles = PLANNERS
    template_name = "trainings/registration_manage.html"

    def get_context_data(self, **kwargs):
        session = self.session
        kwargs.update(
            link=registration_link(session) if session.registration_token else "",
            accepting=registration_accepting(session),
            finished=session.status in (Session.Status.CANCELLED, Session.Status.COMPLETED),
            counts=session.enrolments.aggregate(
                registered=Count("pk", filter=Q(status__in=Enrolment.COUNTED)),
                waitlisted=Count("pk", filter=Q(status=Enrolment.Status.WAITLISTED)),
            ),
            **consent_context(),
        )
        return super().get_context_data(**kwargs)

    def post(self, request, *args, **kwargs):
        session = self.session
        action = request.POST.get("action")
        if action == "open":
            try:
                registration_open(session=session, actor=request.user)
            except RegistrationError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(
                    request,
                    _("Registration for %(code)s is open: anyone with the link can register.")
                    % {"code": session.code},
                )
        elif action == "close":
            registration_close(session=session, actor=request.user)
            messages.success(
                request,
                _(
                    "Registration for %(code)s is closed. The link stays the same and shows "
                    "that registration is closed until you open it again."
                )
                % {"code": session.code},
            )
        else:
            messages.error(request, _("Choose to open or to close registration."))
        return redirect("trainings:registration_manage", code=session.code)


class RegistrationQRView(SessionAccessMixin, View):
    """Draw the registration link as an SVG QR code, for slides and printed notices."""

    roles = PLANNERS

    def get(self, request, *args, **kwargs):
        if not self.session.registration_token:
            raise Http404("Registration was never opened for this session.")
        buffer = io.BytesIO()
        segno.make(registration_link(self.session), error="m").save(
            buffer, kind="svg", scale=8, border=4, dark="#1d1d1b", light="#ffffff"
        )
        response = HttpResponse(buffer.getvalue(), content_type="image/svg+xml")
        response["Content-Disposition"] = f'inline; filename="registration-{self.session.code}.svg"'
        return response


# --- the public's side ---------------------------------------------------------------------------


@method_decorator(login_not_required, name="dispatch")
@method_decorator(never_cache, name="dispatch")
class RegisterView(View):
    """The public form: anyone with the link registers while the organiser keeps it open."""

    template_name = "trainings/register_form.html"

    def _page(self, request, session, form, status=200):
        return _public(
            render(
                request,
                self.template_name,
                {
                    "session": session,
                    "form": form,
                    "honeypot": form[HONEYPOT],
                    "language_name": language_name(session.language),
                    **consent_context(),
                },
                status=status,
            )
        )

    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        session = _public_session(token)
        if not registration_accepting(session):
            return _closed(request, session)
        return self._page(request, session, RegistrationForm())

    def post(self, request: HttpRequest, token: str) -> HttpResponse:
        session = _public_session(token)
        address = client_address(request)
        if posts_exceeded(address):
            return _too_many(request)
        post_record(address)
        if not registration_accepting(session):
            return _closed(request, session)
        form = RegistrationForm(request.POST)
        if form.looks_automated():
            # Answer a robot as if it had succeeded, so it learns nothing; write nothing.
            _remember(request, token, Outcome.REGISTERED)
            return redirect("trainings:register_done", token=token)
        if not form.is_valid():
            return self._page(request, session, form)
        try:
            submission = registration_submit(session=session, data=form.cleaned_data)
        except RegistrationError:
            return _closed(request, session)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
            return self._page(request, session, form)
        _remember(request, token, submission.outcome)
        return redirect("trainings:register_done", token=token)


@method_decorator(login_not_required, name="dispatch")
@method_decorator(never_cache, name="dispatch")
class RegisterDoneView(View):
    """Say what became of the visitor's own registration, and nothing about anyone else."""

    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        session = _public_session(token)
        outcome = request.session.get(OUTCOMES_KEY, {}).get(token)
        if outcome is None:
            return redirect("trainings:register", token=token)
        context = {"session": session, "waitlisted": outcome == Outcome.WAITLISTED.value}
        return _public(render(request, "trainings/register_done.html", context))


urlpatterns = [
    path(
        "sessions/<str:code>/registration/",
        RegistrationManageView.as_view(),
        name="registration_manage",
    ),
    path(
        "sessions/<str:code>/registration/qr.svg",
        RegistrationQRView.as_view(),
        name="registration_qr",
    ),
    path("register/<str:token>/", RegisterView.as_view(), name="register"),
    path("register/<str:token>/done/", RegisterDoneView.as_view(), name="register_done"),
]
