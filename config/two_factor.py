"""Two-factor sign-in for administrators: set up a TOTP device, confirm it by a code, remove it."""

import logging
from base64 import b32encode

import segno
from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django_otp import login as otp_login
from django_otp import verify_token
from django_otp.plugins.otp_totp.models import TOTPDevice

from config.signin import (
    CODE,
    WRONG_CODE,
    CodeForm,
    confirmed_device,
    failure_record,
    failures_reset,
    locked_until,
    refused,
)
from trainings import roles
from trainings.permissions import RoleRequiredMixin

logger = logging.getLogger("bilim.signin")


def totp_device_start(*, user) -> TOTPDevice:
    """Give the user a new, unconfirmed TOTP device in place of any earlier unconfirmed one."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        device = TOTPDevice(user=user, name="Bilim", confirmed=False)
        device.full_clean()
        device.save()
    return device


def totp_device_confirm(*, device: TOTPDevice, actor) -> None:
    """Turn two-factor sign-in on with the device whose code the user has just given."""
    with transaction.atomic():
        device.confirmed = True
        device.full_clean()
        device.save(update_fields=["confirmed"])
    logger.info("Two-factor sign-in turned on for %s by %s", device.user, actor)


def totp_device_remove(*, user, actor) -> None:
    """Turn two-factor sign-in off for the user: delete every TOTP device they have."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
    logger.info("Two-factor sign-in turned off for %s by %s", user, actor)


def secret_of(device: TOTPDevice) -> str:
    """Return the device's secret as apps take it typed: base32, in groups of four."""
    text = b32encode(device.bin_key).decode()
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


@method_decorator(sensitive_post_parameters(), name="dispatch")
@method_decorator(never_cache, name="dispatch")
class TwoFactorView(RoleRequiredMixin, View):
    """Let an administrator turn two-factor sign-in on (scan, confirm with a code) or off."""

    roles = [roles.ADMINISTRATOR]
    template_name = "registration/two_factor.html"

    def _page(self, form: CodeForm | None = None, status: int = 200, **extra) -> HttpResponse:
        user = self.request.user
        confirmed = confirmed_device(user)
        unconfirmed = (
            None
            if confirmed
            else TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
        )
        context = {
            "confirmed": confirmed,
            "unconfirmed": unconfirmed,
            "form": form or CodeForm(),
            **extra,
        }
        if unconfirmed is not None:
            qr = segno.make(unconfirmed.config_url, error="m")
            context["qr"] = qr.svg_data_uri(scale=5, border=2)
            context["secret"] = secret_of(unconfirmed)
        return render(self.request, self.template_name, context, status=status)

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._page()

    def post(self, request: HttpRequest) -> HttpResponse:
        action = request.POST.get("action")
        user = request.user
        if action == "start" and confirmed_device(user) is None:
            totp_device_start(user=user)
            return redirect("two_factor")
        if action == "cancel":
            TOTPDevice.objects.filter(user=user, confirmed=False).delete()
            return redirect("two_factor")
        if action not in ("confirm", "remove"):
            return self._page(status=400)
        device = (
            confirmed_device(user)
            if action == "remove"
            else TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
        )
        if device is None:
            return redirect("two_factor")
        who = str(user.pk)
        until = locked_until(CODE, who)
        if until:
            return refused(request, self.template_name, until, {"form": CodeForm()})
        form = CodeForm(request.POST)
        if not form.is_valid():
            return self._page(form)
        if not verify_token(user, device.persistent_id, form.cleaned_data["code"]):
            until = failure_record(CODE, who)
            if until:
                return refused(request, self.template_name, until, {"form": CodeForm()})
            form.add_error("code", WRONG_CODE)
            return self._page(form)
        failures_reset(CODE, who)
        if action == "confirm":
            device.refresh_from_db()
            totp_device_confirm(device=device, actor=user)
            # This session has just shown a code: it counts as verified.
            otp_login(request, device)
            messages.success(
                request, _("Two-factor sign-in is on: from now on Bilim asks for a code.")
            )
        else:
            totp_device_remove(user=user, actor=user)
            messages.success(request, _("Two-factor sign-in is off for your account."))
        return redirect("two_factor")
