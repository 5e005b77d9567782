"""The M&E statistics (reports/stats.py) and ``manage.py stats`` against hand-computed figures."""

import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from django.core.management import call_command, execute_from_command_line
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from participants.models import Region
from reports import stats
from tests.factories import (
    AgencyFactory,
    CertificateFactory,
    CourseFactory,
    EnrolmentFactory,
    ParticipantFactory,
    SessionFactory,
    agency_type,
    attend,
    gender,
    region,
)
from trainings.models import Enrolment, Session

pytestmark = pytest.mark.django_db

MARCH_10 = dt.date(2025, 3, 10)
APRIL_14 = dt.date(2025, 4, 14)
MAY_19 = dt.date(2025, 5, 19)


def person(sex: str, region_name: str | None, type_name: str, **kwargs):
    return ParticipantFactory(
        gender=gender(sex),
        region=region(region_name) if region_name else None,
        agency=AgencyFactory(type=agency_type(type_name)),
        **kwargs,
    )


def enrol(session, participant, pre=None, post=None, present=None, **kwargs):
    enrolment = EnrolmentFactory(
        session=session,
        participant=participant,
        pre_score=None if pre is None else Decimal(pre),
        post_score=None if post is None else Decimal(post),
        **kwargs,
    )
    if present is not None:
        attend(enrolment, present)
    return enrolment


@pytest.fixture
def world():
    """Three sessions of two courses, and the enrolments and sessions that must not count.

    session  course  start       days  max   status
    S1       UPR     2025-03-10  3     100   completed
    S2       UPR     2025-04-14  2     20    completed
    S3       OPCAT   2025-05-19  3     100   completed
    SX       OPCAT   2025-04-20  3     100   cancelled  (nothing of it counts)

    person  gender       region  agency type  participations (present days, pre, post)
    A       female       Chui    Ministry     S1 (3, 40, 80), S2 (2, 10/20, 15/20)
    B       male         Osh     Prosecution  S1 (2, 60, 60)
    C       female       -       Police       S3 (no attendance marked, no scores)
    D       male         Chui    Ministry     S2 (1, 12/20, no post: not a pair)
    E       undisclosed  Osh     Prosecution  S3 (3, 70, 65)
    W       female       Chui    Ministry     S1 withdrawn (3, 0, 100): excluded
    L       male         Bishkek Court        S3 waitlisted (3, 10, 90): excluded
    X       female       Talas   Court        SX (3, 10, 90): excluded, cancelled session

    Certificates: A@S1 valid, B@S1 revoked, E@S3 valid, W@S1 valid (withdrawn: out of scope),
    X@SX valid (cancelled session: out of scope).
    """
    upr = CourseFactory(code="UPR", title="UN human rights mechanisms")
    opcat = CourseFactory(code="OPCAT", title="Prevention of torture")
    s1 = SessionFactory(code="S1", course=upr, start_date=MARCH_10)
    s2 = SessionFactory(
        code="S2",
        course=upr,
        start_date=APRIL_14,
        end_date=APRIL_14 + dt.timedelta(days=1),
        max_score=Decimal(20),
    )
    s3 = SessionFactory(code="S3", course=opcat, start_date=MAY_19)
    sx = SessionFactory(
        code="SX", course=opcat, start_date=dt.date(2025, 4, 20), status=Session.Status.CANCELLED
    )
    a = person("female", "Chui", "Ministry")
    b = person("male", "Osh", "Prosecution")
    c = person("female", None, "Police")
    d = person("male", "Chui", "Ministry")
    e = person("undisclosed", "Osh", "Prosecution")
    w = person("female", "Chui", "Ministry")
    lw = person("male", "Bishkek city", "Court")
    x = person("female", "Talas", "Court")

    a1 = enrol(s1, a, pre=40, post=80, present=3)
    b1 = enrol(s1, b, pre=60, post=60, present=2, status=Enrolment.Status.REGISTERED)
    enrol(s2, a, pre=10, post=15, present=2)
    enrol(s2, d, pre=12, present=1)
    enrol(s3, c)
    e3 = enrol(s3, e, pre=70, post=65, present=3)
    w1 = enrol(s1, w, pre=0, post=100, present=3, status=Enrolment.Status.WITHDRAWN)
    enrol(s3, lw, pre=10, post=90, present=3, status=Enrolment.Status.WAITLISTED)
    x1 = enrol(sx, x, pre=10, post=90, present=3)

    CertificateFactory(enrolment=a1)
    CertificateFactory(enrolment=b1, revoked=True, revoked_on=dt.date(2025, 6, 1))
    CertificateFactory(enrolment=e3)
    CertificateFactory(enrolment=w1)
    CertificateFactory(enrolment=x1)


