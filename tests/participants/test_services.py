"""The services that create and change agencies and participants."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from participants.models import Agency, Participant
from participants.services import (
    agency_create,
    participant_create,
    participant_field_errors,
    participant_update,
    validate_birth_year,
)
from tests.factories import AgencyFactory, ParticipantFactory, agency_type, gender, region

pytestmark = pytest.mark.django_db


def test_agency_create_stores_the_name_with_spaces_collapsed_and_its_key():
    parent = AgencyFactory(name="Министерство юстиции")
    agency = agency_create(
        name="  Служба   пробации ", type=agency_type("Penitentiary"), parent=parent
    )
    agency.refresh_from_db()
    assert (agency.name, agency.name_key, agency.parent) == (
        "Служба пробации",
        "служба пробации",
        parent,
    )


def test_agency_create_refuses_a_name_that_exists_in_another_case():
    AgencyFactory(name="Генеральная прокуратура")
    with pytest.raises(ValidationError) as error:
        agency_create(name="ГЕНЕРАЛЬНАЯ ПРОКУРАТУРА", type=agency_type("Prosecution"))
    assert error.value.message_dict == {
        "name": ["the agency Генеральная прокуратура already exists: choose it instead"]
    }
    assert Agency.objects.count() == 1


def test_participant_create_cleans_names_and_sets_the_matching_keys():
    person = participant_create(
        last_name=" Ковалёва ",
        first_name="Елена  Викторовна",
        gender=gender("female"),
        agency=AgencyFactory(),
        email=" Elena.K@Mail.KG ",
        birth_year=1985,
        region=region("Osh"),
    )
    person.refresh_from_db()
    assert (person.last_name, person.first_name, person.email) == (
        "Ковалёва",
        "Елена Викторовна",
        "Elena.K@Mail.KG",
    )
    assert (person.name_key, person.email_key) == ("ковалева елена викторовна", "elena.k@mail.kg")


def test_participant_create_refuses_an_email_another_person_has_in_any_case():
    ParticipantFactory(last_name="Токтогулов", first_name="Нурлан", email="nurlan@mail.kg")
    with pytest.raises(ValidationError) as error:
        participant_create(
            last_name="Другой",
            first_name="Человек",
            gender=gender("male"),
            agency=AgencyFactory(),
            email="NURLAN@mail.kg",
        )
    assert error.value.message_dict["email"][0].startswith("Токтогулов Нурлан already has this")
    assert Participant.objects.count() == 1


def test_participant_create_stamps_the_date_of_consent():
    person = participant_create(
        last_name="Осмонова",
        first_name="Айгүл",
        gender=gender("female"),
        agency=AgencyFactory(),
        consent=True,
    )
    assert person.consent_at is not None
    assert timezone.now() - person.consent_at < dt.timedelta(minutes=1)


@pytest.mark.parametrize("year", [1899, timezone.localdate().year + 1])
def test_participant_create_refuses_an_implausible_birth_year(year):
    with pytest.raises(ValidationError) as error:
        participant_create(
            last_name="Осмонова",
            first_name="Айгүл",
            gender=gender("female"),
            agency=AgencyFactory(),
            birth_year=year,
        )
    assert list(error.value.message_dict) == ["birth_year"]
    assert Participant.objects.count() == 0


def test_validate_birth_year_accepts_the_bounds_and_blank():
    for year in (None, 1900, timezone.localdate().year):
        validate_birth_year(year)
    with pytest.raises(ValidationError):
        validate_birth_year(2000, this_year=1999)


def test_participant_field_errors_checks_only_the_fields_asked_for(django_assert_num_queries):
    person = Participant(last_name="", first_name="Айгүл", email="nope", birth_year=1850)
    with django_assert_num_queries(0):
        everything = participant_field_errors(person)
        email_only = participant_field_errors(person, ["email"])
    assert set(everything) == {"last_name", "email", "birth_year"}
    assert set(email_only) == {"email"}


def test_participant_update_saves_the_changed_fields_and_refreshes_the_keys():
    person = ParticipantFactory(last_name="Ковалева", first_name="Елена", email="")
    before = person.updated_at

    participant_update(participant=person, last_name="Иванова", email="E@x.kg", position="судья")

    person.refresh_from_db()
    assert (person.name_key, person.email_key, person.position) == (
        "иванова елена",
        "e@x.kg",
        "судья",
    )
    assert person.updated_at > before


def test_participant_update_without_a_change_does_not_save():
    person = ParticipantFactory(gender=gender("male"), region=region("Naryn"))
    before = person.updated_at
    participant_update(
        participant=person,
        gender=gender("male"),
        region=region("Naryn"),
        last_name=person.last_name,
    )
    person.refresh_from_db()
    assert person.updated_at == before


def test_participant_update_refuses_another_persons_email_and_unknown_fields():
    ParticipantFactory(email="taken@x.kg")
    person = ParticipantFactory(email="mine@x.kg")
    with pytest.raises(ValidationError):
        participant_update(participant=person, email="TAKEN@x.kg")
    with pytest.raises(TypeError, match="name_key"):
        participant_update(participant=person, name_key="x")
    person.refresh_from_db()
    assert person.email == "mine@x.kg"
