"""Enrolments, capacity and the waitlist; and the services behind the organisers' pages."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from reports.stats import Filters, summary
from tests.factories import (
    CertificateDesignFactory,
    CourseFactory,
    EnrolmentFactory,
    ParticipantFactory,
    SessionFactory,
    UserFactory,
    region,
)
from trainings.models import Course, Enrolment, Session
from trainings.services import (
    course_update,
    enrolment_create,
    enrolment_status_set,
    session_cancel,
    session_copy,
    session_update,
    waitlist_promote,
)

pytestmark = pytest.mark.django_db

REGISTERED = Enrolment.Status.REGISTERED
WAITLISTED = Enrolment.Status.WAITLISTED
WITHDRAWN = Enrolment.Status.WITHDRAWN
CONFIRMED = Enrolment.Status.CONFIRMED


def enrol_many(session: Session, n: int) -> list[Enrolment]:
    return [
        enrolment_create(session=session, participant=ParticipantFactory())[0] for _ in range(n)
    ]


def statuses(enrolments: list[Enrolment]) -> list[str]:
    return [Enrolment.objects.get(pk=e.pk).status for e in enrolments]


# --- capacity and the waitlist -------------------------------------------------------------------


def test_people_beyond_the_capacity_go_on_the_waitlist():
    session = SessionFactory(capacity=2, status=Session.Status.OPEN)
    enrolments = enrol_many(session, 4)
    assert statuses(enrolments) == [REGISTERED, REGISTERED, WAITLISTED, WAITLISTED]


def test_a_session_without_capacity_takes_everyone():
    session = SessionFactory(capacity=None, status=Session.Status.OPEN)
    assert set(statuses(enrol_many(session, 5))) == {REGISTERED}


def test_enrolling_someone_already_enrolled_changes_nothing():
    session = SessionFactory(status=Session.Status.OPEN)
    person = ParticipantFactory()
    first, created = enrolment_create(session=session, participant=person)
    again, created_again = enrolment_create(session=session, participant=person)
    assert created and not created_again
    assert again.pk == first.pk
    assert Enrolment.objects.filter(session=session).count() == 1


def test_a_withdrawn_person_is_taken_back_on_the_waitlist_when_full():
    session = SessionFactory(capacity=1, status=Session.Status.OPEN)
    withdrawn = EnrolmentFactory(session=session, status=WITHDRAWN)
    enrol_many(session, 1)
    again, created = enrolment_create(session=session, participant=withdrawn.participant)
    assert not created
    assert again.pk == withdrawn.pk
    assert again.status == WAITLISTED


def test_withdrawing_moves_the_first_come_waitlisted_up():
    session = SessionFactory(capacity=2, status=Session.Status.OPEN)
    first, second, early, late = enrol_many(session, 4)
    enrolment, promoted = enrolment_status_set(enrolment=first, status=WITHDRAWN)
    assert enrolment.status == WITHDRAWN
    assert [e.pk for e in promoted] == [early.pk]
    assert statuses([first, second, early, late]) == [WITHDRAWN, REGISTERED, REGISTERED, WAITLISTED]


def test_confirming_moves_nobody():
    session = SessionFactory(capacity=1, status=Session.Status.OPEN)
    seated, waiting = enrol_many(session, 2)
    _, promoted = enrolment_status_set(enrolment=seated, status=CONFIRMED)
    assert promoted == []
    assert statuses([seated, waiting]) == [CONFIRMED, WAITLISTED]


def test_a_full_session_refuses_moving_someone_off_the_waitlist_by_hand():
    session = SessionFactory(capacity=1, status=Session.Status.OPEN)
    seated, waiting = enrol_many(session, 2)
    with pytest.raises(ValidationError, match="is full"):
        enrolment_status_set(enrolment=waiting, status=REGISTERED)
    assert statuses([seated, waiting]) == [REGISTERED, WAITLISTED]


def test_moving_off_the_waitlist_by_hand_works_with_a_free_seat():
    session = SessionFactory(capacity=1, status=Session.Status.OPEN)
    waiting = EnrolmentFactory(session=session, status=WAITLISTED)
    enrolment, _ = enrolment_status_set(enrolment=waiting, status=REGISTERED)
    assert enrolment.status == REGISTERED


def test_a_cancelled_session_refuses_enrolments():
    session = SessionFactory(status=Session.Status.CANCELLED)
    with pytest.raises(ValidationError, match="cancelled"):
        enrolment_create(session=session, participant=ParticipantFactory())
    assert not Enrolment.objects.filter(session=session).exists()


def test_raising_the_capacity_moves_the_waitlist_up():
    session = SessionFactory(capacity=1, status=Session.Status.OPEN)
    enrolments = enrol_many(session, 4)
    session_update(session=session, capacity=3)
    assert statuses(enrolments) == [REGISTERED, REGISTERED, REGISTERED, WAITLISTED]


def test_removing_the_capacity_moves_everyone_up():
    session = SessionFactory(capacity=1, status=Session.Status.OPEN)
    enrolments = enrol_many(session, 3)
    session_update(session=session, capacity=None)
    assert set(statuses(enrolments)) == {REGISTERED}


def test_waitlist_promote_without_free_seats_moves_nobody():
    session = SessionFactory(capacity=1, status=Session.Status.OPEN)
    enrol_many(session, 2)
    assert waitlist_promote(session=session) == []


# --- courses -------------------------------------------------------------------------------------


def test_course_update_changes_the_course_and_not_its_sessions():
    course = CourseFactory(code="UPR", title="Old", pass_mark=60, min_attendance=80)
    session = SessionFactory(course=course)
    course_update(course=course, title="Universal Periodic Review", pass_mark=70, assessed=False)
    course.refresh_from_db()
    session.refresh_from_db()
    assert (course.title, course.pass_mark, course.assessed) == (
        "Universal Periodic Review",
        70,
        False,
    )
    assert session.pass_mark == 60


def test_course_update_refuses_a_pass_mark_above_100():
    course = CourseFactory(pass_mark=60)
    with pytest.raises(ValidationError) as caught:
        course_update(course=course, pass_mark=120)
    assert "pass_mark" in caught.value.message_dict
    assert Course.objects.get(pk=course.pk).pass_mark == 60


def test_course_update_refuses_unknown_fields():
    with pytest.raises(TypeError):
        course_update(course=CourseFactory(), code="NEW")


# --- copying and cancelling sessions -------------------------------------------------------------


def test_session_copy_keeps_the_settings_and_shifts_the_dates():
    trainer = UserFactory()
    design = CertificateDesignFactory()
    original = SessionFactory(
        code="UPR-01",
        title="UPR for judges",
        start_date=dt.date(2025, 3, 10),
        end_date=dt.date(2025, 3, 12),
        region=region("Osh"),
        venue="Osh State University",
        format=Session.Format.HYBRID,
        language="ky",
        capacity=25,
        max_score=Decimal(50),
        pass_mark=70,
        min_attendance=90,
        training_hours=18,
        certificate_language="ky",
        certificate_design=design,
        status=Session.Status.COMPLETED,
    )
    original.trainers.add(trainer)
    EnrolmentFactory(session=original)

    copy = session_copy(session=original, code="UPR-02", start_date=dt.date(2025, 10, 6))

    copy.refresh_from_db()
    assert (copy.start_date, copy.end_date) == (dt.date(2025, 10, 6), dt.date(2025, 10, 8))
    assert copy.status == Session.Status.PLANNED
    for name in (
        "course",
        "title",
        "region",
        "venue",
        "format",
        "language",
        "capacity",
        "max_score",
        "pass_mark",
        "min_attendance",
        "training_hours",
        "certificate_language",
        "certificate_design",
    ):
        assert getattr(copy, name) == getattr(original, name), name
    assert list(copy.trainers.all()) == [trainer]
    assert copy.enrolments.count() == 0
    assert list(copy.days.values_list("date", flat=True)) == [
        dt.date(2025, 10, 6),
        dt.date(2025, 10, 7),
        dt.date(2025, 10, 8),
    ]
    assert original.enrolments.count() == 1


def test_session_copy_refuses_a_code_in_use():
    original = SessionFactory(code="UPR-01")
    SessionFactory(code="UPR-02")
    with pytest.raises(ValidationError) as caught:
        session_copy(session=original, code="UPR-02", start_date=dt.date(2026, 1, 5))
    assert "code" in caught.value.message_dict
    assert Session.objects.count() == 2


def test_session_cancel_stops_the_session_counting_in_the_figures():
    session = SessionFactory(status=Session.Status.OPEN)
    EnrolmentFactory.create_batch(3, session=session)
    before = summary(Filters())
    session_cancel(session=session)
    after = summary(Filters())
    session.refresh_from_db()
    assert session.status == Session.Status.CANCELLED
    assert (before["participations"], after["participations"]) == (3, 0)
    assert Enrolment.objects.filter(session=session).count() == 3


def test_session_cancel_twice_changes_nothing():
    session = SessionFactory(status=Session.Status.CANCELLED)
    assert session_cancel(session=session).status == Session.Status.CANCELLED
