"""The audit trail: every write path names who changed what, and a session's history page shows it."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from openpyxl import Workbook

from participants.models import Participant
from participants.services import participant_merge
from tests.factories import (
    CertificateFactory,
    EnrolmentFactory,
    ParticipantFactory,
    SessionFactory,
    attend,
    signed_in,
    user_in,
)
from trainings import roles
from trainings.audit import history_record
from trainings.history import changes_load, session_change_keys
from trainings.models import Attendance, Enrolment, Session
from trainings.registration import registration_submit

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def trainer():
    return user_in(roles.TRAINER, username="trainer.asel")


@pytest.fixture
def session(trainer):
    session = SessionFactory(code="UPR-01", status=Session.Status.OPEN)
    session.trainers.add(trainer)
    return session


@pytest.fixture
def aigul(session):
    person = ParticipantFactory(
        last_name="Өмүрбекова", first_name="Айгүл", email="aigul@mail.kg", birth_year=1990
    )
    return EnrolmentFactory(session=session, participant=person, post_score=Decimal(70))


def last(model, **filters):
    """The newest history row of the model's records matching the filters."""
    return model.history.filter(**filters).order_by("-history_id").first()


def diff(row) -> dict[str, tuple]:
    """What the row changed against the record's previous row: {field: (old, new)}."""
    delta = row.diff_against(row.prev_record, excluded_fields=["updated_at"])
    return {c.field: (c.old, c.new) for c in delta.changes}


# --- every write path names its author ---------------------------------------------------------


