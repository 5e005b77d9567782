"""Many people at the same moment: seats never overbooked, grid cells never silently overwritten.

Real threads, each with its own database connection, released together by a barrier. Row locks
are PostgreSQL's; SQLite lets one writer at a time, so these tests run on PostgreSQL only.
"""

import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection

from tests.factories import EnrolmentFactory, ParticipantFactory, UserFactory
from tests.participants.test_import_roster import AIGUL, roster
from tests.threads import run_at_once
from tests.trainings.test_registration import form_data, opened
from trainings.forms_registration import RegistrationForm
from trainings.grid_services import ConflictError, attendance_mark, enrolment_score_save
from trainings.models import Attendance, Enrolment, Session
from trainings.registration import registration_submit
from trainings.services import enrolment_create, enrolment_status_set, session_update

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgresql_only(reference_lists, settings):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL; SQLite runs one writer at a time anyway")
    settings.BILIM_REGISTER_MIN_SECONDS = 0


def public(session: Session, n: int):
    """A member of the public registering through the form."""
    form = RegistrationForm(
        form_data(last_name=f"Публика{n}", first_name="Айгүл", email=f"p{n}@example.kg")
    )
    assert form.is_valid(), form.errors
    return lambda: registration_submit(session=session, data=form.cleaned_data).outcome


def seats(session: Session) -> tuple[int, int]:
    """Return (seats held, people waiting)."""
    enrolments = Enrolment.objects.filter(session=session)
    return (
        enrolments.filter(status__in=Enrolment.COUNTED).count(),
        enrolments.filter(status=Enrolment.Status.WAITLISTED).count(),
    )


def test_thirty_at_once_by_form_and_organiser_fill_ten_seats_exactly():
    session = opened(capacity=10)
    organiser = UserFactory()
    known = [ParticipantFactory() for _ in range(10)]
    work = [public(session, n) for n in range(20)]
    work += [
        lambda p=person: enrolment_create(session=session, participant=p, actor=organiser)
        for person in known
    ]

    results, errors = run_at_once(work)

    assert errors == []
    assert len(results) == 30
    assert seats(session) == (10, 20)


def test_roster_imports_racing_registrations_never_overbook(write_csv):
    session = opened(capacity=10, code="UPR-01")
    organiser = UserFactory()
    problems = io.StringIO()
    known = [ParticipantFactory() for _ in range(6)]
    work = [public(session, n) for n in range(20)]
    work += [
        lambda p=person: enrolment_create(session=session, participant=p, actor=organiser)
        for person in known
    ]
    # Two roster files of two people each, imported at the same moment.
    for batch in range(2):
        path = write_csv(
            roster(
                *(
                    {
                        **AIGUL,
                        "last_name": f"Список{batch}x{n}",
                        "email": f"r{batch}{n}@x.kg",
                        # Two files creating one new agency at once: one is refused (the
                        # agency's unique name, "try again"), so each file names its own.
                        "agency": f"Прокуратура района {batch}",
                    }
                    for n in range(2)
                )
            ),
            name=f"roster{batch}.csv",
        )
        work.append(lambda p=path: call_command("import_roster", str(p), stderr=problems))

    results, errors = run_at_once(work)

    assert errors == [], problems.getvalue()
    assert len(results) == 28
    assert seats(session) == (10, 20)


def test_registrations_racing_withdrawals_and_a_capacity_rise_never_overbook():
    session = opened(capacity=5)
    organiser = UserFactory()
    holders = [
        EnrolmentFactory(session=session, status=Enrolment.Status.REGISTERED) for _ in range(5)
    ]
    work = [public(session, n) for n in range(12)]
    work += [
        lambda e=e: enrolment_status_set(
            enrolment=e, status=Enrolment.Status.WITHDRAWN, actor=organiser
        )
        for e in holders[:3]
    ]
    work.append(lambda: session_update(session=session, capacity=8, actor=organiser))

    _, errors = run_at_once(work)

    assert errors == []
    session.refresh_from_db()
    assert session.capacity == 8
    held, waiting = seats(session)
    # 5 held + 12 newcomers - 3 withdrawn = 14 people for 8 seats: every seat filled, no more.
    assert (held, waiting) == (8, 6)


def test_many_withdrawals_at_once_move_the_waitlist_up_seat_for_seat():
    session = opened(capacity=4)
    holders = [
        EnrolmentFactory(session=session, status=Enrolment.Status.REGISTERED) for _ in range(4)
    ]
    for _ in range(6):
        enrolment_create(session=session, participant=ParticipantFactory())
    assert seats(session) == (4, 6)

    results, errors = run_at_once(
        [
            lambda e=e: enrolment_status_set(enrolment=e, status=Enrolment.Status.WITHDRAWN)
            for e in holders
        ]
    )

    assert errors == []
    assert seats(session) == (4, 2)
    assert sum(len(promoted) for _, promoted in results) == 4


def test_two_trainers_saving_one_score_cell_one_wins_the_other_hears_of_it():
    enrolment = EnrolmentFactory(post_score=Decimal("60"))
    first, second = UserFactory(), UserFactory()

    def save(value: str, actor):
        return lambda: (
            value,
            enrolment_score_save(
                enrolment=enrolment,
                field="post",
                value=Decimal(value),
                expected=Decimal("60"),
                actor=actor,
            ),
        )

    results, errors = run_at_once([save("75", first), save("82.5", second)])

    assert len(results) == 1
    assert len(errors) == 1
    [(winner, _)] = results
    [conflict] = errors
    assert isinstance(conflict, ConflictError)
    assert conflict.current == Decimal(winner)  # the loser is shown what the winner saved
    enrolment.refresh_from_db()
    assert enrolment.post_score == Decimal(winner)


def test_ten_saves_of_one_cell_from_the_same_old_value_keep_exactly_one():
    enrolment = EnrolmentFactory(pre_score=None)
    values = [Decimal(40 + n) for n in range(10)]

    results, errors = run_at_once(
        [
            lambda v=v: (
                enrolment_score_save(
                    enrolment=enrolment, field="pre", value=v, expected=None
                ).pre_score
            )
            for v in values
        ]
    )

    assert len(results) == 1
    assert len(errors) == 9
    assert all(isinstance(e, ConflictError) and e.current == results[0] for e in errors)
    enrolment.refresh_from_db()
    assert enrolment.pre_score == results[0]


def test_four_trainers_ticking_one_empty_attendance_cell_make_one_mark():
    enrolment = EnrolmentFactory()
    day = enrolment.session.days.order_by("date").first()

    results, errors = run_at_once(
        [
            lambda: attendance_mark(enrolment=enrolment, day=day, present=True, expected=False)
            for _ in range(4)
        ]
    )

    # One saves; the three others are told the cell is ticked now (no duplicate row, no crash).
    assert len(results) == 1
    assert len(errors) == 3
    assert all(isinstance(e, ConflictError) and e.current is True for e in errors)
    assert list(Attendance.objects.filter(enrolment=enrolment).values_list("present")) == [(True,)]
