"""manage.py import_results: trainers' scores and day-by-day attendance, all or nothing."""

import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.factories import EnrolmentFactory, ParticipantFactory, SessionFactory, attend
from trainings.importing import load_dataset
from trainings.models import Attendance, Enrolment
from trainings.resources import ResultsResource

pytestmark = pytest.mark.django_db

MON, TUE, WED = dt.date(2025, 3, 10), dt.date(2025, 3, 11), dt.date(2025, 3, 12)


def run(path, *args):
    """Run the command; return (stdout, stderr, error or None)."""
    out, err = StringIO(), StringIO()
    try:
        call_command("import_results", str(path), *args, stdout=out, stderr=err)
    except CommandError as exc:
        return out.getvalue(), err.getvalue(), exc
    return out.getvalue(), err.getvalue(), None


def marks(enrolment: Enrolment) -> dict[dt.date, bool]:
    return dict(enrolment.attendance.values_list("day__date", "present"))


def snapshot():
    return (
        list(Enrolment.objects.order_by("pk").values("pk", "pre_score", "post_score")),
        list(Attendance.objects.order_by("pk").values("enrolment_id", "day_id", "present")),
    )


@pytest.fixture
def session():
    """A three-day session, Monday to Wednesday, with a maximum score of 40."""
    return SessionFactory(code="UPR-01", start_date=MON, end_date=WED, max_score=Decimal(40))


@pytest.fixture
def aigul(session):
    person = ParticipantFactory(
        last_name="Өмүрбекова", first_name="Айгүл", email="aigul@example.org", birth_year=1990
    )
    return EnrolmentFactory(session=session, participant=person)


@pytest.fixture
def elena(session):
    person = ParticipantFactory(
        last_name="Ковалёва", first_name="Елена", middle_name="Петровна", email="", birth_year=1985
    )
    return EnrolmentFactory(session=session, participant=person)


# --- good files ----------------------------------------------------------------------------------


def test_xlsx_with_date_headers_records_scores_and_attendance(write_xlsx, aigul, elena):
    path = write_xlsx(
        [
            ["session", "email", "last_name", "first_name", "pre_score", "post_score",
             MON, dt.datetime(2025, 3, 11), WED],
            ["UPR-01", "AIGUL@example.org ", None, None, 20, 35.5, 1, "yes", "x"],
            ["UPR-01", None, "КОВАЛЕВА", "елена", "12,5", None, "+", "-", None],
        ]
    )  # fmt: skip
    assert marks(aigul) == {}

    out, err, error = run(path)

    assert error is None, err
    assert out.strip() == (
        "enrolments: 0 created, 2 updated, 0 unchanged; "
        "attendance marks: 6 created, 0 updated, 0 unchanged"
    )
    aigul.refresh_from_db()
    elena.refresh_from_db()
    assert (aigul.pre_score, aigul.post_score) == (Decimal(20), Decimal("35.5"))
    assert (elena.pre_score, elena.post_score) == (Decimal("12.5"), None)
    assert marks(aigul) == {MON: True, TUE: True, WED: True}
    assert marks(elena) == {MON: True, TUE: False, WED: False}


def test_csv_with_text_date_headers_semicolons_and_bom(write_csv, aigul):
    path = write_csv(
        [
            ["Session", " EMAIL ", "Post Score", "2025-03-10", "2025-03-11"],
            ["UPR-01", "aigul@example.org", "40", "да", "нет"],
        ],
        delimiter=";",
        bom=True,
    )

    _, err, error = run(path)

    assert error is None, err
    aigul.refresh_from_db()
    assert (aigul.pre_score, aigul.post_score) == (None, Decimal(40))
    assert marks(aigul) == {MON: True, TUE: False}


PRESENT = ["1", "yes", "Y", "present", "+", "x", "ДА"]
ABSENT = ["0", "no", "N", "absent", "-", "нет", ""]


@pytest.mark.parametrize(
    "mark, expected", [(m, True) for m in PRESENT] + [(m, False) for m in ABSENT]
)
def test_every_presence_spelling(write_csv, aigul, mark, expected):
    path = write_csv([["session", "email", "2025-03-10"], ["UPR-01", "aigul@example.org", mark]])

    _, err, error = run(path)

    assert error is None, err
    assert marks(aigul) == {MON: expected}


