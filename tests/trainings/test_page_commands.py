"""The organisers' page actions as manage.py commands: copy, cancel, registration, enrolments."""

import datetime as dt
import io
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from participants.models import Participant
from tests.factories import (
    EnrolmentFactory,
    ParticipantFactory,
    SessionFactory,
    UserFactory,
    attend,
)
from trainings import roles
from trainings.models import Enrolment, Session
from trainings.services import enrolment_create

pytestmark = pytest.mark.django_db

BASE = "https://bilim.example.org"
SOON = timezone.localdate() + dt.timedelta(days=20)
REGISTERED = Enrolment.Status.REGISTERED
CONFIRMED = Enrolment.Status.CONFIRMED
WAITLISTED = Enrolment.Status.WAITLISTED
WITHDRAWN = Enrolment.Status.WITHDRAWN


@pytest.fixture(autouse=True)
def _base_url(settings):
    settings.BILIM_BASE_URL = BASE


def run(name: str, *args: str) -> str:
    out = io.StringIO()
    call_command(name, *args, stdout=out)
    return out.getvalue()


def upcoming(**kwargs) -> Session:
    kwargs.setdefault("status", Session.Status.PLANNED)
    kwargs.setdefault("start_date", SOON)
    return SessionFactory(**kwargs)


def statuses(session: Session) -> dict[str, str]:
    return dict(session.enrolments.values_list("participant__last_name", "status"))


def refused(name: str, *args: str) -> CommandError:
    with pytest.raises(CommandError) as failure:
        run(name, *args)
    assert failure.value.returncode == 1
    return failure.value


# --- copy_session --------------------------------------------------------------------------------


@pytest.fixture
def original() -> Session:
    """UPR-2025-01: three days, 20 seats, one trainer, two enrolments."""
    session = SessionFactory(code="UPR-2025-01", start_date=dt.date(2025, 3, 10), capacity=20)
    session.trainers.add(UserFactory(username="trainer1"))
    EnrolmentFactory(session=session)
    EnrolmentFactory(session=session)
    return session


def test_copy_session_plans_the_next_run_and_prints_its_dates(original):
    assert not Session.objects.filter(code="UPR-2025-02").exists()

    output = run(
        "copy_session", "--session", "UPR-2025-01", "--code", "UPR-2025-02", "--start", "2025-06-02"
    )

    assert output == (
        "planned UPR-2025-02 as a copy of UPR-2025-01: 2025-06-02 to 2025-06-04, 3 training days\n"
    )
    copy = Session.objects.get(code="UPR-2025-02")
    assert (copy.start_date, copy.end_date) == (dt.date(2025, 6, 2), dt.date(2025, 6, 4))
    assert copy.status == Session.Status.PLANNED
    assert copy.capacity == 20
    assert copy.course_id == original.course_id
    assert list(copy.trainers.values_list("username", flat=True)) == ["trainer1"]
    assert copy.days.count() == 3
    assert not copy.enrolments.exists()
    assert original.enrolments.count() == 2


def test_copy_session_reads_dd_mm_yyyy_and_any_case_of_the_code(original):
    output = run(
        "copy_session", "--session", "upr-2025-01", "--code", " UPR-X ", "--start", "2.6.2025"
    )

    assert output.startswith("planned UPR-X as a copy of UPR-2025-01: 2025-06-02 to 2025-06-04")
    assert Session.objects.filter(code="UPR-X").exists()


def test_copy_session_of_an_unknown_session_names_it(original):
    error = refused("copy_session", "--session", "NOPE", "--code", "NEW", "--start", "2025-06-02")

    assert str(error) == "there is no session with the code 'NOPE'; nothing changed"
    assert not Session.objects.filter(code="NEW").exists()


def test_copy_session_refuses_a_date_it_cannot_read(original):
    error = refused(
        "copy_session", "--session", "UPR-2025-01", "--code", "NEW", "--start", "06/02/2025"
    )

    assert str(error) == (
        "--start: '06/02/2025' is not a date: write YYYY-MM-DD or DD.MM.YYYY; nothing changed"
    )
    assert Session.objects.count() == 1


