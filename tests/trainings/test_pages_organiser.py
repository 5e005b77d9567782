"""The organisers' pages: courses, sessions, a session's page, registering by hand."""

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from certificates.models import Certificate
from participants.models import Agency, Participant
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
from tests.test_pages_foundation import signed_in, user_in
from trainings import roles
from trainings.models import Course, Enrolment, Session

pytestmark = pytest.mark.django_db

ORGANISER, TRAINER, ME, ADMIN = (
    roles.ORGANISER,
    roles.TRAINER,
    roles.ME_OFFICER,
    roles.ADMINISTRATOR,
)


def url(name: str, *args) -> str:
    return reverse(f"trainings:{name}", args=args)


def said(response) -> list[str]:
    """The messages this response added (earlier unread ones are left out)."""
    return [str(m) for m in get_messages(response.wsgi_request)][-1:]


# --- who reaches what ----------------------------------------------------------------------------

# (url name, takes the session code, who may read it)
READ_ALL = "all"  # every role; trainers only their own sessions
READERS = "readers"  # organisers, M&E officers, administrators
PLANNERS = "planners"  # organisers and administrators
PAGES = [
    ("course_list", False, READERS),
    ("course_create", False, PLANNERS),
    ("session_list", False, READ_ALL),
    ("session_create", False, PLANNERS),
    ("session_detail", True, READ_ALL),
    ("session_edit", True, PLANNERS),
    ("session_copy", True, PLANNERS),
    ("session_cancel", True, PLANNERS),
    ("enrolment_add", True, PLANNERS),
    ("sign_in_sheets", True, READ_ALL),
]


def expected(role: str, who: str, own: bool) -> int:
    if role in (ORGANISER, ADMIN):
        return 200
    if role == ME:
        return 200 if who in (READ_ALL, READERS) else 403
    # Trainer: another trainer's session is not confirmed to exist.
    if who == READ_ALL:
        return 200
    return 403


@pytest.mark.parametrize(("name", "with_code", "who"), PAGES, ids=[p[0] for p in PAGES])
@pytest.mark.parametrize("role", [ORGANISER, ME, TRAINER, ADMIN])
def test_each_role_reaches_the_pages_it_may(client, role, name, with_code, who):
    user = signed_in(client, role)
    session = SessionFactory()
    session.trainers.add(user)
    response = client.get(url(name, session.code) if with_code else url(name))
    assert response.status_code == expected(role, who, own=True)


@pytest.mark.parametrize("name", ["session_detail", "sign_in_sheets", "certificates_pdf"])
def test_a_trainer_gets_404_for_another_trainers_session(client, name):
    signed_in(client, TRAINER)
    other = SessionFactory()
    other.trainers.add(user_in(TRAINER))
    assert client.get(url(name, other.code)).status_code == 404


@pytest.mark.parametrize(("name", "with_code", "who"), PAGES, ids=[p[0] for p in PAGES])
def test_anonymous_people_are_sent_to_sign_in(client, name, with_code, who):
    session = SessionFactory()
    response = client.get(url(name, session.code) if with_code else url(name))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize(
    "name", ["session_cancel", "certificates_issue", "enrolment_add", "session_copy"]
)
def test_me_officers_cannot_post(client, name):
    signed_in(client, ME)
    session = SessionFactory(status=Session.Status.OPEN)
    response = client.post(url(name, session.code), {"code": "X", "start_date": "2026-01-01"})
    assert response.status_code == 403
    session.refresh_from_db()
    assert session.status == Session.Status.OPEN
    assert Session.objects.count() == 1
    assert not Certificate.objects.exists()


def test_me_officer_cannot_change_an_enrolment(client):
    signed_in(client, ME)
    enrolment = EnrolmentFactory(status=Enrolment.Status.REGISTERED)
    response = client.post(
        url("enrolment_status", enrolment.session.code, enrolment.pk), {"status": "withdrawn"}
    )
    assert response.status_code == 403
    enrolment.refresh_from_db()
    assert enrolment.status == Enrolment.Status.REGISTERED


