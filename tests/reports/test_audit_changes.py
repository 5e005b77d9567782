"""Changes after certificates: the page and ``manage.py audit_changes`` find late score changes."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from certificates.models import Certificate
from tests.factories import (
    CertificateFactory,
    EnrolmentFactory,
    ParticipantFactory,
    SessionFactory,
    user_in,
)
from trainings import roles
from trainings.grid_services import attendance_mark, enrolment_score_save
from trainings.models import Attendance
from trainings.services import enrolment_scores_set, enrolment_status_set

pytestmark = pytest.mark.django_db

URL = reverse("reports:changes_after_certificates")


@pytest.fixture
def trainer():
    return user_in(roles.TRAINER, username="trainer.asel")


@pytest.fixture
def aigul():
    person = ParticipantFactory(last_name="Өмүрбекова", first_name="Айгүл")
    return EnrolmentFactory(
        session=SessionFactory(code="UPR-01"), participant=person, post_score=Decimal(60)
    )


def issue(enrolment, number="UPR-01-001"):
    return CertificateFactory(enrolment=enrolment, number=number)


def score(enrolment, value, actor, expected):
    enrolment_score_save(
        enrolment=enrolment, field="post", value=Decimal(value), expected=expected, actor=actor
    )


def listed(client, **params):
    client.force_login(user_in(roles.ME_OFFICER))
    response = client.get(URL, params)
    assert response.status_code == 200
    return response


def rows(response):
    return [
        (
            c.session_code,
            c.record,
            c.certificate,
            c.who,
            [(f.label, f.old_text, f.new_text) for f in c.fields],
        )
        for c in response.context["changes"]
    ]


def test_a_score_changed_after_issue_is_listed_and_one_changed_before_is_not(
    client, trainer, aigul
):
    organiser = user_in(roles.ORGANISER, username="organiser.bakyt")
    score(aigul, 70, organiser, Decimal(60))  # before the certificate: a correction, not listed
    issue(aigul)
    score(aigul, 85, trainer, Decimal(70))

    response = listed(client)

    assert rows(response) == [
        ("UPR-01", "Өмүрбекова Айгүл", "UPR-01-001", "trainer.asel", [("post score", "70", "85")])
    ]
    page = response.content.decode()
    assert "post score 70 → 85" in page
    assert "trainer.asel" in page and "organiser.bakyt" not in page


def test_attendance_marked_after_issue_is_listed_and_other_changes_are_not(client, trainer, aigul):
    day = aigul.session.days.order_by("date").first()
    second = aigul.session.days.order_by("date")[1]
    issue(aigul)
    attendance_mark(enrolment=aigul, day=day, present=True, expected=False, actor=trainer)
    # An absent mark where no mark meant absent already, and a status change: no score changed.
    Attendance.objects.create(enrolment=aigul, day=second, present=False)
    enrolment_status_set(enrolment=aigul, status="registered", actor=trainer)

    response = listed(client)

    assert rows(response) == [
        ("UPR-01", f"Өмүрбекова Айгүл, {date_format(day.date, 'SHORT_DATE_FORMAT')}", "UPR-01-001",
         "trainer.asel",
         [("attendance", "—", "present")]),
    ]  # fmt: skip


def test_a_change_after_the_certificate_was_revoked_is_not_listed(client, trainer, aigul):
    certificate = issue(aigul)
    Certificate.objects.filter(pk=certificate.pk).update(
        revoked=True, revoked_on=timezone.localdate() - dt.timedelta(days=1)
    )
    score(aigul, 85, trainer, Decimal(60))

    assert rows(listed(client)) == []


def test_a_change_while_the_certificate_was_valid_stays_listed_after_revoking(
    client, trainer, aigul
):
    certificate = issue(aigul)
    score(aigul, 85, trainer, Decimal(60))
    Certificate.objects.filter(pk=certificate.pk).update(
        revoked=True, revoked_on=timezone.localdate()
    )

    assert [r[2] for r in rows(listed(client))] == ["UPR-01-001"]


def test_the_list_can_be_limited_to_one_session(client, trainer, aigul):
    other = EnrolmentFactory(session=SessionFactory(code="OPCAT-02"), post_score=Decimal(50))
    issue(aigul)
    issue(other, number="OPCAT-02-001")
    score(aigul, 85, trainer, Decimal(60))
    score(other, 55, trainer, Decimal(50))

    assert [r[0] for r in rows(listed(client))] == ["OPCAT-02", "UPR-01"]
    assert [r[0] for r in rows(listed(client, session="upr-01"))] == ["UPR-01"]
    unknown = listed(client, session="NOPE")
    assert rows(unknown) == []
    assert "There is no session with the code “NOPE”." in unknown.content.decode()


def late_changes(n):
    """n enrolments of one session, each with a certificate and a score changed afterwards."""
    session = SessionFactory(code="BIG")
    organiser = user_in(roles.ORGANISER)
    for i in range(n):
        enrolment = EnrolmentFactory(session=session, post_score=Decimal(60))
        issue(enrolment, number=f"BIG-{i:03d}")
        enrolment_scores_set(
            enrolment=enrolment, pre_score=None, post_score=Decimal(61), actor=organiser
        )


@pytest.mark.parametrize("n", [1, 30])
def test_the_page_queries_do_not_grow_with_the_changes(client, n, django_assert_max_num_queries):
    late_changes(n)
    client.force_login(user_in(roles.ME_OFFICER))
    client.get(URL)  # warm the session and the content types

    with django_assert_max_num_queries(10):
        response = client.get(URL)

    assert len(response.context["changes"]) == n


def test_who_may_read_the_page(client):
    for role in (roles.ME_OFFICER, roles.ORGANISER, roles.ADMINISTRATOR):
        client.force_login(user_in(role))
        assert client.get(URL).status_code == 200
    client.force_login(user_in(roles.TRAINER))
    assert client.get(URL).status_code == 403
    client.logout()
    assert client.get(URL)["Location"].startswith("/accounts/login/")


# --- manage.py audit_changes -------------------------------------------------------------------


def run(*args):
    out = io.StringIO()
    call_command("audit_changes", *args, stdout=out)
    return [line.split("\t") for line in out.getvalue().splitlines()]


def test_the_command_prints_the_changes_after_certificates_as_the_page_lists_them(trainer, aigul):
    issue(aigul)
    score(aigul, 85, trainer, Decimal(60))

    [line] = run("--session", "UPR-01", "--after-certificates")

    assert line[1:] == [
        "trainer.asel", "UPR-01", "Өмүрбекова Айгүл", "changed", "post_score", "60", "85",
        "UPR-01-001",
    ]  # fmt: skip
    assert dt.datetime.fromisoformat(line[0]) <= timezone.localtime()
    assert run("--after-certificates") == [line]


def test_the_command_prints_a_sessions_whole_history(trainer, aigul):
    score(aigul, 85, trainer, Decimal(60))

    lines = run("--session", "UPR-01")

    assert lines[0][1:8] == [
        "trainer.asel", "UPR-01", "Өмүрбекова Айгүл", "changed", "post_score", "60", "85",
    ]  # fmt: skip
    # Then the enrolment's creation, a line per field it was created with, and the session's.
    assert [line[3:8] for line in lines[1:]] == [
        ["Өмүрбекова Айгүл", "created", "post_score", "", "60"],
        ["Өмүрбекова Айгүл", "created", "status", "", "confirmed"],
        ["session UPR-01", "created", "status", "", "completed"],
    ]


def test_the_command_needs_a_session_or_the_after_certificates_list():
    with pytest.raises(CommandError, match="give --session CODE"):
        run()
    with pytest.raises(CommandError, match="no session with the code 'NOPE'"):
        run("--session", "NOPE")


def test_the_filled_page_and_its_error_pass_the_accessibility_checks(client, trainer, aigul):
    from tests.test_accessibility import PageAudit

    issue(aigul)
    score(aigul, 85, trainer, Decimal(60))

    for params in ({}, {"session": "NOPE"}):
        audit = PageAudit()
        audit.feed(listed(client, **params).content.decode())
        assert audit.problems() == [], params
