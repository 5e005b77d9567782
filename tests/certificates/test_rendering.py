"""Certificates rendered to PDF and read back: pages, text, fonts, QR payload, ZIP, queries."""

import datetime as dt
import io
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from PIL import Image
from pypdf import PdfReader

from certificates.models import Certificate
from certificates.rendering import (
    batch_context,
    certificate_context,
    certificate_pdf,
    certificate_pdfs,
    certificates_pdf,
    certificates_zip,
    load,
    verification_url,
)
from tests.factories import (
    CertificateDesignFactory,
    CertificateFactory,
    CourseFactory,
    EnrolmentFactory,
    ParticipantFactory,
    SessionFactory,
    SignatoryFactory,
)

pytestmark = pytest.mark.django_db

KY_NAME = ("Өмүрбекова", "Айгүл", "Жеңишбековна")
KY_COURSE = (
    "Адам укуктары жана сот адилеттиги: кыйноолордун алдын алуу боюнча эл аралык стандарттар"
)


def pages_text(content: bytes) -> list[str]:
    """Extract each page's text, with line breaks and runs of spaces read as one space."""
    reader = PdfReader(io.BytesIO(content))
    return [re.sub(r"\s+", " ", page.extract_text()) for page in reader.pages]


def certificates_of(session, count: int) -> list[Certificate]:
    return [CertificateFactory(enrolment=EnrolmentFactory(session=session)) for _ in range(count)]


def png(width: int, height: int) -> ContentFile:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (30, 60, 120)).save(buffer, "PNG")
    return ContentFile(buffer.getvalue(), "image.png")


@pytest.fixture
def ky_certificate() -> Certificate:
    session = SessionFactory(
        certificate_language="ky",
        title=KY_COURSE,
        training_hours=24,
        start_date=dt.date(2025, 3, 10),
        end_date=dt.date(2025, 3, 12),
    )
    participant = ParticipantFactory(
        last_name=KY_NAME[0], first_name=KY_NAME[1], middle_name=KY_NAME[2]
    )
    return CertificateFactory(
        enrolment=EnrolmentFactory(session=session, participant=participant),
        number="UPR-07-001",
        issued_on=dt.date(2025, 3, 14),
    )


def test_a_batch_of_three_is_one_document_of_three_pages_each_with_its_own_text():
    session = SessionFactory(course=CourseFactory(title="Human rights-based approach to policing"))
    batch = certificates_of(session, 3)

    texts = pages_text(certificates_pdf(batch))

    assert len(texts) == 3
    for certificate, text in zip(batch, texts, strict=True):
        assert certificate.enrolment.participant.full_name in text
        assert certificate.number in text
        assert "Human rights-based approach to policing" in text
    assert batch[1].number not in texts[0]


def test_the_kyrgyz_certificate_keeps_every_kyrgyz_letter(ky_certificate):
    text = pages_text(certificate_pdf(ky_certificate))[0]

    assert " ".join(KY_NAME) in text
    assert KY_COURSE in text
    assert "окуу курсун ийгиликтүү аяктады" in text
    assert "2025-жылдын 10–12-марты" in text
    assert "24 саат" in text
    assert "UPR-07-001" in text


def test_the_russian_certificate_writes_dates_and_hours_in_russian():
    session = SessionFactory(certificate_language="ru", training_hours=22)
    certificate = CertificateFactory(
        enrolment=EnrolmentFactory(session=session), issued_on=dt.date(2025, 3, 14)
    )

    text = pages_text(certificate_pdf(certificate))[0]

    assert "Настоящим подтверждается, что" in text
    assert "10–12 марта 2025 г." in text
    assert "22 часа" in text
    assert "14 марта 2025 г." in text