def test_a_trainer_cannot_change_enrolments_of_their_own_session(client):
    user = signed_in(client, TRAINER)
    enrolment = EnrolmentFactory(status=Enrolment.Status.REGISTERED)
    enrolment.session.trainers.add(user)
    response = client.post(
        url("enrolment_status", enrolment.session.code, enrolment.pk), {"status": "withdrawn"}
    )
    assert response.status_code == 403


# --- courses -------------------------------------------------------------------------------------


def test_course_list_shows_the_catalogue_and_searches_in_any_alphabet(client):
    signed_in(client, ME)
    upr = CourseFactory(code="UPR", title="Универсальный периодический обзор", assessed=True)
    SessionFactory.create_batch(2, course=upr)
    CourseFactory(code="TORT", title="Prevention of torture", assessed=False)
    page = client.get(url("course_list")).content.decode()
    assert "UPR" in page and "TORT" in page
    assert "Add a course" not in page
    found = client.get(url("course_list"), {"q": "ПЕРИОДИЧЕСКИЙ"}).content.decode()
    assert "UPR" in found and "TORT" not in found


def test_course_create_adds_a_course(client):
    signed_in(client, ORGANISER)
    response = client.post(
        url("course_create"),
        {
            "code": "GSR",
            "title": "Gender-sensitive reporting",
            "thematic_area": "Media",
            "assessed": "on",
            "pass_mark": "65",
            "min_attendance": "75",
        },
    )
    assert response.status_code == 302
    course = Course.objects.get(code="GSR")
    assert (course.pass_mark, course.min_attendance, course.assessed) == (65, 75, True)
    assert said(response) == ["Course GSR added."]


def test_course_create_shows_errors_on_the_fields(client):
    signed_in(client, ORGANISER)
    CourseFactory(code="GSR")
    response = client.post(
        url("course_create"),
        {"code": "GSR", "title": "", "pass_mark": "150", "min_attendance": "80"},
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) >= {"code", "title", "pass_mark"}
    assert Course.objects.count() == 1


def test_course_edit_changes_the_course_but_not_its_code(client):
    signed_in(client, ORGANISER)
    course = CourseFactory(code="UPR", title="Old")
    response = client.post(
        url("course_edit", "UPR"),
        {"code": "CHANGED", "title": "New", "pass_mark": "60", "min_attendance": "80"},
    )
    assert response.status_code == 302
    course.refresh_from_db()
    assert (course.code, course.title, course.assessed) == ("UPR", "New", False)
    assert said(response) == ["Course UPR saved."]


# --- the list of sessions ------------------------------------------------------------------------


def test_session_list_filters(client):
    signed_in(client, ORGANISER)
    osh = region("Osh")
    a = SessionFactory(
        code="A-1", region=osh, status=Session.Status.OPEN, start_date=dt.date(2025, 5, 1)
    )
    SessionFactory(code="B-1", status=Session.Status.COMPLETED, start_date=dt.date(2024, 5, 1))
    SessionFactory(code="C-1", title="Права человека", start_date=dt.date(2025, 6, 1))
    codes = lambda **q: [s.code for s in client.get(url("session_list"), q).context["sessions"]]  # noqa: E731
    assert codes() == ["C-1", "A-1", "B-1"]
    assert codes(status="open") == ["A-1"]
    assert codes(region=osh.pk) == ["A-1"]
    assert codes(year=2024) == ["B-1"]
    assert codes(course=a.course.pk) == ["A-1"]
    assert codes(q="ПРАВА") == ["C-1"]
    assert codes(q="b-1") == ["B-1"]


def test_session_list_shows_enrolled_and_waitlisted(client):
    signed_in(client, ORGANISER)
    session = SessionFactory(capacity=2)
    EnrolmentFactory.create_batch(2, session=session, status=Enrolment.Status.REGISTERED)
    EnrolmentFactory(session=session, status=Enrolment.Status.WAITLISTED)
    EnrolmentFactory(session=session, status=Enrolment.Status.WITHDRAWN)
    row = client.get(url("session_list")).context["sessions"][0]
    assert (row.enrolled, row.waitlisted) == (2, 1)


