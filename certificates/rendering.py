"""Certificates as PDF: one for a person, one document for a batch, a ZIP of one file each.

A batch is laid out as one WeasyPrint document, one page per certificate, and split into files
page by page: laying out once is much cheaper than one render per certificate (bench/
certificates.py measures it).
"""

import io
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import segno
import weasyprint
from django.conf import settings
from django.db.models import Count, Prefetch, QuerySet

from certificates import pdf
from certificates.models import Certificate, CertificateDesign, Signatory
from certificates.wording import date_range, date_text, duration, region_name, wording

TEMPLATE = "certificates/certificate.html"
VERIFY_PATH = "/certificates/verify/{code}/"


@dataclass(frozen=True)
class SignatoryText:
    """A signatory as printed in one language."""

    name: str
    title: str
    signature_url: str = ""


@dataclass(frozen=True)
class DesignText:
    """A design as printed in one language: the issuer, the logo and who signs."""

    issuer: str
    logo_url: str = ""
    signatories: list[SignatoryText] = field(default_factory=list)


def verification_url(certificate: Certificate) -> str:
    """Return the absolute address of the certificate's public verification page."""
    base = getattr(settings, "BILIM_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
    return base + VERIFY_PATH.format(code=certificate.code)


def qr_svg(url: str) -> str:
    """Draw a QR code of the address as inline SVG markup (sized by the stylesheet)."""
    # The stylesheet sizes the code; a quiet zone of two modules keeps it readable when framed.
    return segno.make(url, error="m").svg_inline(
        scale=1, border=2, omitsize=True, dark="#1d1d1b", light="#ffffff"
    )


def _translated(obj: Any, attribute: str, language: str) -> str:
    if language in ("ru", "ky"):
        return getattr(obj, f"{attribute}_{language}") or getattr(obj, attribute)
    return getattr(obj, attribute)


def design_text(design: CertificateDesign | None, language: str) -> DesignText:
    """Put a design in the words of a language; without a design, the plain built-in one."""
    if design is None:
        return DesignText(issuer=getattr(settings, "BILIM_CERTIFICATE_ISSUER", "Bilim"))
    return DesignText(
        issuer=_translated(design, "issuer", language),
        logo_url=design.logo.url if design.logo else "",
        signatories=[
            SignatoryText(
                name=_translated(s, "name", language),
                title=_translated(s, "title", language),
                signature_url=s.signature.url if s.signature else "",
            )
            for s in design.signatories.all()
        ],
    )


def _fit(text: str, *, budget: float, largest: float, smallest: float) -> float:
    """Pick a font size in points that keeps a text of this length within its lines.

    ``budget`` is characters times points that fit: a line of the page holds about 1,000 for
    bold Noto Serif, so a name of 50 characters gets 20 pt and still fits on one line.
    """
    return round(max(smallest, min(largest, budget / max(len(text), 1))), 1)


def _signatories() -> Prefetch:
    return Prefetch("signatories", queryset=Signatory.objects.order_by("order", "pk"))


def load(certificates: Iterable[Certificate]) -> list[Certificate]:
    """Fetch certificates with everything printed on them, in a constant number of queries."""
    related = (
        "enrolment__participant",
        "enrolment__session__course",
        "enrolment__session__region",
        "enrolment__session__certificate_design",
    )
    prefetch = Prefetch(
        "enrolment__session__certificate_design__signatories",
        queryset=Signatory.objects.order_by("order", "pk"),
    )
    if isinstance(certificates, QuerySet):
        queryset = certificates
    else:
        keys = [c.pk for c in certificates]
        order = {pk: i for i, pk in enumerate(keys)}
        queryset = Certificate.objects.filter(pk__in=keys)
    loaded = list(
        queryset.select_related(*related)
        .prefetch_related(prefetch)
        .annotate(session_days=Count("enrolment__session__days", distinct=True))
    )
    if not isinstance(certificates, QuerySet):
        loaded.sort(key=lambda c: order[c.pk])
    return loaded


def default_design() -> CertificateDesign | None:
    """Return the default design with its signatories, or None when there is none."""
    return (
        CertificateDesign.objects.filter(is_default=True).prefetch_related(_signatories()).first()
    )


_UNSET: Any = object()


def certificate_context(
    certificate: Certificate, *, fallback_design: CertificateDesign | None = _UNSET
) -> dict[str, Any]:
    """Collect what one certificate prints, in its session's certificate language.

    ``fallback_design`` is the default design when the caller has already fetched it; expects a
    certificate fetched by ``load`` (otherwise each relation costs a query).
    """
    enrolment = certificate.enrolment
    session = enrolment.session
    participant = enrolment.participant
    language = session.certificate_language or "en"
    words = wording(language)
    design = session.certificate_design
    if design is None:
        design = default_design() if fallback_design is _UNSET else fallback_design
    days = getattr(certificate, "session_days", None)
    if days is None:
        days = session.days.count()
    place = ", ".join(p for p in (session.venue, region_name(language, session.region.name)) if p)
    url = verification_url(certificate)
    name = participant.full_name
    course = session.display_title
    return {
        "language": language,
        "words": words,
        "design": design_text(design, language),
        "name": name,
        "name_size": _fit(name, budget=1000, largest=36, smallest=16),
        "course": course,
        # Two lines of the course title at most, until it is very long.
        "course_size": _fit(course, budget=2000, largest=20, smallest=12),
        "dates": date_range(language, session.start_date, session.end_date),
        "place": place,
        "duration": duration(language, hours=session.training_hours, days=days),
        "number": certificate.number,
        "issued_on": date_text(language, certificate.issued_on),
        "revoked": (
            words.revoked.format(date=date_text(language, certificate.revoked_on))
            if certificate.revoked and certificate.revoked_on
            else ""
        ),
        "verify_url": url,
        "qr_svg": qr_svg(url),
    }


def certificates_document(certificates: Iterable[Certificate]) -> weasyprint.Document:
    """Lay out a batch of certificates as one document, one page each, in the order given."""
    return _document(load(certificates))


def batch_context(loaded: list[Certificate]) -> dict[str, Any]:
    """Collect the template context of a batch of certificates fetched by ``load``.

    Every query of a render happens here (the template only reads what this returns): the
    default design, when some session has none of its own.
    """
    needs_default = any(c.enrolment.session.certificate_design_id is None for c in loaded)
    fallback = default_design() if needs_default else None
    pages = [certificate_context(c, fallback_design=fallback) for c in loaded]
    languages = {page["language"] for page in pages}
    return {"pages": pages, "language": languages.pop() if len(languages) == 1 else "mul"}


def _document(loaded: list[Certificate]) -> weasyprint.Document:
    return pdf.render_document(TEMPLATE, batch_context(loaded))


def certificates_pdf(certificates: Iterable[Certificate]) -> bytes:
    """Render a batch of certificates as one PDF for printing, one page per certificate."""
    return certificates_document(certificates).write_pdf()


def certificate_pdfs(certificates: Iterable[Certificate]) -> list[tuple[Certificate, bytes]]:
    """Render a batch once and write each page as a PDF of its own, paired with its certificate."""
    loaded = load(certificates)
    document = _document(loaded)
    return [
        (certificate, document.copy([page]).write_pdf())
        for certificate, page in zip(loaded, document.pages, strict=True)
    ]


def certificate_pdf(certificate: Certificate) -> bytes:
    """Render one certificate as a PDF."""
    return certificates_pdf([certificate])


def file_name(certificate: Certificate) -> str:
    """Name a certificate's PDF by its number, safe as a file name in a folder or a ZIP."""
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in certificate.number)
    return f"{safe}.pdf"


def certificates_zip(certificates: Iterable[Certificate]) -> bytes:
    """Pack one PDF per certificate, named ``<number>.pdf``, into a ZIP archive."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for certificate, content in certificate_pdfs(certificates):
            archive.writestr(file_name(certificate), content)
    return buffer.getvalue()
