"""Tampering with ids: a URL or form that names another session's records reaches nothing.

Session A is the own trainer's, session B another trainer's; both have an enrolment, training
days and a certificate. Every attempt below is answered with a refusal (400, 403, 404, a form
error or a message) and never with a crash, and leaves every table as it was. Each group ends
with a control: the same request with the right ids does change something, so the refusals
are about the ids, not about a payload that could never work.
"""

import datetime as dt
import io
from types import SimpleNamespace

import pytest
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook
from pypdf import PdfReader

from jobs.models import Job
from participants.models import Participant
from tests.factories import (
    CertificateFactory,
    EnrolmentFactory,
    ParticipantFactory,
    SessionFactory,
    attend,
    user_in,
)
from tests.security.common import (
    HUGE,
    ME,
    ORGANISER,
    OWN_TRAINER,
    changed_tables,
    database_state,
)
from trainings import roles
from trainings.forms_registration import form_stamp
from trainings.models import Attendance, Enrolment, Session

pytestmark = pytest.mark.django_db

# Ids that are not ids: text, negative, zero, beyond any database integer, empty, a path.
BAD_IDS = ("abc", "-1", "0", HUGE, "", "1.5", "../1")


@pytest.fixture
def two(world):
    """World's session A (own trainer's) and the other trainer's session B, each with records."""
    a = world["session"]
    b = Session.objects.exclude(pk=a.pk).get()
    b_enrolment = EnrolmentFactory(session=b)
    attend(b_enrolment, 1)
    return SimpleNamespace(
        users=world["users"],
        a=a,
        a_enrolment=world["enrolment"],
        a_day=a.days.order_by("date").first(),
        b=b,
        b_enrolment=b_enrolment,
        b_day=b.days.order_by("date").first(),
        b_certificate=CertificateFactory(enrolment=b_enrolment),
        second=world["second"],
    )


def signed_in_as(user) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def attempt(browser: Client, method: str, url: str, data=None, *, refusals: set[int]):
    """Send the request; describe what is wrong (a crash, no refusal, a change), or None."""
    before = database_state()
    said = f"{method.upper()} {url} {data or ''}"
    try:
        response = getattr(browser, method)(url, data or {})
    except Exception as exc:  # the test client re-raises what would be a 500
        return f"crashed ({type(exc).__name__}: {exc}): {said}"
    if response.status_code not in refusals:
        return f"answered {response.status_code}: {said}"
    if changed := changed_tables(before):
        return f"changed {changed}: {said}"
    return None


def grid_forms(two) -> list[tuple[str, dict]]:
    """Cell saves on session A's grid URLs naming B's enrolments and days, or no ids at all."""
    a_e, a_d, b_e, b_d = two.a_enrolment.pk, two.a_day.pk, two.b_enrolment.pk, two.b_day.pk
    mark = "trainings:attendance_mark"
    score = "trainings:score_save"
    day = "trainings:attendance_day_present"
    forms = [
        (mark, {"enrolment": b_e, "day": a_d, "was": "false"}),
        (mark, {"enrolment": a_e, "day": b_d, "was": "false"}),
        (mark, {"enrolment": b_e, "day": b_d, "was": "true", "present": "false"}),
        (score, {"enrolment": b_e, "field": "pre", "was": "", "value": "10"}),
        (score, {"enrolment": b_e, "field": "post", "was": "", "value": "99"}),
        (day, {"day": b_d, "absent": str(b_e)}),
    ]
    for bad in BAD_IDS:
        forms += [
            (mark, {"enrolment": bad, "day": a_d, "was": "false"}),
            (mark, {"enrolment": a_e, "day": bad, "was": "false"}),
            (score, {"enrolment": bad, "field": "pre", "was": "", "value": "10"}),
            (day, {"day": bad, "absent": str(a_e)}),
        ]
    return forms


@pytest.mark.parametrize("visitor", [OWN_TRAINER, ORGANISER])
def test_grid_saves_never_reach_another_sessions_cells(two, visitor):
    browser = signed_in_as(two.users[visitor])
    forms = grid_forms(two)
    problems = [
        attempt(browser, "post", reverse(name, args=[two.a.code]), data, refusals={400, 404})
        for name, data in forms
    ]
    assert len(forms) == 34
    assert [p for p in problems if p] == []


