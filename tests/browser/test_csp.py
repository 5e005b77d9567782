"""Chromium opens the main pages of each role and reports no Content-Security-Policy violation.

Violations are caught twice: a ``securitypolicyviolation`` listener installed in every document
before its own scripts (page.add_init_script) reports each one to the test, and chromium's own
console messages ("Refused to ...") are collected too. htmx requests (attendance clicks, score
saves) run on the pages, so what they swap in is covered as well.
"""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.factories import (
    CertificateFactory,
    EnrolmentFactory,
    ParticipantFactory,
    SessionFactory,
    attend,
)
from trainings.models import Attendance

pytestmark = pytest.mark.django_db(transaction=True)

LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__bilimCspViolation(
    `${event.violatedDirective} blocked ${event.blockedURI || "inline"} ` +
    `at ${event.sourceFile || document.location.href}:${event.lineNumber}`
  );
});
"""


@pytest.fixture
def violations(page):
    """Collect the page's CSP violations, from the DOM event and from the console."""
    found: list[str] = []
    page.expose_function("__bilimCspViolation", lambda text: found.append(text))
    page.add_init_script(LISTENER)

    def on_console(message):
        text = message.text
        if "Content Security Policy" in text or text.startswith("Refused to"):
            found.append(f"console: {text}")

    page.on("console", on_console)
    return found


def settle(page):
    """Let pending htmx requests and violation reports arrive."""
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(200)


def visit(page, live_server, url: str, heading: str | None = None):
    page.goto(f"{live_server.url}{url}")
    if heading:
        expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible()
    settle(page)


@pytest.fixture
def session(user_with_role):
    trainer = user_with_role("Trainer", username="trainer-csp")
    start = dt.date.today() - dt.timedelta(days=1)
    session = SessionFactory(
        code="CSP-2026-01",
        start_date=start,
        end_date=start + dt.timedelta(days=1),
        max_score=Decimal(100),
        registration_open=True,
        registration_token="csp-" + "t" * 24,
    )
    session.trainers.add(trainer)
    for n, (last, first) in enumerate([("Osmonova", "Aigul"), ("Kovaleva", "Elena")]):
        enrolment = EnrolmentFactory(
            session=session,
            participant=ParticipantFactory(last_name=last, first_name=first),
            pre_score=Decimal(40 + n * 10),
            post_score=Decimal(70 + n * 5),
        )
        attend(enrolment, 1)
    session.trainer = trainer
    return session


def test_a_trainers_grids_and_their_htmx_clicks_break_no_rule(
    live_server, page, session, sign_in, violations
):
    sign_in(page, session.trainer)
    settle(page)
    code = session.code
    visit(page, live_server, reverse("trainings:attendance_grid", args=[code]), "Attendance")
    before = Attendance.objects.filter(present=True).count()
    page.locator("button.att-cell").last.click()
    settle(page)
    assert Attendance.objects.filter(present=True).count() != before

    visit(page, live_server, reverse("trainings:score_grid", args=[code]))
    field = page.get_by_label("Post-test score of Kovaleva Elena", exact=True)
    field.fill("81")
    field.press("Enter")
    settle(page)
    assert session.enrolments.get(participant__last_name="Kovaleva").post_score == 81

    assert violations == []


def test_an_organisers_pages_break_no_rule(
    live_server, page, session, sign_in, user_with_role, violations
):
    organiser = user_with_role("Organiser", username="organiser-csp")
    sign_in(page, organiser)
    settle(page)
    code = session.code
    visit(page, live_server, reverse("trainings:session_list"))
    visit(page, live_server, reverse("trainings:session_detail", args=[code]))
    visit(page, live_server, reverse("trainings:registration_manage", args=[code]))
    visit(page, live_server, reverse("trainings:enrolment_add", args=[code]))
    visit(page, live_server, reverse("participants:participant_list"))
    visit(page, live_server, reverse("reports:statistics"))
    assert violations == []


def test_the_statistics_page_and_its_charts_break_no_rule(
    live_server, page, session, sign_in, user_with_role, violations
):
    officer = user_with_role("M&E officer", username="mne-csp")
    sign_in(page, officer)
    settle(page)
    visit(page, live_server, reverse("reports:statistics"))
    assert page.locator("svg").count() > 0  # the charts are on the page
    visit(page, live_server, reverse("home_me"))
    assert violations == []


def test_the_public_pages_break_no_rule(live_server, page, session, violations):
    certificate = CertificateFactory(enrolment=session.enrolments.first())
    visit(page, live_server, reverse("login"), "Sign in to Bilim")
    visit(page, live_server, reverse("trainings:register", args=[session.registration_token]))
    visit(page, live_server, reverse("certificates:verify_lookup"))
    visit(page, live_server, reverse("certificates:verify", args=[certificate.code]))
    assert violations == []


def test_the_admin_and_the_two_factor_set_up_break_no_rule(
    live_server, page, session, sign_in, user_with_role, violations
):
    admin = user_with_role("Administrator", username="admin-csp", is_staff=True, is_superuser=True)
    sign_in(page, admin)
    settle(page)
    visit(page, live_server, reverse("admin:index"))
    visit(page, live_server, reverse("admin:trainings_session_changelist"))
    visit(page, live_server, reverse("admin:trainings_session_change", args=[session.pk]))
    visit(page, live_server, reverse("admin:auth_user_change", args=[admin.pk]))
    visit(page, live_server, reverse("two_factor"), "Two-factor sign-in")
    page.get_by_role("button", name="Set up two-factor sign-in").click()
    settle(page)
    expect(page.get_by_role("img", name="QR code with the secret")).to_be_visible()
    assert violations == []


def test_the_admins_export_page_breaks_no_rule_and_its_select_all_works(
    live_server, page, session, sign_in, user_with_role, violations
):
    admin = user_with_role(
        "Administrator", username="admin-export", is_staff=True, is_superuser=True
    )
    sign_in(page, admin)
    visit(page, live_server, reverse("admin:trainings_session_export"))
    fields = page.locator('.selectable-field-export-row input[type="checkbox"]:visible')
    assert fields.count() > 1
    page.get_by_label("Select all").uncheck()
    assert [fields.nth(i).is_checked() for i in range(fields.count())] == [False] * fields.count()
    page.get_by_label("Select all").check()
    assert all(fields.nth(i).is_checked() for i in range(fields.count()))
    assert violations == []


def test_the_listener_does_see_a_violation(live_server, page, violations):
    """The check itself works: an inline style added by a page is reported."""
    visit(page, live_server, reverse("login"))
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<p style=\"color: red\">x</p>')")
    settle(page)
    assert violations != []
