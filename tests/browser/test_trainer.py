"""A trainer marks attendance and enters scores in chromium; another trainer is kept out."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests.factories import EnrolmentFactory, ParticipantFactory, SessionFactory
from trainings.models import Attendance, Enrolment

pytestmark = pytest.mark.django_db(transaction=True)


NAMES = [("Osmonova", "Aigul"), ("Toktogulov", "Nurlan"), ("Kovaleva", "Elena")]


@pytest.fixture
def session(user_with_role):
    trainer = user_with_role("Trainer", username="trainer1", first_name="Gulnara")
    start = dt.date.today() - dt.timedelta(days=1)
    session = SessionFactory(
        code="UPR-2025-01",
        start_date=start,
        end_date=start + dt.timedelta(days=2),
        max_score=Decimal(80),
    )
    session.trainers.add(trainer)
    for last, first in NAMES:
        EnrolmentFactory(
            session=session, participant=ParticipantFactory(last_name=last, first_name=first)
        )
    EnrolmentFactory(
        session=session,
        status=Enrolment.Status.WAITLISTED,
        participant=ParticipantFactory(last_name="Zhakypova", first_name="Asel"),
    )
    session.trainer = trainer
    return session


def enrolment_of(session, last_name):
    return Enrolment.objects.get(session=session, participant__last_name=last_name)


def cell(page, name, index):
    return page.locator("tbody tr", has_text=name).locator("button.att-cell").nth(index)


def score(page, name, field):
    label = "Pre-test score of " if field == "pre" else "Post-test score of "
    return page.get_by_label(label + name, exact=True)


def test_trainer_marks_attendance_and_enters_scores(
    live_server, page, session, sign_in, shoot, user_with_role, browser
):
    sign_in(page, session.trainer)
    expect(page.get_by_role("heading", name="My sessions", level=1)).to_be_visible()
    shoot(page, "trainer-my-sessions")
    row = page.locator("tr", has_text="UPR-2025-01")
    expect(row.get_by_role("link", name="Upload results")).to_have_attribute(
        "href", "/sessions/UPR-2025-01/results/"
    )
    row.get_by_role("link", name="Attendance").click()
    expect(page.get_by_role("heading", name="Attendance", level=1)).to_be_visible()

    # Kovaleva, Osmonova, Toktogulov: by name; the waitlisted person is listed apart.
    names = page.locator("tbody th").all_inner_texts()
    assert names == ["Kovaleva Elena", "Osmonova Aigul", "Toktogulov Nurlan"]
    expect(page.get_by_text("Zhakypova Asel")).to_be_visible()

    # A click toggles and saves.
    first = cell(page, "Osmonova", 0)
    first.click()
    expect(cell(page, "Osmonova", 0)).to_have_attribute("aria-pressed", "true")
    expect(cell(page, "Osmonova", 0)).to_have_attribute("aria-label", re.compile(r": present$"))
    # The keyboard: Space on a focused cell, ArrowRight, Space.
    cell(page, "Toktogulov", 0).focus()
    page.keyboard.press("Space")
    expect(cell(page, "Toktogulov", 0)).to_have_attribute("aria-pressed", "true")
    expect(cell(page, "Toktogulov", 0)).to_be_focused()
    page.keyboard.press("ArrowRight")
    expect(cell(page, "Toktogulov", 1)).to_be_focused()
    page.keyboard.press("Space")
    expect(cell(page, "Toktogulov", 1)).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("ArrowUp")
    expect(cell(page, "Osmonova", 1)).to_be_focused()
    # The totals follow.
    tokt = enrolment_of(session, "Toktogulov")
    expect(page.locator(f"#att-row-{tokt.pk}")).to_have_text("2")
    first_day = session.days.order_by("date").first()
    expect(page.locator(f"#att-day-{first_day.pk}")).to_have_text("2")

    page.reload()
    expect(cell(page, "Osmonova", 0)).to_have_attribute("aria-pressed", "true")
    expect(cell(page, "Toktogulov", 1)).to_have_attribute("aria-pressed", "true")
    expect(cell(page, "Kovaleva", 0)).to_have_attribute("aria-pressed", "false")
    assert Attendance.objects.filter(present=True).count() == 3
    shoot(page, "trainer-attendance-grid")
    # "All" under the last day marks everyone present there at once, and keeps the focus.
    last_day = session.days.order_by("date").last()
    page.get_by_role("button", name=re.compile(r"^All present on ")).last.click()
    expect(page.get_by_role("status")).to_have_text(re.compile(r"^3 more marked present on "))
    for name in ("Kovaleva", "Osmonova", "Toktogulov"):
        expect(cell(page, name, 2)).to_have_attribute("aria-pressed", "true")
    expect(page.locator(f"#att-day-{last_day.pk}")).to_have_text("3")
    expect(page.locator(f"#att-all-{last_day.pk}")).to_be_focused()
    assert Attendance.objects.filter(day=last_day, present=True).count() == 3

    # Scores: Tab moves right, Enter moves down.
    page.get_by_role("link", name="Scores").first.click()
    expect(page.get_by_role("heading", name="Pre- and post-test scores")).to_be_visible()
    score(page, "Kovaleva Elena", "pre").click()
    page.keyboard.type("40")
    page.keyboard.press("Tab")
    expect(score(page, "Kovaleva Elena", "post")).to_be_focused()
    page.keyboard.type("70,5")
    page.keyboard.press("Enter")
    expect(score(page, "Osmonova Aigul", "post")).to_be_focused()
    page.keyboard.type("64")
    page.keyboard.press("Enter")
    expect(score(page, "Toktogulov Nurlan", "post")).to_be_focused()
    # Above the maximum (80): refused on the spot, nothing sent, the field marked.
    page.keyboard.type("95")
    page.keyboard.press("Enter")
    too_high = score(page, "Toktogulov Nurlan", "post")
    expect(too_high).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_text("Above the maximum score, 80.")).to_be_visible()
    expect(too_high).to_be_focused()
    expect(page.locator(f"#score-gain-{enrolment_of(session, 'Kovaleva').pk}")).to_have_text("+38")
    shoot(page, "trainer-score-grid")
    page.keyboard.press("Escape")
    expect(too_high).not_to_have_attribute("aria-invalid", "true")

    page.reload()
    expect(score(page, "Kovaleva Elena", "pre")).to_have_value("40")
    expect(score(page, "Kovaleva Elena", "post")).to_have_value("70.5")
    expect(score(page, "Osmonova Aigul", "post")).to_have_value("64")
    expect(score(page, "Toktogulov Nurlan", "post")).to_have_value("")
    kovaleva = enrolment_of(session, "Kovaleva")
    assert (kovaleva.pre_score, kovaleva.post_score) == (Decimal(40), Decimal("70.5"))
    assert enrolment_of(session, "Toktogulov").post_score is None

    # Another trainer reaches neither grid of this session.
    other = user_with_role("Trainer", username="trainer2")
    context = browser.new_context(locale="en-GB")
    try:
        stranger = context.new_page()
        sign_in(stranger, other)
        response = stranger.goto(f"{live_server.url}/sessions/UPR-2025-01/attendance/")
        assert response.status == 404
        assert "Osmonova" not in stranger.content()
    finally:
        context.close()


def test_two_people_editing_the_same_score_see_the_conflict(
    live_server, page, session, sign_in, user_with_role, browser, shoot
):
    organiser = user_with_role("Organiser", username="organiser1")
    sign_in(page, session.trainer)
    page.goto(f"{live_server.url}/sessions/UPR-2025-01/scores/")
    context = browser.new_context(locale="en-GB")
    try:
        other = context.new_page()
        sign_in(other, organiser)
        other.goto(f"{live_server.url}/sessions/UPR-2025-01/scores/")

        # Both see an empty pre-test score; the organiser saves 72 first.
        score(other, "Osmonova Aigul", "pre").fill("72")
        score(other, "Osmonova Aigul", "pre").press("Enter")
        expect(other.get_by_role("status")).to_contain_text("Saved: Osmonova Aigul")

        score(page, "Osmonova Aigul", "pre").fill("80")
        score(page, "Osmonova Aigul", "pre").press("Tab")
        alert = page.locator("#grid-message")
        expect(alert).to_contain_text(
            "Changed meanwhile by someone else: now 72. Your 80 was not saved"
        )
        expect(score(page, "Osmonova Aigul", "pre")).to_have_value("72")
        expect(score(page, "Osmonova Aigul", "pre")).to_be_focused()
        assert enrolment_of(session, "Osmonova").pre_score == Decimal(72)
        shoot(page, "trainer-score-conflict")

        # Entering it again now saves (the cell knows 72 is stored).
        score(page, "Osmonova Aigul", "pre").fill("80")
        score(page, "Osmonova Aigul", "pre").press("Tab")
        expect(page.get_by_role("status")).to_contain_text("Saved: Osmonova Aigul")
        assert enrolment_of(session, "Osmonova").pre_score == Decimal(80)

        # Attendance: the organiser's stale page clicks a cell the trainer changed meanwhile.
        other.goto(f"{live_server.url}/sessions/UPR-2025-01/attendance/")
        page.goto(f"{live_server.url}/sessions/UPR-2025-01/attendance/")
        cell(page, "Kovaleva", 2).click()
        expect(cell(page, "Kovaleva", 2)).to_have_attribute("aria-pressed", "true")
        cell(other, "Kovaleva", 2).click()
        expect(other.locator("#grid-message")).to_contain_text("Changed meanwhile by someone else")
        expect(cell(other, "Kovaleva", 2)).to_have_attribute("aria-pressed", "true")
    finally:
        context.close()


def test_me_officer_sees_the_grids_read_only(live_server, page, session, sign_in, user_with_role):
    reader = user_with_role("M&E officer", username="me1")
    sign_in(page, reader)
    page.goto(f"{live_server.url}/sessions/UPR-2025-01/attendance/")
    expect(cell(page, "Osmonova", 0)).to_be_disabled()
    page.goto(f"{live_server.url}/sessions/UPR-2025-01/scores/")
    expect(score(page, "Osmonova Aigul", "pre")).to_be_disabled()