def test_a_score_saved_in_the_grid_names_the_trainer_and_both_values(client, trainer, aigul):
    client.force_login(trainer)
    response = client.post(
        reverse("trainings:score_save", args=["UPR-01"]),
        {"enrolment": aigul.pk, "field": "post", "value": "85", "was": "70"},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    row = last(Enrolment, id=aigul.pk)
    assert row.history_user == trainer
    assert diff(row) == {"post_score": (Decimal(70), Decimal(85))}


def test_an_attendance_click_and_its_undo_are_both_recorded(client, trainer, session, aigul):
    client.force_login(trainer)
    day = session.days.order_by("date").first()
    url = reverse("trainings:attendance_mark", args=["UPR-01"])
    hx = {"HX-Request": "true"}

    client.post(url, {"enrolment": aigul.pk, "day": day.pk, "was": "0", "present": "1"}, headers=hx)
    client.post(url, {"enrolment": aigul.pk, "day": day.pk, "was": "1"}, headers=hx)

    rows = list(Attendance.history.filter(enrolment_id=aigul.pk).order_by("history_id"))
    assert [(r.history_type, r.present, r.history_user) for r in rows] == [
        ("+", True, trainer),
        ("~", False, trainer),
    ]


def test_all_present_records_each_mark_with_the_trainer(client, trainer, session, aigul):
    other = EnrolmentFactory(session=session)
    marked = Attendance.objects.create(enrolment=other, day=session.days.first(), present=False)
    client.force_login(trainer)

    client.post(
        reverse("trainings:attendance_day_present", args=["UPR-01"]),
        {"day": marked.day_id, "absent": f"{aigul.pk},{other.pk}"},
        headers={"HX-Request": "true"},
    )

    new = last(Attendance, enrolment_id=aigul.pk)
    changed = last(Attendance, id=marked.pk)
    assert (new.history_type, new.present, new.history_user) == ("+", True, trainer)
    assert (changed.history_type, changed.history_user) == ("~", trainer)
    assert diff(changed) == {"present": (False, True)}


def xlsx(rows) -> io.BytesIO:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    out.seek(0)
    out.name = "file.xlsx"
    return out


def upload(client, url, rows):
    preview = client.post(url, {"file": xlsx(rows)})
    assert "token" in preview.context, preview.context.get("problems")
    return client.post(url, {"token": preview.context["token"], "confirm": "1"})


def test_a_roster_upload_records_the_new_people_and_enrolments_with_the_organiser(client):
    organiser = signed_in(client, roles.ORGANISER)
    session = SessionFactory(code="OPCAT-02", status=Session.Status.OPEN)
    header = ["last_name", "first_name", "gender", "birth_year", "agency", "agency_type", "email"]
    row = ["Токтогулов", "Нурлан", "м", 1982, "Генпрокуратура", "Прокуратура", "nurlan@mail.kg"]

    response = upload(
        client, reverse("trainings:roster_upload", args=[session.code]), [header, row]
    )

    assert response.status_code == 302
    person = Participant.objects.get(email="nurlan@mail.kg")
    enrolment = Enrolment.objects.get(session=session, participant=person)
    assert [(r.history_type, r.history_user) for r in person.history.all()] == [("+", organiser)]
    [created] = enrolment.history.all()
    assert (created.history_type, created.status, created.history_user) == (
        "+",
        "registered",
        organiser,
    )


def test_a_results_upload_records_scores_and_marks_with_the_trainer(client, trainer, aigul):
    client.force_login(trainer)
    rows = [
        ["email", "pre_score", "post_score", "2025-03-10", "2025-03-11", "2025-03-12"],
        ["aigul@mail.kg", 40, 85, 1, "+", 0],
    ]

    response = upload(client, reverse("trainings:results_upload", args=["UPR-01"]), rows)

    assert response.status_code == 302
    row = last(Enrolment, id=aigul.pk)
    assert row.history_user == trainer
    changes = diff(row)
    assert changes["pre_score"] == (None, Decimal(40))
    assert changes["post_score"] == (Decimal(70), Decimal(85))
    marks = Attendance.history.filter(enrolment_id=aigul.pk)
    assert sorted((m.present, m.history_user) for m in marks) == [
        (False, trainer),
        (True, trainer),
        (True, trainer),
    ]


def test_the_results_command_names_itself(tmp_path, aigul):
    path = tmp_path / "results.csv"
    path.write_text("session,email,post_score\nUPR-01,aigul@mail.kg,90\n", encoding="utf-8")

    call_command("import_results", str(path), stdout=io.StringIO())

    row = last(Enrolment, id=aigul.pk)
    assert (row.history_user, row.history_change_reason) == (None, "manage.py import_results")
    assert diff(row)["post_score"] == (Decimal(70), Decimal(90))


def test_an_enrolment_status_change_and_the_waitlist_move_name_the_organiser(client):
    organiser = signed_in(client, roles.ORGANISER)
    session = SessionFactory(code="S-1", capacity=1, status=Session.Status.OPEN)
    leaving = EnrolmentFactory(session=session, status=Enrolment.Status.REGISTERED)
    waiting = EnrolmentFactory(session=session, status=Enrolment.Status.WAITLISTED)

    client.post(
        reverse("trainings:enrolment_status", args=["S-1", leaving.pk]), {"status": "withdrawn"}
    )

    left, moved = last(Enrolment, id=leaving.pk), last(Enrolment, id=waiting.pk)
    assert (left.history_user, diff(left)["status"]) == (organiser, ("registered", "withdrawn"))
    assert (moved.history_user, diff(moved)["status"]) == (organiser, ("waitlisted", "registered"))


def test_the_status_command_names_itself(session, aigul):
    call_command(
        "enrolment_status",
        session="UPR-01",
        participant=str(aigul.participant_id),
        status="withdrawn",
        stdout=io.StringIO(),
    )

    row = last(Enrolment, id=aigul.pk)
    assert (row.history_user, row.history_change_reason) == (None, "manage.py enrolment_status")


def test_public_registration_is_named_as_such(session):
    from participants.models import AgencyType, Gender

    session.registration_open = True
    session.end_date = dt.date.today() + dt.timedelta(days=30)
    session.save()
    data = {
        "last_name": "Ковалёва",
        "first_name": "Елена",
        "gender": Gender.objects.get(code="female"),
        "agency_name": "Министерство юстиции",
        "agency_type": AgencyType.objects.first(),
        "email": "elena@mail.kg",
        "consent": True,
    }

    done = registration_submit(session=session, data=data)

    enrolment = last(Enrolment, id=done.enrolment.pk)
    person = last(Participant, id=done.participant.pk)
    assert (enrolment.history_type, enrolment.history_change_reason) == ("+", "public registration")
    assert (person.history_user, person.history_change_reason) == (None, "public registration")


def test_a_merge_records_the_moved_enrolment_the_combined_one_and_the_deletions(client):
    organiser = signed_in(client, roles.ORGANISER)
    keep = ParticipantFactory(last_name="Өмүрбекова", first_name="Айгүл", email="a@mail.kg")
    merge = ParticipantFactory(last_name="Omurbekova", first_name="Aigul", email="")
    both = SessionFactory(code="BOTH")
    kept_there = EnrolmentFactory(session=both, participant=keep)
    merged_there = EnrolmentFactory(session=both, participant=merge, post_score=Decimal(75))
    attend(merged_there, 2)
    only = EnrolmentFactory(session=SessionFactory(code="ONLY"), participant=merge)

    participant_merge(keep=keep, merge=merge, actor=organiser)

    moved = last(Enrolment, id=only.pk)
    assert (moved.history_user, diff(moved)) == (organiser, {"participant": (merge.pk, keep.pk)})
    stays = Enrolment.objects.get(session=both)
    goes = merged_there if stays.pk == kept_there.pk else kept_there
    stayed = last(Enrolment, id=stays.pk)
    assert stayed.history_user == organiser and stayed.post_score == Decimal(75)
    deleted = last(Enrolment, id=goes.pk)
    assert (deleted.history_type, deleted.history_user) == ("-", organiser)
    gone = last(Participant, id=merge.pk)
    assert (gone.history_type, gone.history_user) == ("-", organiser)


def test_a_merge_by_command_records_its_moves_naming_the_command():
    keep = ParticipantFactory()
    merge = ParticipantFactory(email="")
    only = EnrolmentFactory(participant=merge)

    call_command("merge_participants", keep=keep.pk, merge=merge.pk, stdout=io.StringIO())

    moved = last(Enrolment, id=only.pk)
    assert moved.history_change_reason == "manage.py merge_participants"
    assert diff(moved) == {"participant": (merge.pk, keep.pk)}


def test_a_merge_names_its_actor_on_the_marks_deleted_with_a_combined_enrolment():
    keep, merge = ParticipantFactory(), ParticipantFactory(email="")
    session = SessionFactory(code="BOTH")
    kept_there = EnrolmentFactory(session=session, participant=keep)
    merged_there = EnrolmentFactory(session=session, participant=merge)
    attend(kept_there, 3)
    attend(merged_there, 1)  # the same days: its marks go with it

    participant_merge(keep=keep, merge=merge, actor="manage.py merge_participants")

    deleted = Attendance.history.filter(enrolment_id=merged_there.pk, history_type="-")
    assert deleted.count() == 3
    assert {(r.history_user, r.history_change_reason) for r in deleted} == {
        (None, "manage.py merge_participants")
    }


def test_a_roster_imported_in_the_background_names_who_started_it(
    client, settings, django_capture_on_commit_callbacks
):
    organiser = signed_in(client, roles.ORGANISER)
    settings.BILIM_BACKGROUND_IMPORT_ROWS = 1
    session = SessionFactory(code="BIG-01", status=Session.Status.OPEN)
    header = ["last_name", "first_name", "gender", "birth_year", "agency", "agency_type", "email"]
    rows = [
        [f"Осмонова{i}", "Айгүл", "ж", 1990, "Генпрокуратура", "Прокуратура", ""] for i in range(3)
    ]
    url = reverse("trainings:roster_upload", args=[session.code])
    preview = client.post(url, {"file": xlsx([header, *rows])})

    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"token": preview.context["token"], "confirm": "1"})

    from jobs.models import Job

    assert Job.objects.get().status == "done"  # it ran as a job, without a request
    created = Enrolment.history.filter(session_id=session.pk)
    assert created.count() == 3
    assert {r.history_user for r in created} == {organiser}