def run_stats(*args: str) -> dict:
    out = io.StringIO()
    call_command("stats", "--json", *args, stdout=out)
    return json.loads(out.getvalue())


def zero_genders(**counts: tuple[int, int]) -> dict:
    figures = {g: {"participants": 0, "participations": 0} for g in GENDER_CODES}
    for code, (people, times) in counts.items():
        figures[code] = {"participants": people, "participations": times}
    return figures


GENDER_CODES = ["female", "male", "other", "undisclosed"]


def pc(people: int, times: int) -> dict:
    return {"participants": people, "participations": times}


# --- the whole JSON ----------------------------------------------------------------------------


def test_stats_json_gives_every_hand_computed_figure(world):
    figures = run_stats()

    assert figures == {
        # S1, S2, S3: SX is cancelled.
        "sessions": 3,
        # A@S1, B@S1, A@S2, D@S2, C@S3, E@S3.
        "participations": 6,
        # A, B, C, D, E: A twice is one person.
        "participants": 5,
        "by_gender": {
            "female": pc(2, 3),  # A (S1, S2), C
            "male": pc(2, 2),  # B, D
            "other": pc(0, 0),
            "undisclosed": pc(1, 1),  # E
        },
        "by_agency_type": {
            "Ministry": pc(2, 3),  # A (S1, S2), D
            "Prosecution": pc(2, 2),  # B, E
            "Police": pc(1, 1),  # C
        },
        "by_region": {
            "Chui": pc(2, 3),  # A (S1, S2), D
            "Osh": pc(2, 2),  # B, E
            "unknown": pc(1, 1),  # C has no region
        },
        "by_course": {
            "OPCAT": pc(2, 2),  # C, E
            "UPR": pc(3, 4),  # A (S1, S2), B, D: participants need not add up over courses
        },
        # present 3 + 2 + 2 + 1 + 0 + 3 = 11 of scheduled 3*2 + 2*2 + 3*2 = 16 person-days.
        "attendance_rate": pytest.approx(11 / 16),
        "assessment": {
            # A@S1 40->80, B@S1 60->60, A@S2 10/20->15/20 = 50->75, E@S3 70->65; D has no post.
            "pairs": 4,
            "pre_mean": pytest.approx(55.0),  # (40 + 60 + 50 + 70) / 4
            "post_mean": pytest.approx(70.0),  # (80 + 60 + 75 + 65) / 4
            "mean_gain": pytest.approx(15.0),
            "improved_share": pytest.approx(0.5),  # A@S1 and A@S2 of 4
            "normalized_gain": pytest.approx(15 / 45),  # 15 / (100 - 55)
        },
        # A@S1 and E@S3; B's is revoked, W's and X's are outside the scope.
        "certificates": 2,
    }


def test_stats_json_lists_keys_in_the_contracts_order_and_genders_by_sort_order(world):
    figures = run_stats()

    assert list(figures) == [
        "sessions",
        "participations",
        "participants",
        "by_gender",
        "by_agency_type",
        "by_region",
        "by_course",
        "attendance_rate",
        "assessment",
        "certificates",
    ]
    assert list(figures["by_gender"]) == GENDER_CODES
    # Reference-list order (Ministry before Prosecution before Police), unknown last.
    assert list(figures["by_agency_type"]) == ["Ministry", "Prosecution", "Police"]
    assert list(figures["by_region"]) == ["Chui", "Osh", "unknown"]
    assert list(figures["assessment"]) == [
        "pairs",
        "pre_mean",
        "post_mean",
        "mean_gain",
        "improved_share",
        "normalized_gain",
    ]


