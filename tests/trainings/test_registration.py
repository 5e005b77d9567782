"""Public registration: the organiser opens it, anyone with the link registers, robots don't."""

import datetime as dt
import re
import time

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from participants.models import Agency, Participant
from tests.factories import (
    AgencyFactory,
    EnrolmentFactory,
    ParticipantFactory,
    SessionFactory,
    agency_type,
    gender,
    region,
    user_in,
)
from trainings import roles
from trainings.forms_registration import form_stamp
from trainings.models import Enrolment, Session
from trainings.registration import (
    CONSENT_VERSION,
    RegistrationError,
    registration_close,
    registration_open,
)

pytestmark = pytest.mark.django_db

SOON = timezone.localdate() + dt.timedelta(days=20)


@pytest.fixture(autouse=True)
def _fresh_limits(settings):
    """Each test starts with an empty rate-limit cache and no minimum fill time."""
    cache.clear()
    settings.BILIM_REGISTER_MIN_SECONDS = 0
    settings.BILIM_BASE_URL = "https://bilim.example.org"
    yield
    cache.clear()


def upcoming(**kwargs) -> Session:
    kwargs.setdefault("status", Session.Status.PLANNED)
    kwargs.setdefault("start_date", SOON)
    return SessionFactory(**kwargs)


def opened(**kwargs) -> Session:
    session = upcoming(**kwargs)
    registration_open(session=session)
    session.refresh_from_db()
    return session


