"""Property-based tests: random rows through the real reader and the importers.

Rows mix good values with garbage (Cyrillic, blanks, numbers, dates, formulas, very long text,
wrong types), are written to a real .xlsx or .csv, read by ``load_dataset`` and imported by the
resource. Properties: nothing but ImportFileError is ever raised; an import with problems writes
nothing; one without problems, repeated, changes nothing.
"""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from participants.models import Agency, Participant
from participants.normalize import fold
from participants.resources import RosterResource
from tests.factories import EnrolmentFactory, ParticipantFactory, SessionFactory
from trainings.importing import ImportFileError, load_dataset
from trainings.models import Attendance, Course, Enrolment, Session, TrainingDay
from trainings.resources import ResultsResource, SessionResource

pytestmark = pytest.mark.django_db

CODE = "UPR-01"
PROPERTY_SETTINGS = settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# --- values --------------------------------------------------------------------------------------

any_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)
cyrillic = st.text(alphabet="АБВГДЕЁЖЗИЙКЛМНОПабвгдеёжзийклмнөүң -", min_size=1, max_size=30)
name = cyrillic.filter(lambda s: s.strip(" -"))
# Formulas, marks and spellings the parsers treat specially, and dates that do not exist.
TRICKY = [
    "=1+1", '=HYPERLINK("http://x")', "+", "-", "@SUM(1)", "-2+3+cmd|'/C calc'!A0",
    "2026-02-30", "31.12.2025", "1e999999", "NaN", "ж", "м", "yes", "x", "да", "0",
]  # fmt: skip
garbage = st.one_of(
    st.none(),
    st.just(""),
    st.just("   "),
    any_text,
    cyrillic,
    st.integers(min_value=-(10**15), max_value=10**15),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31)),
    st.sampled_from(TRICKY),
    st.text(alphabet="Жж ", min_size=200, max_size=3000),
)


def good_or(*values) -> st.SearchStrategy:
    """One of the good values."""
    return st.sampled_from(values)


COLUMNS = {
    "sessions": {
        "code": good_or(*(f"S-{n}" for n in range(1, 10))),
        "course": good_or("HR-1", "HR-2"),
        "course_title": good_or("Права человека"),
        "start_date": good_or(dt.date(2025, 3, 10), "2025-03-10", "10.03.2025"),
        "end_date": good_or(dt.date(2025, 3, 12), "2025-03-12", "12.03.2025"),
        "region": good_or("Osh", "Chui"),
        "capacity": good_or(None, 10, "25"),
        "max_score": good_or(None, 40, 100),
    },
    "roster": {
        "session": good_or(CODE),
        "last_name": name,
        "first_name": name,
        "gender": good_or("ж", "м", "female", "", "-", "аял"),
        "birth_year": good_or(None, 1985, "1990", 1990.0),
        "agency": good_or("Генеральная прокуратура", "ГЕНЕРАЛЬНАЯ ПРОКУРАТУРА"),
        "agency_type": good_or("Прокуратура"),
        "email": good_or("", "a@example.org", "b@example.org"),
    },
    "results": {
        "session": good_or(CODE),
        "email": good_or("aigul@example.org", "AIGUL@example.org"),
        "pre_score": good_or(None, 0, 12.5, "20", "7,5", 40),
        "post_score": good_or(None, 30, "40", 39.75),
        "2025-03-10": good_or(1, 0, "+", "-", "да", "нет", None),
        "2025-03-11": good_or("x", "", "yes", "absent"),
    },
}
RESOURCES = {"sessions": SessionResource, "roster": RosterResource, "results": ResultsResource}


def table(kind: str) -> st.SearchStrategy:
    """A header and 0 to 6 rows: good values only, or one cell in eight garbage."""
    columns = COLUMNS[kind]

    def rows(noisy: bool) -> st.SearchStrategy:
        cells = {
            column: st.one_of(*[good] * 7, garbage) if noisy else good
            for column, good in columns.items()
        }
        row = st.fixed_dictionaries(cells).map(lambda values: [values[c] for c in columns])
        # A session code twice in one file is a problem of its own: mostly, codes differ.
        unique = (lambda r: str(r[0]).casefold()) if kind == "sessions" else None
        return st.lists(row, min_size=0, max_size=6, unique_by=unique).map(
            lambda rows: [list(columns), *(one_name_per_email(rows) if kind == "roster" else rows)]
        )

    return st.booleans().flatmap(rows)


def one_name_per_email(rows: list[list]) -> list[list]:
    """Keep each name and each email on one row only.

    A file naming one person by two names (rows sharing an email), or one name on rows with
    and without an email, is not imported the same way twice: see
    test_a_roster_naming_one_email_by_two_names_imports_differently_the_second_time.
    """
    names, emails, kept = set(), set(), []
    for row in rows:
        name = (fold(row[1]), fold(row[2]))
        email = fold(row[7])
        if name in names or (email and email in emails):
            continue
        names.add(name)
        emails.add(email)
        kept.append(row)
    return kept