def test_stats_prints_cyrillic_as_is():
    session = SessionFactory(course=CourseFactory(code="ПЫТКИ"))
    enrol(session, person("female", "Naryn", "Ombudsman"))
    out = io.StringIO()

    call_command("stats", "--json", stdout=out)

    assert '"ПЫТКИ"' in out.getvalue()
    assert json.loads(out.getvalue())["by_course"] == {"ПЫТКИ": pc(1, 1)}


# --- filters -----------------------------------------------------------------------------------


def test_course_filter_matches_the_code_in_any_case(world):
    figures = run_stats("--course", "upr")

    assert figures["sessions"] == 2  # S1, S2
    assert figures["participations"] == 4  # A@S1, B@S1, A@S2, D@S2
    assert figures["participants"] == 3  # A, B, D
    assert figures["by_course"] == {"UPR": pc(3, 4)}
    assert figures["by_gender"] == zero_genders(female=(1, 2), male=(2, 2))
    assert figures["by_region"] == {"Chui": pc(2, 3), "Osh": pc(1, 1)}
    assert figures["attendance_rate"] == pytest.approx(8 / 10)  # 3 + 2 + 2 + 1 of 6 + 4
    assert figures["assessment"] == {
        "pairs": 3,
        "pre_mean": pytest.approx(50.0),  # (40 + 60 + 50) / 3
        "post_mean": pytest.approx(215 / 3),  # (80 + 60 + 75) / 3
        "mean_gain": pytest.approx(215 / 3 - 50),
        "improved_share": pytest.approx(2 / 3),
        "normalized_gain": pytest.approx((215 / 3 - 50) / 50),
    }
    assert figures["certificates"] == 1  # A@S1


def test_course_filter_folds_cyrillic_codes():
    session = SessionFactory(course=CourseFactory(code="ПЫТКИ-Ё"))
    enrol(session, ParticipantFactory())

    assert run_stats("--course", "пытки-е")["participations"] == 1


def test_course_codes_differing_only_in_case_need_the_exact_spelling():
    CourseFactory(code="upr")
    CourseFactory(code="UPR")

    assert stats.filters_from_names(course="upr").course == "upr"
    assert stats.filters_from_names(course="UPR").course == "UPR"
    with pytest.raises(stats.StatsFilterError, match="'Upr' could be any course of: UPR, upr"):
        stats.filters_from_names(course="Upr")


def test_date_filter_includes_sessions_starting_on_either_end(world):
    figures = run_stats("--from", "2025-04-14", "--to", "2025-05-19")

    # S2 starts on --from, S3 on --to; SX (2025-04-20) lies between but is cancelled.
    assert figures["sessions"] == 2
    assert figures["participations"] == 4  # A@S2, D@S2, C@S3, E@S3
    assert figures["participants"] == 4
    assert figures["by_course"] == {"OPCAT": pc(2, 2), "UPR": pc(2, 2)}
    # present 2 + 1 + 0 + 3 = 6 of 2*2 + 3*2 = 10
    assert figures["attendance_rate"] == pytest.approx(6 / 10)
    # A@S2 50->75, E@S3 70->65
    assert figures["assessment"]["pairs"] == 2
    assert figures["assessment"]["pre_mean"] == pytest.approx(60.0)
    assert figures["assessment"]["post_mean"] == pytest.approx(70.0)
    assert figures["certificates"] == 1  # E@S3


def test_date_filter_excludes_sessions_a_day_outside(world):
    after_s2_start = run_stats("--from", "2025-04-15")
    before_s3_start = run_stats("--to", "2025-05-18")

    assert after_s2_start["by_course"] == {"OPCAT": pc(2, 2)}  # S3 only
    assert after_s2_start["sessions"] == 1
    assert before_s3_start["by_course"] == {"UPR": pc(3, 4)}  # S1, S2
    assert before_s3_start["sessions"] == 2


def test_date_filter_reads_day_month_year(world):
    assert run_stats("--from", "14.04.2025", "--to", "14.04.2025")["participations"] == 2


