"""The public verification page: anyone holding a certificate's code can check it."""

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache

from certificates.codes import certificate_code_normalize
from certificates.models import Certificate, CertificateDesign

MISS_KEY = "certificates:verify:misses:{address}"


def client_address(request: HttpRequest) -> str:
    """Return the address misses are counted against.

    REMOTE_ADDR only: X-Forwarded-For is whatever the client writes, so trusting it would let a
    scraper pick a fresh address per request. Behind a reverse proxy, config/wsgi.py puts the
    client's address (as the trusted proxy saw it) in REMOTE_ADDR; see FORWARDED_ALLOW_IPS.
    """
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def misses_exceeded(address: str) -> bool:
    """Whether this address has used up its misses in the current window."""
    return (cache.get(MISS_KEY.format(address=address)) or 0) >= settings.BILIM_VERIFY_MISS_LIMIT


def miss_record(address: str) -> None:
    """Count one miss for the address; the window starts at its first miss."""
    key = MISS_KEY.format(address=address)
    # add() then incr() rather than get()+set(): incr is atomic in a shared cache (Redis,
    # Memcached), so concurrent misses from one address are all counted.
    cache.add(key, 0, timeout=settings.BILIM_VERIFY_MISS_WINDOW)
    try:
        cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.add(key, 1, timeout=settings.BILIM_VERIFY_MISS_WINDOW)


def _noindex(response: HttpResponse) -> HttpResponse:
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response


def _too_many(request: HttpRequest) -> HttpResponse:
    response = render(
        request,
        "certificates/too_many.html",
        {"minutes": max(1, settings.BILIM_VERIFY_MISS_WINDOW // 60)},
        status=429,
    )
    response["Retry-After"] = str(settings.BILIM_VERIFY_MISS_WINDOW)
    return _noindex(response)


@method_decorator(login_not_required, name="dispatch")
@method_decorator(never_cache, name="dispatch")
class CertificateVerifyView(View):
    """Show whether a certificate is valid or revoked, with only what the paper shows."""

    def get(self, request: HttpRequest, code: str) -> HttpResponse:
        address = client_address(request)
        if misses_exceeded(address):
            return _too_many(request)
        normalized = certificate_code_normalize(code)
        certificate = (
            Certificate.objects.select_related(
                "enrolment__participant",
                "enrolment__session__course",
                "enrolment__session__certificate_design",
            )
            .filter(code=normalized)
            .first()
            if normalized
            else None
        )
        if certificate is None:
            miss_record(address)
            response = render(request, "certificates/not_found.html", {"code": code}, status=404)
            return _noindex(response)
        session = certificate.enrolment.session
        design = (
            session.certificate_design or CertificateDesign.objects.filter(is_default=True).first()
        )
        context = {
            "issuer": design.issuer if design is not None else "",
            "certificate": certificate,
            # Only what is printed on the certificate: nothing else about the person, and no
            # name at all once their data was erased (the certificate stays verifiable).
            "name": (
                ""
                if certificate.enrolment.participant.erased_at
                else certificate.enrolment.participant.full_name
            ),
            "course": session.display_title,
            "start": session.start_date,
            "end": session.end_date,
        }
        return _noindex(render(request, "certificates/verify.html", context))


@method_decorator(login_not_required, name="dispatch")
@method_decorator(never_cache, name="dispatch")
class CertificateLookupView(View):
    """Take a code typed from paper (?code=...) to its verification page, or ask for one."""

    def get(self, request: HttpRequest) -> HttpResponse:
        typed = request.GET.get("code", "")
        normalized = certificate_code_normalize(typed) if typed.strip() else ""
        if normalized:
            return redirect("certificates:verify", code=normalized)
        return _noindex(render(request, "certificates/verify_form.html", {"typed": typed}))