def test_a_trainer_sees_only_their_sessions_in_the_list(client):
    user = signed_in(client, TRAINER)
    mine = SessionFactory(code="MINE")
    mine.trainers.add(user)
    SessionFactory(code="OTHER")
    page = client.get(url("session_list"))
    assert [s.code for s in page.context["sessions"]] == ["MINE"]
    assert "Plan a session" not in page.content.decode()


def test_session_list_is_paginated(client):
    signed_in(client, ORGANISER)
    SessionFactory.create_batch(30)
    first = client.get(url("session_list"))
    second = client.get(url("session_list"), {"page": 2})
    assert len(first.context["sessions"]) == 25
    assert len(second.context["sessions"]) == 5


@pytest.mark.parametrize("rows", [1, 30])
def test_session_list_query_count_does_not_grow(client, django_assert_max_num_queries, rows):
    signed_in(client, ORGANISER)
    for _ in range(rows):
        session = SessionFactory(capacity=5)
        EnrolmentFactory.create_batch(2, session=session)
    with django_assert_max_num_queries(9):
        response = client.get(url("session_list"), {"status": "completed"})
    assert response.status_code == 200


# --- creating, changing, copying and cancelling sessions ----------------------------------------


def session_form(course: Course, **overrides) -> dict:
    data = {
        "code": "UPR-2026-01",
        "course": course.pk,
        "title": "",
        "start_date": "2026-03-10",
        "end_date": "2026-03-12",
        "region": region("Osh").pk,
        "venue": "Osh State University",
        "format": "in_person",
        "language": "ru",
        "status": "planned",
        "capacity": "20",
        "max_score": "100",
        "pass_mark": "",
        "min_attendance": "",
        "training_hours": "",
        "certificate_language": "ru",
        "certificate_design": "",
    }
    data.update(overrides)
    return data


def test_session_create_plans_a_session_with_its_days_and_trainers(client):
    signed_in(client, ORGANISER)
    course = CourseFactory(pass_mark=70, min_attendance=90)
    trainer = user_in(TRAINER, first_name="Aida", last_name="Bekova")
    page = client.get(url("session_create")).content.decode()
    assert "Aida Bekova" in page
    response = client.post(
        url("session_create"), {**session_form(course), "trainers": [trainer.pk]}
    )
    assert response.status_code == 302
    session = Session.objects.get(code="UPR-2026-01")
    assert response["Location"] == url("session_detail", session.code)
    assert session.days.count() == 3
    assert (session.pass_mark, session.min_attendance, session.capacity) == (70, 90, 20)
    assert session.certificate_language == "ru"
    assert list(session.trainers.all()) == [trainer]
    assert said(response) == ["Session UPR-2026-01 planned with 3 training days."]


def test_session_create_shows_the_services_error_on_the_right_field(client):
    signed_in(client, ORGANISER)
    course = CourseFactory()
    response = client.post(
        url("session_create"), session_form(course, start_date="2026-03-10", end_date="2027-06-01")
    )
    assert response.status_code == 200
    assert "end_date" in response.context["form"].errors
    assert "check the dates" in response.content.decode()
    assert not Session.objects.exists()


def test_session_create_refuses_the_end_before_the_start(client):
    signed_in(client, ORGANISER)
    response = client.post(
        url("session_create"),
        session_form(CourseFactory(), start_date="2026-03-10", end_date="2026-03-01"),
    )
    assert "end_date" in response.context["form"].errors
    assert not Session.objects.exists()


def test_session_edit_raising_the_capacity_moves_the_waitlist_up(client):
    signed_in(client, ORGANISER)
    session = SessionFactory(code="S-1", capacity=1, status=Session.Status.OPEN)
    EnrolmentFactory(session=session, status=Enrolment.Status.REGISTERED)
    waiting = EnrolmentFactory(session=session, status=Enrolment.Status.WAITLISTED)
    data = session_form(
        session.course,
        code="S-1",
        start_date=session.start_date.isoformat(),
        end_date=session.end_date.isoformat(),
        capacity="2",
        pass_mark="60",
        min_attendance="80",
    )
    response = client.post(url("session_edit", "S-1"), data)
    assert response.status_code == 302
    waiting.refresh_from_db()
    assert waiting.status == Enrolment.Status.REGISTERED
    assert said(response) == ["Session S-1 saved."]