def test_region_filter_counts_the_participants_region_by_name_or_alias(world):
    by_name = run_stats("--region", "chui")
    by_cyrillic_alias = run_stats("--region", "ЧУЙСКАЯ  ОБЛАСТЬ")

    assert by_name == by_cyrillic_alias
    assert by_name["sessions"] == 2  # S1, S2
    assert by_name["participations"] == 3  # A@S1, A@S2, D@S2 (W is withdrawn)
    assert by_name["participants"] == 2  # A, D
    assert by_name["by_region"] == {"Chui": pc(2, 3)}
    assert by_name["by_agency_type"] == {"Ministry": pc(2, 3)}
    assert by_name["certificates"] == 1  # A@S1


def test_region_filter_is_the_participants_not_the_sessions(world):
    # Every session is held in Bishkek city; only L (waitlisted) lives there.
    assert run_stats("--region", "Bishkek city")["participations"] == 0


def test_agency_type_filter_matches_name_or_alias(world):
    figures = run_stats("--agency-type", "ПРОКУРАТУРА")

    assert figures["sessions"] == 2  # S1, S3
    assert figures["participations"] == 2  # B@S1, E@S3
    assert figures["participants"] == 2
    assert figures["by_gender"] == zero_genders(male=(1, 1), undisclosed=(1, 1))
    assert figures["by_agency_type"] == {"Prosecution": pc(2, 2)}
    # B 60->60, E 70->65
    assert figures["assessment"]["pairs"] == 2
    assert figures["assessment"]["mean_gain"] == pytest.approx(-2.5)
    assert figures["assessment"]["improved_share"] == 0.0
    assert figures["certificates"] == 1  # E@S3; B's is revoked


def test_filters_combine(world):
    figures = run_stats("--course", "UPR", "--region", "Osh", "--to", "2025-03-31")

    assert figures["participations"] == 1  # B@S1
    assert figures["by_gender"] == zero_genders(male=(1, 1))
    assert figures["certificates"] == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--region", "Chuii"], "no region named 'Chuii'; known: Batken, Chui, Issyk-Kul"),
        (["--agency-type", "Polise"], "no agency type named 'Polise'; known: Ministry, Court"),
        (["--course", "UPRR"], "no course with code 'UPRR'; known: OPCAT, UPR"),
        (["--from", "2025-13-01"], "from: '2025-13-01' is not a date"),
        (["--to", "tomorrow"], "to: 'tomorrow' is not a date"),
        (["--from", "2025-05-01", "--to", "2025-04-01"], "(2025-05-01) is after its end"),
        (["--region", "  "], "the region is blank"),
    ],
)
def test_unknown_filter_values_are_refused_with_a_clear_message(world, args, message):
    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")):
        run_stats(*args)


def test_unknown_filter_exits_with_status_1_and_the_message_on_stderr(world, capsys):
    with pytest.raises(SystemExit) as exit_:
        execute_from_command_line(["manage.py", "stats", "--json", "--region", "Chuii"])

    assert exit_.value.code == 1
    captured = capsys.readouterr()
    assert "no region named 'Chuii'" in captured.err
    assert captured.out == ""


def test_filters_from_names_resolves_to_the_stored_records(world):
    filters = stats.filters_from_names(
        course=" upr ", date_from="10.03.2025", region="Ош", agency_type="NGO"
    )

    assert filters == stats.Filters(
        course="UPR",
        date_from=MARCH_10,
        region=region("Osh"),
        agency_type=agency_type("Civil society"),
    )


def test_a_name_wins_over_another_entrys_alias():
    # People say "Osh" for the city too; an administrator may add it as the city's alias.
    Region.objects.filter(name="Osh city").update(aliases="г. Ош, Ош шаары, Osh")

    assert stats.filters_from_names(region="OSH").region == region("Osh")
    assert stats.filters_from_names(region="osh city").region == region("Osh city")


def test_an_alias_shared_by_two_entries_is_refused_as_ambiguous():
    Region.objects.filter(name="Osh city").update(aliases="г. Ош, Ош шаары, Ош")

    with pytest.raises(stats.StatsFilterError, match="'ош' could be any region of: Osh, Osh city"):
        stats.filters_from_names(region="ош")