def test_the_sessions_import_records_new_and_changed_sessions_naming_the_command(tmp_path):
    path = tmp_path / "sessions.csv"
    head = "code,course,course_title,start_date,end_date,region,capacity\n"
    path.write_text(head + "NEW-01,UPR,UPR,2026-03-10,2026-03-12,Osh,20\n", encoding="utf-8")
    call_command("import_sessions", str(path), stdout=io.StringIO())
    path.write_text(head + "NEW-01,UPR,UPR,2026-03-10,2026-03-12,Osh,25\n", encoding="utf-8")
    call_command("import_sessions", str(path), stdout=io.StringIO())

    session = Session.objects.get(code="NEW-01")
    rows = list(session.history.order_by("history_id"))
    assert [(r.history_type, r.history_change_reason) for r in rows] == [
        ("+", "manage.py import_sessions"),
        ("~", "manage.py import_sessions"),
    ]
    assert diff(rows[1]) == {"capacity": (20, 25)}


def test_the_admin_status_action_records_each_session(admin_client, admin_user):
    planned = SessionFactory(status=Session.Status.OPEN)
    cancelled = SessionFactory(status=Session.Status.CANCELLED)

    admin_client.post(
        reverse("admin:trainings_session_changelist"),
        {"action": "mark_completed", "_selected_action": [planned.pk, cancelled.pk]},
    )

    row = last(Session, id=planned.pk)
    assert (row.history_user, diff(row)["status"]) == (admin_user, ("open", "completed"))
    assert last(Session, id=cancelled.pk).history_type == "+"  # left alone, nothing recorded


