"""Bad files through the upload pages and the import commands: a clear message, nothing written.

Every case runs for each import kind (sessions, roster, results), once through the page's
preview and once through ``manage.py import_*``. The files come from tests/badfiles.py.
"""

import datetime as dt
import io
import re
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils.html import escape

from participants.models import Agency, Participant
from tests import badfiles as bf
from tests.factories import EnrolmentFactory, ParticipantFactory, SessionFactory, signed_in
from trainings import roles
from trainings.importing import load_dataset
from trainings.models import Attendance, Course, Enrolment, Session, TrainingDay

pytestmark = pytest.mark.django_db

KINDS = ("sessions", "roster", "results")
CODE = "UPR-01"

HEADERS = {
    "sessions": ["code", "course_title", "course", "start_date", "end_date", "region", "venue"],
    "roster": ["session", "last_name", "first_name", "gender", "agency", "agency_type"],
    "results": ["session", "email", "pre_score", "post_score"],
}
ROWS = {
    "sessions": [
        ["S-NEW-1", "Права человека", "HR-1", "2025-03-10", "2025-03-11", "Osh", "Бишкек"],
        ["S-NEW-2", "", "HR-1", "2025-04-10", "2025-04-11", "Osh", "Ош"],
    ],
    "roster": [
        [CODE, "Осмонова", "Айгүл", "ж", "Генеральная прокуратура", "Прокуратура"],
        [CODE, "Токтогулов", "Нурлан", "м", "Генеральная прокуратура", ""],
    ],
    "results": [[CODE, "aigul@example.org", 10, 20], [CODE, "aigul@example.org", 10, 20]],
}
# A header that lacks what each kind requires (on the pages the session column is added).
BAD_HEADERS = {
    "sessions": ["code", "course_title", "course", "start_date", "end_date", "venue", "x"],
    "roster": ["session", "last_name", "first_name", "genre", "agency", "agency_type"],
    "results": ["session", "mail", "pre_score", "post_score"],
}
MISSING = {
    "sessions": r"row 1: region: required column is missing",
    "roster": r"row 1: gender: required column is missing",
    "results": r"row 1: .*(email|last_name)",
}


def table(kind: str, n: int = 1) -> list[list]:
    return [HEADERS[kind], *ROWS[kind][:n]]


def with_cell(kind: str, value: object) -> list[list]:
    """The one-row table with ``value`` in column 2 (course_title, last_name or email)."""
    rows = table(kind)
    rows[1] = [*rows[1][:1], value, *rows[1][2:]]
    return rows


@dataclass(frozen=True)
class Case:
    name: str
    file: Callable[[str], tuple[str, bytes]]
    expected: str  # a regular expression, searched case-insensitively
    settings: tuple[tuple[str, int], ...] = ()


def _csv(rows, **kwargs) -> tuple[str, bytes]:
    return "file.csv", bf.csv_bytes(rows, **kwargs)


def _xlsx(rows, **kwargs) -> tuple[str, bytes]:
    return "file.xlsx", bf.xlsx(rows, **kwargs)


COLUMN_2 = {"sessions": "course_title", "roster": "last_name", "results": "email"}