# --- empty and degenerate data -----------------------------------------------------------------


def test_nothing_in_scope_gives_zeros_all_genders_and_nulls():
    assert run_stats() == {
        "sessions": 0,
        "participations": 0,
        "participants": 0,
        "by_gender": zero_genders(),
        "by_agency_type": {},
        "by_region": {},
        "by_course": {},
        "attendance_rate": None,
        "assessment": {
            "pairs": 0,
            "pre_mean": None,
            "post_mean": None,
            "mean_gain": None,
            "improved_share": None,
            "normalized_gain": None,
        },
        "certificates": 0,
    }


def test_no_pairs_gives_null_assessment_but_counts_participations():
    session = SessionFactory()
    enrol(session, ParticipantFactory(), pre=50, present=3)  # no post
    enrol(session, ParticipantFactory(), post=50, present=1)  # no pre

    figures = run_stats()

    assert figures["participations"] == 2
    assert figures["attendance_rate"] == pytest.approx(4 / 6)
    assert figures["assessment"] == {
        "pairs": 0,
        "pre_mean": None,
        "post_mean": None,
        "mean_gain": None,
        "improved_share": None,
        "normalized_gain": None,
    }


def test_attendance_rate_is_null_when_no_day_is_scheduled():
    session = SessionFactory(days=[])
    enrol(session, ParticipantFactory())

    figures = run_stats()

    assert figures["participations"] == 1
    assert figures["attendance_rate"] is None
    assert stats.attendance(stats.Filters()) == stats.AttendanceFigures(0, 0, None)


def test_normalized_gain_is_null_when_the_pre_mean_is_100():
    full = SessionFactory(max_score=Decimal(20))
    enrol(full, ParticipantFactory(), pre=20, post=20)  # 100% -> 100%
    enrol(SessionFactory(), ParticipantFactory(), pre=100, post=100)

    assessment = run_stats()["assessment"]

    assert assessment == {
        "pairs": 2,
        "pre_mean": pytest.approx(100.0),
        "post_mean": pytest.approx(100.0),
        "mean_gain": pytest.approx(0.0),
        "improved_share": 0.0,
        "normalized_gain": None,
    }


def test_fractional_scores_are_converted_to_percent_of_the_sessions_maximum():
    session = SessionFactory(max_score=Decimal("17.5"))
    enrol(session, ParticipantFactory(), pre="7", post="17.5")

    assessment = stats.assessment(stats.Filters())

    assert assessment.pre_mean == pytest.approx(40.0)  # 7 / 17.5
    assert assessment.post_mean == pytest.approx(100.0)
    assert assessment.normalized_gain == pytest.approx(1.0)


# --- the functions the pages and the workbook will call ----------------------------------------


def test_by_session_and_by_period(world):
    everything = stats.Filters()

    assert [(r.key, r.participants, r.participations) for r in stats.by_session(everything)] == [
        ("S1", 2, 2),
        ("S2", 2, 2),
        ("S3", 2, 2),
    ]
    assert stats.by_session(everything)[0].label == "UN human rights mechanisms"
    quarters = stats.by_period(everything)
    assert [(r.key, r.label, r.participants, r.participations) for r in quarters] == [
        ("2025-01-01", "2025-Q1", 2, 2),  # S1: A, B
        ("2025-04-01", "2025-Q2", 4, 4),  # S2 and S3: A, D, C, E
    ]
    assert [(r.label, r.participations) for r in stats.by_period(everything, "month")] == [
        ("2025-03", 2),
        ("2025-04", 2),
        ("2025-05", 2),
    ]
    assert [(r.label, r.participants) for r in stats.by_period(everything, "year")] == [("2025", 5)]
    with pytest.raises(ValueError, match="period must be one of"):
        stats.by_period(everything, "week")