def test_second_import_changes_nothing(write_xlsx, aigul, elena):
    path = write_xlsx(
        [
            ["session", "email", "last_name", "first_name", "pre_score", "post_score", MON, TUE],
            ["UPR-01", "aigul@example.org", None, None, 10, 30, 1, 0],
            ["UPR-01", None, "Ковалёва", "Елена", 15, None, 1, 1],
        ]
    )
    assert run(path)[2] is None
    before = snapshot()

    out, _, error = run(path)

    assert error is None
    assert out.strip() == (
        "enrolments: 0 created, 0 updated, 2 unchanged; "
        "attendance marks: 0 created, 0 updated, 4 unchanged"
    )
    assert snapshot() == before


def test_marks_are_updated_in_place(write_csv, aigul):
    run(write_csv([["session", "email", "2025-03-10"], ["UPR-01", "aigul@example.org", "0"]]))
    path = write_csv(
        [["session", "email", "2025-03-10"], ["UPR-01", "aigul@example.org", "1"]], name="2.csv"
    )

    out, _, error = run(path)

    assert error is None
    assert "attendance marks: 0 created, 1 updated, 0 unchanged" in out
    assert Attendance.objects.count() == 1
    assert marks(aigul) == {MON: True}


def test_dry_run_writes_nothing(write_csv, aigul):
    path = write_csv(
        [["session", "email", "pre_score", "2025-03-10"], ["UPR-01", "aigul@example.org", "5", "1"]]
    )
    before = snapshot()

    out, _, error = run(path, "--dry-run")

    assert error is None
    assert out.startswith("dry run, nothing written: enrolments: 0 created, 1 updated")
    assert snapshot() == before


def test_blank_score_clears_it_but_an_absent_column_leaves_it(write_csv, session):
    enrolment = EnrolmentFactory(session=session, pre_score=Decimal(10), post_score=Decimal(20))
    email = enrolment.participant.email
    path = write_csv([["session", "email", "post_score"], ["UPR-01", email, ""]])

    assert run(path)[2] is None

    enrolment.refresh_from_db()
    assert (enrolment.pre_score, enrolment.post_score) == (Decimal(10), None)


def test_a_day_column_of_another_sessions_day_is_ignored_when_blank(write_csv, aigul):
    other = SessionFactory(
        code="OTHER", start_date=dt.date(2025, 4, 1), end_date=dt.date(2025, 4, 1)
    )
    bob = EnrolmentFactory(session=other)
    path = write_csv(
        [
            ["session", "email", "2025-03-10", "2025-04-01"],
            ["UPR-01", "aigul@example.org", "1", ""],
            ["OTHER", bob.participant.email, "", "1"],
        ]
    )

    _, err, error = run(path)

    assert error is None, err
    assert marks(aigul) == {MON: True}
    assert marks(bob) == {dt.date(2025, 4, 1): True}


def test_name_match_ignores_case_yo_and_a_stored_middle_name(write_csv, elena):
    path = write_csv(
        [
            ["session", "last_name", "first_name", "pre_score"],
            ["UPR-01", " ковалева ", "ЕЛЕНА", "7"],
        ]
    )

    assert run(path)[2] is None

    elena.refresh_from_db()
    assert elena.pre_score == Decimal(7)


def test_birth_year_tells_namesakes_apart(write_csv, session):
    older = EnrolmentFactory(
        session=session,
        participant=ParticipantFactory(
            last_name="Токтогулов", first_name="Нурлан", email="", birth_year=1970
        ),
    )
    younger = EnrolmentFactory(
        session=session,
        participant=ParticipantFactory(
            last_name="Токтогулов", first_name="Нурлан", email="", birth_year=1995
        ),
    )
    path = write_csv(
        [
            ["session", "last_name", "first_name", "birth_year", "post_score"],
            ["UPR-01", "Токтогулов", "Нурлан", "1995", "33"],
        ]
    )

    assert run(path)[2] is None

    older.refresh_from_db()
    younger.refresh_from_db()
    assert (older.post_score, younger.post_score) == (None, Decimal(33))


def test_withdrawn_enrolment_without_results_is_skipped(write_csv, session):
    gone = EnrolmentFactory(session=session, status=Enrolment.Status.WITHDRAWN)
    path = write_csv(
        [
            ["session", "email", "pre_score", "2025-03-10"],
            ["UPR-01", gone.participant.email, "", ""],
        ]
    )

    out, _, error = run(path)

    assert error is None
    assert "enrolments: 0 created, 0 updated, 1 unchanged" in out
    assert marks(gone) == {}


