"""``manage.py issue_certificates --session CODE [--out DIR] [--dry-run]``."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from certificates.models import Certificate
from certificates.services import certificate_revoke
from tests.factories import EnrolmentFactory, ParticipantFactory, SessionFactory, attend
from trainings.models import Session

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("issue_certificates", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def session() -> Session:
    """UPR-01: three days; two eligible participants, one absent, one withdrawn."""
    session = SessionFactory(code="UPR-01", start_date=dt.date(2025, 3, 10))
    for last, present, status in [
        ("Токтогулова", 3, "confirmed"),
        ("Асанов", 3, "registered"),
        ("Ковалёва", 1, "confirmed"),
        ("Ибраимов", 3, "withdrawn"),
    ]:
        enrolment = EnrolmentFactory(
            session=session,
            participant=ParticipantFactory(last_name=last),
            status=status,
            post_score=Decimal(75),
        )
        attend(enrolment, present)
    return session


def test_issues_and_prints_the_counts(session):
    assert not Certificate.objects.exists()

    output = run("--session", "UPR-01")

    assert output == "issued 2, already issued 0, not eligible 2\n"
    numbered = Certificate.objects.order_by("number").values_list(
        "number", "enrolment__participant__last_name"
    )
    assert list(numbered) == [("UPR-01-001", "Асанов"), ("UPR-01-002", "Токтогулова")]


def test_a_second_run_issues_nothing(session):
    run("--session", "UPR-01")

    assert run("--session", "UPR-01") == "issued 0, already issued 2, not eligible 2\n"
    assert Certificate.objects.count() == 2


def test_the_session_code_is_accepted_in_any_case(session):
    assert run("--session", "upr-01") == "issued 2, already issued 0, not eligible 2\n"


def test_an_unknown_session_is_an_error_with_status_1(session):
    with pytest.raises(CommandError) as failure:
        run("--session", "UPR-99")

    assert str(failure.value) == "there is no session with the code 'UPR-99'"
    assert failure.value.returncode == 1
    assert not Certificate.objects.exists()


def test_codes_differing_only_by_case_must_be_typed_exactly(session):
    SessionFactory(code="upr-01")

    with pytest.raises(CommandError, match="could be session UPR-01 or upr-01"):
        run("--session", "Upr-01")


def test_the_session_option_is_required():
    with pytest.raises(CommandError, match="--session"):
        run()


def test_dry_run_reports_what_would_be_issued_and_writes_nothing(session):
    output = run("--session", "UPR-01", "--dry-run")

    assert output == "dry run, nothing written: would issue 2, already issued 0, not eligible 2\n"
    assert not Certificate.objects.exists()


def test_dry_run_with_out_is_refused(session, tmp_path):
    with pytest.raises(CommandError, match="--dry-run writes no files"):
        run("--session", "UPR-01", "--dry-run", "--out", str(tmp_path))

    assert not Certificate.objects.exists()


# --- PDFs ----------------------------------------------------------------------------------------


def test_out_writes_one_pdf_per_valid_certificate_named_by_number(session, tmp_path):
    from pypdf import PdfReader

    out = tmp_path / "new" / "folder"
    run("--session", "UPR-01")
    first = Certificate.objects.get(number="UPR-01-001")
    certificate_revoke(certificate=first, reason="Name misspelt")

    output = run("--session", "UPR-01", "--out", str(out))

    assert output == "issued 1, already issued 1, not eligible 2\n"
    # The revoked 001 gets no file; the still valid 002 and the new 003 do.
    assert sorted(p.name for p in out.iterdir()) == ["UPR-01-002.pdf", "UPR-01-003.pdf"]
    for path in out.iterdir():
        reader = PdfReader(path)
        assert len(reader.pages) == 1
        text = reader.pages[0].extract_text()
        assert path.stem in text
    holder = Certificate.objects.get(number="UPR-01-003").enrolment.participant.last_name
    assert holder == "Асанов"
    assert holder in PdfReader(out / "UPR-01-003.pdf").pages[0].extract_text()


def test_out_with_nothing_valid_creates_the_folder_and_no_files(tmp_path):
    SessionFactory(code="EMPTY")
    out = tmp_path / "pdfs"

    assert run("--session", "EMPTY", "--out", str(out)) == (
        "issued 0, already issued 0, not eligible 0\n"
    )
    assert out.is_dir() and not list(out.iterdir())


def test_combined_writes_every_valid_certificate_into_one_pdf(session, tmp_path):
    from pypdf import PdfReader

    run("--session", "UPR-01")
    certificate_revoke(certificate=Certificate.objects.get(number="UPR-01-001"), reason="Typo")
    combined = tmp_path / "print.pdf"

    run("--session", "UPR-01", "--combined", str(combined))

    pages = PdfReader(combined).pages
    valid = list(
        Certificate.objects.filter(revoked=False)
        .order_by("sequence")
        .values_list("number", flat=True)
    )
    assert len(pages) == len(valid) == 2
    for page, number in zip(pages, valid, strict=True):
        assert number in page.extract_text()


def test_combined_with_nothing_valid_writes_no_file(tmp_path):
    SessionFactory(code="EMPTY")
    combined = tmp_path / "print.pdf"
    err = io.StringIO()

    call_command("issue_certificates", "--session", "EMPTY", "--combined", str(combined),
                 stdout=io.StringIO(), stderr=err)  # fmt: skip

    assert not combined.exists()
    assert "no valid certificates to print" in err.getvalue()