def test_session_edit_keeps_attended_days(client):
    signed_in(client, ORGANISER)
    session = SessionFactory(code="S-1", start_date=dt.date(2025, 3, 10))
    attend(EnrolmentFactory(session=session), 3)
    data = session_form(
        session.course,
        code="S-1",
        start_date="2025-03-11",
        end_date=session.end_date.isoformat(),
        pass_mark="60",
        min_attendance="80",
    )
    response = client.post(url("session_edit", "S-1"), data)
    assert response.status_code == 200
    assert "start_date" in response.context["form"].errors
    session.refresh_from_db()
    assert session.start_date == dt.date(2025, 3, 10)


def test_session_copy_page_suggests_the_next_code_and_copies(client):
    signed_in(client, ORGANISER)
    original = SessionFactory(code="UPR-2025-01", capacity=15)
    EnrolmentFactory(session=original)
    page = client.get(url("session_copy", original.code))
    assert page.context["form"].initial["code"] == "UPR-2025-02"
    response = client.post(
        url("session_copy", original.code), {"code": "UPR-2025-02", "start_date": "2026-04-06"}
    )
    assert response.status_code == 302
    copy = Session.objects.get(code="UPR-2025-02")
    assert (copy.start_date, copy.end_date, copy.capacity) == (
        dt.date(2026, 4, 6),
        dt.date(2026, 4, 8),
        15,
    )
    assert copy.enrolments.count() == 0
    assert said(response) == ["Session UPR-2025-02 planned as a copy of UPR-2025-01."]


def test_session_copy_shows_a_code_in_use_on_the_code_field(client):
    signed_in(client, ORGANISER)
    original = SessionFactory(code="A")
    SessionFactory(code="B")
    response = client.post(url("session_copy", "A"), {"code": "B", "start_date": "2026-04-06"})
    assert response.status_code == 200
    assert "code" in response.context["form"].errors
    assert Session.objects.count() == 2
    assert original.code == "A"


def test_session_cancel_asks_then_cancels(client):
    signed_in(client, ORGANISER)
    session = SessionFactory(code="S-1", status=Session.Status.OPEN)
    EnrolmentFactory.create_batch(3, session=session, status=Enrolment.Status.REGISTERED)
    EnrolmentFactory(session=session, status=Enrolment.Status.WAITLISTED)
    page = client.get(url("session_cancel", "S-1")).content.decode()
    assert "This affects 3 enrolments" in page
    session.refresh_from_db()
    assert session.status == Session.Status.OPEN
    response = client.post(url("session_cancel", "S-1"))
    session.refresh_from_db()
    assert session.status == Session.Status.CANCELLED
    assert said(response) == ["S-1 cancelled; its 3 enrolments no longer count in the figures."]


# --- a session's page ----------------------------------------------------------------------------


def test_session_page_shows_the_session_and_its_enrolments(client):
    signed_in(client, ORGANISER)
    trainer = user_in(TRAINER, first_name="Aida", last_name="Bekova")
    session = SessionFactory(code="S-1", capacity=2, status=Session.Status.OPEN)
    session.trainers.add(trainer)
    person = ParticipantFactory(last_name="Осмонова", first_name="Айгүл")
    enrolment = EnrolmentFactory(
        session=session, participant=person, status=Enrolment.Status.CONFIRMED, post_score=85
    )
    attend(enrolment, 2)
    Certificate.objects.create(
        enrolment=enrolment, number="S-1-001", code="X" * 16, issued_on=dt.date(2025, 3, 12)
    )
    EnrolmentFactory(session=session, status=Enrolment.Status.WAITLISTED)
    page = client.get(url("session_detail", "S-1")).content.decode()
    assert "Осмонова Айгүл" in page
    assert "2 of 3" in page
    assert "S-1-001" in page
    assert "Aida Bekova" in page
    assert "1 enrolled of 2 seats" in page
    assert "1 on the waitlist" in page
    for name in (
        "session_edit",
        "session_copy",
        "session_cancel",
        "enrolment_add",
        "roster_upload",
        "results_upload",
        "attendance_grid",
        "score_grid",
        "registration_manage",
        "sign_in_sheets",
        "certificates_pdf",
    ):
        assert url(name, "S-1") in page, name
    # Issuing goes through the jobs start view (in the background above a threshold).
    assert reverse("jobs:certificates_start", args=["S-1"]) in page


