"""The demo data in a real browser: every role signs in with its demo login and walks its pages.

Each page must answer 200 without a server error; a screenshot of each, at desktop and phone
width, lands in artifacts/screenshots/ for a person to look at.
"""

import pytest
from django.core.management import call_command
from django.urls import reverse

from participants.models import Participant
from trainings.models import Session

pytestmark = pytest.mark.django_db(transaction=True)


def demo_sign_in(page, live_server, username: str, password: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def visit(page, live_server, path: str, shoot, name: str) -> None:
    response = page.goto(f"{live_server.url}{path}")
    assert response is not None and response.status == 200, (
        f"{path}: {response and response.status}"
    )
    body = page.locator("body").inner_text()
    assert "Not built yet" not in body, path
    assert page.locator("h1").count() >= 1, f"{path} has no heading"
    shoot(page, name)


def test_each_demo_login_walks_its_pages(live_server, browser, shoot):
    call_command("seed_demo", verbosity=0)
    trainer_session = (
        Session.objects.filter(trainers__username="trainer", enrolments__isnull=False)
        .order_by("-start_date")
        .first()
    )
    busy = Session.objects.filter(enrolments__isnull=False).exclude(status="cancelled").first()
    person = Participant.objects.filter(enrolments__isnull=False).order_by("pk").first()
    tours = {
        ("organiser", "organiser-demo"): [
            ("/home/organiser/", "demo-organiser-home"),
            (reverse("trainings:session_list"), "demo-session-list"),
            (reverse("trainings:session_detail", args=[busy.code]), "demo-session-page"),
            (reverse("trainings:course_list"), "demo-course-list"),
            (reverse("trainings:enrolment_add", args=[busy.code]), "demo-register-by-hand"),
            (reverse("trainings:roster_upload", args=[busy.code]), "demo-roster-upload"),
            (reverse("trainings:registration_manage", args=[busy.code]), "demo-registration"),
            (reverse("participants:participant_list"), "demo-participants"),
            (reverse("participants:participant_detail", args=[person.pk]), "demo-person"),
            (reverse("participants:duplicate_list"), "demo-duplicates"),
        ],
        ("trainer", "trainer-demo"): [
            ("/home/trainer/", "demo-trainer-home"),
            (
                reverse("trainings:session_detail", args=[trainer_session.code]),
                "demo-trainer-session",
            ),
            (reverse("trainings:attendance_grid", args=[trainer_session.code]), "demo-attendance"),
            (reverse("trainings:score_grid", args=[trainer_session.code]), "demo-scores"),
            (
                reverse("trainings:results_upload", args=[trainer_session.code]),
                "demo-results-upload",
            ),
        ],
        ("mne", "mne-demo"): [
            ("/home/me/", "demo-me-home"),
            (reverse("trainings:session_list"), "demo-me-sessions"),
            (reverse("participants:participant_list"), "demo-me-participants"),
        ],
        ("admin", "admin-demo"): [("/home/administrator/", "demo-admin-home")],
    }
    for (username, password), pages in tours.items():
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        demo_sign_in(page, live_server, username, password)
        for path, name in pages:
            visit(page, live_server, path, shoot, name)
        context.close()
