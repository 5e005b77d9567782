"""An M&E officer answers the issue's question on the statistics page and downloads the workbook.

"How many women from the police were trained in prevention of torture in 2026, and did their
scores improve?": filters gender, agency type, course and period, then the headline figures.
"""

import datetime as dt
from decimal import Decimal
from io import BytesIO
from pathlib import Path

import openpyxl
import pytest

from reports import stats
from tests.factories import (
    AgencyFactory,
    CourseFactory,
    EnrolmentFactory,
    ParticipantFactory,
    SessionFactory,
    agency_type,
    attend,
    gender,
    region,
)

pytestmark = pytest.mark.django_db(transaction=True)


def enrol(session, sex, type_name, pre, post, region_name="Chui"):
    enrolment = EnrolmentFactory(
        session=session,
        participant=ParticipantFactory(
            gender=gender(sex),
            region=region(region_name),
            agency=AgencyFactory(type=agency_type(type_name)),
        ),
        pre_score=Decimal(pre),
        post_score=Decimal(post),
    )
    attend(enrolment, 2)
    return enrolment


@pytest.fixture
def data():
    torture = CourseFactory(code="PREV-TORT", title="Prevention of torture")
    upr = CourseFactory(code="UPR", title="UN human rights mechanisms")
    spring = SessionFactory(code="PT-2026-03", course=torture, start_date=dt.date(2026, 3, 9))
    autumn = SessionFactory(code="PT-2026-09", course=torture, start_date=dt.date(2026, 9, 7))
    old = SessionFactory(code="PT-2025-05", course=torture, start_date=dt.date(2025, 5, 5))
    other = SessionFactory(code="UPR-2026-04", course=upr, start_date=dt.date(2026, 4, 6))
    enrol(spring, "female", "Police", 40, 70)
    enrol(spring, "female", "Police", 55, 60, region_name="Osh")
    enrol(autumn, "female", "Police", 62, 58, region_name="Naryn")
    enrol(spring, "male", "Police", 30, 80)
    enrol(autumn, "female", "Court", 20, 90)
    enrol(old, "female", "Police", 10, 95)
    enrol(other, "female", "Police", 35, 45, region_name="Talas")
    return torture


def test_me_officer_answers_the_question_and_downloads_the_workbook(
    live_server, page, user_with_role, sign_in, shoot, data
):
    officer = user_with_role("M&E officer", username="mne1")
    sign_in(page, officer)
    page.goto(f"{live_server.url}/reports/")
    assert page.get_by_role("heading", name="Statistics", level=1).is_visible()
    assert page.locator("svg[role=img]").count() == 5
    shoot(page, "statistics")

    form = page.get_by_role("search", name="Filter the statistics")
    form.get_by_label("Gender", exact=True).select_option(label="Female")
    form.get_by_label("Agency type", exact=True).select_option(label="Police")
    form.get_by_label("Course", exact=True).select_option(label="PREV-TORT: Prevention of torture")
    form.get_by_label("Sessions starting from", exact=True).fill("2026-01-01")
    form.get_by_label("to", exact=True).fill("2026-12-31")
    page.get_by_role("button", name="Show the figures").click()
    page.wait_for_load_state()

    filters = stats.Filters(
        course="PREV-TORT",
        date_from=dt.date(2026, 1, 1),
        date_to=dt.date(2026, 12, 31),
        agency_type=agency_type("Police"),
        gender=gender("female"),
    )
    expected = stats.headline(filters)
    assessment = stats.assessment(filters)
    assert expected.participants == 3 and assessment.pairs == 3
    participants = page.locator("#stat-participants dd").first.inner_text()
    gain = page.locator("#stat-gain dd").first.inner_text()
    improved = page.locator("#stat-improved dd").first.inner_text()
    assert participants == str(expected.participants)
    assert gain == f"{assessment.mean_gain:+.1f}"
    assert improved.replace("\xa0", " ") == f"{100 * assessment.improved_share:.1f} %"
    answer = page.locator(".answer__text").inner_text()
    assert "3 participants were trained" in answer and "mean gain 10.3 percentage points" in answer
    assert "Gender: Female" in page.locator(".filters-in-force").inner_text()
    shoot(page, "statistics-filtered")

    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download the workbook (.xlsx)").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    workbook = openpyxl.load_workbook(BytesIO(Path(download.path()).read_bytes()))
    assert "Summary" in workbook.sheetnames

    # An M&E officer is not offered names: the page says the downloads leave them out.
    assert page.get_by_label("Leave out names and contacts (pseudonymise)").count() == 0
    assert "Your downloads leave out names and contacts" in page.content()
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Data as CSV").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".csv")
    text = Path(download.path()).read_text(encoding="utf-8-sig")
    assert "Lastname" not in text and "example.org" not in text