def test_copy_session_to_a_code_in_use_reports_the_services_refusal(original):
    SessionFactory(code="UPR-2025-02")

    error = refused(
        "copy_session", "--session", "UPR-2025-01", "--code", "UPR-2025-02", "--start", "2025-06-02"
    )

    assert str(error) == "code: Session with this Code already exists; nothing changed"
    assert Session.objects.count() == 2


# --- cancel_session ------------------------------------------------------------------------------


def test_cancel_session_cancels_and_counts_the_enrolments_it_affects():
    session = upcoming(code="UPR-01", capacity=2)
    for last, status in [("A", REGISTERED), ("B", CONFIRMED), ("C", WAITLISTED), ("D", WITHDRAWN)]:
        EnrolmentFactory(
            session=session, participant=ParticipantFactory(last_name=last), status=status
        )

    output = run("cancel_session", "--session", "UPR-01")

    assert output == (
        "cancelled UPR-01: its 2 enrolments no longer count in the figures (1 on the waitlist)\n"
    )
    session.refresh_from_db()
    assert session.status == Session.Status.CANCELLED
    # The enrolments stay recorded as they were.
    assert statuses(session) == {"A": REGISTERED, "B": CONFIRMED, "C": WAITLISTED, "D": WITHDRAWN}


def test_cancel_session_twice_changes_nothing_the_second_time():
    session = upcoming(code="UPR-01")
    EnrolmentFactory(session=session)
    assert run("cancel_session", "--session", "UPR-01").startswith(
        "cancelled UPR-01: its 1 enrolment no longer counts"
    )
    before = Session.objects.values_list("updated_at", flat=True).get(pk=session.pk)

    assert run("cancel_session", "--session", "UPR-01") == (
        "UPR-01 was already cancelled: nothing changed\n"
    )
    assert Session.objects.values_list("updated_at", flat=True).get(pk=session.pk) == before


def test_cancel_session_of_an_unknown_session_names_it():
    session = upcoming(code="UPR-01")

    error = refused("cancel_session", "--session", "UPR-99")

    assert str(error) == "there is no session with the code 'UPR-99'; nothing changed"
    session.refresh_from_db()
    assert session.status == Session.Status.PLANNED


# --- registration --------------------------------------------------------------------------------


def test_registration_open_prints_the_pages_link_and_close_keeps_it():
    session = upcoming(code="UPR-01")
    assert run("registration", "--session", "UPR-01", "--show") == (
        "registration for UPR-01 has not been opened: there is no link yet\n"
    )

    opened = run("registration", "--session", "UPR-01", "--open")

    session.refresh_from_db()
    assert session.registration_open is True
    assert session.status == Session.Status.OPEN
    link = f"{BASE}/register/{session.registration_token}/"
    assert link == BASE + reverse("trainings:register", args=[session.registration_token])
    assert opened == f"registration for UPR-01 is open: {link}\n"
    assert run("registration", "--session", "UPR-01", "--show") == opened

    closed = run("registration", "--session", "UPR-01", "--close")

    token = session.registration_token
    session.refresh_from_db()
    assert (session.registration_open, session.status) == (False, Session.Status.PLANNED)
    assert session.registration_token == token
    assert closed == f"registration for UPR-01 is closed (the link says so): {link}\n"
    assert run("registration", "--session", "UPR-01", "--open") == opened


def test_registration_qr_is_the_svg_the_page_serves(client, tmp_path):
    session = upcoming(code="UPR-01")
    target = tmp_path / "registration.svg"

    output = run("registration", "--session", "UPR-01", "--open", "--qr", str(target))

    session.refresh_from_db()
    link = f"{BASE}/register/{session.registration_token}/"
    assert output == f"registration for UPR-01 is open: {link} (QR code written to {target})\n"
    organiser = UserFactory()
    organiser.groups.add(Group.objects.get(name=roles.ORGANISER))
    client.force_login(organiser)
    page = client.get(reverse("trainings:registration_qr", args=[session.code]))
    assert page.status_code == 200
    assert target.read_bytes() == page.content


@pytest.mark.parametrize("status", [Session.Status.CANCELLED, Session.Status.COMPLETED])
def test_registration_refuses_to_open_a_finished_session(status, tmp_path):
    session = upcoming(code="UPR-01", status=status)
    target = tmp_path / "qr.svg"

    error = refused("registration", "--session", "UPR-01", "--open", "--qr", str(target))

    assert str(error) == f"UPR-01 is {status}: registration cannot be opened; nothing changed"
    session.refresh_from_db()
    assert (session.registration_open, session.registration_token) == (False, None)
    assert not target.exists()


