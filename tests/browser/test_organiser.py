"""An organiser plans a session, opens it and registers participants by hand, in chromium."""

import re

import pytest
from playwright.sync_api import expect

from participants.models import Participant
from tests.factories import CourseFactory, EnrolmentFactory, ParticipantFactory, SessionFactory
from trainings.models import Enrolment, Session

pytestmark = pytest.mark.django_db(transaction=True)


def test_organiser_plans_a_session_and_registers_people(
    live_server, page, user_with_role, sign_in, shoot
):
    organiser = user_with_role("Organiser", username="organiser1", first_name="Gulnara")
    user_with_role("Trainer", username="trainer1", first_name="Aida", last_name="Bekova")
    CourseFactory(code="UPR", title="The Universal Periodic Review", pass_mark=70)
    for n in range(3):
        EnrolmentFactory.create_batch(2, session=SessionFactory(code=f"OLD-{n}"))
    aigul = ParticipantFactory(
        last_name="Осмонова", first_name="Айгүл", birth_year=1990, email="aigul@example.org"
    )

    sign_in(page, organiser)
    page.get_by_role("link", name="Plan a session").first.click()
    expect(page.get_by_role("heading", name="Plan a session", level=1)).to_be_visible()
    page.get_by_label("Code").fill("UPR-2026-01")
    page.get_by_label("Course").select_option(label="UPR: The Universal Periodic Review")
    page.get_by_label("Start date").fill("2026-03-10")
    page.get_by_label("End date").fill("2026-03-12")
    page.get_by_label("Region").select_option(label="Osh")
    page.get_by_label("Venue").fill("Osh State University")
    page.get_by_label("Capacity").fill("20")
    page.get_by_label("Aida Bekova").check()
    shoot(page, "organiser-session-form")
    page.get_by_role("button", name="Plan the session").click()

    expect(page.get_by_role("status")).to_contain_text(
        "Session UPR-2026-01 planned with 3 training days."
    )
    session = Session.objects.get(code="UPR-2026-01")
    assert session.pass_mark == 70
    assert [t.username for t in session.trainers.all()] == ["trainer1"]
    shoot(page, "organiser-session-page-empty")

    page.get_by_role("link", name="Register a participant").first.click()
    expect(page.get_by_role("heading", name="Register a participant")).to_be_visible()
    page.get_by_label("Name or email").press_sequentially("осмон", delay=40)
    results = page.locator("#person-results")
    expect(results).to_contain_text("Осмонова Айгүл")
    expect(results).to_contain_text("born 1990")
    shoot(page, "organiser-register-search")
    results.get_by_role("button", name=re.compile("Enrol")).click()
    expect(page.get_by_role("status")).to_contain_text("Айгүл Осмонова registered.")
    assert Enrolment.objects.filter(session=session, participant=aigul).exists()

    page.get_by_label("Last name").fill("Токтогулов")
    page.get_by_label("First name", exact=True).fill("Нурлан")
    page.get_by_label("Gender").select_option(label="Male")
    page.get_by_label("Birth year").fill("1985")
    page.get_by_label("Agency", exact=True).fill("Ombudsman's Office")
    page.get_by_label("Agency type").select_option(label="Ministry")
    page.get_by_role("textbox", name=re.compile("^Email")).fill("nurlan@example.org")
    page.get_by_label("The person consents").check()
    page.get_by_role("button", name="Record and register").click()
    expect(page.get_by_role("status")).to_contain_text("Нурлан Токтогулов registered.")
    assert Participant.objects.filter(email="nurlan@example.org").count() == 1
    assert session.enrolments.count() == 2
    shoot(page, "organiser-register")

    page.get_by_role("link", name="UPR-2026-01").click()
    expect(page.get_by_role("table")).to_contain_text("Токтогулов Нурлан")
    shoot(page, "organiser-session-page")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Sessions").click()
    expect(page.get_by_role("link", name="UPR-2026-01")).to_be_visible()
    shoot(page, "organiser-session-list")


def test_organiser_copies_and_cancels_a_session(live_server, page, user_with_role, sign_in, shoot):
    organiser = user_with_role("Organiser", username="organiser2")
    session = SessionFactory(code="UPR-2025-01", capacity=10, status=Session.Status.OPEN)
    EnrolmentFactory.create_batch(3, session=session, status=Enrolment.Status.REGISTERED)
    sign_in(page, organiser)
    page.goto(f"{live_server.url}/sessions/UPR-2025-01/")
    page.get_by_role("link", name="Copy").click()
    expect(page.get_by_label("New code")).to_have_value("UPR-2025-02")
    page.get_by_label("New start date").fill("2026-05-04")
    shoot(page, "organiser-session-copy")
    page.get_by_role("button", name="Plan the copy").click()
    expect(page.get_by_role("status")).to_contain_text("UPR-2025-02 planned as a copy")
    assert Session.objects.get(code="UPR-2025-02").enrolments.count() == 0

    page.goto(f"{live_server.url}/sessions/UPR-2025-01/")
    page.get_by_role("link", name="Cancel the session").click()
    expect(page.get_by_text("This affects 3 enrolments")).to_be_visible()
    shoot(page, "organiser-session-cancel")
    page.get_by_role("button", name="Cancel the session").click()
    expect(page.get_by_role("status")).to_contain_text("UPR-2025-01 cancelled")
    session.refresh_from_db()
    assert session.status == Session.Status.CANCELLED