def test_bulk_recording_copies_partly_loaded_rows_whole(aigul, django_assert_num_queries):
    partial = list(Enrolment.objects.filter(pk=aigul.pk).only("id", "status"))

    with django_assert_num_queries(1):  # INSERT ... SELECT: the database copies the whole row
        history_record(partial, actor="test")

    assert last(Enrolment, id=aigul.pk).post_score == Decimal(70)


# --- the session's history page ----------------------------------------------------------------


def history_url(code="UPR-01"):
    return reverse("trainings:session_history", args=[code])


def test_the_history_page_says_who_changed_a_score_from_what_to_what(client, trainer, aigul):
    client.force_login(trainer)
    client.post(
        reverse("trainings:score_save", args=["UPR-01"]),
        {"enrolment": aigul.pk, "field": "post", "value": "85", "was": "70"},
        headers={"HX-Request": "true"},
    )
    client.force_login(user_in(roles.ME_OFFICER))

    response = client.get(history_url())

    assert response.status_code == 200
    newest = response.context["changes"][0]
    assert newest.record == "Өмүрбекова Айгүл"
    assert [(f.label, f.old_text, f.new_text) for f in newest.fields] == [
        ("post score", "70", "85")
    ]
    assert newest.who == "trainer.asel"
    page = response.content.decode()
    assert "post score 70 → 85" in page
    assert "trainer.asel" in page


def test_the_session_page_links_to_its_history(client, trainer, session):
    client.force_login(trainer)
    response = client.get(reverse("trainings:session_detail", args=["UPR-01"]))
    assert history_url() in response.content.decode()


def test_the_history_covers_the_session_attendance_and_certificates(session, aigul):
    day = session.days.order_by("date").first()
    Attendance.objects.create(enrolment=aigul, day=day, present=True)
    certificate = CertificateFactory(enrolment=aigul, number="UPR-01-001")
    session.venue = "Ош"
    session.save()
    SessionFactory(code="OTHER")  # another session's changes stay out

    changes = changes_load(session_change_keys(session))

    kinds = [(c.kind, c.action) for c in changes]
    assert kinds[:3] == [("session", "~"), ("certificate", "+"), ("attendance", "+")]
    assert changes[0].record == "session UPR-01"
    assert [(f.name, f.old_text, f.new_text) for f in changes[0].fields] == [
        ("venue", "Hotel Jannat, Bishkek", "Ош")
    ]
    assert changes[1].certificate == certificate.number
    assert changes[2].day == day.date
    assert [(f.name, f.new_text) for f in changes[2].fields] == [("present", "present")]
    assert {c.session_code for c in changes} == {"UPR-01"}