def form_data(**overrides) -> dict:
    data = {
        "last_name": "Өмүрбекова",
        "first_name": "Айгүл",
        "middle_name": "Бакытовна",
        "gender": "female",
        "birth_year": "1988",
        "agency_name": "Ministry of Justice",
        "agency_type": str(agency_type("Ministry").pk),
        "position": "Chief specialist",
        "region": str(region("Osh").pk),
        "email": "aigul.omurbekova@example.kg",
        "phone": "+996 555 123 456",
        "disability": "no",
        "consent": "on",
        "website": "",
        "stamp": form_stamp(),
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def register_url(session):
    return reverse("trainings:register", args=[session.registration_token])


def done_url(session):
    return reverse("trainings:register_done", args=[session.registration_token])


# --- the organiser opens and closes ---------------------------------------------------------------


def test_organiser_opens_registration_and_gets_a_link_and_qr(client):
    session = upcoming()
    client.force_login(user_in(roles.ORGANISER))
    url = reverse("trainings:registration_manage", args=[session.code])

    page = client.get(url)
    assert page.status_code == 200
    assert "Registration has not been opened" in page.content.decode()

    response = client.post(url, {"action": "open"}, follow=True)
    session.refresh_from_db()
    assert session.registration_open is True
    assert session.status == Session.Status.OPEN
    assert len(session.registration_token) >= 20
    body = response.content.decode()
    assert f"Registration for {session.code} is open" in body
    link = f"https://bilim.example.org/register/{session.registration_token}/"
    assert link in body
    assert reverse("trainings:registration_qr", args=[session.code]) in body

    qr = client.get(reverse("trainings:registration_qr", args=[session.code]))
    assert qr.status_code == 200
    assert qr["Content-Type"] == "image/svg+xml"
    assert b"<svg" in qr.content


def test_closing_keeps_the_token_and_reopening_reuses_it(client):
    session = opened()
    token = session.registration_token
    client.force_login(user_in(roles.ORGANISER))
    url = reverse("trainings:registration_manage", args=[session.code])

    response = client.post(url, {"action": "close"}, follow=True)
    session.refresh_from_db()
    assert session.registration_open is False
    assert session.registration_token == token
    assert session.status == Session.Status.PLANNED
    assert f"Registration for {session.code} is closed" in response.content.decode()

    client.post(url, {"action": "open"})
    session.refresh_from_db()
    assert session.registration_open is True
    assert session.registration_token == token


@pytest.mark.parametrize("status", [Session.Status.CANCELLED, Session.Status.COMPLETED])
def test_cancelled_or_completed_sessions_cannot_be_opened(client, status):
    session = upcoming(status=status)
    client.force_login(user_in(roles.ORGANISER))
    url = reverse("trainings:registration_manage", args=[session.code])

    response = client.post(url, {"action": "open"}, follow=True)
    session.refresh_from_db()
    assert session.registration_open is False
    assert session.registration_token is None
    assert f"{session.code} is {status}: registration cannot be opened." in (
        response.content.decode()
    )
    with pytest.raises(RegistrationError):
        registration_open(session=session)


def test_a_past_session_cannot_be_opened():
    session = upcoming(start_date=timezone.localdate() - dt.timedelta(days=10))
    with pytest.raises(RegistrationError, match="past session"):
        registration_open(session=session)


def test_me_officer_may_not_open_or_see_the_page(client):
    session = upcoming()
    client.force_login(user_in(roles.ME_OFFICER))
    url = reverse("trainings:registration_manage", args=[session.code])
    assert client.get(url).status_code == 403
    assert client.post(url, {"action": "open"}).status_code == 403
    assert client.get(reverse("trainings:registration_qr", args=[session.code])).status_code == 403
    session.refresh_from_db()
    assert session.registration_open is False


def test_trainer_may_not_open_even_their_own_session(client):
    trainer = user_in(roles.TRAINER)
    session = upcoming()
    session.trainers.add(trainer)
    client.force_login(trainer)
    url = reverse("trainings:registration_manage", args=[session.code])
    assert client.get(url).status_code in (403, 404)
    assert client.post(url, {"action": "open"}).status_code in (403, 404)
    session.refresh_from_db()
    assert session.registration_open is False


def test_anonymous_visitor_is_sent_to_sign_in_for_the_manage_page(client):
    session = upcoming()
    for name in ("trainings:registration_manage", "trainings:registration_qr"):
        response = client.get(reverse(name, args=[session.code]))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_qr_code_of_a_never_opened_session_is_not_found(client):
    session = upcoming()
    client.force_login(user_in(roles.ORGANISER))
    assert client.get(reverse("trainings:registration_qr", args=[session.code])).status_code == 404


def test_closing_service_keeps_the_token():
    session = opened()
    token = session.registration_token
    registration_close(session=session)
    session.refresh_from_db()
    assert (session.registration_open, session.registration_token) == (False, token)


# --- the public form ------------------------------------------------------------------------------


def test_public_form_needs_no_sign_in_and_shows_consent_text(client):
    session = opened()
    response = client.get(register_url(session))
    assert response.status_code == 200
    body = response.content.decode()
    assert session.display_title in body
    assert "Your data and your consent" in body
    assert CONSENT_VERSION in body
    assert 'name="website"' in body and "Leave this empty" in body
    assert 'tabindex="-1"' in body
    assert response["X-Robots-Tag"] == "noindex, nofollow"


def test_unknown_token_is_not_found(client):
    opened()
    assert client.get("/register/not-a-real-token/").status_code == 404
    assert client.post("/register/not-a-real-token/", form_data()).status_code == 404
    assert client.get("/register/not-a-real-token/done/").status_code == 404


def test_closed_registration_shows_a_friendly_page_and_takes_nothing(client):
    session = opened()
    registration_close(session=session)
    response = client.get(register_url(session))
    assert response.status_code == 200
    assert "Registration is closed" in response.content.decode()
    assert 'name="last_name"' not in response.content.decode()

    response = client.post(register_url(session), form_data())
    assert "Registration is closed" in response.content.decode()
    assert not Participant.objects.exists()


def test_registration_creates_the_person_with_consent_and_enrols_them(client):
    session = opened(capacity=10)
    before = timezone.now()

    response = client.post(register_url(session), form_data())

    assert response.status_code == 302
    assert response["Location"] == done_url(session)
    person = Participant.objects.get()
    assert person.full_name == "Өмүрбекова Айгүл Бакытовна"
    assert person.email == "aigul.omurbekova@example.kg"
    assert person.gender.code == "female"
    assert person.birth_year == 1988
    assert person.region == region("Osh")
    assert person.agency.name == "Ministry of Justice"
    assert person.agency.type == agency_type("Ministry")
    assert person.disability == "no"
    assert person.consent is True
    assert before <= person.consent_at <= timezone.now()
    assert person.consent_version == CONSENT_VERSION  # which text they agreed to
    enrolment = Enrolment.objects.get()
    assert (enrolment.session, enrolment.participant) == (session, person)
    assert enrolment.status == Enrolment.Status.REGISTERED

    done = client.get(done_url(session))
    body = done.content.decode()
    assert "You are registered" in body
    assert session.display_title in body
    assert session.venue in body


def test_an_unknown_agency_type_becomes_other_and_a_known_agency_is_reused(client):
    known = AgencyFactory(name="Ombudsman Institute", type=agency_type("Ombudsman"))
    session = opened()
    client.post(
        register_url(session),
        form_data(agency_name="  ombudsman institute ", agency_type="", email="a@example.kg"),
    )
    client.post(
        register_url(session),
        form_data(
            last_name="Токтогулов",
            first_name="Нурлан",
            middle_name="",
            agency_name="Women's initiative group Ak-Jol",
            agency_type="",
            email="nurlan@example.kg",
        ),
    )
    first, second = Participant.objects.order_by("pk")
    assert first.agency == known
    assert second.agency.type == agency_type("Other")
    assert Agency.objects.count() == 2


def test_a_full_session_puts_the_person_on_the_waitlist(client):
    session = opened(capacity=1)
    EnrolmentFactory(session=session, status=Enrolment.Status.REGISTERED)

    client.post(register_url(session), form_data())

    enrolment = Enrolment.objects.get(participant__email="aigul.omurbekova@example.kg")
    assert enrolment.status == Enrolment.Status.WAITLISTED
    body = client.get(done_url(session)).content.decode()
    assert "The session" in body and "is full: you are on the waitlist" in body
    assert "The organiser will contact you" in body


def test_existing_person_is_enrolled_without_overwriting_their_data(client):
    ministry = AgencyFactory(name="Ministry of Internal Affairs")
    person = ParticipantFactory(
        last_name="Ковалёва",
        first_name="Елена",
        email="elena@example.kg",
        agency=ministry,
        position="",
        phone="",
        birth_year=1979,
        consent=False,
        consent_at=None,
    )
    session = opened()

    client.post(
        register_url(session),
        form_data(
            last_name="Impostor",
            first_name="Someone",
            middle_name="",
            email="ELENA@example.kg",
            birth_year="1990",
            agency_name="A made-up agency",
            position="Inspector",
            phone="+996 700 000 000",
        ),
    )

    assert Participant.objects.count() == 1
    person.refresh_from_db()
    assert (person.last_name, person.first_name) == ("Ковалёва", "Елена")
    assert person.birth_year == 1979
    assert person.agency == ministry
    assert not Agency.objects.filter(name="A made-up agency").exists()
    # Only the blanks were filled.
    assert person.position == "Inspector"
    assert person.phone == "+996 700 000 000"
    assert person.consent is True and person.consent_at is not None
    assert person.consent_version == CONSENT_VERSION
    assert Enrolment.objects.get().participant == person


def test_already_registered_looks_like_a_new_registration(client):
    session = opened(capacity=5)
    person = ParticipantFactory(email="aigul.omurbekova@example.kg")
    EnrolmentFactory(session=session, participant=person, status=Enrolment.Status.CONFIRMED)

    response = client.post(register_url(session), form_data())

    assert response.status_code == 302 and response["Location"] == done_url(session)
    enrolment = Enrolment.objects.get()
    assert enrolment.status == Enrolment.Status.CONFIRMED
    assert "You are registered" in client.get(done_url(session)).content.decode()


def test_already_registered_in_a_full_session_hears_what_a_newcomer_hears(client):
    session = opened(capacity=1)
    person = ParticipantFactory(email="aigul.omurbekova@example.kg")
    EnrolmentFactory(session=session, participant=person, status=Enrolment.Status.REGISTERED)

    client.post(register_url(session), form_data())

    assert Enrolment.objects.get().status == Enrolment.Status.REGISTERED
    assert "you are on the waitlist" in client.get(done_url(session)).content.decode()


def test_the_done_page_shows_nobody_else(client):
    session = opened(capacity=2)
    other = ParticipantFactory(last_name="Жумабаева", first_name="Гүлнара", email="g@example.kg")
    EnrolmentFactory(session=session, participant=other, status=Enrolment.Status.REGISTERED)

    client.post(register_url(session), form_data())
    body = client.get(done_url(session)).content.decode()

    assert "You are registered" in body
    assert "Жумабаева" not in body and "Гүлнара" not in body and "g@example.kg" not in body
    assert not re.search(r"\b2\b.*(registered|participants)", body)


def test_the_done_page_without_a_registration_goes_back_to_the_form(client):
    session = opened()
    response = client.get(done_url(session))
    assert response.status_code == 302
    assert response["Location"] == register_url(session)


def test_honeypot_filled_pretends_success_and_writes_nothing(client):
    session = opened()
    response = client.post(register_url(session), form_data(website="http://spam.example"))
    assert response.status_code == 302 and response["Location"] == done_url(session)
    assert "You are registered" in client.get(done_url(session)).content.decode()
    assert not Participant.objects.exists()
    assert not Enrolment.objects.exists()


def test_a_form_sent_too_fast_or_without_its_stamp_is_treated_as_a_robot(client, settings):
    settings.BILIM_REGISTER_MIN_SECONDS = 3
    session = opened()
    client.post(register_url(session), form_data(stamp=form_stamp()))
    client.post(register_url(session), form_data(stamp="forged"))
    assert not Participant.objects.exists()

    client.post(register_url(session), form_data(stamp=form_stamp(time.time() - 30)))
    assert Participant.objects.count() == 1


def test_rate_limit_answers_429_after_the_limit(client, settings):
    settings.BILIM_REGISTER_LIMIT = 3
    settings.BILIM_REGISTER_WINDOW = 600
    session = opened()
    for n in range(3):
        response = client.post(register_url(session), form_data(email=f"p{n}@example.kg"))
        assert response.status_code == 302

    response = client.post(register_url(session), form_data(email="p9@example.kg"))

    assert response.status_code == 429
    assert response["Retry-After"] == "600"
    assert "Too many registration forms were sent from your network" in response.content.decode()
    assert Participant.objects.count() == 3
    # Reading the form is not limited.
    assert client.get(register_url(session)).status_code == 200
    # Another address is not affected.
    other = client.post(
        register_url(session), form_data(email="q@example.kg"), REMOTE_ADDR="10.0.0.2"
    )
    assert other.status_code == 302


def test_missing_consent_is_an_error_on_the_consent_field_and_writes_nothing(client):
    session = opened()
    response = client.post(register_url(session), form_data(consent=None))
    assert response.status_code == 200
    assert response.context["form"].errors["consent"] == [
        "Tick this box to agree: without your consent we cannot register you."
    ]
    assert not Participant.objects.exists()
    assert not Enrolment.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"birth_year": "1899"}, "birth_year"),
        ({"birth_year": str(timezone.localdate().year + 1)}, "birth_year"),
        ({"birth_year": "nineteen"}, "birth_year"),
        ({"email": "not-an-email"}, "email"),
        ({"email": ""}, "email"),
        ({"last_name": ""}, "last_name"),
        ({"first_name": "   "}, "first_name"),
        ({"gender": "robot"}, "gender"),
        ({"gender": None}, "gender"),
        ({"agency_name": ""}, "agency_name"),
        ({"region": ""}, "region"),
        ({"phone": "call me maybe"}, "phone"),
        ({"disability": "perhaps"}, "disability"),
    ],
)
def test_every_field_is_validated(client, overrides, field):
    session = opened()
    response = client.post(register_url(session), form_data(**overrides))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert not Participant.objects.exists()


