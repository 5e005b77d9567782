"""Personal data on the pages: consent on the person page, the erase page, verification after."""

import datetime as dt

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from participants.models import Participant
from participants.services import participant_create, participant_update
from tests.factories import (
    AgencyFactory,
    CertificateFactory,
    EnrolmentFactory,
    ParticipantFactory,
    gender,
    signed_in,
    user_in,
)
from trainings import roles
from trainings.registration import CONSENT_VERSION

pytestmark = pytest.mark.django_db


def detail(person) -> str:
    return reverse("participants:participant_detail", args=[person.pk])


def erase_url(person) -> str:
    return reverse("participants:participant_erase", args=[person.pk])


@pytest.fixture
def person():
    return ParticipantFactory(
        last_name="Toktogulova",
        first_name="Nazira",
        email="nazira.t@mail.example",
        phone="+996 700 123 456",
        consent=True,
        consent_at=dt.datetime(2025, 2, 3, 10, 0, tzinfo=dt.UTC),
        consent_version="2025-01-15",
    )


# --- consent ---------------------------------------------------------------------------------


def test_person_page_shows_consent_with_its_date_and_text_version(client, person):
    signed_in(client, roles.ME_OFFICER)
    page = client.get(detail(person)).content.decode()
    assert "Given" in page
    assert "3 February 2025" in page or "Feb. 3, 2025" in page
    assert "consent text of 2025-01-15" in page


def test_person_page_says_when_consent_was_not_given(client):
    signed_in(client, roles.ME_OFFICER)
    page = client.get(detail(ParticipantFactory())).content.decode()
    assert "Not given" in page
    assert "consent text of" not in page


def test_consent_given_by_hand_records_the_current_text_version():
    person = participant_create(
        last_name="Asanov",
        first_name="Bolot",
        gender=gender("male"),
        agency=AgencyFactory(),
        consent=True,
        actor="test",
    )
    assert person.consent_at is not None
    assert person.consent_version == CONSENT_VERSION
    without = participant_create(
        last_name="Asanova", first_name="Bubu", gender=gender("female"), agency=AgencyFactory()
    )
    assert (without.consent, without.consent_at, without.consent_version) == (False, None, "")


def test_consent_added_later_records_the_current_version_and_keeps_an_older_one(person):
    later = ParticipantFactory()
    participant_update(participant=later, consent=True)
    later.refresh_from_db()
    assert later.consent_version == CONSENT_VERSION
    assert later.consent_at is not None
    participant_update(participant=person, consent=True, position="Judge")
    person.refresh_from_db()
    assert person.consent_version == "2025-01-15"


def test_hand_registration_on_the_organiser_page_records_the_consent_version(client):
    from tests.factories import SessionFactory
    from trainings.models import Session

    session = SessionFactory(status=Session.Status.OPEN)
    signed_in(client, roles.ORGANISER)
    agency = AgencyFactory(name="Ombudsman Institute")
    response = client.post(
        reverse("trainings:enrolment_add", args=[session.code]),
        {
            "action": "create",
            "last_name": "Beishenova",
            "first_name": "Cholpon",
            "gender": gender("female").pk,
            "agency_name": agency.name,
            "consent": "on",
        },
    )
    assert response.status_code in (200, 302)
    person = Participant.objects.get(last_name="Beishenova")
    assert person.consent is True
    assert person.consent_version == CONSENT_VERSION


# --- the erase page --------------------------------------------------------------------------


@pytest.mark.parametrize("role", [roles.ORGANISER, roles.ADMINISTRATOR])
def test_planners_see_the_erase_button_and_page(client, person, role):
    signed_in(client, role)
    assert erase_url(person) in client.get(detail(person)).content.decode()
    response = client.get(erase_url(person))
    assert response.status_code == 200
    assert "Toktogulova" in response.content.decode()


@pytest.mark.parametrize("role", [roles.ME_OFFICER, roles.TRAINER])
def test_me_officers_and_trainers_cannot_erase(client, person, role):
    signed_in(client, role)
    if role == roles.ME_OFFICER:
        assert erase_url(person) not in client.get(detail(person)).content.decode()
    assert client.get(erase_url(person)).status_code == 403
    assert client.post(erase_url(person), {"reason": "asked"}).status_code == 403
    person.refresh_from_db()
    assert (person.last_name, person.erased_at) == ("Toktogulova", None)


def test_anonymous_visitors_are_sent_to_sign_in(client, person):
    response = client.post(erase_url(person), {"reason": "asked"})
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    person.refresh_from_db()
    assert person.erased_at is None


def test_erasing_without_a_reason_changes_nothing(client, person):
    signed_in(client, roles.ORGANISER)
    response = client.post(erase_url(person), {"reason": "  "})
    assert response.status_code == 200
    assert response.context["form"].errors
    person.refresh_from_db()
    assert (person.last_name, person.erased_at) == ("Toktogulova", None)


def test_erasing_from_the_page_wipes_the_person_and_says_so(client, person):
    organiser = signed_in(client, roles.ORGANISER)
    response = client.post(erase_url(person), {"reason": "Asked by phone on 2 March"}, follow=True)
    assert response.redirect_chain[-1][0] == detail(person)
    page = response.content.decode()
    assert "was erased" in page
    assert "Toktogulova" not in page
    assert "nazira.t@mail.example" not in page
    assert erase_url(person) not in page  # no second erase button
    person.refresh_from_db()
    assert person.erased_at is not None
    last = person.history.first()
    assert last.history_user == organiser
    assert last.history_change_reason == "Erased on request: Asked by phone on 2 March"
    # The erase page of an erased person says so and offers no form.
    again = client.get(erase_url(person)).content.decode()
    assert "already erased" in again
    assert 'name="reason"' not in again
    assert client.post(erase_url(person), {"reason": "again"}).status_code == 200
    assert person.history.filter(history_change_reason__startswith="Erased").count() == 1


def test_erase_page_of_an_unknown_person_is_404(client):
    signed_in(client, roles.ORGANISER)
    assert client.get(reverse("participants:participant_erase", args=[999999])).status_code == 404


# --- certificate verification after erasure --------------------------------------------------


@pytest.mark.parametrize("revoked", [False, True])
def test_verification_shows_no_name_for_an_erased_person_but_still_the_status(
    client, person, revoked
):
    cache.clear()
    certificate = CertificateFactory(
        enrolment=EnrolmentFactory(participant=person),
        revoked=revoked,
        revoked_on=timezone.localdate() if revoked else None,
    )
    url = reverse("certificates:verify", args=[certificate.code])
    before = client.get(url).content.decode()
    assert "Toktogulova" in before
    from participants.erasure import participant_erase

    participant_erase(participant=person, actor=user_in(roles.ORGANISER), reason="asked")
    response = client.get(url)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Toktogulova" not in page
    assert "Erased participant" not in page
    assert 'class="name"' not in page
    assert certificate.number in page
    assert ("no longer valid" in page) is revoked
    assert ("genuine and valid" in page) is not revoked