def test_all_present_skips_other_sessions_and_bad_ids_in_the_list(two):
    browser = signed_in_as(two.users[OWN_TRAINER])
    url = reverse("trainings:attendance_day_present", args=[two.a.code])
    lists = [str(two.b_enrolment.pk), f"{two.b_enrolment.pk},{HUGE}", "-1,abc,,0", HUGE, "x" * 500]
    problems = [
        attempt(browser, "post", url, {"day": two.a_day.pk, "absent": ids}, refusals={200})
        for ids in lists
    ]
    assert [p for p in problems if p] == []
    assert Attendance.objects.filter(enrolment=two.b_enrolment, present=True).count() == 1

    # The control: A's own enrolment in the list is marked present.
    mixed = f"{two.b_enrolment.pk},{two.a_enrolment.pk},{HUGE}"
    assert browser.post(url, {"day": two.a_day.pk, "absent": mixed}).status_code == 200
    assert Attendance.objects.get(enrolment=two.a_enrolment, day=two.a_day).present


def test_enrolment_actions_refuse_another_sessions_enrolment(two):
    browser = signed_in_as(two.users[ORGANISER])
    cases = [
        (two.a.code, two.b_enrolment.pk, status, {404})
        for status in ("withdrawn", "confirmed", "registered", "waitlisted")
    ]
    cases += [(two.a.code, HUGE, "withdrawn", {404})]
    # A's own enrolment with a status that is not one: a message, nothing changed.
    cases += [(two.a.code, two.a_enrolment.pk, bad, {302}) for bad in ("gone", "", "1")]
    problems = [
        attempt(
            browser,
            "post",
            reverse("trainings:enrolment_status", args=[code, pk]),
            {"status": status},
            refusals=refusals,
        )
        for code, pk, status, refusals in cases
    ]
    assert [p for p in problems if p] == []
    # URLs with ids the patterns do not take are not found at all.
    for pk in ("abc", "-1", "1.5"):
        url = f"/sessions/{two.a.code}/enrolments/{pk}/status/"
        assert attempt(browser, "post", url, {"status": "withdrawn"}, refusals={404}) is None

    # The control: the same action on A's own enrolment withdraws it.
    url = reverse("trainings:enrolment_status", args=[two.a.code, two.a_enrolment.pk])
    browser.post(url, {"status": "withdrawn"})
    assert Enrolment.objects.get(pk=two.a_enrolment.pk).status == Enrolment.Status.WITHDRAWN


def test_registering_a_known_person_by_a_bad_id_is_refused(two):
    browser = signed_in_as(two.users[ORGANISER])
    url = reverse("trainings:enrolment_add", args=[two.a.code])
    erased = ParticipantFactory()
    Participant.objects.filter(pk=erased.pk).update(erased_at=timezone.now())
    ids = [*BAD_IDS, str(erased.pk)]
    problems = [attempt(browser, "post", url, {"participant": pk}, refusals={302}) for pk in ids]
    assert [p for p in problems if p] == []

    # The control: a recorded person's id registers them.
    browser.post(url, {"participant": two.second.pk})
    assert Enrolment.objects.filter(session=two.a, participant=two.second).exists()


def test_merge_refuses_missing_erased_and_malformed_ids(two):
    browser = signed_in_as(two.users[ORGANISER])
    url = reverse("participants:participant_merge")
    real = two.second.pk
    erased = ParticipantFactory()
    Participant.objects.filter(pk=erased.pk).update(erased_at=timezone.now())
    missing = Participant.objects.order_by("-pk").first().pk + 1000
    pairs = [(bad, real) for bad in BAD_IDS] + [(real, bad) for bad in BAD_IDS]
    pairs += [(missing, real), (real, real)]
    problems = []
    for a, b in pairs:
        data = {"a": a, "b": b, "keep": real}
        problems.append(attempt(browser, "get", url, {"a": a, "b": b}, refusals={404}))
        problems.append(attempt(browser, "post", url, data, refusals={404}))
    # An erased record holds nobody's data: it is not merged into anyone, nor anyone into it.
    for a, b, keep in (
        (erased.pk, real, real),
        (real, erased.pk, real),
        (real, erased.pk, erased.pk),
    ):
        problems.append(
            attempt(browser, "post", url, {"a": a, "b": b, "keep": keep}, refusals={200, 404})
        )
    # Keeping a third person that is neither of the two is a form error.
    third = two.a_enrolment.participant_id
    problems.append(
        attempt(
            browser, "post", url, {"a": real, "b": erased.pk, "keep": third}, refusals={200, 404}
        )
    )
    assert [p for p in problems if p] == []