# --- files ---------------------------------------------------------------------------------------


def xlsx_file(rows: list[list]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        # A workbook cannot hold control characters at all: openpyxl refuses them.
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v for v in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def csv_file(rows: list[list]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return out.getvalue().encode("utf-8")


def state() -> tuple:
    """Everything an import may write, to compare before and after."""
    return (
        sorted(Participant.objects.values_list("pk", "last_name", "email", "updated_at")),
        sorted(Agency.objects.values_list("pk", "name")),
        sorted(Course.objects.values_list("pk", "code", "title")),
        sorted(Session.objects.values_list("pk", "code", "start_date", "end_date", "capacity")),
        sorted(TrainingDay.objects.values_list("pk", "session_id", "date")),
        sorted(Enrolment.objects.values_list("pk", "status", "pre_score", "post_score")),
        sorted(Attendance.objects.values_list("pk", "enrolment_id", "day_id", "present")),
    )


@pytest.fixture
def upr(db):
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


def check_import(kind: str, rows: list[list], suffix: str) -> None:
    """The properties, for one file; each example's writes are rolled back after it."""
    data = xlsx_file(rows) if suffix == "xlsx" else csv_file(rows)
    with transaction.atomic():
        before = state()
        try:
            dataset = load_dataset(io.BytesIO(data), filename=f"file.{suffix}")
        except ImportFileError:
            assert state() == before
            transaction.set_rollback(True)
            return
        result = RESOURCES[kind]().import_data(dataset)
        after = state()
        if result.problems:
            assert after == before, [str(p) for p in result.problems]
            assert all(p.row >= 1 and p.column and p.message for p in result.problems)
        else:
            again = RESOURCES[kind]().import_data(
                load_dataset(io.BytesIO(data), filename=f"file.{suffix}")
            )
            assert not again.problems, [str(p) for p in again.problems]
            assert state() == after
            for counter in again.counts.by_kind.values():
                assert counter["created"] == 0
        transaction.set_rollback(True)


@pytest.mark.parametrize("kind", ["sessions", "roster", "results"])
@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
def test_random_rows_never_crash_and_never_write_half_a_file(upr, kind, suffix):
    @PROPERTY_SETTINGS
    @given(rows=table(kind))
    def run(rows):
        check_import(kind, rows, suffix)

    run()


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
def test_good_rosters_import_whole_and_a_second_import_changes_nothing(upr, suffix):
    person = st.fixed_dictionaries(
        {
            "session": st.just(CODE),
            "last_name": name,
            "first_name": name,
            "gender": st.sampled_from(["ж", "м", "female", "", "-"]),
            "agency": st.just("Генеральная прокуратура"),
            "agency_type": st.just("Прокуратура"),
        }
    )

    @PROPERTY_SETTINGS
    @given(people=st.lists(person, min_size=1, max_size=8))
    def run(people):
        header = list(people[0])
        rows = [header, *([p[c] for c in header] for p in people)]
        with transaction.atomic():
            enrolled = Enrolment.objects.count()
            data = xlsx_file(rows) if suffix == "xlsx" else csv_file(rows)
            result = RosterResource().import_data(
                load_dataset(io.BytesIO(data), filename=f"file.{suffix}")
            )
            if not result.problems:
                # Everything: one enrolment per distinct person of the file, none half-done.
                created = result.counts.get("enrolments", "created")
                assert Enrolment.objects.count() == enrolled + created
                assert created >= 1
            transaction.set_rollback(True)

    run()


@pytest.mark.xfail(
    strict=True,
    reason="found by the property test: the roster's matching renames a person by a later row "
    "sharing its email, so the second import finds two people of one name (reported)",
)
def test_a_roster_naming_one_email_by_two_names_imports_differently_the_second_time(upr):
    header = list(COLUMNS["roster"])
    rows = [
        header,
        [CODE, "Ё", "А", "ж", None, "Генеральная прокуратура", "Прокуратура", ""],
        [CODE, "Ё", "Ё", "ж", None, "Генеральная прокуратура", "Прокуратура", "a@example.org"],
        [CODE, "Ё", "А", "ж", None, "Генеральная прокуратура", "Прокуратура", "a@example.org"],
    ]
    data = csv_file(rows)
    first = RosterResource().import_data(load_dataset(io.BytesIO(data), filename="r.csv"))
    assert not first.problems
    after = state()

    second = RosterResource().import_data(load_dataset(io.BytesIO(data), filename="r.csv"))

    assert [str(p) for p in second.problems] == []
    assert state() == after