def test_session_page_of_an_me_officer_has_no_change_links(client):
    signed_in(client, ME)
    session = SessionFactory(code="S-1")
    EnrolmentFactory(session=session)
    page = client.get(url("session_detail", "S-1")).content.decode()
    for name in ("session_edit", "enrolment_add", "attendance_grid", "certificates_issue"):
        assert url(name, "S-1") not in page, name
    assert url("sign_in_sheets", "S-1") in page
    assert "Withdraw" not in page


def test_session_page_of_a_trainer_links_to_the_grids_only(client):
    user = signed_in(client, TRAINER)
    session = SessionFactory(code="S-1")
    session.trainers.add(user)
    page = client.get(url("session_detail", "S-1")).content.decode()
    assert url("attendance_grid", "S-1") in page
    assert url("results_upload", "S-1") in page
    assert url("session_edit", "S-1") not in page
    assert url("enrolment_add", "S-1") not in page


@pytest.mark.parametrize("rows", [1, 30])
def test_session_page_query_count_does_not_grow(client, django_assert_max_num_queries, rows):
    signed_in(client, ORGANISER)
    session = SessionFactory(code="S-1")
    for enrolment in EnrolmentFactory.create_batch(rows, session=session):
        attend(enrolment, 2)
    with django_assert_max_num_queries(8):
        response = client.get(url("session_detail", "S-1"))
    assert len(response.context["enrolments"]) == rows


def test_withdrawing_names_who_moved_up_from_the_waitlist(client):
    signed_in(client, ORGANISER)
    session = SessionFactory(code="S-1", capacity=1, status=Session.Status.OPEN)
    aigul = EnrolmentFactory(
        session=session,
        participant=ParticipantFactory(first_name="Aigul", last_name="Osmonova"),
        status=Enrolment.Status.REGISTERED,
    )
    nurlan = EnrolmentFactory(
        session=session,
        participant=ParticipantFactory(first_name="Nurlan", last_name="Toktogulov"),
        status=Enrolment.Status.WAITLISTED,
    )
    response = client.post(url("enrolment_status", "S-1", aigul.pk), {"status": "withdrawn"})
    assert response["Location"] == url("session_detail", "S-1")
    assert said(response) == [
        "Aigul Osmonova withdrawn; Nurlan Toktogulov moved up from the waitlist."
    ]
    aigul.refresh_from_db()
    nurlan.refresh_from_db()
    assert (aigul.status, nurlan.status) == ("withdrawn", "registered")


def test_moving_off_the_waitlist_of_a_full_session_is_an_error_message(client):
    signed_in(client, ORGANISER)
    session = SessionFactory(code="S-1", capacity=1, status=Session.Status.OPEN)
    EnrolmentFactory(session=session, status=Enrolment.Status.REGISTERED)
    waiting = EnrolmentFactory(session=session, status=Enrolment.Status.WAITLISTED)
    response = client.post(url("enrolment_status", "S-1", waiting.pk), {"status": "registered"})
    assert said(response) == [
        "S-1 is full (1 seats): withdraw someone first or raise the capacity."
    ]
    waiting.refresh_from_db()
    assert waiting.status == Enrolment.Status.WAITLISTED


def test_confirming_says_so(client):
    signed_in(client, ORGANISER)
    enrolment = EnrolmentFactory(
        participant=ParticipantFactory(first_name="Aigul", last_name="Osmonova"),
        status=Enrolment.Status.REGISTERED,
    )
    response = client.post(
        url("enrolment_status", enrolment.session.code, enrolment.pk), {"status": "confirmed"}
    )
    assert said(response) == ["Aigul Osmonova confirmed."]


