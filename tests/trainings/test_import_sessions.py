"""manage.py import_sessions: sessions (and new courses) from a spreadsheet, all or nothing."""

import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.factories import (
    CourseFactory,
    EnrolmentFactory,
    SessionFactory,
    attend,
    region,
)
from trainings.importing import load_dataset
from trainings.models import Course, Session, TrainingDay
from trainings.resources import SessionResource

pytestmark = pytest.mark.django_db

HEADER = ["code", "course", "course_title", "start_date", "end_date", "region"]


def run(path, *args):
    """Run the command; return (stdout, stderr, error or None)."""
    out, err = StringIO(), StringIO()
    try:
        call_command("import_sessions", str(path), *args, stdout=out, stderr=err)
    except CommandError as exc:
        return out.getvalue(), err.getvalue(), exc
    return out.getvalue(), err.getvalue(), None


def days_of(code: str) -> list[dt.date]:
    return list(
        TrainingDay.objects.filter(session__code=code)
        .order_by("date")
        .values_list("date", flat=True)
    )


def snapshot():
    return (
        list(Course.objects.order_by("code").values()),
        list(Session.objects.order_by("code").values()),
        list(TrainingDay.objects.order_by("session__code", "date").values("session__code", "date")),
    )


# --- good files ----------------------------------------------------------------------------------


def test_xlsx_with_real_dates_creates_sessions_course_and_days(write_xlsx):
    path = write_xlsx(
        [
            [*HEADER, "venue", "format", "language", "capacity", "max_score"],
            ["UPR-01", "UPR", "UN human rights mechanisms", dt.date(2025, 3, 10),
             dt.datetime(2025, 3, 12), "Bishkek city", "Hyatt", "online", "ru", 30, 50],
            ["UPR-02", "UPR", None, dt.date(2025, 4, 7), dt.date(2025, 4, 8), "Osh city",
             None, None, None, None, None],
        ]
    )  # fmt: skip
    assert not Course.objects.exists()

    out, err, error = run(path)

    assert error is None, err
    assert out.strip() == (
        "sessions: 2 created, 0 updated, 0 unchanged; courses: 1 created, 0 updated, "
        "0 unchanged; training days: 5 created, 0 updated, 0 unchanged"
    )
    course = Course.objects.get()
    assert (course.code, course.title, course.assessed) == (
        "UPR",
        "UN human rights mechanisms",
        True,
    )
    first = Session.objects.get(code="UPR-01")
    assert first.course == course
    assert (first.start_date, first.end_date) == (dt.date(2025, 3, 10), dt.date(2025, 3, 12))
    assert first.region == region("Bishkek city")
    assert (first.venue, first.format, first.language) == ("Hyatt", "online", "ru")
    assert (first.capacity, first.max_score) == (30, Decimal(50))
    assert first.status == Session.Status.PLANNED
    second = Session.objects.get(code="UPR-02")
    assert (second.title, second.display_title) == ("", "UN human rights mechanisms")
    assert (second.format, second.capacity, second.max_score) == ("in_person", None, Decimal(100))
    assert (second.pass_mark, second.min_attendance) == (60, 80)
    assert days_of("UPR-01") == [dt.date(2025, 3, d) for d in (10, 11, 12)]
    assert days_of("UPR-02") == [dt.date(2025, 4, 7), dt.date(2025, 4, 8)]


@pytest.mark.parametrize("start, end", [("2025-03-10", "2025-03-11"), ("10.03.2025", "11.03.2025")])
@pytest.mark.parametrize("delimiter, bom", [(",", False), (";", True)])
def test_csv_dates_as_text_in_both_formats(write_csv, start, end, delimiter, bom):
    CourseFactory(code="OPCAT")
    path = write_csv(
        [
            ["Code ", " COURSE", "Start Date", "end-date", "Region", "Title"],
            [" PT-1 ", "OPCAT", start, end, "  чуйская   область ", "Torture prevention"],
        ],
        delimiter=delimiter,
        bom=bom,
    )

    _, err, error = run(path)

    assert error is None, err
    session = Session.objects.get(code="PT-1")
    assert (session.start_date, session.end_date) == (dt.date(2025, 3, 10), dt.date(2025, 3, 11))
    assert session.region == region("Chui")
    assert session.title == "Torture prevention"
    assert len(days_of("PT-1")) == 2


