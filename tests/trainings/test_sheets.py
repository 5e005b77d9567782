"""Sign-in sheets: one section per training day, read back from the rendered PDF."""

import datetime as dt
import io
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from pypdf import PdfReader

from certificates.models import CertificateDesign
from participants.models import Agency
from tests.factories import (
    AgencyFactory,
    EnrolmentFactory,
    ParticipantFactory,
    SessionFactory,
    UserFactory,
)
from trainings.models import Enrolment
from trainings.sheets import name_sort_key, sign_in_sheets_pdf

pytestmark = pytest.mark.django_db

# Written in the order the sheet must list them: ё read as е, ө after о, ү after у (Kyrgyz).
PREFIXES = ["Аб", "Ёл", "Ер", "Жа", "Ов", "Өм", "Па", "Үс"]
SUFFIXES = ["дыев", "кина", "матов", "рова", "сеит"]
SORTED_LAST_NAMES = [p + s for p in PREFIXES for s in SUFFIXES]
FIRST_NAMES = ["Айгүл", "Жаңыл", "Нурлан", "Елена", "Мирлан"]
AGENCIES = [
    "Кыргыз Республикасынын Акыйкатчысынын (Омбудсменинин) аппараты",
    "Жаза аткаруу мамлекеттик кызматынын Ош облустук башкармалыгы",
    "Генеральная прокуратура Кыргызской Республики",
    "Аялдардын демилгелүү тобу «Үмүт»",
]
HEADER = {
    "en": ["No.", "Full name", "Agency", "Signature"],
    "ky": ["№", "Фамилиясы, аты, атасынын аты", "Мекеме", "Колу"],
}


def make_session(people: int, language: str = "en", days: int = 5, code: str = "OPCAT-OSH-25"):
    """Create a session of ``days`` days with ``people`` confirmed participants."""
    start = dt.date(2025, 3, 10)
    session = SessionFactory(
        code=code,
        start_date=start,
        end_date=start + dt.timedelta(days=days - 1),
        venue="Мейманкана «Ысык-Көл Аврора», Чолпон-Ата, конференц-зал №2",
        certificate_language=language,
    )
    session.trainers.add(UserFactory(first_name="Гүлмира", last_name="Өскөнбаева"))
    agencies = [
        Agency.objects.filter(name=name).first() or AgencyFactory(name=name) for name in AGENCIES
    ]
    # Created in reverse so that the sheet's order cannot come from the order of insertion.
    for i in reversed(range(people)):
        person = ParticipantFactory(
            last_name=SORTED_LAST_NAMES[i % len(SORTED_LAST_NAMES)],
            first_name=FIRST_NAMES[i % len(FIRST_NAMES)],
            middle_name="Токтогуловна" if i % 2 else "",
            agency=agencies[i % len(agencies)],
            email=f"{code}-{i}@example.org",
        )
        EnrolmentFactory(session=session, participant=person)
    return session


