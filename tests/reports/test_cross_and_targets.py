"""Gender by agency type, per-course/per-session figures, and targets against achievement."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reports import stats
from reports.models import Programme, Target
from reports.targets import Achievement, achievements
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
)
from trainings.models import Session

pytestmark = pytest.mark.django_db

MARCH_10 = dt.date(2025, 3, 10)
MAY_5 = dt.date(2025, 5, 5)
SEPTEMBER_15 = dt.date(2025, 9, 15)


def person(sex: str, type_name: str):
    return ParticipantFactory(gender=gender(sex), agency=AgencyFactory(type=agency_type(type_name)))


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
    """Two sessions in programme ROL (2025), one outside it; six people.

    session  course  start       days  programme  title
    S1       UPR     2025-03-10  3     ROL        "Treaty bodies for judges"
    S2       TORT    2025-09-15  3     ROL        (none: the course's)
    S3       UPR     2025-05-05  3     -          (none)

    person  gender  agency type  participations (pre, post, present days)
    A       female  Ministry     S1 (40, 80, 3) certificate, S2 (50, 90, 3) certificate
    B       female  Police       S1 (50, 70, 2) certificate, S3 (20, 30, 3)
    C       male    Ministry     S1 (60, 50, 1),             S2 (40, 60, 2) certificate
    D       male    Police       S2 (70, 70, 3) revoked certificate
    E       female  Ministry     S1 (30, -, 3)
    F       male    Police       S3 (10, 20, 0) certificate
    G       female  Police       S2 waitlisted (0, 100): never counted

    Targets of ROL: participants 10 (programme's period), women share 0.5, improved share 0.7,
    certificates 4, participants 3 over 2025-07-01..2025-12-31, certificates 0 over 2025-01-01..
    2025-06-30.
    """
    upr = CourseFactory(code="UPR", title="UN human rights mechanisms")
    tort = CourseFactory(code="TORT", title="Prevention of torture")
    s1 = SessionFactory(
        code="S1", course=upr, start_date=MARCH_10, title="Treaty bodies for judges"
    )
    s2 = SessionFactory(code="S2", course=tort, start_date=SEPTEMBER_15)
    s3 = SessionFactory(code="S3", course=upr, start_date=MAY_5)
    rol = Programme.objects.create(
        code="ROL",
        name="Rule of law",
        donors="EU; Norway",
        start_date=dt.date(2025, 1, 1),
        end_date=dt.date(2025, 12, 31),
    )
    rol.sessions.set([s1, s2])

    a, b = person("female", "Ministry"), person("female", "Police")
    c, d = person("male", "Ministry"), person("male", "Police")
    e, f = person("female", "Ministry"), person("male", "Police")
    g = person("female", "Police")

    CertificateFactory(enrolment=enrol(s1, a, 40, 80, 3))
    CertificateFactory(enrolment=enrol(s2, a, 50, 90, 3))
    CertificateFactory(enrolment=enrol(s1, b, 50, 70, 2))
    enrol(s3, b, 20, 30, 3)
    enrol(s1, c, 60, 50, 1)
    CertificateFactory(enrolment=enrol(s2, c, 40, 60, 2))
    CertificateFactory(
        enrolment=enrol(s2, d, 70, 70, 3), revoked=True, revoked_on=dt.date(2025, 10, 1)
    )
    enrol(s1, e, 30, None, 3)
    CertificateFactory(enrolment=enrol(s3, f, 10, 20, 0))
    enrol(s2, g, 0, 100, 3, status="waitlisted")

    for indicator, value, start, end in [
        ("participants", "10", None, None),
        ("women_share", "0.5", None, None),
        ("improved_share", "0.7", None, None),
        ("certificates", "4", None, None),
        ("participants", "3", dt.date(2025, 7, 1), dt.date(2025, 12, 31)),
        ("certificates", "0", dt.date(2025, 1, 1), dt.date(2025, 6, 30)),
    ]:
        Target.objects.create(
            programme=rol,
            indicator=indicator,
            value=Decimal(value),
            period_start=start,
            period_end=end,
        )
    return rol


def cross(filters: stats.Filters) -> list[tuple]:
    return [
        (r.gender, r.agency_type, r.participants, r.participations)
        for r in stats.by_gender_and_agency_type(filters)
    ]


# --- gender by agency type ---------------------------------------------------------------------


def test_cross_table_counts_each_person_once_per_combination(world):
    rows = stats.by_gender_and_agency_type(stats.Filters())

    assert [(r.gender, r.agency_type, r.participants, r.participations) for r in rows] == [
        ("female", "Ministry", 2, 3),  # A twice, E
        ("female", "Police", 1, 2),  # B twice
        ("male", "Ministry", 1, 2),  # C twice
        ("male", "Police", 2, 2),  # D, F
    ]
    assert rows[0] == stats.CrossRow("female", "Female", "Ministry", "Ministry", 2, 3)


def test_cross_table_adds_up_to_the_breakdowns(world):
    everything = stats.Filters()
    rows = stats.by_gender_and_agency_type(everything)

    for row in stats.by_gender(everything):
        mine = [r for r in rows if r.gender == row.key]
        assert sum(r.participations for r in mine) == row.participations
    for row in stats.by_agency_type(everything):
        mine = [r for r in rows if r.agency_type == row.key]
        assert sum(r.participations for r in mine) == row.participations
        assert sum(r.participants for r in mine) == row.participants  # one gender per person


def test_cross_table_follows_the_filters(world):
    assert cross(stats.Filters(programme=world)) == [
        ("female", "Ministry", 2, 3),
        ("female", "Police", 1, 1),
        ("male", "Ministry", 1, 2),
        ("male", "Police", 1, 1),
    ]
    assert cross(stats.Filters(programme=world, gender=gender("male"))) == [
        ("male", "Ministry", 1, 2),
        ("male", "Police", 1, 1),
    ]
    assert cross(stats.Filters(course="NONE")) == []


def test_reference_labels_are_in_the_readers_language_and_keys_stay_stored(world, monkeypatch):
    # The seeded names are translated through gettext, as ReferenceItem.__str__ shows them.
    monkeypatch.setattr(stats, "gettext", lambda text: f"«{text}»")
    everything = stats.Filters()

    assert stats.by_gender_and_agency_type(everything)[0] == stats.CrossRow(
        "female", "«Female»", "Ministry", "«Ministry»", 2, 3
    )
    assert [(r.key, r.label) for r in stats.by_gender(everything)][:2] == [
        ("female", "«Female»"),
        ("male", "«Male»"),
    ]
    assert [(r.key, r.label) for r in stats.by_agency_type(everything)] == [
        ("Ministry", "«Ministry»"),
        ("Police", "«Police»"),
    ]
    assert {(r.key, r.label) for r in stats.by_region(everything)} == {("Chui", "«Chui»")}
    assert stats.summary(everything)["by_agency_type"].keys() == {"Ministry", "Police"}


# --- per course and per session ----------------------------------------------------------------


def test_assessment_and_attendance_per_course_and_session_carry_codes_and_titles(world):
    everything = stats.Filters()

    by_session = stats.assessment(everything, group_by="session")
    assert [(r.key, r.label, r.pairs) for r in by_session] == [
        ("S1", "Treaty bodies for judges", 3),  # E has no post score
        ("S3", "UN human rights mechanisms", 2),  # ordered by start date, as by_session
        ("S2", "Prevention of torture", 3),
    ]
    assert by_session[0].improved_share == pytest.approx(2 / 3)
    assert by_session[0].pre_mean == pytest.approx(50.0)
    attendance = stats.attendance(everything, group_by="session")
    assert [(a.key, a.label, a.present_days, a.scheduled_days) for a in attendance] == [
        ("S1", "Treaty bodies for judges", 9, 12),
        ("S3", "UN human rights mechanisms", 3, 6),
        ("S2", "Prevention of torture", 8, 9),
    ]
    by_course = stats.assessment(everything, group_by="course")
    assert [(r.key, r.label, r.pairs) for r in by_course] == [
        ("TORT", "Prevention of torture", 3),
        ("UPR", "UN human rights mechanisms", 5),
    ]
    courses = stats.attendance(everything, group_by="course")
    assert [(a.key, a.label, a.present_days, a.scheduled_days) for a in courses] == [
        ("TORT", "Prevention of torture", 8, 9),
        ("UPR", "UN human rights mechanisms", 12, 18),
    ]
    assert [r.key for r in stats.by_course(everything)] == [a.key for a in courses]
    assert [r.key for r in stats.by_session(everything)] == [a.key for a in attendance]


# --- targets -----------------------------------------------------------------------------------


def table(found: list[Achievement]) -> list[tuple]:
    return [(a.indicator, a.period_start, a.period_end, a.target, a.achieved) for a in found]


def test_no_programme_no_achievements(world):
    assert achievements(stats.Filters()) == []


def test_achievements_over_the_programmes_and_the_targets_periods(world):
    found = achievements(stats.Filters(programme=world))

    jan_1, dec_31 = dt.date(2025, 1, 1), dt.date(2025, 12, 31)
    h1, h2 = (jan_1, dt.date(2025, 6, 30)), (dt.date(2025, 7, 1), dec_31)
    assert table(found) == [
        ("participants", jan_1, dec_31, 10.0, 5.0),  # A B C D E, not F (S3 is not ROL's)
        ("participants", *h2, 3.0, 3.0),  # S2: A C D
        ("women_share", jan_1, dec_31, 0.5, pytest.approx(3 / 5)),  # A B E of 5
        # pairs: S1 A up, B up, C down; S2 A up, C up, D equal
        ("improved_share", jan_1, dec_31, 0.7, pytest.approx(4 / 6)),
        ("certificates", *h1, 0.0, 2.0),  # S1: A, B
        ("certificates", jan_1, dec_31, 4.0, 4.0),  # D's is revoked, F's outside
    ]
    assert [a.ratio for a in found] == [
        0.5,
        1.0,
        pytest.approx(1.2),
        pytest.approx((4 / 6) / 0.7),
        None,  # a target of 0 has no ratio
        1.0,
    ]
    assert [a.is_share for a in found] == [False, False, True, True, False, False]
    assert found[0].label == "Participants trained"
    assert "pairs" in found[3].label
    assert "counts twice" in found[3].note


def test_achievements_follow_the_gender_filter(world):
    found = achievements(stats.Filters(programme=world, gender=gender("female")))

    assert [(a.indicator, a.achieved) for a in found] == [
        ("participants", 3.0),  # A B E
        ("participants", 1.0),  # A in S2
        ("women_share", 1.0),  # only women in scope
        ("improved_share", 1.0),  # A@S1, B@S1, A@S2 all improved; E has no post score
        ("certificates", 2.0),  # A@S1, B@S1
        ("certificates", 3.0),  # and A@S2
    ]


def test_the_filters_dates_narrow_each_targets_period(world):
    after_june = stats.Filters(programme=world, date_from=dt.date(2025, 6, 1))

    found = achievements(after_june)

    assert [(a.indicator, a.period_start, a.period_end, a.achieved) for a in found] == [
        ("participants", dt.date(2025, 1, 1), dt.date(2025, 12, 31), 3.0),  # S2 only
        ("participants", dt.date(2025, 7, 1), dt.date(2025, 12, 31), 3.0),
        ("women_share", dt.date(2025, 1, 1), dt.date(2025, 12, 31), pytest.approx(1 / 3)),
        ("improved_share", dt.date(2025, 1, 1), dt.date(2025, 12, 31), pytest.approx(2 / 3)),
        # 2025-06-01..2025-06-30: no session starts in it
        ("certificates", dt.date(2025, 1, 1), dt.date(2025, 6, 30), 0.0),
        ("certificates", dt.date(2025, 1, 1), dt.date(2025, 12, 31), 2.0),  # S2: A, C
    ]


def test_a_period_the_filters_do_not_overlap_achieves_nothing_without_a_query(
    world, django_assert_num_queries
):
    Target.objects.filter(period_start=None).delete()
    Target.objects.create(
        programme=world,
        indicator="women_share",
        value=Decimal("0.5"),
        period_start=dt.date(2025, 7, 1),
        period_end=dt.date(2025, 12, 31),
    )
    before_june = stats.Filters(programme=world, date_to=dt.date(2025, 5, 31))

    with django_assert_num_queries(1 + 1):  # the targets; H1's certificates
        found = achievements(before_june)

    assert table(found) == [
        ("participants", dt.date(2025, 7, 1), dt.date(2025, 12, 31), 3.0, 0.0),
        ("women_share", dt.date(2025, 7, 1), dt.date(2025, 12, 31), 0.5, None),
        ("certificates", dt.date(2025, 1, 1), dt.date(2025, 6, 30), 0.0, 2.0),
    ]
    assert [a.ratio for a in found] == [0.0, None, None]


def test_a_programme_without_dates_counts_everything_and_an_open_end_takes_its_date(world):
    world.start_date, world.end_date = None, None
    world.save()
    world.sessions.add(Session.objects.get(code="S3"))
    Target.objects.create(
        programme=world, indicator="certificates", value=Decimal(5), period_start=MAY_5
    )

    found = achievements(stats.Filters(programme=world))

    assert table(found)[0] == ("participants", None, None, 10.0, 6.0)  # A to F
    certificates = [a for a in found if a.indicator == "certificates"]
    assert [(a.period_start, a.period_end, a.achieved) for a in certificates] == [
        (None, None, 5.0),  # D's is revoked
        (dt.date(2025, 1, 1), dt.date(2025, 6, 30), 3.0),  # S1: A, B; S3: F
        (MAY_5, None, 3.0),  # S3: F; S2: A, C
    ]
    assert certificates[2].ratio == pytest.approx(3 / 5)


def test_a_share_with_nobody_in_scope_is_none(world):
    found = achievements(stats.Filters(programme=world, course="NONE"))

    assert [(a.indicator, a.achieved, a.ratio) for a in found] == [
        ("participants", 0.0, 0.0),
        ("participants", 0.0, 0.0),
        ("women_share", None, None),
        ("improved_share", None, None),
        ("certificates", 0.0, None),
        ("certificates", 0.0, 0.0),
    ]


# --- queries -----------------------------------------------------------------------------------


def programme_with_targets() -> Programme:
    """A programme of two sessions with the world's kinds of targets, and nobody enrolled."""
    programme = Programme.objects.create(
        code="FRESH", name="Fresh", start_date=dt.date(2025, 1, 1), end_date=dt.date(2025, 12, 31)
    )
    programme.sessions.set(
        [SessionFactory(start_date=MARCH_10), SessionFactory(start_date=SEPTEMBER_15)]
    )
    for indicator, value, start, end in [
        ("participants", "10", None, None),
        ("women_share", "0.5", None, None),
        ("improved_share", "0.7", None, None),
        ("certificates", "4", None, None),
        ("participants", "3", dt.date(2025, 7, 1), None),
        ("certificates", "0", None, dt.date(2025, 6, 30)),
    ]:
        Target.objects.create(
            programme=programme,
            indicator=indicator,
            value=Decimal(value),
            period_start=start,
            period_end=end,
        )
    return programme


def add_participations(programme: Programme, count: int) -> None:
    """Add ``count`` participations to the programme's sessions, in several combinations."""
    sessions = list(programme.sessions.order_by("start_date"))
    sexes, types = ["female", "male", "other"], ["Court", "Media", "Police", "Ministry"]
    for n in range(count):
        enrolment = enrol(
            sessions[n % len(sessions)],
            person(sexes[n % 3], types[n % 4]),
            pre=n % 50,
            post=40 + n % 30,
            present=n % 4,
        )
        if n % 3 == 0:
            CertificateFactory(enrolment=enrolment)


def test_queries_stay_flat_as_the_data_grows(django_assert_max_num_queries):
    programme = programme_with_targets()
    filters = stats.Filters(programme=programme)

    add_participations(programme, 1)
    with CaptureQueriesContext(connection) as small:
        small_rows = stats.by_gender_and_agency_type(filters)
    with CaptureQueriesContext(connection) as small_targets:
        small_found = achievements(filters)
    assert len(small) == 1
    # the targets; the programme's period: headline, by_gender (2), assessment, certificates;
    # from July: headline; until June: certificates
    assert len(small_targets) == 1 + 5 + 1 + 1

    add_participations(programme, 29)
    with django_assert_max_num_queries(len(small)):
        rows = stats.by_gender_and_agency_type(filters)
    with django_assert_max_num_queries(len(small_targets)):
        found = achievements(filters)

    assert sum(r.participations for r in small_rows) == 1
    assert sum(r.participations for r in rows) == 30
    assert len(rows) == 12  # 3 genders x 4 agency types
    assert [a.achieved for a in small_found][:1] == [1.0]
    assert found[0].achieved == 30.0
    # Certificates for n % 3 == 0 of each batch (1 + 10), those in March for n % 6 == 0 (1 + 5).
    assert (found[4].achieved, found[5].achieved) == (6.0, 11.0)