def test_a_revoked_certificate_says_so_with_the_date():
    session = SessionFactory(certificate_language="ru")
    certificate = CertificateFactory(
        enrolment=EnrolmentFactory(session=session),
        revoked=True,
        revoked_on=dt.date(2025, 4, 2),
        revoked_reason="Issued in error",
    )
    valid = CertificateFactory(enrolment=EnrolmentFactory(session=session))

    revoked_text, valid_text = pages_text(certificates_pdf([certificate, valid]))

    assert "Отозван 2 апреля 2025 г.".upper() in revoked_text.upper()
    assert "Отозван".upper() not in valid_text.upper()
    assert "Issued in error" not in revoked_text


def test_without_hours_the_certificate_counts_the_training_days():
    session = SessionFactory(
        certificate_language="en", days=[dt.date(2025, 3, 10), dt.date(2025, 3, 12)]
    )
    certificate = CertificateFactory(enrolment=EnrolmentFactory(session=session))

    assert certificate_context(load([certificate])[0])["duration"] == "2 days"


@pytest.mark.skipif(not shutil.which("pdffonts"), reason="pdffonts (poppler-utils) not installed")
def test_every_font_is_embedded_and_the_serif_is_noto(ky_certificate, tmp_path: Path):
    path = tmp_path / "ky.pdf"
    path.write_bytes(certificate_pdf(ky_certificate))

    rows = subprocess.run(
        ["pdffonts", str(path)], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]

    assert rows
    assert all(row.split()[-5] == "yes" for row in rows), rows  # the "emb" column
    assert any("Noto-Serif" in row for row in rows)


@pytest.mark.skipif(
    not (shutil.which("zbarimg") and shutil.which("pdftoppm")),
    reason="zbarimg (zbar-tools) or pdftoppm (poppler-utils) not installed",
)
def test_the_qr_code_opens_the_verification_page(settings, tmp_path: Path):
    settings.BILIM_BASE_URL = "https://bilim.example.org"
    certificate = CertificateFactory(code="K7MQ2XW9RTPH4VZC")
    path = tmp_path / "certificate.pdf"
    path.write_bytes(certificate_pdf(certificate))
    subprocess.run(
        ["pdftoppm", "-png", "-r", "150", "-singlefile", str(path), str(tmp_path / "page")],
        check=True,
    )

    decoded = subprocess.run(
        ["zbarimg", "--quiet", "--raw", str(tmp_path / "page.png")],
        capture_output=True,
        text=True,
    ).stdout.strip()

    assert decoded == "https://bilim.example.org/certificates/verify/K7MQ2XW9RTPH4VZC/"
    assert decoded == verification_url(certificate)


def test_the_zip_holds_one_single_page_pdf_per_certificate_named_by_number():
    session = SessionFactory(code="UPR-07")
    batch = [
        CertificateFactory(enrolment=EnrolmentFactory(session=session), number=f"UPR-07-00{i}")
        for i in (1, 2, 3)
    ]

    with zipfile.ZipFile(io.BytesIO(certificates_zip(batch))) as archive:
        names = archive.namelist()
        files = {name: archive.read(name) for name in names}

    assert sorted(names) == ["UPR-07-001.pdf", "UPR-07-002.pdf", "UPR-07-003.pdf"]
    for certificate in batch:
        texts = pages_text(files[f"{certificate.number}.pdf"])
        assert len(texts) == 1
        assert certificate.number in texts[0]
        assert certificate.enrolment.participant.full_name in texts[0]


def test_each_file_of_a_split_batch_belongs_to_its_own_certificate():
    batch = certificates_of(SessionFactory(), 3)

    pairs = certificate_pdfs(reversed(batch))

    assert [c.pk for c, _ in pairs] == [c.pk for c in reversed(batch)]
    for certificate, content in pairs:
        (text,) = pages_text(content)
        assert certificate.number in text
        assert certificate.enrolment.participant.full_name in text