def page_texts(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


@pytest.fixture(scope="module")
def pages_of_40(django_db_setup, django_db_blocker) -> list[str]:
    """Render the sheets of a 5-day session of 40 people once for the tests that read them."""
    with django_db_blocker.unblock(), transaction.atomic():
        pdf = sign_in_sheets_pdf(make_session(40))
        transaction.set_rollback(True)
    return page_texts(pdf)


def test_each_of_five_days_starts_a_page_of_its_own_with_its_date(pages_of_40):
    pages = pages_of_40
    assert len(pages) >= 5
    day_starts = [i for i, text in enumerate(pages) if "Attendance sheet" in text]
    assert len(day_starts) == 5
    assert day_starts[0] == 0
    dates = ["10 March 2025", "11 March 2025", "12 March 2025", "13 March 2025", "14 March 2025"]
    for n, (start, date) in enumerate(zip(day_starts, dates, strict=True), start=1):
        assert date in pages[start]
        before_heading = pages[start].split("Attendance sheet")[0]
        assert not any(name in before_heading for name in SORTED_LAST_NAMES)
        assert f"day {n} of 5" in pages[start]
        assert "Venue" in pages[start] and "Чолпон-Ата" in pages[start]
        assert "Гүлмира Өскөнбаева" in pages[start]


def test_every_page_repeats_the_table_header_and_counts_pages(pages_of_40):
    pages = pages_of_40
    assert len(pages) > 5, "40 people should not fit on one page per day"
    for number, text in enumerate(pages, start=1):
        for column in HEADER["en"]:
            assert column in text, f"page {number} lacks {column!r}"
        assert f"Page {number} of {len(pages)}" in text


def test_participants_are_listed_by_last_name_on_every_day(pages_of_40):
    pages = pages_of_40
    day_starts = [i for i, text in enumerate(pages) if "Attendance sheet" in text]

    for start, end in zip(day_starts, [*day_starts[1:], len(pages)], strict=True):
        day_text = "\n".join(pages[start:end])
        positions = [day_text.find(name) for name in SORTED_LAST_NAMES]
        assert -1 not in positions
        assert positions == sorted(positions)


def test_withdrawn_and_waitlisted_people_are_left_off():
    session = make_session(3)
    for status, name in [
        (Enrolment.Status.WITHDRAWN, "Отозванова"),
        (Enrolment.Status.WAITLISTED, "Ожидаева"),
        (Enrolment.Status.REGISTERED, "Регистрова"),
    ]:
        EnrolmentFactory(
            session=session, participant=ParticipantFactory(last_name=name), status=status
        )
    assert session.enrolments.count() == 6

    text = "\n".join(page_texts(sign_in_sheets_pdf(session)))

    assert "Регистрова" in text
    assert "Отозванова" not in text
    assert "Ожидаева" not in text
    assert "Participants enrolled: 4" in text


def test_kyrgyz_sheet_keeps_every_kyrgyz_letter_and_embeds_its_fonts(tmp_path: Path):
    session = make_session(5, language="ky", days=2)
    CertificateDesign.objects.create(
        name="Default", issuer="UNDP", issuer_ky="БУУнун Өнүктүрүү Программасы", is_default=True
    )

    pdf = sign_in_sheets_pdf(session)
    text = "\n".join(page_texts(pdf))

    for words in [
        "Катышуучулардын каттоо баракчасы",
        *HEADER["ky"],
        "БУУнун Өнүктүрүү Программасы".upper(),
        "дүйшөмбү, 2025-жылдын 10-марты",
        "2 күндүн 2-күнү",
        "Өткөрүлүүчү жер",
        "Абдыев Айгүл",
        "Абкина Жаңыл",
        AGENCIES[3],
    ]:
        assert words in text
    if shutil.which("pdffonts") is None:
        pytest.skip("pdffonts (poppler-utils) is not installed")
    path = tmp_path / "sheet.pdf"
    path.write_bytes(pdf)
    rows = subprocess.run(
        ["pdffonts", str(path)], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]
    assert rows
    for row in rows:
        assert row.split()[-5] == "yes", f"font not embedded: {row}"


def test_names_sort_by_folded_last_then_first_name_in_kyrgyz_order():
    people = [
        ParticipantFactory.build(pk=i, last_name=last, first_name=first)
        for i, (last, first) in enumerate(
            [
                ("Өмүрбекова", "Айгүл"),
                ("Ерохин", "Иван"),
                ("Ёлкина", "Мария"),
                ("оморов", "Бакыт"),
                ("Оморов", "Асель"),
                ("Smith", "John"),
                ("Павлов", "Олег"),
                ("Ңаалыев", "Мирлан"),
                ("Нуров", "Азат"),
            ]
        )
    ]

    ordered = [f"{p.last_name} {p.first_name}" for p in sorted(people, key=name_sort_key)]

    assert ordered == [
        "Smith John",
        "Ёлкина Мария",
        "Ерохин Иван",
        "Нуров Азат",
        "Ңаалыев Мирлан",
        "Оморов Асель",
        "оморов Бакыт",
        "Өмүрбекова Айгүл",
        "Павлов Олег",
    ]


def test_queries_do_not_grow_with_participants():
    small = make_session(3, days=1, code="SMALL")
    large = make_session(30, days=1, code="LARGE")

    with CaptureQueriesContext(connection) as for_3:
        sign_in_sheets_pdf(small)
    with CaptureQueriesContext(connection) as for_30:
        sign_in_sheets_pdf(large)

    assert len(for_3) == len(for_30)
    assert len(for_30) <= 8


def test_command_writes_the_pdf_for_a_code_in_any_case(tmp_path: Path):
    make_session(4, days=2)
    out = tmp_path / "sheets.pdf"
    assert not out.exists()
    stdout = io.StringIO()

    call_command("sign_in_sheets", "--session", "opcat-osh-25", "--out", str(out), stdout=stdout)

    pages = len(PdfReader(out).pages)
    assert pages == 2
    assert stdout.getvalue().strip() == f"{out}: {pages} pages"


def test_command_refuses_an_unknown_session_and_writes_nothing(tmp_path: Path):
    make_session(1, days=1)
    out = tmp_path / "sheets.pdf"

    with pytest.raises(CommandError, match="no session has the code 'NOPE-1'"):
        call_command("sign_in_sheets", "--session", "NOPE-1", "--out", str(out))

    assert not out.exists()


def test_command_refuses_a_session_without_training_days(tmp_path: Path):
    SessionFactory(code="EMPTY-1", days=[])
    out = tmp_path / "sheets.pdf"

    with pytest.raises(CommandError, match="EMPTY-1 has no training days"):
        call_command("sign_in_sheets", "--session", "empty-1", "--out", str(out))

    assert not out.exists()
