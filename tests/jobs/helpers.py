"""Sessions with many eligible enrolments, made with bulk inserts."""

from decimal import Decimal

from participants.models import Participant
from participants.normalize import name_key
from tests.factories import AgencyFactory, SessionFactory, gender
from trainings.models import Attendance, Enrolment, Session


def session_with_eligible(count: int, **kwargs) -> Session:
    """A completed session whose ``count`` confirmed enrolments all attended every day and passed."""
    session = SessionFactory(**kwargs)
    woman = gender("female")
    agency = AgencyFactory()
    names = [(f"Batch{session.code}x{n:05d}", "Aida") for n in range(count)]
    participants = Participant.objects.bulk_create(
        (
            Participant(
                last_name=last,
                first_name=first,
                name_key=name_key(last, first, ""),
                gender=woman,
                agency=agency,
            )
            for last, first in names
        ),
        batch_size=2000,
    )
    enrolments = Enrolment.objects.bulk_create(
        (
            Enrolment(
                session=session,
                participant=p,
                status=Enrolment.Status.CONFIRMED,
                pre_score=Decimal(50),
                post_score=Decimal(90),
            )
            for p in participants
        ),
        batch_size=2000,
    )
    days = list(session.days.all())
    Attendance.objects.bulk_create(
        (Attendance(enrolment=e, day=d, present=True) for e in enrolments for d in days),
        batch_size=5000,
    )
    return session
