"""Services of courses, sessions, training days, scores and attendance."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from tests.factories import (
    CourseFactory,
    EnrolmentFactory,
    SessionFactory,
    UserFactory,
    attend,
    region,
)
from trainings.models import Attendance, Course, Enrolment, Session, TrainingDay
from trainings.services import (
    attendance_set,
    course_create,
    enrolment_scores_set,
    session_create,
    session_days_default,
    session_update,
    training_days_plan,
)

pytestmark = pytest.mark.django_db

THU, FRI, MON, TUE = (dt.date(2025, 3, d) for d in (13, 14, 17, 18))


def days_of(session: Session) -> list[dt.date]:
    return list(session.days.order_by("date").values_list("date", flat=True))


# --- courses and sessions ------------------------------------------------------------------------


def test_course_create_is_assessed_with_the_default_marks():
    course = course_create(code="UPR", title="UN human rights mechanisms")

    assert Course.objects.get() == course
    assert (course.pass_mark, course.min_attendance, course.assessed) == (60, 80, True)


def test_course_create_refuses_a_pass_mark_above_100():
    with pytest.raises(ValidationError) as info:
        course_create(code="UPR", title="UPR", pass_mark=101)

    assert "pass_mark" in info.value.message_dict
    assert not Course.objects.exists()


def test_session_create_takes_the_course_marks_and_makes_a_day_per_calendar_day():
    course = CourseFactory(pass_mark=70, min_attendance=90)
    trainer = UserFactory()

    session = session_create(
        code="S1",
        course=course,
        start_date=THU,
        end_date=MON,
        region=region("Osh"),
        trainers=[trainer],
    )

    assert (session.pass_mark, session.min_attendance) == (70, 90)
    assert days_of(session) == [THU, FRI, dt.date(2025, 3, 15), dt.date(2025, 3, 16), MON]
    assert list(session.trainers.all()) == [trainer]


def test_session_create_refuses_an_end_before_the_start():
    with pytest.raises(ValidationError) as info:
        session_create(
            code="S1", course=CourseFactory(), start_date=FRI, end_date=THU, region=region("Osh")
        )

    assert "end_date" in info.value.message_dict
    assert not Session.objects.exists()
    assert not TrainingDay.objects.exists()


def test_session_days_default_fills_only_a_session_without_days():
    empty = SessionFactory(start_date=THU, end_date=FRI, days=[])
    planned = SessionFactory(start_date=THU, end_date=MON, days=[THU, MON])

    assert session_days_default(session=empty) == 2
    assert session_days_default(session=planned) == 0

    assert days_of(empty) == [THU, FRI]
    assert days_of(planned) == [THU, MON]


# --- date changes --------------------------------------------------------------------------------


def test_extending_a_session_keeps_its_skipped_weekend_skipped():
    session = SessionFactory(start_date=THU, end_date=MON, days=[THU, FRI, MON])

    session_update(session=session, end_date=TUE)

    assert days_of(session) == [THU, FRI, MON, TUE]


def test_shortening_a_session_removes_the_days_it_no_longer_covers():
    session = SessionFactory(start_date=THU, end_date=MON, days=[THU, FRI, MON])

    session_update(session=session, start_date=FRI, end_date=FRI)

    session.refresh_from_db()
    assert (session.start_date, session.end_date) == (FRI, FRI)
    assert days_of(session) == [FRI]


def test_moving_a_session_replaces_all_its_days():
    session = SessionFactory(start_date=THU, end_date=FRI)

    session_update(session=session, start_date=MON, end_date=TUE)

    assert days_of(session) == [MON, TUE]


def test_attendance_on_a_day_the_new_dates_leave_out_blocks_the_change():
    session = SessionFactory(start_date=THU, end_date=MON, days=[THU, FRI, MON])
    attend(EnrolmentFactory(session=session), present_days=1)

    with pytest.raises(ValidationError) as info:
        session_update(session=session, start_date=FRI, end_date=FRI)

    assert info.value.message_dict == {
        "start_date": [
            "attendance is recorded on 2025-03-13, which the new dates leave out: keep those "
            "dates or delete that attendance first"
        ],
        "end_date": [
            "attendance is recorded on 2025-03-17, which the new dates leave out: keep those "
            "dates or delete that attendance first"
        ],
    }
    session.refresh_from_db()
    assert (session.start_date, session.end_date) == (THU, MON)
    assert days_of(session) == [THU, FRI, MON]


def test_changes_already_set_on_the_instance_count_as_the_admin_form_sets_them():
    session = SessionFactory(start_date=THU, end_date=FRI)
    session.end_date = MON  # as a ModelForm leaves it before save_model

    session_update(session=session)

    assert days_of(session) == [THU, FRI, dt.date(2025, 3, 15), dt.date(2025, 3, 16), MON]


def test_lowering_max_score_below_a_recorded_score_is_refused():
    session = SessionFactory(max_score=Decimal(100))
    EnrolmentFactory(session=session, post_score=Decimal(55))

    with pytest.raises(ValidationError) as info:
        session_update(session=session, max_score=Decimal(50))

    assert list(info.value.message_dict) == ["max_score"]
    session.refresh_from_db()
    assert session.max_score == Decimal(100)


def test_lowering_max_score_above_every_recorded_score_is_allowed():
    session = SessionFactory(max_score=Decimal(100))
    EnrolmentFactory(session=session, post_score=Decimal(40))

    session_update(session=session, max_score=Decimal(50), venue="Osh")

    session.refresh_from_db()
    assert (session.max_score, session.venue) == (Decimal(50), "Osh")


def test_session_update_refuses_an_unknown_field():
    with pytest.raises(TypeError):
        session_update(session=SessionFactory(), colour="blue")


@pytest.mark.parametrize(
    "old, new, existing, expected",
    [
        # Skipped weekend inside the old dates stays skipped; the new Tuesday comes.
        ((THU, MON), (THU, TUE), [THU, FRI, MON], ([], [TUE])),
        # Moved a day earlier: Wednesday comes, Monday goes.
        ((THU, MON), (dt.date(2025, 3, 12), dt.date(2025, 3, 16)), [THU, FRI, MON],
         ([MON], [dt.date(2025, 3, 12)])),
        # No old dates (a new session): every day.
        ((None, None), (THU, FRI), [], ([], [THU, FRI])),
    ],
)  # fmt: skip
def test_training_days_plan(old, new, existing, expected):
    assert (
        training_days_plan(
            old_start=old[0], old_end=old[1], new_start=new[0], new_end=new[1], existing=existing
        )
        == expected
    )


# --- scores and attendance -----------------------------------------------------------------------


def test_enrolment_scores_set_records_and_clears_scores():
    enrolment = EnrolmentFactory(session=SessionFactory(max_score=Decimal(40)))

    enrolment_scores_set(enrolment=enrolment, pre_score=Decimal(12), post_score=None)

    enrolment.refresh_from_db()
    assert (enrolment.pre_score, enrolment.post_score) == (Decimal(12), None)


def test_enrolment_scores_set_refuses_a_score_above_the_maximum():
    enrolment = EnrolmentFactory(session=SessionFactory(max_score=Decimal(40)))

    with pytest.raises(ValidationError) as info:
        enrolment_scores_set(enrolment=enrolment, pre_score=Decimal(41), post_score=None)

    assert list(info.value.message_dict) == ["pre_score"]
    enrolment.refresh_from_db()
    assert enrolment.pre_score is None


def test_enrolment_scores_set_refuses_a_withdrawn_enrolment():
    enrolment = EnrolmentFactory(status=Enrolment.Status.WITHDRAWN)

    with pytest.raises(ValidationError, match="is withdrawn"):
        enrolment_scores_set(enrolment=enrolment, pre_score=Decimal(1), post_score=None)


def test_attendance_set_creates_updates_and_leaves_marks(django_assert_max_num_queries):
    session = SessionFactory()
    day = session.days.order_by("date").first()
    marked, unmarked, unchanged = (EnrolmentFactory(session=session) for _ in range(3))
    Attendance.objects.create(enrolment=marked, day=day, present=False)
    Attendance.objects.create(enrolment=unchanged, day=day, present=True)

    # 6, and the audit trail's two inserts (the new marks, the changed ones).
    with django_assert_max_num_queries(8):
        counts = attendance_set(
            day=day, marks={marked.pk: True, unmarked.pk: False, unchanged.pk: True}
        )

    assert counts == {"created": 1, "updated": 1, "unchanged": 1}
    assert dict(Attendance.objects.filter(day=day).values_list("enrolment_id", "present")) == {
        marked.pk: True,
        unmarked.pk: False,
        unchanged.pk: True,
    }


def test_attendance_set_refuses_an_enrolment_of_another_session():
    day = SessionFactory(code="S1").days.first()
    stranger = EnrolmentFactory()

    with pytest.raises(ValidationError, match="is not in session S1"):
        attendance_set(day=day, marks={stranger.pk: True})

    assert not Attendance.objects.exists()