def test_optional_fields_may_be_left_empty(client):
    session = opened()
    client.post(
        register_url(session),
        form_data(
            middle_name="", birth_year="", position="", phone="", disability="", agency_type=""
        ),
    )
    person = Participant.objects.get()
    assert person.birth_year is None
    assert person.disability == ""
    assert person.gender == gender("female")


def test_manage_page_counts_seats_and_waitlist_without_naming_anyone(client):
    session = opened(capacity=1)
    EnrolmentFactory(session=session, status=Enrolment.Status.REGISTERED)
    EnrolmentFactory(session=session, status=Enrolment.Status.WAITLISTED)
    EnrolmentFactory(session=session, status=Enrolment.Status.WITHDRAWN)
    client.force_login(user_in(roles.ORGANISER))
    body = client.get(reverse("trainings:registration_manage", args=[session.code])).content
    assert "1 person holds a seat, 1 on the waitlist." in body.decode()


def test_session_language_code_is_named_in_words(client):
    session = opened(language="ky")
    assert "Kyrgyz" in client.get(register_url(session)).content.decode()


@pytest.mark.django_db(transaction=True)
def test_concurrent_registrations_never_overbook(settings, reference_lists):
    """Eight people register at once for three seats: three get seats, five wait."""
    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL; SQLite runs one writer at a time anyway")
    import threading

    from trainings.forms_registration import RegistrationForm
    from trainings.registration import registration_submit

    session = opened(capacity=3)
    barrier = threading.Barrier(8)
    outcomes, errors = [], []

    def register(n: int) -> None:
        try:
            form = RegistrationForm(
                form_data(last_name=f"Person{n}", first_name="Test", email=f"p{n}@example.kg")
            )
            assert form.is_valid(), form.errors
            barrier.wait()
            outcomes.append(registration_submit(session=session, data=form.cleaned_data).outcome)
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=register, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(outcomes) == ["registered"] * 3 + ["waitlisted"] * 5
    counted = Enrolment.objects.filter(session=session, status__in=Enrolment.COUNTED).count()
    assert counted == 3
    assert Enrolment.objects.filter(status=Enrolment.Status.WAITLISTED).count() == 5