def test_second_import_changes_nothing(write_xlsx):
    rows = [
        [*HEADER, "capacity", "pass_mark"],
        ["S1", "GSR", "Gender-sensitive reporting", dt.date(2025, 5, 5), dt.date(2025, 5, 6),
         "Naryn", 20, "70%"],
        ["S2", "GSR", None, "2025-06-02", "2025-06-03", "Talas", None, None],
    ]  # fmt: skip
    path = write_xlsx(rows)
    assert run(path)[2] is None
    assert Session.objects.get(code="S1").pass_mark == 70
    before = snapshot()

    out, _, error = run(path)

    assert error is None
    assert out.strip() == (
        "sessions: 0 created, 0 updated, 2 unchanged; courses: 0 created, 0 updated, "
        "1 unchanged; training days: 0 created, 0 updated, 4 unchanged"
    )
    assert snapshot() == before


def test_dry_run_writes_nothing_and_says_what_would_happen(write_xlsx):
    path = write_xlsx(
        [HEADER, ["S1", "NEW", "New course", dt.date(2025, 5, 5), dt.date(2025, 5, 6), "Osh"]]
    )

    out, _, error = run(path, "--dry-run")

    assert error is None
    assert out.startswith("dry run, nothing written: sessions: 1 created")
    assert snapshot() == ([], [], [])


def test_existing_code_is_updated_and_its_days_follow_the_dates(write_csv):
    session = SessionFactory(
        code="S1", start_date=dt.date(2025, 3, 10), end_date=dt.date(2025, 3, 12), venue="Old"
    )
    path = write_csv(
        [
            ["code", "course", "start_date", "end_date", "region", "venue"],
            ["S1", session.course.code, "2025-03-11", "2025-03-13", "Bishkek", "New venue"],
        ]
    )

    out, _, error = run(path)

    assert error is None
    assert out.strip() == (
        "sessions: 0 created, 1 updated, 0 unchanged; courses: 0 created, 0 updated, "
        "1 unchanged; training days: 1 created, 0 updated, 2 unchanged, 1 removed"
    )
    session.refresh_from_db()
    assert session.venue == "New venue"
    assert days_of("S1") == [dt.date(2025, 3, 11), dt.date(2025, 3, 12), dt.date(2025, 3, 13)]


def test_update_keeps_a_skipped_weekend_skipped(write_csv):
    # Thursday, Friday, (weekend skipped), Monday.
    thu, mon = dt.date(2025, 3, 13), dt.date(2025, 3, 17)
    session = SessionFactory(
        code="S1", start_date=thu, end_date=mon, days=[thu, thu + dt.timedelta(days=1), mon]
    )
    path = write_csv(
        [
            ["code", "course", "start_date", "end_date", "region"],
            ["S1", session.course.code, "2025-03-13", "2025-03-18", "Bishkek city"],
        ]
    )

    assert run(path)[2] is None

    assert days_of("S1") == [thu, dt.date(2025, 3, 14), mon, dt.date(2025, 3, 18)]


def test_columns_absent_from_the_file_leave_a_session_untouched(write_csv):
    session = SessionFactory(code="S1", venue="Hyatt", capacity=25, language="ky", pass_mark=75)
    path = write_csv(
        [
            ["code", "course", "start_date", "end_date", "region"],
            ["S1", session.course.code, "2025-03-10", "2025-03-12", "Bishkek city"],
        ]
    )

    out, _, error = run(path)

    assert error is None
    assert "sessions: 0 created, 0 updated, 1 unchanged" in out
    session.refresh_from_db()
    assert (session.venue, session.capacity, session.language, session.pass_mark) == (
        "Hyatt",
        25,
        "ky",
        75,
    )