def test_the_certificates_pdf_holds_only_its_own_sessions_certificates(two):
    browser = signed_in_as(two.users[OWN_TRAINER])
    response = browser.get(reverse("trainings:certificates_pdf", args=[two.a.code]))
    assert response.status_code == 200
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(b"".join(response))).pages)
    mine = two.a_enrolment.certificates.get()
    assert mine.number in text
    assert two.b_certificate.number not in text
    assert two.b_enrolment.participant.last_name not in text


# --- jobs ----------------------------------------------------------------------------------------


def finished_job(kind: str, user) -> Job:
    job = Job(kind=kind, status=Job.Status.DONE, params={"code": "X"}, created_by=user)
    job.result.save(f"tamper-{kind}.bin", ContentFile(b"result"), save=False)
    job.save()
    return job


def test_another_persons_job_and_its_result_are_not_found(two, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    organiser, me = two.users[ORGANISER], two.users[ME]
    certificates = finished_job(Job.Kind.CERTIFICATES, organiser)
    workbook = finished_job(Job.Kind.WORKBOOK, me)
    other_organiser, other_me = user_in(roles.ORGANISER), user_in(roles.ME_OFFICER)
    cases = [
        (other_organiser, certificates, {404}),
        (other_organiser, workbook, {404}),
        (other_me, workbook, {404}),
        # An M&E officer may not see a certificates batch at all: 403 before whose it is.
        (me, certificates, {403}),
        (other_me, certificates, {403}),
        (two.users[OWN_TRAINER], certificates, {403}),
    ]
    problems = []
    for user, job, refusals in cases:
        browser = signed_in_as(user)
        for name in ("jobs:detail", "jobs:progress", "jobs:result"):
            url = reverse(name, args=[job.pk])
            problems.append(attempt(browser, "get", url, refusals=refusals))
    for bad in (HUGE, "-1", "abc", "0"):
        url = f"/jobs/{bad}/result/"
        problems.append(attempt(signed_in_as(organiser), "get", url, refusals={404}))
    assert [p for p in problems if p] == []

    # The controls: the job's own creator, and an administrator, download it.
    for user, job in (
        (organiser, certificates),
        (me, workbook),
        (two.users["administrator"], workbook),
    ):
        response = signed_in_as(user).get(reverse("jobs:result", args=[job.pk]))
        assert response.status_code == 200 and b"".join(response.streaming_content) == b"result"


# --- uploads -------------------------------------------------------------------------------------


def roster_bytes() -> bytes:
    workbook = Workbook()
    for row in (
        ["last_name", "first_name", "gender", "birth_year", "agency", "agency_type", "email"],
        ["Osmonova", "Aigul", "f", 1990, "Prosecutor General", "Prosecutor", "aigul@mail.kg"],
    ):
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_an_upload_is_confirmed_only_by_its_own_person_on_its_own_page(two, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    owner = signed_in_as(two.users[ORGANISER])
    a_roster = reverse("trainings:roster_upload", args=[two.a.code])
    file = ContentFile(roster_bytes(), name="roster.xlsx")
    preview = owner.post(a_roster, {"file": file})
    token = preview.context["token"]
    assert token

    someone_else = signed_in_as(user_in(roles.ORGANISER))
    administrator = signed_in_as(two.users["administrator"])
    cases = [
        (someone_else, a_roster, token),
        (administrator, a_roster, token),
        # The owner, on another session's roster page, on the results page, with forged tokens.
        (owner, reverse("trainings:roster_upload", args=[two.b.code]), token),
        (owner, reverse("trainings:results_upload", args=[two.a.code]), token),
        (owner, reverse("trainings:sessions_upload"), token),
        (owner, a_roster, token[:-1]),
        (owner, a_roster, "../" + token),
        (owner, a_roster, "../../config/settings/base"),
        (owner, a_roster, ""),
    ]
    problems = [
        attempt(browser, "post", url, {"token": t, "confirm": "1"}, refusals={302})
        for browser, url, t in cases
    ]
    assert [p for p in problems if p] == []
    refused = someone_else.post(a_roster, {"token": token, "confirm": "1"})
    assert "no longer waiting" in " ".join(str(m) for m in get_messages(refused.wsgi_request))

    # The control: the owner confirms on the page it was previewed on, and the person is added.
    owner.post(a_roster, {"token": token, "confirm": "1"})
    assert Enrolment.objects.filter(session=two.a, participant__last_name="Osmonova").exists()


# --- public registration -------------------------------------------------------------------------


def registration_form() -> dict:
    from tests.factories import agency_type, region

    return {
        "last_name": "Tamper",
        "first_name": "Test",
        "gender": "female",
        "birth_year": "1988",
        "agency_name": "Ministry of Justice",
        "agency_type": str(agency_type("Ministry").pk),
        "position": "Specialist",
        "region": str(region("Osh").pk),
        "email": "tamper@example.kg",
        "disability": "no",
        "consent": "on",
        "website": "",
        "stamp": form_stamp(),
    }


def test_registration_with_a_closed_or_unknown_token_writes_nothing(two, settings):
    settings.BILIM_REGISTER_MIN_SECONDS = 0
    settings.BILIM_REGISTER_LIMIT = 1000
    cache.clear()
    soon = timezone.localdate() + dt.timedelta(days=30)
    closed = SessionFactory(
        status=Session.Status.OPEN, start_date=soon, registration_token="closed-" + "c" * 20
    )
    cancelled = SessionFactory(
        status=Session.Status.CANCELLED,
        start_date=soon,
        registration_open=True,
        registration_token="cancelled-" + "d" * 20,
    )
    past = SessionFactory(
        status=Session.Status.COMPLETED,
        registration_open=True,
        registration_token="past-" + "e" * 20,
    )
    visitor = Client()
    problems = [
        attempt(
            visitor,
            "post",
            reverse("trainings:register", args=[s.registration_token]),
            registration_form(),
            refusals={200},
        )
        for s in (closed, cancelled, past)
    ]
    for token in ("unknown-" + "u" * 20, two.a.registration_token.upper(), "%00", HUGE):
        url = f"/register/{token}/"
        problems.append(attempt(visitor, "post", url, registration_form(), refusals={400, 404}))
    assert [p for p in problems if p] == []

    # The control: the open session's link registers; its outcome is not shown for another link.
    a_url = reverse("trainings:register", args=[two.a.registration_token])
    assert visitor.post(a_url, registration_form()).status_code == 302
    assert Participant.objects.filter(last_name="Tamper").count() == 1
    done_closed = visitor.get(reverse("trainings:register_done", args=[closed.registration_token]))
    assert done_closed.status_code == 302
    assert done_closed["Location"] == reverse(
        "trainings:register", args=[closed.registration_token]
    )
    cache.clear()


# --- NUL characters ------------------------------------------------------------------------------


def test_a_nul_character_in_a_url_query_or_form_is_a_bad_request(two):
    """PostgreSQL refuses NUL in text: without the guard each of these answered 500 there."""
    organiser = signed_in_as(two.users[ORGANISER])
    cases = [
        (organiser, "get", "/sessions/%00/", None),
        (organiser, "get", "/courses/%00/edit/", None),
        (organiser, "get", "/sessions/?q=%00", None),
        (organiser, "get", "/participants/?q=a%00b", None),
        (
            organiser,
            "get",
            reverse("trainings:import_template", args=["roster"]) + "?session=%00",
            None,
        ),
        (organiser, "get", reverse("trainings:session_create") + "?course=%00", None),
        (
            organiser,
            "post",
            reverse("trainings:enrolment_add", args=[two.a.code]),
            {"participant": "1\x00"},
        ),
        (Client(), "get", "/certificates/verify/%00/", None),
        (Client(), "get", "/certificates/verify/?code=%00", None),
        (Client(), "get", "/register/%00/", None),
        (Client(), "post", reverse("login"), {"username": "admin\x00", "password": "x"}),
    ]
    problems = [attempt(b, method, url, data, refusals={400}) for b, method, url, data in cases]
    assert [p for p in problems if p] == []