# --- problems ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cells, expected",
    [
        ({"session": "NOPE"}, "row 2: session: no session has code NOPE"),
        ({"session": ""}, "row 2: session: required"),
        (
            {"email": "who@example.org"},
            "row 2: email: who@example.org matches no enrolment of session UPR-01",
        ),
        (
            {"email": "", "last_name": "Иванов", "first_name": "Иван"},
            "row 2: last_name: Иванов Иван matches no enrolment of session UPR-01",
        ),
        (
            {"email": ""},
            "row 2: last_name: give the email, or last_name and first_name, of the participant",
        ),
        (
            {"pre_score": "40.5"},
            "row 2: pre_score: 40.5 is above the maximum 40 (scores run from 0 to the session's "
            "maximum)",
        ),
        (
            {"post_score": "-1"},
            "row 2: post_score: -1 is below the minimum 0 (scores run from 0 to the session's "
            "maximum)",
        ),
        ({"post_score": "good"}, "row 2: post_score: 'good' is not a number (scores run from 0 "
         "to the session's maximum)"),
        ({"pre_score": "1.234"},
         "row 2: pre_score: Ensure that there are no more than 2 decimal places"),
        (
            {"2025-03-13": "1"},
            "row 2: 2025-03-13: 2025-03-13 is not a training day of session UPR-01 (its days: "
            "2025-03-10, 2025-03-11, 2025-03-12)",
        ),
        (
            {"2025-03-10": "maybe"},
            "row 2: 2025-03-10: 'maybe' is not a mark: write 1 / yes / + for present, "
            "0 / no / - or blank for absent",
        ),
        ({"birth_year": "nineteen", "email": "", "last_name": "Өмүрбекова", "first_name": "Айгүл"},
         "row 2: birth_year: 'nineteen' is not a whole number"),
    ],
)  # fmt: skip
def test_each_kind_of_problem_is_reported_and_nothing_written(write_csv, aigul, cells, expected):
    row = {
        "session": "UPR-01",
        "email": "aigul@example.org",
        "last_name": "",
        "first_name": "",
        "birth_year": "",
        "pre_score": "10",
        "post_score": "20",
        "2025-03-10": "1",
        "2025-03-13": "",
    } | cells
    path = write_csv([list(row), list(row.values())])
    before = snapshot()

    out, err, error = run(path)

    assert err.splitlines() == [expected]
    assert isinstance(error, CommandError)
    assert error.returncode == 1
    assert str(error) == f"1 problem(s) in {path}; nothing was written"
    assert out == ""
    assert snapshot() == before


def test_namesakes_without_birth_year_are_ambiguous(write_csv, session):
    for year in (1970, 1995):
        EnrolmentFactory(
            session=session,
            participant=ParticipantFactory(
                last_name="Токтогулов", first_name="Нурлан", email="", birth_year=year
            ),
        )
    path = write_csv(
        [
            ["session", "last_name", "first_name", "pre_score"],
            ["UPR-01", "Токтогулов", "Нурлан", "9"],
        ]
    )

    _, err, error = run(path)

    assert err.splitlines() == [
        "row 2: last_name: Токтогулов Нурлан matches 2 enrolments of session UPR-01: "
        "add email or birth_year"
    ]
    assert error is not None
    assert not Enrolment.objects.filter(pre_score__isnull=False).exists()


def test_a_different_email_is_a_different_person_whatever_the_name(write_csv, aigul):
    path = write_csv(
        [
            ["session", "email", "last_name", "first_name", "pre_score"],
            ["UPR-01", "other@example.org", "Өмүрбекова", "Айгүл", "9"],
        ]
    )

    _, err, _ = run(path)

    assert err.splitlines() == [
        "row 2: email: Өмүрбекова Айгүл (other@example.org) matches no enrolment of session UPR-01"
    ]


def test_only_enrolments_of_the_rows_session_are_matched(write_csv, aigul):
    SessionFactory(code="OTHER")
    path = write_csv([["session", "email", "pre_score"], ["OTHER", "aigul@example.org", "9"]])

    _, err, _ = run(path)

    assert err.splitlines() == [
        "row 2: email: aigul@example.org matches no enrolment of session OTHER"
    ]


def test_withdrawn_enrolment_with_results_is_refused(write_csv, session):
    gone = EnrolmentFactory(session=session, status=Enrolment.Status.WITHDRAWN)
    email = gone.participant.email
    path = write_csv([["session", "email", "pre_score"], ["UPR-01", email, "5"]])

    _, err, error = run(path)

    assert err.splitlines() == [
        f"row 2: email: {gone.participant} is withdrawn from UPR-01: results cannot be recorded"
    ]
    assert error is not None
    gone.refresh_from_db()
    assert gone.pre_score is None