def test_assessment_and_attendance_by_course(world):
    by_course = {row.key: row for row in stats.assessment(stats.Filters(), group_by="course")}

    assert set(by_course) == {"OPCAT", "UPR"}
    assert by_course["UPR"].label == "UN human rights mechanisms"
    assert by_course["UPR"].pairs == 3
    assert by_course["UPR"].pre_mean == pytest.approx(50.0)
    assert by_course["OPCAT"].pairs == 1  # E only; C took no test
    assert by_course["OPCAT"].mean_gain == pytest.approx(-5.0)
    assert by_course["OPCAT"].normalized_gain == pytest.approx(-5 / 30)
    assert by_course["OPCAT"].improved_share == 0.0
    attendance = {row.key: row for row in stats.attendance(stats.Filters(), group_by="session")}
    assert {k: (a.present_days, a.scheduled_days) for k, a in attendance.items()} == {
        "S1": (5, 6),
        "S2": (3, 4),
        "S3": (3, 6),
    }


def test_headline_counts_only_sessions_with_a_participation_in_scope(world):
    SessionFactory(code="EMPTY", start_date=MARCH_10)  # in the dates, nobody enrolled

    assert stats.headline(stats.Filters()) == stats.Headline(
        sessions=3, participations=6, participants=5
    )


def test_stats_without_json_prints_a_table_of_the_same_figures(world):
    out = io.StringIO()

    call_command("stats", stdout=out)

    lines = out.getvalue().splitlines()
    assert lines[:3] == [
        f"{'sessions':<32}{3:>8}",
        f"{'participations':<32}{6:>8}",
        f"{'participants':<32}{5:>8}",
    ]
    assert "by gender                         participants  participations" in lines
    assert "  unknown                                    1               1" in lines
    assert f"{'attendance rate':<32}{'68.8%':>8}" in lines


# --- queries -----------------------------------------------------------------------------------


def add_participations(count: int) -> None:
    """Add ``count`` participations spread over courses, genders, regions and agency types."""
    courses = [CourseFactory(code=f"K{i}") for i in range(3)]
    sessions = [
        SessionFactory(course=courses[i % 3], start_date=MARCH_10 + dt.timedelta(weeks=5 * i))
        for i in range(6)
    ]
    sexes = ["female", "male", "other", "undisclosed"]
    regions = ["Batken", "Naryn", "Talas", None, "Osh city"]
    types = ["Court", "Police", "Media", "Academia"]
    people = [person(sexes[i % 4], regions[i % 5], types[i % 4]) for i in range((count + 2) // 3)]
    for n in range(count):
        enrolment = enrol(
            sessions[n % 6], people[n // 3], pre=n % 50, post=50 + n % 40, present=n % 4
        )
        if n % 5 == 0:
            CertificateFactory(enrolment=enrolment)


def test_summary_takes_the_same_number_of_queries_for_3_and_60_participations(
    django_assert_num_queries,
):
    add_participations(3)
    everything = stats.Filters()
    with CaptureQueriesContext(connection) as small:
        small_figures = stats.summary(everything)
    assert small_figures["participations"] == 3
    # The participants' three breakdowns (and the totals) in one query, the gender list, the
    # courses (and the sessions), attendance (two), assessment and certificates.
    assert len(small) == 7

    add_participations(57)
    with django_assert_num_queries(len(small)):
        large_figures = stats.summary(everything)

    assert large_figures["participations"] == 60
    assert large_figures["participants"] == 20  # 1 person for the first 3, 19 for the next 57
    assert len(large_figures["by_region"]) == 5


def test_filtered_summary_takes_the_same_number_of_queries(django_assert_num_queries):
    add_participations(60)
    filters = stats.filters_from_names(
        course="k1", date_from="2025-01-01", region="Batken", agency_type="Court"
    )

    with django_assert_num_queries(7):
        stats.summary(filters)


def test_figures_memo_runs_the_participants_grouped_query_once(django_assert_num_queries):
    from reports.stats import (
        Figures,
        Filters,
        by_agency_type,
        by_gender_and_agency_type,
        by_region,
    )

    EnrolmentFactory()
    filters = Filters()
    figures = Figures()
    figures.by_gender(filters)
    with django_assert_num_queries(0):
        kept = (
            figures.by_agency_type(filters),
            figures.by_region(filters),
            figures.by_gender_and_agency_type(filters),
            figures.by_gender(filters),
        )
    assert kept[:3] == (
        by_agency_type(filters),
        by_region(filters),
        by_gender_and_agency_type(filters),
    )