def test_blank_optional_cells_mean_the_defaults(write_csv):
    course = CourseFactory(code="C", pass_mark=65, min_attendance=90)
    SessionFactory(
        code="S1", course=course, capacity=25, max_score=Decimal(40), pass_mark=50, format="online"
    )
    path = write_csv(
        [
            [*HEADER, "capacity", "max_score", "pass_mark", "min_attendance", "format"],
            ["S1", "C", "", "2025-03-10", "2025-03-12", "Bishkek city", "", "", "", "", ""],
        ]
    )

    assert run(path)[2] is None

    session = Session.objects.get(code="S1")
    assert (session.capacity, session.max_score, session.pass_mark, session.min_attendance) == (
        None,
        Decimal(100),
        65,
        90,
    )
    assert session.format == "in_person"


def test_course_title_of_an_existing_course_renames_nothing(write_csv):
    CourseFactory(code="UPR", title="UN human rights mechanisms")
    path = write_csv(
        [HEADER, ["S1", "UPR", "Something else", "2025-03-10", "2025-03-10", "Batken"]]
    )

    out, _, error = run(path)

    assert error is None
    assert "courses: 0 created, 0 updated, 1 unchanged" in out
    assert Course.objects.get().title == "UN human rights mechanisms"


def test_an_existing_session_can_move_to_a_course_the_file_creates(write_csv):
    session = SessionFactory(code="S1", start_date=dt.date(2025, 3, 10))
    path = write_csv(
        [HEADER, ["S1", "NEW", "New course", "2025-03-10", "2025-03-12", "Bishkek city"]]
    )

    out, _, error = run(path)

    assert error is None
    assert "sessions: 0 created, 1 updated" in out
    session.refresh_from_db()
    assert (session.course.code, session.course.title) == ("NEW", "New course")


@pytest.mark.parametrize(
    "spelling, expected",
    [
        ("in person", "in_person"),
        ("In-Person", "in_person"),
        ("in_person", "in_person"),
        ("offline", "in_person"),
        ("ОЧНО", "in_person"),
        ("Online", "online"),
        ("онлайн", "online"),
        ("HYBRID", "hybrid"),
        ("гибрид", "hybrid"),
        ("Смешанный", "hybrid"),
    ],
)
def test_format_spellings(write_csv, spelling, expected):
    CourseFactory(code="C")
    path = write_csv(
        [
            ["code", "course", "start_date", "end_date", "region", "format"],
            ["S1", "C", "2025-03-10", "2025-03-10", "Osh", spelling],
        ]
    )

    assert run(path)[2] is None

    assert Session.objects.get().format == expected


def test_a_course_created_by_an_earlier_row_is_there_for_later_rows(write_csv):
    path = write_csv(
        [
            HEADER,
            ["S1", "NEW", "New course", "2025-03-10", "2025-03-10", "Osh"],
            ["S2", "NEW", "", "2025-04-10", "2025-04-10", "Osh"],
        ]
    )

    out, _, error = run(path)

    assert error is None
    assert "courses: 1 created" in out
    assert set(Session.objects.values_list("course__code", flat=True)) == {"NEW"}


# --- problems ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cells, expected",
    [
        (
            {"start_date": "2025-02-30"},
            "row 2: start_date: '2025-02-30' is not a date: write YYYY-MM-DD or DD.MM.YYYY",
        ),
        (
            {"end_date": "2025-03-09"},
            "row 2: end_date: 2025-03-09 is before the start date 2025-03-10",
        ),
        (
            {"region": "Atlantis"},
            "row 2: region: 'Atlantis' is not a region of the reference list: write one of "
            "Batken, Chui, Issyk-Kul, Jalal-Abad, Naryn, Osh, Talas, Bishkek city, Osh city",
        ),
        (
            {"capacity": "0"},
            "row 2: capacity: 0 is below the minimum 1: the capacity must be a positive whole "
            "number",
        ),
        (
            {"capacity": "twenty"},
            "row 2: capacity: 'twenty' is not a whole number: the capacity must be a positive "
            "whole number",
        ),
        ({"max_score": "0"}, "row 2: max_score: 0 is not above 0"),
        (
            {"pass_mark": "101"},
            "row 2: pass_mark: 101 is above the maximum 100: write a whole percent from 0 to 100",
        ),
        ({"format": "by post"}, "row 2: format: 'by post' is not a format: write in person, "
         "online or hybrid"),
        (
            {"course": "NEW", "course_title": ""},
            "row 2: course: course NEW does not exist: give its course_title to create it",
        ),
        ({"code": ""}, "row 2: code: required"),
        ({"start_date": ""}, "row 2: start_date: required"),
        ({"code": "X" * 41},
         "row 2: code: Ensure this value has at most 40 characters (it has 41)"),
    ],
)  # fmt: skip
def test_each_kind_of_problem_is_reported_and_nothing_written(write_csv, cells, expected):
    CourseFactory(code="C")
    row = {
        "code": "S1",
        "course": "C",
        "course_title": "",
        "start_date": "2025-03-10",
        "end_date": "2025-03-11",
        "region": "Osh",
        "capacity": "20",
        "max_score": "100",
        "pass_mark": "60",
        "format": "online",
    } | cells
    path = write_csv([list(row), list(row.values())])

    out, err, error = run(path)

    assert err.splitlines() == [expected]
    assert isinstance(error, CommandError)
    assert error.returncode == 1
    assert str(error) == f"1 problem(s) in {path}; nothing was written"
    assert out == ""
    assert not Session.objects.exists()
    assert list(Course.objects.values_list("code", flat=True)) == ["C"]


