"""bulk_insert: COPY on PostgreSQL, bulk_create elsewhere, the same records either way."""

import pytest

from participants.models import Participant
from tests.factories import AgencyFactory, SessionFactory, gender
from trainings.bulk import bulk_insert
from trainings.models import Enrolment

pytestmark = pytest.mark.django_db


def test_new_people_and_their_enrolments_are_written_whole():
    agency = AgencyFactory()
    session = SessionFactory()
    people = [
        Participant(
            last_name=f"Осмонова{n}",
            first_name="Айгүл",
            gender=gender("female"),
            agency=agency,
            email=f"aigul{n}@example.kg" if n % 2 else "",
        )
        for n in range(3)
    ]
    for person in people:
        person.refresh_keys()
    # Enrolments name their people as objects, before those have ids.
    enrolments = [Enrolment(session=session, participant=p, status="registered") for p in people]

    bulk_insert(Participant, people)
    bulk_insert(Enrolment, enrolments)

    assert all(p.pk for p in people) and all(e.pk for e in enrolments)
    stored = {p.pk: p for p in Participant.objects.filter(pk__in=[p.pk for p in people])}
    for person in people:
        row = stored[person.pk]
        assert (row.last_name, row.email, row.name_key) == (
            person.last_name,
            person.email,
            person.name_key,
        )
        assert row.created_at is not None and row.consent_version == ""
    assert list(
        Enrolment.objects.filter(session=session).order_by("pk").values_list("participant_id")
    ) == [(p.pk,) for p in people]
    # The next record through the ORM gets a fresh id: the sequence moved on.
    later = Participant.objects.create(
        last_name="Later", first_name="One", gender=gender("male"), agency=agency
    )
    assert later.pk > max(p.pk for p in people)


def test_nothing_to_write_writes_nothing(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert bulk_insert(Participant, []) == []