CASES = [
    Case(
        "over the size limit",
        lambda k: _xlsx(table(k)),
        r"split it into smaller files",
        (("BILIM_IMPORT_MAX_BYTES", 1000),),
    ),
    Case(
        "over the row limit",
        lambda k: _xlsx(table(k, 2)),
        r"more than 1 rows: split it into smaller files",
        (("BILIM_IMPORT_MAX_ROWS", 1),),
    ),
    Case("truncated xlsx", lambda k: ("file.xlsx", bf.truncated_xlsx(table(k))), r"damaged"),
    Case("random bytes as xlsx", lambda k: ("file.xlsx", bf.random_bytes()), r"not a real \.xlsx"),
    Case("pdf renamed xlsx", lambda k: ("file.xlsx", bf.pdf_bytes()), r"it is a PDF document"),
    Case("png renamed xlsx", lambda k: ("file.xlsx", bf.png_bytes()), r"it is a PNG image"),
    Case(
        "csv renamed xlsx",
        lambda k: ("file.xlsx", bf.csv_bytes(table(k))),
        r"give a CSV file the \.csv name",
    ),
    Case(
        "xls renamed xlsx",
        lambda k: ("file.xlsx", bf.xls_bytes()),
        r"Excel 97-2003 workbook \(\.xls\); open it and save it as an \.xlsx",
    ),
    Case(
        "zip bomb: 100 MB of shared strings packed in 104 KB",
        lambda k: ("file.xlsx", bf.zip_bomb_xlsx(table(k))),
        r"unpacks to 100 MB from \d+ KB, which no workbook does",
    ),
    Case("docx renamed xlsx", lambda k: ("file.xlsx", bf.docx_like_zip()), r"damaged"),
    Case(
        "xlsx renamed csv",
        lambda k: ("file.csv", bf.xlsx(table(k))),
        r"\.xlsx workbook .*not a CSV file: give it the \.xlsx name",
    ),
    Case("pdf renamed csv", lambda k: ("file.csv", bf.pdf_bytes()), r"PDF document, not a CSV"),
    Case(
        "cp1251 csv",
        lambda k: _csv(with_cell(k, "Осмонова"), encoding="cp1251"),
        r"row 2: the CSV file is not in UTF-8 \(it looks like Windows-1251 Cyrillic\)",
    ),
    Case(
        "utf-16 csv without a byte-order mark",
        lambda k: _csv(table(k), encoding="utf-16-le"),
        r"not in UTF-8 \(it looks like UTF-16 without a byte-order mark\)",
    ),
    Case(
        "NUL in csv",
        lambda k: _csv(with_cell(k, "Ab\x00c")),
        r"row 2: the file holds a NUL character",
    ),
    Case(
        "csv cell over 128 KB",
        lambda k: _csv(with_cell(k, "я" * 140_000)),
        r"row 2: the CSV file cannot be read: field larger than field limit",
    ),
    Case(
        "merged header cells",
        lambda k: _xlsx(table(k), merge="A1:B1"),
        r"the header row has merged cells \(A1:B1\): unmerge them",
    ),
    Case(
        "merged data cells",
        lambda k: _xlsx(table(k, 2), merge="B2:B3"),
        r"the sheet has merged cells \(B2:B3\)",
    ),
    Case(
        "formula =1+1 in xlsx",
        lambda k: _xlsx(table(k), formula=(2, 2, "=1+1")),
        r"row 2: (course_title|last_name|email): the cell holds a formula \(=1\+1\)",
    ),
    Case(
        "HYPERLINK formula in xlsx",
        lambda k: _xlsx(table(k), formula=(2, 2, '=HYPERLINK("http://evil.example","x")')),
        r"row 2: \w+: the cell holds a formula \(=HYPERLINK",
    ),
    Case(
        "formula in the header of an xlsx",
        lambda k: _xlsx(table(k), formula=(1, 1, '="co"&"de"')),
        r"row 1: column 1: the column's name is a formula",
    ),
    *(
        Case(
            f"csv text starting with {text[0]}",
            lambda k, text=text: _csv(with_cell(k, text)),
            rf"row 2: \w+: '{re.escape(text[:20])}.*' starts with '{re.escape(text[0])}', as a "
            r"spreadsheet formula does",
        )
        for text in (
            "=1+1",
            '=HYPERLINK("http://evil.example";"x")',
            "+cmd|' /C calc'!A0",
            "-2+3+cmd|' /C calc'!A0",
            "@SUM(1+1)*cmd|' /C calc'!A0",
        )
    ),
    Case(
        "text formula in an xlsx string cell",
        lambda k: _xlsx(with_cell(k, "=1+1"), as_text=True),
        r"row 2: \w+: '=1\+1' starts with '='",
    ),
    Case(
        "a required column missing",
        lambda k: _csv([BAD_HEADERS[k], *ROWS[k][:1]]),
        "MISSING",
    ),
    Case(
        "a duplicate column",
        lambda k: _csv([[*HEADERS[k], HEADERS[k][1].upper()], [*ROWS[k][0], "x"]]),
        r"row 1: \w+: this column appears twice",
    ),
    Case(
        "only unknown columns",
        lambda k: _csv([["foo", "bar"], ["1", "2"]]),
        r"row 1: \w+: (required column is missing|.*email)",
    ),
    # The page's form refuses an empty upload before the reader sees it, in Django's words.
    Case("empty csv", lambda k: ("file.csv", b""), r"the (submitted )?file is empty"),
    Case("empty xlsx file", lambda k: ("file.xlsx", b""), r"the (submitted )?file is empty"),
    Case("xlsx with an empty sheet", lambda k: _xlsx([]), r"the file is empty"),
    Case("csv of blank lines", lambda k: ("file.csv", b"\n\n\n"), r"first row is blank"),
    Case("csv with only the header", lambda k: _csv(table(k, 0)), r"only the header row"),
    Case("xlsx with only the header", lambda k: _xlsx(table(k, 0)), r"only the header row"),
    Case(
        "blank rows before a filled one count toward the row limit",
        lambda k: (
            "file.xlsx",
            bf.million_blank_rows_xlsx(tuple(map(tuple, table(k))), last=1000, last_filled=True),
        ),
        r"more than 100 rows: split it into smaller files",
        (("BILIM_IMPORT_MAX_ROWS", 100),),
    ),
]


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT / "imports"