def test_every_problem_of_the_file_is_reported_at_once_with_spreadsheet_row_numbers(write_xlsx):
    path = write_xlsx(
        [
            HEADER,
            ["S1", "NEW", "New course", dt.date(2025, 3, 10), dt.date(2025, 3, 11), "Osh"],
            [None] * 6,
            ["S2", "UNKNOWN", None, dt.date(2025, 3, 10), dt.date(2025, 3, 11), "Osh"],
            ["S3", "NEW", None, "yesterday", dt.date(2025, 3, 11), "Mars"],
            [None] * 6,
            [None] * 6,
            ["S1", "NEW", None, dt.date(2025, 3, 10), dt.date(2025, 3, 11), "Osh"],
        ]
    )

    _, err, error = run(path)

    assert err.splitlines() == [
        "row 4: course: course UNKNOWN does not exist: give its course_title to create it",
        "row 5: start_date: 'yesterday' is not a date: write YYYY-MM-DD or DD.MM.YYYY",
        "row 5: region: 'Mars' is not a region of the reference list: write one of Batken, Chui, "
        "Issyk-Kul, Jalal-Abad, Naryn, Osh, Talas, Bishkek city, Osh city",
        "row 8: code: session S1 already appears on row 2",
    ]
    assert str(error) == f"4 problem(s) in {path}; nothing was written"
    assert snapshot() == ([], [], [])


def test_a_missing_required_column_is_reported_on_the_header_row(write_csv):
    path = write_csv([["code", "course", "start_date", "end_date"], ["S1", "C", "2025-03-10", ""]])

    _, err, error = run(path)

    assert err.splitlines() == ["row 1: region: required column is missing"]
    assert error is not None


def test_lowering_max_score_below_a_recorded_score_is_refused(write_csv):
    session = SessionFactory(code="S1")
    EnrolmentFactory(session=session, pre_score=Decimal("45.5"))
    path = write_csv(
        [
            ["code", "course", "start_date", "end_date", "region", "max_score"],
            ["S1", session.course.code, "2025-03-10", "2025-03-12", "Bishkek city", "40"],
        ]
    )

    _, err, error = run(path)

    assert error is not None
    assert err.splitlines() == [
        "row 2: max_score: a score of 45.5 is already recorded in this session: the maximum "
        "score cannot go below it (asked for 40)"
    ]
    session.refresh_from_db()
    assert session.max_score == Decimal(100)


def test_new_dates_that_leave_out_attended_days_are_refused(write_csv):
    session = SessionFactory(
        code="S1", start_date=dt.date(2025, 3, 10), end_date=dt.date(2025, 3, 12)
    )
    attend(EnrolmentFactory(session=session), present_days=1)
    path = write_csv(
        [
            ["code", "course", "start_date", "end_date", "region"],
            ["S1", session.course.code, "2025-03-11", "2025-03-11", "Bishkek city"],
        ]
    )

    _, err, error = run(path)

    assert error is not None
    assert err.splitlines() == [
        "row 2: start_date: attendance is recorded on 2025-03-10, which the new dates leave "
        "out: keep those dates or delete that attendance first",
        "row 2: end_date: attendance is recorded on 2025-03-12, which the new dates leave out: "
        "keep those dates or delete that attendance first",
    ]
    assert len(days_of("S1")) == 3