def test_a_change_by_a_command_says_so(session, aigul):
    call_command("cancel_session", session="UPR-01", stdout=io.StringIO())

    [newest, *_] = changes_load(session_change_keys(session))

    assert newest.who == "manage.py cancel_session"
    assert [(f.name, f.old_text, f.new_text) for f in newest.fields] == [
        ("status", "Open for registration", "Cancelled")
    ]


def changes_in(session, n):
    """Make n score changes in the session, each by the organiser."""
    organiser = user_in(roles.ORGANISER)
    enrolments = [EnrolmentFactory(session=session) for _ in range(n)]
    for i, enrolment in enumerate(enrolments):
        enrolment.post_score = Decimal(i)
        enrolment._history_user = organiser
        enrolment.save()
    return organiser


@pytest.mark.parametrize("n", [1, 30])
def test_the_history_page_queries_do_not_grow_with_the_changes(
    client, trainer, session, n, django_assert_max_num_queries
):
    changes_in(session, n)
    client.force_login(trainer)
    client.get(history_url())  # warm the session and the content types

    with django_assert_max_num_queries(15):
        response = client.get(history_url())

    # The session's creation, then each enrolment's creation and change.
    assert len(response.context["changes"]) == min(1 + 2 * n, 50)
    assert response.context["changes"][0].who != "unknown"


def test_the_history_page_shows_fifty_a_page_newest_first(client, trainer, session):
    changes_in(session, 26)  # 1 session row + 26 created + 26 changed = 53
    client.force_login(trainer)

    first = client.get(history_url())
    second = client.get(history_url(), {"page": 2})

    assert len(first.context["changes"]) == 50
    assert len(second.context["changes"]) == 3
    every = first.context["changes"] + second.context["changes"]
    assert [c.when for c in every] == sorted((c.when for c in every), reverse=True)
    assert every[-1].kind == "session" and every[-1].action == "+"


def test_another_trainer_gets_404_and_the_roles_that_read_get_the_page(client, session):
    client.force_login(user_in(roles.TRAINER))
    assert client.get(history_url()).status_code == 404
    for role in (roles.ORGANISER, roles.ADMINISTRATOR, roles.ME_OFFICER):
        client.force_login(user_in(role))
        assert client.get(history_url()).status_code == 200
    client.logout()
    assert client.get(history_url()).status_code == 302


def test_an_erased_person_is_not_named_from_the_trail(session, aigul):
    Participant.objects.filter(pk=aigul.participant_id).update(first_name="", last_name="—")

    [change, *_] = changes_load(session_change_keys(session))

    assert "Айгүл" not in change.record


def test_after_a_merge_the_history_names_the_kept_person_and_the_move(session, aigul):
    keep = ParticipantFactory(last_name="Өмүрбекова", first_name="Айгүл Kept", email="k@mail.kg")
    merged_away = aigul.participant_id

    participant_merge(keep=keep, merge=aigul.participant, actor="manage.py merge_participants")

    changes = changes_load(session_change_keys(session))
    assert {c.record for c in changes if c.kind == "enrolment"} == {"Өмүрбекова Айгүл Kept"}
    [moved] = changes[0].fields
    assert (moved.label, moved.old_text, moved.new_text) == (
        "participant",
        f"participant #{merged_away} (removed)",
        "Өмүрбекова Айгүл Kept",
    )


def test_bulk_recording_copies_many_rows_in_batches(aigul, django_assert_num_queries):
    from trainings import audit

    rows = [EnrolmentFactory(session=aigul.session) for _ in range(5)]
    Enrolment.objects.filter(pk__in=[e.pk for e in rows]).update(post_score=Decimal(55))
    audit.COPY_BATCH, batch = 2, audit.COPY_BATCH
    try:
        with django_assert_num_queries(3):  # 5 rows, 2 per statement
            assert history_record(rows, actor="manage.py test") == 5
    finally:
        audit.COPY_BATCH = batch
    for enrolment in rows:
        row = last(Enrolment, id=enrolment.pk)
        assert (row.post_score, row.history_change_reason) == (Decimal(55), "manage.py test")