@pytest.fixture
def upr():
    """An open three-day session with Aigul enrolled (for results)."""
    session = SessionFactory(
        code=CODE,
        status=Session.Status.OPEN,
        start_date=dt.date(2025, 3, 10),
        end_date=dt.date(2025, 3, 12),
        max_score=Decimal(40),
    )
    person = ParticipantFactory(
        last_name="Өмүрбекова", first_name="Айгүл", email="aigul@example.org", birth_year=1990
    )
    EnrolmentFactory(session=session, participant=person)
    return session


def state() -> dict[str, int]:
    """How many records of each kind there are, and the scores recorded."""
    return {
        "participants": Participant.objects.count(),
        "enrolments": Enrolment.objects.count(),
        "sessions": Session.objects.count(),
        "courses": Course.objects.count(),
        "days": TrainingDay.objects.count(),
        "attendance": Attendance.objects.count(),
        "agencies": Agency.objects.count(),
        "scores": Enrolment.objects.exclude(pre_score=None).count(),
    }


def page_url(kind: str) -> str:
    if kind == "sessions":
        return reverse("trainings:sessions_upload")
    return reverse(f"trainings:{kind}_upload", args=[CODE])


def upload(client, kind: str, name: str, data: bytes):
    signed_in(client, roles.ORGANISER)
    file = io.BytesIO(data)
    file.name = name
    return client.post(page_url(kind), {"file": file})


def page_messages(response) -> list[str]:
    form = response.context["form"]
    found = [str(e) for e in form.errors.get("file", [])]
    found += [str(p) for p in response.context.get("problems") or []]
    return found


def command_messages(kind: str, path: Path) -> tuple[list[str], CommandError | None]:
    err = io.StringIO()
    try:
        call_command(f"import_{kind}", str(path), stdout=io.StringIO(), stderr=err)
    except CommandError as exc:
        return [*err.getvalue().splitlines(), str(exc)], exc
    return err.getvalue().splitlines(), None


def expected_for(case: Case, kind: str) -> str:
    return MISSING[kind] if case.expected == "MISSING" else case.expected


@pytest.mark.parametrize("via", ["page", "command"])
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_a_bad_file_gets_a_clear_message_and_nothing_is_written(
    case, kind, via, upr, client, settings, tmp_path, media
):
    for name, value in case.settings:
        setattr(settings, name, value)
    name, data = case.file(kind)
    before = state()

    if via == "page":
        response = upload(client, kind, name, data)
        assert response.status_code == 200
        found = page_messages(response)
        assert "token" not in response.context  # no confirm offered
        assert not (media.exists() and any(media.iterdir()))
        page = response.content.decode()
    else:
        path = tmp_path / name
        path.write_bytes(data)
        found, error = command_messages(kind, path)
        assert error is not None and error.returncode == 1
        assert "nothing was written" in found[-1]

    pattern = re.compile(expected_for(case, kind), re.IGNORECASE)
    assert any(pattern.search(m) for m in found), found
    if via == "page":
        # The message is on the page itself, not only in the context.
        shown = next(m for m in found if pattern.search(m))
        words = escape(shown.split(": ")[-1])[:30]
        assert words in page
    assert state() == before


# --- files that are read, not refused ------------------------------------------------------