def test_registration_of_a_past_session_is_refused():
    upcoming(code="UPR-01", start_date=dt.date(2025, 3, 10))

    error = refused("registration", "--session", "UPR-01", "--open")

    assert "UPR-01 ended on 2025-03-12" in str(error)
    assert not Session.objects.get(code="UPR-01").registration_open


def test_registration_shows_a_switched_on_registration_that_takes_nobody():
    session = upcoming(code="UPR-01")
    run("registration", "--session", "UPR-01", "--open")
    Session.objects.filter(pk=session.pk).update(status=Session.Status.COMPLETED)
    session.refresh_from_db()

    output = run("registration", "--session", "UPR-01", "--show")

    assert output == (
        "registration for UPR-01 is switched on but takes nobody, because the session is "
        f"completed: {BASE}/register/{session.registration_token}/\n"
    )


def test_registration_qr_needs_a_link_and_an_svg_name(tmp_path):
    session = upcoming(code="UPR-01")

    error = refused(
        "registration", "--session", "UPR-01", "--show", "--qr", str(tmp_path / "a.svg")
    )
    assert "was never opened, so there is no link to draw" in str(error)

    error = refused(
        "registration", "--session", "UPR-01", "--open", "--qr", str(tmp_path / "a.png")
    )
    assert str(error) == (
        f"--qr writes an SVG image: give a file name ending in .svg, not '{tmp_path / 'a.png'}'"
        "; nothing changed"
    )

    missing = tmp_path / "nowhere" / "a.svg"
    error = refused("registration", "--session", "UPR-01", "--open", "--qr", str(missing))
    assert str(error) == f"{missing.parent}: no such folder; nothing changed"

    session.refresh_from_db()
    assert (session.registration_open, session.registration_token) == (False, None)
    assert list(Path(tmp_path).iterdir()) == []


def test_registration_needs_exactly_one_action():
    upcoming(code="UPR-01")
    with pytest.raises(CommandError, match="one of the arguments --open --close --show"):
        run("registration", "--session", "UPR-01")
    with pytest.raises(CommandError, match="not allowed with argument"):
        run("registration", "--session", "UPR-01", "--open", "--close")


def test_registration_of_an_unknown_session_names_it():
    error = refused("registration", "--session", "UPR-99", "--show")
    assert str(error) == "there is no session with the code 'UPR-99'; nothing changed"


# --- enrolment_status ----------------------------------------------------------------------------


@pytest.fixture
def full() -> Session:
    """UPR-01 with two seats, both taken (A, B), and C then D on the waitlist."""
    session = upcoming(code="UPR-01", capacity=2)
    for last in "ABCD":
        enrolment_create(
            session=session, participant=ParticipantFactory(last_name=last, first_name="X")
        )
    return session


def person(last_name: str) -> int:
    return Participant.objects.get(last_name=last_name).pk


def test_withdrawing_moves_the_first_on_the_waitlist_up(full):
    assert statuses(full) == {"A": REGISTERED, "B": REGISTERED, "C": WAITLISTED, "D": WAITLISTED}
    a, c = person("A"), person("C")

    output = run(
        "enrolment_status", "--session", "UPR-01", "--participant", str(a), "--status", "withdrawn"
    )

    assert output == (
        f"#{a} A X registered -> withdrawn in UPR-01; moved up from the waitlist: #{c} C X\n"
    )
    assert statuses(full) == {"A": WITHDRAWN, "B": REGISTERED, "C": REGISTERED, "D": WAITLISTED}


def test_confirming_moves_nobody_up(full):
    b = person("B")

    output = run(
        "enrolment_status", "--session", "upr-01", "--participant", str(b), "--status", "Confirmed"
    )

    assert (
        output
        == f"#{b} B X registered -> confirmed in UPR-01; moved up from the waitlist: nobody\n"
    )
    assert statuses(full)["B"] == CONFIRMED


def test_the_same_status_again_changes_nothing(full):
    b = person("B")

    output = run(
        "enrolment_status", "--session", "UPR-01", "--participant", str(b), "--status", "registered"
    )

    assert output == f"#{b} B X was already registered in UPR-01: nothing changed\n"