def test_an_unreadable_file_is_refused_with_the_reason(tmp_path):
    path = tmp_path / "sessions.txt"
    path.write_text("code\n")

    _, _, error = run(path)

    assert "only .xlsx and .csv files can be imported" in str(error)
    assert error.returncode == 1


# --- queries and export --------------------------------------------------------------------------


def _file(write_xlsx, n: int, name: str):
    """A file creating n sessions and updating n existing ones, half of them on a new course."""
    rows = [[*HEADER, "venue"]]
    for i in range(n):
        existing = SessionFactory(code=f"OLD{name}{i}", course=CourseFactory(code=f"C{name}{i}"))
        rows.append(
            [existing.code, existing.course.code, None, dt.date(2025, 3, 9), dt.date(2025, 3, 13),
             "Osh", "Moved"]
        )  # fmt: skip
        rows.append(
            [f"NEW{name}{i}", f"N{name}{i}", "New", dt.date(2025, 5, 1), dt.date(2025, 5, 2),
             "Chui", ""]
        )  # fmt: skip
    return write_xlsx(rows, name=f"{name}.xlsx")


def test_queries_do_not_grow_with_rows(write_xlsx, django_assert_max_num_queries):
    small = _file(write_xlsx, 1, "small")
    large = _file(write_xlsx, 15, "large")
    # six reads, two more each for session and course codes not found as typed (new ones),
    # a savepoint and its release, one bulk write per kind
    bound = 16

    with django_assert_max_num_queries(bound):
        SessionResource().import_data(load_dataset(small))
    with django_assert_max_num_queries(bound):
        result = SessionResource().import_data(load_dataset(large))

    assert not result.problems
    assert result.counts.get("sessions", "created") == 15
    assert result.counts.get("sessions", "updated") == 15
    assert Session.objects.filter(venue="Moved").count() == 16


def test_export_has_one_row_per_session_with_readable_course_and_region(
    django_assert_max_num_queries,
):
    SessionFactory(code="S1", course=CourseFactory(code="UPR", title="UPR"), capacity=30)
    SessionFactory(code="S2")

    with django_assert_max_num_queries(1):
        dataset = SessionResource().export(Session.objects.order_by("code"))

    assert dataset.headers == [
        "code", "course", "course_title", "title", "start_date", "end_date", "region", "venue",
        "format", "language", "capacity", "max_score", "pass_mark", "min_attendance", "status",
    ]  # fmt: skip
    assert dataset[0][:3] == ("S1", "UPR", "UPR")
    assert dataset[0][6] == "Bishkek city"
    assert dataset[0][10] == "30"


def test_a_code_in_other_case_updates_the_session_it_names(write_csv):
    session = SessionFactory(code="UPR-01", venue="Old venue")
    path = write_csv(
        [
            ["code", "course", "start_date", "end_date", "region", "venue"],
            ["upr-01", session.course.code.lower(), "2025-03-10", "2025-03-12", "Chui", "New"],
        ]
    )

    call_command("import_sessions", str(path), stdout=StringIO())

    assert Session.objects.count() == 1
    session.refresh_from_db()
    assert (session.code, session.venue) == ("UPR-01", "New")


def test_a_code_two_sessions_share_but_for_case_is_refused(write_csv):
    SessionFactory(code="upr-01")
    SessionFactory(code="UPR-01")
    path = write_csv(
        [
            ["code", "course", "start_date", "end_date", "region"],
            ["Upr-01", "C1", "2025-03-10", "2025-03-12", "Chui"],
        ]
    )

    with pytest.raises(CommandError):
        call_command("import_sessions", str(path), stdout=StringIO(), stderr=(err := StringIO()))

    assert "row 2: code: 'Upr-01' could be session UPR-01 or upr-01" in err.getvalue()
    assert Session.objects.count() == 2
