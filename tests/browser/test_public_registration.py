"""A member of the public registers through the link an organiser shares, in chromium."""

import datetime as dt

import pytest
from django.utils import timezone

from participants.models import Participant
from tests.factories import SessionFactory, region
from trainings.models import Enrolment, Session
from trainings.registration import registration_open

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def open_session(settings, live_server):
    settings.BILIM_BASE_URL = live_server.url
    settings.BILIM_REGISTER_MIN_SECONDS = 0
    session = SessionFactory(
        code="UPR-2026-OSH",
        title="Universal Periodic Review: reporting and follow-up",
        status=Session.Status.PLANNED,
        start_date=timezone.localdate() + dt.timedelta(days=21),
        venue="Hotel Classic",
        capacity=25,
        region=region("Osh"),
        language="ru",
    )
    registration_open(session=session)
    session.refresh_from_db()
    return session


def test_public_registers_through_the_link_without_signing_in(
    live_server, page, open_session, shoot
):
    page.goto(f"{live_server.url}/register/{open_session.registration_token}/")
    assert "/accounts/login/" not in page.url
    assert page.get_by_role("heading", name=open_session.display_title, level=1).is_visible()
    assert page.get_by_role("heading", name="Your data and your consent").is_visible()
    assert page.get_by_text("Russian", exact=True).is_visible()
    # The trap is in the page for robots but out of people's sight (far left of the screen).
    trap = page.get_by_label("Leave this empty").bounding_box()
    assert trap["x"] + trap["width"] < 0

    page.get_by_label("Last name").fill("Өмүрбекова")
    page.get_by_label("First name").fill("Айгүл")
    page.get_by_label("Middle name (patronymic)").fill("Бакытовна")
    page.get_by_label("Woman").check()
    page.get_by_label("Year of birth").fill("1988")
    page.get_by_label("Organisation you work for").fill("Ministry of Justice")
    page.get_by_label("Type of organisation").select_option(label="Ministry")
    page.get_by_label("Position").fill("Chief specialist, treaty reporting")
    page.get_by_label("Region where you work").select_option(label="Osh")
    page.get_by_label("Email").fill("aigul.omurbekova@example.kg")
    page.get_by_label("Phone").fill("+996 555 123 456")
    page.get_by_label("No", exact=True).check()
    shoot(page, "register-form")

    # Forgetting consent: the form says so on the consent box and keeps what was typed.
    page.get_by_role("button", name="Register").click()
    page.wait_for_load_state()
    assert page.get_by_text("Tick this box to agree").is_visible()
    assert page.get_by_label("Last name").input_value() == "Өмүрбекова"
    assert not Participant.objects.exists()
    shoot(page, "register-form-errors")

    page.get_by_label("I agree that my data is processed as described above.").check()
    page.get_by_role("button", name="Register").click()
    page.wait_for_load_state()

    assert page.url == f"{live_server.url}/register/{open_session.registration_token}/done/"
    assert page.get_by_role("heading", name="You are registered").is_visible()
    assert page.get_by_text("Hotel Classic, Osh").first.is_visible()
    shoot(page, "register-done")

    person = Participant.objects.get()
    assert person.email == "aigul.omurbekova@example.kg"
    assert person.consent and person.consent_at is not None
    enrolment = Enrolment.objects.get()
    assert enrolment.session_id == open_session.pk
    assert enrolment.status == Enrolment.Status.REGISTERED


def test_organiser_sees_the_link_and_qr_code(
    live_server, page, open_session, user_with_role, sign_in, shoot
):
    organiser = user_with_role("Organiser", username="organiser1")
    sign_in(page, organiser)
    page.goto(f"{live_server.url}/sessions/{open_session.code}/registration/")
    assert page.get_by_role("heading", name="Registration is open").is_visible()
    link = page.get_by_label("Registration link").input_value()
    assert link == f"{live_server.url}/register/{open_session.registration_token}/"
    qr = page.get_by_role("img", name="QR code of the registration link")
    assert qr.is_visible()
    page.wait_for_function("document.querySelector('.registration-share__qr img').complete")
    assert page.evaluate("(img) => img.naturalWidth", qr.element_handle()) > 0
    shoot(page, "registration-manage")

    page.get_by_role("button", name="Close registration").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Registration is closed").is_visible()
    assert page.get_by_role("button", name="Open registration again").is_visible()
