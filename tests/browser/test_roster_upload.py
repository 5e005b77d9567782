"""An organiser plans a session, uploads its roster with a mistake, corrects it and imports it."""

import datetime as dt

import pytest
from openpyxl import Workbook

from participants.models import Participant
from tests.factories import CourseFactory
from trainings.models import Enrolment, Session

pytestmark = pytest.mark.django_db(transaction=True)

HEADER = ["last_name", "first_name", "gender", "birth_year", "agency", "agency_type", "email"]
AIGUL = ["Осмонова", "Айгүл", "ж", 1990, "Генеральная прокуратура", "Прокуратура", "aigul@mail.kg"]
NURLAN = ["Токтогулов", "Нурлан", "м", 1982, "Генеральная прокуратура", "", "nurlan@mail.kg"]
BAKYT = ["Асанов", "Бакыт", "xyz", 1979, "Омбудсмен", "Ombudsman", ""]


def roster(path, *rows):
    workbook = Workbook()
    for row in (HEADER, *rows):
        workbook.active.append(row)
    workbook.save(path)
    return path


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_organiser_uploads_a_roster_fixes_a_row_and_confirms(
    live_server, page, user_with_role, sign_in, shoot, tmp_path
):
    organiser = user_with_role("Organiser", username="organiser1")
    course = CourseFactory(code="UPR", title="The Universal Periodic Review")
    sign_in(page, organiser)

    # Plan the session through the organiser's form.
    start = dt.date.today() + dt.timedelta(days=20)
    page.goto(f"{live_server.url}/sessions/new/")
    page.get_by_label("Code").fill("UPR-2026-01")
    page.get_by_label("Course").select_option(label=str(course))
    page.get_by_label("Start date").fill(start.isoformat())
    page.get_by_label("End date").fill((start + dt.timedelta(days=2)).isoformat())
    page.get_by_label("Region").select_option(label="Chui")
    page.get_by_role("button", name="Plan the session").click()
    page.wait_for_load_state()
    assert Session.objects.filter(code="UPR-2026-01").exists()

    # A roster whose third row has a gender nobody can read.
    page.goto(f"{live_server.url}/sessions/UPR-2026-01/roster/")
    assert page.get_by_role("heading", name="Import the roster of UPR-2026-01").is_visible()
    page.get_by_label("Spreadsheet file (.xlsx or .csv)").set_input_files(
        str(roster(tmp_path / "roster.xlsx", AIGUL, BAKYT, NURLAN))
    )
    page.get_by_role("button", name="Check the file").click()
    page.wait_for_load_state()

    alert = page.locator(".upload-problems__summary")
    assert "Nothing was written: roster.xlsx has 1 problem" in alert.inner_text()
    problem = page.locator("table.upload-problems tbody tr")
    assert problem.count() == 1
    assert [cell.strip() for cell in problem.locator("td").all_inner_texts()][:2] == ["3", "gender"]
    assert "'xyz' is not a gender" in problem.inner_text()
    assert page.get_by_role("button", name="Confirm and import").count() == 0
    shoot(page, "roster-upload-problems")
    assert not Enrolment.objects.exists()

    # The corrected file: a preview with its counts and a confirm button.
    page.get_by_label("Spreadsheet file (.xlsx or .csv)").set_input_files(
        str(roster(tmp_path / "roster-fixed.xlsx", AIGUL, [*BAKYT[:2], "м", *BAKYT[3:]], NURLAN))
    )
    page.get_by_role("button", name="Check the file").click()
    page.wait_for_load_state()
    enrolments = page.locator(".upload-counts tbody tr", has_text="Enrolments")
    assert [c.strip() for c in enrolments.locator("td").all_inner_texts()][:3] == ["3", "0", "0"]
    assert page.locator(".upload-rows tbody tr").count() == 3
    shoot(page, "roster-upload-preview")
    assert not Enrolment.objects.exists()

    page.get_by_role("button", name="Confirm and import").click()
    page.wait_for_load_state()
    message = page.locator(".message--success")
    assert message.inner_text() == (
        "Roster imported: 3 participants registered, 3 people new to Bilim, 2 new agencies."
    )
    assert page.url.endswith("/sessions/UPR-2026-01/")
    assert Enrolment.objects.filter(session__code="UPR-2026-01").count() == 3
    assert Participant.objects.filter(last_name="Асанов", gender__code="male").exists()