def test_taking_a_seat_in_a_full_session_is_refused_with_the_services_message(full):
    d = person("D")

    error = refused(
        "enrolment_status", "--session", "UPR-01", "--participant", str(d), "--status", "registered"
    )

    assert str(error) == (
        "UPR-01 is full (2 seats): withdraw someone first or raise the capacity; nothing changed"
    )
    assert statuses(full)["D"] == WAITLISTED


def test_enrolment_status_refuses_what_it_cannot_find(full):
    outsider = ParticipantFactory(last_name="Z", first_name="Y")
    a = str(person("A"))

    error = refused(
        "enrolment_status",
        "--session",
        "UPR-01",
        "--participant",
        "999999",
        "--status",
        "withdrawn",
    )
    assert str(error) == "no participant has the id 999999; nothing changed"

    error = refused(
        "enrolment_status",
        "--session",
        "UPR-01",
        "--participant",
        str(outsider.pk),
        "--status",
        "withdrawn",
    )
    assert str(error) == (
        f"#{outsider.pk} Z Y is not enrolled in UPR-01: enrol them with manage.py enrol; "
        "nothing changed"
    )

    error = refused(
        "enrolment_status", "--session", "UPR-09", "--participant", a, "--status", "withdrawn"
    )
    assert str(error) == "there is no session with the code 'UPR-09'; nothing changed"

    error = refused(
        "enrolment_status", "--session", "UPR-01", "--participant", "A", "--status", "withdrawn"
    )
    assert str(error).startswith("'A' is not a participant id")

    error = refused(
        "enrolment_status", "--session", "UPR-01", "--participant", a, "--status", "gone"
    )
    assert str(error) == (
        "'gone' is not a status: write one of registered, waitlisted, confirmed, withdrawn; "
        "nothing changed"
    )
    assert statuses(full) == {"A": REGISTERED, "B": REGISTERED, "C": WAITLISTED, "D": WAITLISTED}


# --- enrol ---------------------------------------------------------------------------------------


def test_enrol_registers_then_waitlists_when_full_then_says_already_enrolled():
    session = upcoming(code="UPR-01", capacity=1)
    first = ParticipantFactory(last_name="A", first_name="X")
    second = ParticipantFactory(last_name="B", first_name="X")

    assert run("enrol", "--session", "UPR-01", "--participant", str(first.pk)) == (
        f"#{first.pk} A X registered in UPR-01\n"
    )
    assert run("enrol", "--session", "upr-01", "--participant", str(second.pk)) == (
        f"#{second.pk} B X put on the waitlist of UPR-01: the session is full (1 seat)\n"
    )
    assert run("enrol", "--session", "UPR-01", "--participant", str(first.pk)) == (
        f"#{first.pk} A X already enrolled in UPR-01 (registered): nothing changed\n"
    )
    assert statuses(session) == {"A": REGISTERED, "B": WAITLISTED}


def test_enrol_takes_back_a_withdrawn_enrolment():
    session = upcoming(code="UPR-01")
    enrolment = EnrolmentFactory(
        session=session, participant=ParticipantFactory(last_name="A"), status=WITHDRAWN
    )
    attend(enrolment, 1)

    output = run("enrol", "--session", "UPR-01", "--participant", str(enrolment.participant_id))

    assert output.endswith("registered in UPR-01\n")
    assert statuses(session) == {"A": REGISTERED}
    assert session.enrolments.count() == 1


def test_enrol_in_a_cancelled_session_is_refused():
    session = upcoming(code="UPR-01", status=Session.Status.CANCELLED)
    participant = ParticipantFactory()

    error = refused("enrol", "--session", "UPR-01", "--participant", str(participant.pk))

    assert str(error) == "UPR-01 is cancelled: nobody can be enrolled; nothing changed"
    assert not session.enrolments.exists()


def test_enrol_refuses_an_unknown_session_or_participant():
    session = upcoming(code="UPR-01")
    participant = ParticipantFactory()

    error = refused("enrol", "--session", "UPR-02", "--participant", str(participant.pk))
    assert str(error) == "there is no session with the code 'UPR-02'; nothing changed"

    error = refused("enrol", "--session", "UPR-01", "--participant", "424242")
    assert str(error) == "no participant has the id 424242; nothing changed"
    assert not session.enrolments.exists()
