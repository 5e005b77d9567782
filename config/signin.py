"""Signing in: throttled password and code checks, the second step for two-factor, session expiry.

Failed sign-ins are counted in the cache (shared by every app server in production) per account
(the typed username, casefolded, whether or not such an account exists) and per client address.
Reaching a limit locks that account or address for a whole window, during which even the right
password is refused with 429, so a guesser learns nothing from the answer.

A user with a confirmed TOTP device is not signed in by the password alone: the password step
leaves a pending sign-in in the session and the code page finishes it (django_otp.login marks the
session verified). TwoFactorMiddleware sends an administrator's unverified session (one started
before the device was confirmed, or by force_login) to the code page; SessionExpiryMiddleware
signs out sessions idle or old beyond their limits.
"""

import hashlib
import logging
import math
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import BACKEND_SESSION_KEY, get_user_model
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.signals import user_logged_in
from django.contrib.auth.views import LoginView
from django.core.cache import cache
from django.dispatch import receiver
from django.forms.forms import NON_FIELD_ERRORS
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django_otp import login as otp_login
from django_otp import verify_token
from django_otp.plugins.otp_totp.models import TOTPDevice

from certificates.views import client_address
from trainings import roles
from trainings.permissions import roles_of

logger = logging.getLogger("bilim.signin")

ACCOUNT = "account"
ADDRESS = "address"
CODE = "code"
# The pending sign-in (password given, code not yet) and the session's timestamps.
PENDING_KEY = "bilim_signin_pending"
SIGNED_IN_AT = "bilim_signed_in_at"
SEEN_AT = "bilim_seen_at"
# The code must follow the password within this many seconds.
PENDING_SECONDS = 5 * 60
# The last-seen time is written at most this often (a session save), not on every request.
SEEN_RESOLUTION = 60


# --- counting failures -------------------------------------------------------------------------


def _limit(scope: str) -> int:
    return {
        ACCOUNT: settings.BILIM_LOGIN_FAILURE_LIMIT,
        ADDRESS: settings.BILIM_LOGIN_ADDRESS_LIMIT,
        CODE: settings.BILIM_OTP_FAILURE_LIMIT,
    }[scope]


def _key(kind: str, scope: str, who: str) -> str:
    # Hashed: usernames may hold characters or lengths a cache key must not.
    return f"signin:{kind}:{scope}:{hashlib.sha256(who.encode()).hexdigest()[:40]}"


def account_of(username: str) -> str:
    """Return the name failures of this typed username are counted under."""
    return username.strip().casefold()


def locked_until(scope: str, who: str) -> float | None:
    """Return when the lock on this account, address or code check ends, or None if unlocked."""
    until = cache.get(_key("lock", scope, who))
    return until if until is not None and until > time.time() else None


def failure_record(scope: str, who: str) -> float | None:
    """Count one failure; at the limit, lock for a window and return when the lock ends.

    Side effect: logs a warning for each lock-out.
    """
    window = settings.BILIM_LOGIN_WINDOW
    key = _key("count", scope, who)
    # add() then incr(): incr is atomic in a shared cache, so parallel failures all count.
    cache.add(key, 0, timeout=window)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.add(key, 1, timeout=window)
        count = 1
    if count < _limit(scope):
        return None
    until = time.time() + window
    cache.set(_key("lock", scope, who), until, timeout=window)
    cache.delete(key)
    logger.warning(
        "Sign-in locked: %s %r after %s failures, until %s",
        scope,
        who,
        count,
        datetime.fromtimestamp(until, UTC).isoformat(timespec="seconds"),
    )
    return until


def failures_reset(scope: str, who: str) -> None:
    """Forget the failures counted against this account, address or code check."""
    cache.delete(_key("count", scope, who))


def refused(request: HttpRequest, template: str, until: float, context: dict) -> HttpResponse:
    """Answer 429 on the given page, saying when to try again."""
    seconds = max(1, math.ceil(until - time.time()))
    at = timezone.localtime(datetime.fromtimestamp(until, UTC))
    message = _(
        "Too many failed attempts. For your safety, signing in is paused: "
        "please try again in %(minutes)s min, at %(time)s."
    ) % {"minutes": math.ceil(seconds / 60), "time": at.strftime("%H:%M")}
    response = render(request, template, {**context, "throttled": message}, status=429)
    response["Retry-After"] = str(seconds)
    return response


# --- the pending sign-in -----------------------------------------------------------------------