def test_issue_certificates_says_how_many(client):
    signed_in(client, ORGANISER)
    session = SessionFactory(code="S-1", status=Session.Status.COMPLETED)
    for score in (90, 95, 20):
        attend(EnrolmentFactory(session=session, pre_score=10, post_score=score), 3)
    response = client.post(url("certificates_issue", "S-1"))
    assert said(response) == ["Issued 2 certificates, 0 already issued, 1 not eligible."]
    assert Certificate.objects.filter(enrolment__session=session).count() == 2
    again = client.post(url("certificates_issue", "S-1"))
    assert said(again) == ["Issued 0 certificates, 2 already issued, 1 not eligible."]


def test_certificates_pdf_downloads_or_says_there_are_none(client):
    signed_in(client, ME)
    session = SessionFactory(code="S-1")
    empty = client.get(url("certificates_pdf", "S-1"))
    assert empty.status_code == 302
    assert said(empty) == ["S-1 has no certificates yet."]
    attend(EnrolmentFactory(session=session, pre_score=10, post_score=90), 3)
    from certificates.services import certificates_issue

    certificates_issue(session=session)
    response = client.get(url("certificates_pdf", "S-1"))
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_sign_in_sheets_download(client):
    signed_in(client, ORGANISER)
    EnrolmentFactory(session=SessionFactory(code="S-1"))
    response = client.get(url("sign_in_sheets", "S-1"))
    assert response["Content-Type"] == "application/pdf"
    assert 'filename="sign-in-sheets-S-1.pdf"' in response["Content-Disposition"]
    assert response.content.startswith(b"%PDF")


# --- registering by hand -------------------------------------------------------------------------


def test_search_finds_cyrillic_names_in_any_case(client):
    signed_in(client, ORGANISER)
    session = SessionFactory(code="S-1", status=Session.Status.OPEN)
    aigul = ParticipantFactory(last_name="Осмонова", first_name="Айгүл", birth_year=1990)
    ParticipantFactory(last_name="Токтогулов", first_name="Нурлан")
    EnrolmentFactory(session=session, participant=aigul, status=Enrolment.Status.REGISTERED)
    response = client.get(url("enrolment_add", "S-1"), {"q": "ОСМОН"})
    assert [p.pk for p in response.context["people"]] == [aigul.pk]
    page = response.content.decode()
    assert "born 1990" in page
    assert "already enrolled" in page


def test_search_as_you_type_answers_a_fragment(client):
    signed_in(client, ORGANISER)
    SessionFactory(code="S-1", status=Session.Status.OPEN)
    ParticipantFactory(last_name="Осмонова", first_name="Айгүл")
    response = client.get(
        url("enrolment_search", "S-1"), {"q": "айгүл осм"}, HTTP_HX_REQUEST="true"
    )
    page = response.content.decode()
    assert "<html" not in page
    assert "Осмонова Айгүл" in page
    assert "Enrol" in page
    plain = client.get(url("enrolment_search", "S-1"), {"q": "x"})
    assert plain.status_code == 302


def test_search_finds_a_cyrillic_name_typed_in_latin_letters(client):
    signed_in(client, ORGANISER)
    SessionFactory(code="S-1", status=Session.Status.OPEN)
    aigul = ParticipantFactory(last_name="Осмонова", first_name="Айгүл")
    response = client.get(url("enrolment_add", "S-1"), {"q": "Aigul Osmonova"})
    assert [p.pk for p in response.context["people"]] == [aigul.pk]


def test_enrolling_a_found_person(client):
    signed_in(client, ORGANISER)
    session = SessionFactory(code="S-1", status=Session.Status.OPEN)
    person = ParticipantFactory(first_name="Aigul", last_name="Osmonova")
    response = client.post(url("enrolment_add", "S-1"), {"participant": person.pk})
    assert said(response) == ["Aigul Osmonova registered."]
    assert Enrolment.objects.get(session=session).participant == person
    again = client.post(url("enrolment_add", "S-1"), {"participant": person.pk})
    assert said(again) == ["Aigul Osmonova was already enrolled."]
    assert Enrolment.objects.filter(session=session).count() == 1