def test_the_session_design_prints_its_issuer_signatories_logo_and_signatures(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    design = CertificateDesignFactory(logo=png(300, 200))
    SignatoryFactory(design=design, name="Jyldyz Asanova", title="Deputy Minister", order=2)
    SignatoryFactory(
        design=design, name="Marat Toktogulov", title="Lead trainer", signature=png(300, 100)
    )
    session = SessionFactory(certificate_design=design, certificate_language="en")
    certificate = CertificateFactory(enrolment=EnrolmentFactory(session=session))

    content = certificate_pdf(certificate)

    text = pages_text(content)[0]
    assert "OFFICE OF THE OMBUDSMAN OF THE KYRGYZ REPUBLIC" in text.upper()
    assert text.index("Marat Toktogulov") < text.index("Jyldyz Asanova")  # by order
    assert "Deputy Minister" in text
    assert len(PdfReader(io.BytesIO(content)).pages[0].images) == 2  # the logo, one signature


def test_a_session_without_a_design_takes_the_default_one_in_its_language():
    CertificateDesignFactory(is_default=True, issuer_ky="Кыргыз Республикасынын Акыйкатчысы")
    SessionFactory(certificate_design=CertificateDesignFactory(issuer="Another issuer"))
    session = SessionFactory(certificate_language="ky")
    certificate = CertificateFactory(enrolment=EnrolmentFactory(session=session))

    text = pages_text(certificate_pdf(certificate))[0]

    assert "Кыргыз Республикасынын Акыйкатчысы".upper() in text.upper()
    assert "Another issuer".upper() not in text.upper()


def test_without_any_design_the_certificate_is_issued_by_the_configured_issuer(settings):
    settings.BILIM_CERTIFICATE_ISSUER = "Training Centre of the Ombudsman"
    certificate = CertificateFactory()

    text = pages_text(certificate_pdf(certificate))[0]

    assert "Training Centre of the Ombudsman".upper() in text.upper()


def test_a_very_long_name_and_course_still_fit_on_one_page():
    session = SessionFactory(title=" ".join([KY_COURSE] * 2), venue="Чолпон-Ата, «Карвен» " * 4)
    participant = ParticipantFactory(
        last_name="Абдыкадырова-Жээнбекова", first_name="Гүлнарагүлү", middle_name="Өмүрбековна"
    )
    certificate = CertificateFactory(
        enrolment=EnrolmentFactory(session=session, participant=participant)
    )
    SignatoryFactory(design=CertificateDesignFactory(is_default=True))

    context = certificate_context(load([certificate])[0])
    texts = pages_text(certificate_pdf(certificate))

    assert context["name_size"] < 36
    assert len(texts) == 1
    assert participant.full_name in texts[0]


def test_a_batch_costs_the_same_queries_for_one_certificate_as_for_ten():
    design = CertificateDesignFactory()
    SignatoryFactory.create_batch(2, design=design)
    SignatoryFactory(design=CertificateDesignFactory(is_default=True))
    with_design = SessionFactory(certificate_design=design)
    with_default = SessionFactory()
    one = certificates_of(with_design, 1)
    ten = certificates_of(with_design, 10)
    mixed = certificates_of(with_design, 5) + certificates_of(with_default, 5)

    def queries(batch) -> int:
        with CaptureQueriesContext(connection) as captured:
            context = batch_context(load(batch))
        assert len(context["pages"]) == len(batch)
        return len(captured)

    # The certificates with all they print, and the signatories of their designs.
    assert queries(one) == 2
    assert queries(ten) == 2
    assert queries(Certificate.objects.filter(pk__in=[c.pk for c in ten])) == 2
    # Sessions without a design of their own add the default design and its signatories.
    assert queries(mixed) == 4
    assert queries(certificates_of(with_default, 1)) == 3  # no session design to prefetch for


def test_rendering_a_batch_queries_no_more_than_collecting_its_context():
    batch = certificates_of(SessionFactory(certificate_design=CertificateDesignFactory()), 2)

    with CaptureQueriesContext(connection) as captured:
        certificates_pdf(batch)

    assert len(captured) == 2