def confirmed_device(user) -> TOTPDevice | None:
    """Return the user's confirmed TOTP device, if two-factor sign-in is on for them."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def pending_start(request: HttpRequest, user, backend: str, next_url: str) -> None:
    """Remember that the user gave their password and now owes a code."""
    request.session[PENDING_KEY] = {
        "user": user.pk,
        "backend": backend,
        "next": next_url,
        "at": time.time(),
    }


def pending_user(request: HttpRequest) -> tuple[Any, dict] | None:
    """Return the user waiting to give a code, and the pending data; None when nobody waits."""
    data = request.session.get(PENDING_KEY)
    if not data:
        return None
    if time.time() - data["at"] > PENDING_SECONDS:
        del request.session[PENDING_KEY]
        return None
    user = get_user_model().objects.filter(pk=data["user"], is_active=True).first()
    return (user, data) if user is not None else None


class SignInView(LoginView):
    """Sign in with a password, counting failures; ask for a code when two-factor is on."""

    redirect_authenticated_user = True

    def _who(self) -> tuple[str, str]:
        return account_of(self.request.POST.get("username", "")), client_address(self.request)

    def _refused(self, until: float) -> HttpResponse:
        form = self.get_form_class()(self.request)
        form.initial = {"username": self.request.POST.get("username", "")}
        return refused(self.request, self.template_name, until, self.get_context_data(form=form))

    def post(self, request, *args, **kwargs):
        account, address = self._who()
        until = max((locked_until(ACCOUNT, account) or 0), (locked_until(ADDRESS, address) or 0))
        if until:
            return self._refused(until)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        if form.has_error(NON_FIELD_ERRORS, "invalid_login") or form.has_error(
            NON_FIELD_ERRORS, "inactive"
        ):
            account, address = self._who()
            until = max(
                failure_record(ACCOUNT, account) or 0, failure_record(ADDRESS, address) or 0
            )
            if until:
                return self._refused(until)
        return super().form_invalid(form)

    def form_valid(self, form):
        user = form.get_user()
        failures_reset(ACCOUNT, account_of(user.get_username()))
        failures_reset(ACCOUNT, self._who()[0])
        if confirmed_device(user) is None:
            return super().form_valid(form)
        pending_start(self.request, user, user.backend, self.get_success_url())
        return redirect("login_code")


class CodeForm(forms.Form):
    """The six digits an authenticator app shows."""

    code = forms.CharField(
        label=gettext_lazy("Code from your authenticator app"),
        max_length=12,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "autocapitalize": "none",
                "spellcheck": "false",
            }
        ),
    )

    def clean_code(self) -> str:
        code = "".join(self.cleaned_data["code"].split())
        if not code.isdigit():
            raise forms.ValidationError(_("Enter the digits your app shows, without letters."))
        return code


WRONG_CODE = gettext_lazy(
    "That code is not right, or it has been used already. Enter the code your app shows now."
)


@method_decorator(login_not_required, name="dispatch")
@method_decorator(sensitive_post_parameters(), name="dispatch")
@method_decorator(csrf_protect, name="dispatch")
@method_decorator(never_cache, name="dispatch")
class SignInCodeView(View):
    """Finish a sign-in with the code from the user's authenticator app."""

    template_name = "registration/login_code.html"

    def _page(self, form: CodeForm, waiting: bool = True, status: int = 200) -> HttpResponse:
        context = {"form": form, "waiting": waiting}
        return render(self.request, self.template_name, context, status=status)

    def get(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            return redirect(settings.LOGIN_REDIRECT_URL)
        return self._page(CodeForm(), waiting=pending_user(request) is not None)

    def post(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            return redirect(settings.LOGIN_REDIRECT_URL)
        pending = pending_user(request)
        if pending is None:
            return self._page(CodeForm(), waiting=False)
        user, data = pending
        who = str(user.pk)
        locked = {"form": CodeForm(), "waiting": True}
        until = locked_until(CODE, who)
        if until:
            return refused(request, self.template_name, until, locked)
        form = CodeForm(request.POST)
        if not form.is_valid():
            return self._page(form)
        device = confirmed_device(user)
        verified = device and verify_token(user, device.persistent_id, form.cleaned_data["code"])
        if not verified:
            until = failure_record(CODE, who)
            if until:
                return refused(request, self.template_name, until, locked)
            form.add_error("code", WRONG_CODE)
            return self._page(form)
        failures_reset(CODE, who)
        del request.session[PENDING_KEY]
        auth_login(request, user, backend=data["backend"])
        otp_login(request, verified)
        return redirect(data["next"] or settings.LOGIN_REDIRECT_URL)


@method_decorator(login_not_required, name="dispatch")
class AdminSignInRedirect(View):
    """Send the admin's own sign-in page to Bilim's (throttled, two-factor) one."""

    def get(self, request: HttpRequest) -> HttpResponse:
        url = reverse("login")
        if request.GET.get("next"):
            url += "?" + urlencode({"next": request.GET["next"]})
        return redirect(url)

    post = get


# --- middleware --------------------------------------------------------------------------------


@receiver(user_logged_in)
def _session_started(sender, request, user, **kwargs) -> None:
    if request is not None and hasattr(request, "session"):
        now = time.time()
        request.session[SIGNED_IN_AT] = now
        request.session[SEEN_AT] = now


class SessionExpiryMiddleware:
    """Sign out sessions idle longer than BILIM_SESSION_IDLE_SECONDS or older than the cookie age.

    SESSION_COOKIE_AGE bounds a session from its sign-in, however busy; the idle limit ends a
    session left open on a shared computer. The last-seen time is saved once a minute at most.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            self._check(request)
        return self.get_response(request)

    def _check(self, request: HttpRequest) -> None:
        now = time.time()
        session = request.session
        started, seen = session.get(SIGNED_IN_AT), session.get(SEEN_AT)
        if started is None or seen is None:
            session[SIGNED_IN_AT] = session[SEEN_AT] = now
            return
        if now - seen > settings.BILIM_SESSION_IDLE_SECONDS:
            auth_logout(request)
            messages.info(request, _("You were signed out after a time without activity."))
        elif now - started > settings.SESSION_COOKIE_AGE:
            auth_logout(request)
            messages.info(
                request,
                _("You were signed out: a session lasts %(hours)s hours at most.")
                % {"hours": settings.SESSION_COOKIE_AGE // 3600},
            )
        elif now - seen > SEEN_RESOLUTION:
            session[SEEN_AT] = now


class TwoFactorMiddleware:
    """Send an administrator with two-factor on, in a session the code has not verified, to it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and not getattr(user, "is_verified", lambda: False)()
            and (user.is_superuser or roles.ADMINISTRATOR in roles_of(user))
            and request.path != reverse("logout")
            and confirmed_device(user) is not None
        ):
            backend = request.session.get(BACKEND_SESSION_KEY, settings.AUTHENTICATION_BACKENDS[0])
            next_url = request.get_full_path() if request.method == "GET" else ""
            auth_logout(request)
            pending_start(request, user, backend, next_url)
            return redirect("login_code")
        return self.get_response(request)