@pytest.mark.parametrize(
    "encoding, bom", [("utf-8", False), ("utf-8", True), ("utf-16", False), ("utf-16-be", True)]
)
@pytest.mark.parametrize("via", ["page", "command"])
def test_utf8_with_or_without_bom_and_utf16_with_bom_keep_the_cyrillic(
    encoding, bom, via, upr, client, tmp_path
):
    data = bf.csv_bytes(table("roster", 2), encoding=encoding, bom=bom)
    if via == "page":
        response = upload(client, "roster", "roster.csv", data)
        assert response.context.get("problems") is None, page_messages(response)
        client.post(page_url("roster"), {"token": response.context["token"], "confirm": "1"})
    else:
        path = tmp_path / "roster.csv"
        path.write_bytes(data)
        _, error = command_messages("roster", path)
        assert error is None

    names = set(Participant.objects.values_list("last_name", "first_name"))
    assert {("Осмонова", "Айгүл"), ("Токтогулов", "Нурлан")} <= names
    assert Agency.objects.filter(name="Генеральная прокуратура").count() == 1


@pytest.mark.parametrize("explicit", [False, True], ids=["declared only", "empty row elements"])
@pytest.mark.parametrize("via", ["page", "command"])
def test_a_sheet_of_a_million_blank_rows_is_read_as_the_rows_it_holds(
    explicit, via, upr, client, tmp_path
):
    data = bf.million_blank_rows_xlsx(tuple(map(tuple, table("roster", 2))), explicit=explicit)
    started = time.monotonic()
    if via == "page":
        response = upload(client, "roster", "roster.xlsx", data)
        assert response.context.get("problems") is None, page_messages(response)
        assert [row.number for row in response.context["preview"].rows] == [2, 3]
        assert Participant.objects.count() == 1  # a preview writes nothing
    else:
        path = tmp_path / "roster.xlsx"
        path.write_bytes(data)
        _, error = command_messages("roster", path)
        assert error is None
        assert Enrolment.objects.filter(session=upr).count() == 3
    # Seconds, not minutes, on a busy two-core machine.
    assert time.monotonic() - started < 60


def test_reading_blank_rows_takes_memory_that_does_not_grow_with_them():
    def peak_reading(blank_rows: int) -> int:
        data = bf.million_blank_rows_xlsx(
            tuple(map(tuple, table("roster", 2))), explicit=True, last=blank_rows
        )
        tracemalloc.start()
        try:
            dataset = load_dataset(io.BytesIO(data), filename="roster.xlsx")
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert len(dataset) == 2
        return peak

    small, large = peak_reading(10_000), peak_reading(100_000)
    # openpyxl's workbook parts and a chunk of XML, whatever the rows: ten times the blank rows
    # (the reader kept 80 MB for a million before) cost no more than a few hundred kilobytes.
    assert large < 4 * 1024 * 1024, large
    assert large - small < 512 * 1024, (small, large)


def test_unknown_columns_are_ignored_and_the_rest_imports(upr, tmp_path):
    rows = table("roster")
    rows = [[*rows[0], "notes", "=comment"], [*rows[1], "=1+1 not read", "x"]]
    path = tmp_path / "roster.csv"
    path.write_bytes(bf.csv_bytes(rows))

    _, error = command_messages("roster", path)

    assert error is None
    assert Participant.objects.filter(last_name="Осмонова").exists()


@pytest.mark.parametrize("value", ["+", "-", "-5", "+996 555 123 456", "+7 (495) 1-2-3"])
def test_values_that_start_like_formulas_but_are_numbers_or_marks_are_read(value):
    from trainings.importing import formula_problem

    assert formula_problem(value) is None
    assert formula_problem(f"={value}") is not None


@pytest.mark.parametrize(
    "kind, column, value",
    [
        ("sessions", "max_score", "1E30"),
        ("sessions", "max_score", 1e30),
        ("results", "pre_score", "1e999999"),
    ],
)
def test_a_number_too_large_for_a_decimal_is_a_problem_not_a_crash(
    kind, column, value, upr, tmp_path
):
    # Found by tests/trainings/test_import_properties.py: it was decimal.InvalidOperation.
    header, row = table(kind)
    if column in header:
        row = [value if h == column else v for h, v in zip(header, row, strict=True)]
    else:
        header, row = [*header, column], [*row, value]
    rows = [header, row]
    path = tmp_path / "file.xlsx"
    path.write_bytes(bf.xlsx(rows))
    before = state()

    found, error = command_messages(kind, path)

    assert error is not None
    said = rf"row 2: {column}: .{{1,40}} is (too large a number|above the maximum)"
    assert any(re.match(said, m) and len(m) < 200 for m in found), found
    assert state() == before