def test_every_problem_of_the_file_is_reported_at_once_with_spreadsheet_row_numbers(
    write_xlsx, aigul, elena
):
    path = write_xlsx(
        [
            ["session", "email", "last_name", "first_name", "pre_score", MON],
            ["UPR-01", "aigul@example.org", None, None, 10, 1],
            [None] * 6,
            ["UPR-01", None, "Ковалёва", "Елена", 99, 1],
            ["NOPE", "x@example.org", None, None, 1, 1],
            [None] * 6,
            ["UPR-01", None, "Өмүрбекова", "Айгүл", 5, "?"],
        ]
    )
    before = snapshot()

    _, err, error = run(path)

    assert err.splitlines() == [
        "row 4: pre_score: 99 is above the maximum 40 (scores run from 0 to the session's maximum)",
        "row 5: session: no session has code NOPE",
        "row 7: last_name: Өмүрбекова Айгүл in UPR-01 already appears on row 2",
        "row 7: 2025-03-10: '?' is not a mark: write 1 / yes / + for present, 0 / no / - or "
        "blank for absent",
    ]
    assert str(error) == f"4 problem(s) in {path}; nothing was written"
    assert snapshot() == before


def test_a_file_without_any_way_to_name_people_is_refused_on_the_header(write_csv, aigul):
    path = write_csv([["session", "last_name", "pre_score"], ["UPR-01", "Өмүрбекова", "5"]])

    _, err, error = run(path)

    assert err.splitlines() == [
        "row 1: email: give an email column, or last_name and first_name columns"
    ]
    assert error is not None


def test_a_date_header_that_is_no_date_is_refused(write_csv, aigul):
    path = write_csv([["session", "email", "2025-02-30"], ["UPR-01", "aigul@example.org", "1"]])

    _, err, _ = run(path)

    assert err.splitlines() == [
        "row 1: 2025-02-30: this header is not a real date: write YYYY-MM-DD"
    ]


# --- queries and export --------------------------------------------------------------------------


def _file(write_xlsx, session, n: int, name: str):
    """A results file for n enrolments of the session: one by email, one by name, per pair."""
    rows = [["session", "email", "last_name", "first_name", "pre_score", "post_score", MON, TUE]]
    for _ in range(n):
        by_email = EnrolmentFactory(session=session)
        by_name = EnrolmentFactory(session=session, participant=ParticipantFactory(email=""))
        attend(by_name, present_days=1)
        person = by_name.participant
        rows.append([session.code, by_email.participant.email, None, None, 5, 30, 1, 0])
        rows.append([session.code, None, person.last_name, person.first_name, "7,5", None, 0, 1])
    return write_xlsx(rows, name=f"{name}.xlsx")


def test_queries_do_not_grow_with_rows(write_xlsx, django_assert_max_num_queries):
    small = _file(write_xlsx, SessionFactory(start_date=MON, end_date=WED), 1, "small")
    large = _file(write_xlsx, SessionFactory(start_date=MON, end_date=WED), 15, "large")
    # Four reads, a savepoint and its release, one write per kind of change, and its audit trail.
    bound = 12

    with django_assert_max_num_queries(bound):
        ResultsResource().import_data(load_dataset(small))
    with django_assert_max_num_queries(bound):
        result = ResultsResource().import_data(load_dataset(large))

    assert not result.problems
    assert result.counts.get("enrolments", "updated") == 30
    assert result.counts.get("attendance marks", "created") == 30
    assert result.counts.get("attendance marks", "updated") == 30
    assert Enrolment.objects.filter(pre_score=Decimal("7.5")).count() == 16


def test_export_lists_each_enrolment_with_its_scores(django_assert_max_num_queries, aigul):
    aigul.pre_score = Decimal(12)
    aigul.save()

    with django_assert_max_num_queries(1):
        dataset = ResultsResource().export(Enrolment.objects.all())

    assert dataset.headers == [
        "session", "email", "last_name", "first_name", "birth_year", "pre_score", "post_score",
    ]  # fmt: skip
    assert dataset[0] == ("UPR-01", "aigul@example.org", "Өмүрбекова", "Айгүл", "1990", "12.00", "")


def test_the_session_code_may_be_written_in_another_case(write_csv):
    enrolment = EnrolmentFactory(session=SessionFactory(code="PT-01"))
    person = enrolment.participant
    path = write_csv([["session", "email", "pre_score"], ["pt-01", person.email.upper(), "55"]])

    call_command("import_results", str(path), stdout=StringIO())

    enrolment.refresh_from_db()
    assert enrolment.pre_score == 55