def test_enrolling_in_a_full_session_waitlists(client):
    signed_in(client, ORGANISER)
    session = SessionFactory(code="S-1", capacity=1, status=Session.Status.OPEN)
    EnrolmentFactory(session=session, status=Enrolment.Status.REGISTERED)
    person = ParticipantFactory(first_name="Aigul", last_name="Osmonova")
    response = client.post(url("enrolment_add", "S-1"), {"participant": person.pk})
    assert said(response) == ["Aigul Osmonova put on the waitlist: the session is full."]
    assert Enrolment.objects.get(participant=person).status == Enrolment.Status.WAITLISTED


def test_a_cancelled_session_refuses_with_a_message(client):
    signed_in(client, ORGANISER)
    SessionFactory(code="S-1", status=Session.Status.CANCELLED)
    person = ParticipantFactory()
    response = client.post(url("enrolment_add", "S-1"), {"participant": person.pk})
    assert said(response) == ["S-1 is cancelled: nobody can be enrolled."]
    assert not Enrolment.objects.exists()


def new_person(**overrides) -> dict:
    data = {
        "last_name": "Osmonova",
        "first_name": "Aigul",
        "middle_name": "",
        "gender": gender("female").pk,
        "birth_year": "1990",
        "agency_name": "Ombudsman's Office",
        "agency_type": agency_type("Ministry").pk,
        "position": "Lawyer",
        "region": region("Osh").pk,
        "email": "aigul@example.org",
        "phone": "+996 555 000 111",
        "disability": "",
        "consent": "on",
    }
    data.update(overrides)
    return data


def test_registering_a_new_person_with_a_new_agency(client):
    signed_in(client, ORGANISER)
    session = SessionFactory(code="S-1", status=Session.Status.OPEN)
    response = client.post(url("enrolment_add", "S-1"), new_person())
    assert said(response) == ["Aigul Osmonova registered."]
    person = Participant.objects.get(email="aigul@example.org")
    assert person.agency.name == "Ombudsman's Office"
    assert person.consent and person.consent_at is not None
    assert Enrolment.objects.get(session=session).participant == person


def test_a_new_agency_needs_its_type(client):
    signed_in(client, ORGANISER)
    SessionFactory(code="S-1", status=Session.Status.OPEN)
    response = client.post(url("enrolment_add", "S-1"), new_person(agency_type=""))
    assert response.status_code == 200
    assert "agency_type" in response.context["form"].errors
    assert not Participant.objects.exists()
    assert not Agency.objects.filter(name="Ombudsman's Office").exists()


def test_an_existing_agency_in_another_case_is_reused(client):
    signed_in(client, ORGANISER)
    SessionFactory(code="S-1", status=Session.Status.OPEN)
    agency = AgencyFactory(name="Суд Бишкека")
    client.post(url("enrolment_add", "S-1"), new_person(agency_name="СУД БИШКЕКА", agency_type=""))
    assert Participant.objects.get().agency == agency
    assert Agency.objects.filter(name_key=agency.name_key).count() == 1


def test_the_same_person_is_enrolled_rather_than_recorded_twice(client):
    signed_in(client, ORGANISER)
    session = SessionFactory(code="S-1", status=Session.Status.OPEN)
    known = ParticipantFactory(last_name="Осмонова", first_name="Айгүл", birth_year=1990, email="")
    response = client.post(
        url("enrolment_add", "S-1"),
        new_person(last_name="ОСМОНОВА", first_name="айгүл", email=""),
    )
    assert Participant.objects.count() == 1
    assert Enrolment.objects.get(session=session).participant == known
    assert said(response) == [
        "Айгүл Осмонова registered. They were already recorded: their record was used, "
        "not a new one."
    ]


def test_new_person_form_errors_are_shown(client):
    signed_in(client, ORGANISER)
    SessionFactory(code="S-1", status=Session.Status.OPEN)
    response = client.post(
        url("enrolment_add", "S-1"), new_person(last_name="", birth_year="1700", email="nope")
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert {"last_name", "email"} <= set(errors)
    assert not Participant.objects.exists()


def test_a_birth_year_in_the_future_is_refused_on_its_field(client):
    signed_in(client, ORGANISER)
    SessionFactory(code="S-1", status=Session.Status.OPEN)
    response = client.post(url("enrolment_add", "S-1"), new_person(birth_year="2999"))
    assert "birth_year" in response.context["form"].errors
    assert not Participant.objects.exists()
