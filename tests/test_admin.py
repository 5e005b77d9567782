"""The admin: every page opens, lists cost the same at any length, search, import and export."""

import csv
import datetime as dt
import io
import tempfile
from collections.abc import Callable
from decimal import Decimal
from html import unescape
from pathlib import Path

import pytest
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from certificates.models import Certificate
from participants.models import Agency, AgencyType, Gender, Participant, ParticipantMerge, Region
from tests.factories import (
    AgencyFactory,
    CertificateFactory,
    CourseFactory,
    EnrolmentFactory,
    ParticipantFactory,
    SessionFactory,
    UserFactory,
    agency_type,
    attend,
    gender,
    region,
)
from trainings.models import Attendance, Course, Enrolment, Session, TrainingDay

pytestmark = pytest.mark.django_db

OUR_APPS = {"participants", "trainings", "certificates", "reports"}


def url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def registered_models() -> list:
    """Our models and Django's own in the admin (django-tasks' read-only results are its own)."""
    return sorted(
        (m for m in admin.site._registry if m._meta.app_label != "django_tasks_database"),
        key=lambda m: m._meta.label,
    )


# --- every page opens --------------------------------------------------------------------------


def test_every_record_of_our_apps_is_registered():
    ours = {m._meta.model_name for m in admin.site._registry if m._meta.app_label in OUR_APPS}

    assert ours == {
        "gender",
        "agencytype",
        "region",
        "agency",
        "participant",
        "participantmerge",
        "course",
        "session",
        "trainingday",
        "enrolment",
        "attendance",
        "certificate",
        "certificatedesign",
        "programme",
    }


@pytest.mark.parametrize("model", registered_models(), ids=lambda m: m._meta.label)
def test_changelist_and_add_page_open(admin_client, model):
    CertificateFactory()  # one record of each kind, reached through the certificate

    assert admin_client.get(url(model, "changelist")).status_code == 200
    assert admin_client.get(url(model, "changelist"), {"q": "а"}).status_code == 200
    # A merge is history: recorded by participant_merge only, never added by hand.
    added_by_hand = model is not ParticipantMerge
    assert admin_client.get(url(model, "add")).status_code == (200 if added_by_hand else 403)


@pytest.mark.parametrize("model", [Session, Enrolment, Participant], ids=lambda m: m.__name__)
def test_change_page_opens(admin_client, model):
    certificate = CertificateFactory()
    attend(certificate.enrolment, 2)
    obj = {
        Session: certificate.enrolment.session,
        Enrolment: certificate.enrolment,
        Participant: certificate.enrolment.participant,
    }[model]

    assert admin_client.get(url(model, "change", obj.pk)).status_code == 200


# --- lists do not grow in queries with their rows ----------------------------------------------


def _regions(n: int) -> None:
    start = Region.objects.count()
    Region.objects.bulk_create(
        Region(name=f"Region {i}", name_key=f"region {i}") for i in range(start, start + n)
    )


def _agencies(n: int) -> None:
    parent = AgencyFactory()
    for _ in range(n):
        ParticipantFactory(agency=AgencyFactory(parent=parent, type=agency_type("Court")))


def _sessions(n: int) -> None:
    for _ in range(n):
        EnrolmentFactory()


def _attendance(n: int) -> None:
    for _ in range(n):
        enrolment = EnrolmentFactory()
        attend(enrolment, 1)


BUILDERS: dict[type, Callable[[int], None]] = {
    Region: _regions,
    Agency: _agencies,
    Participant: lambda n: [EnrolmentFactory() for _ in range(n)],
    Course: lambda n: [SessionFactory() for _ in range(n)],
    Session: _sessions,
    TrainingDay: lambda n: [SessionFactory(days=[dt.date(2025, 3, 10)]) for _ in range(n)],
    Enrolment: lambda n: [EnrolmentFactory() for _ in range(n)],
    Attendance: _attendance,
    # Every certificate has its own enrolment, person and session.
    Certificate: lambda n: [CertificateFactory() for _ in range(n)],
}


@pytest.mark.parametrize("model", list(BUILDERS), ids=lambda m: m.__name__)
def test_changelist_queries_do_not_grow_with_rows(admin_client, model):
    build = BUILDERS[model]
    build(1)
    changelist = url(model, "changelist")
    admin_client.get(changelist)  # warm the content-type and session caches
    with CaptureQueriesContext(connection) as one_row:
        assert admin_client.get(changelist).status_code == 200

    build(29)
    assert model.objects.count() >= 30
    with CaptureQueriesContext(connection) as thirty_rows:
        response = admin_client.get(changelist)

    assert response.status_code == 200
    assert response.context["cl"].result_count >= 30
    assert len(thirty_rows) <= len(one_row), [q["sql"] for q in thirty_rows.captured_queries]


def test_session_changelist_counts_participations_not_withdrawn_ones(admin_client):
    session = SessionFactory(code="S-COUNT")
    EnrolmentFactory.create_batch(2, session=session)
    EnrolmentFactory(session=session, status=Enrolment.Status.WITHDRAWN)
    EnrolmentFactory(session=session, status=Enrolment.Status.WAITLISTED)

    response = admin_client.get(url(Session, "changelist"))

    (row,) = response.context["cl"].result_list
    assert row.participation_count == 2


# --- search ------------------------------------------------------------------------------------


def test_participant_search_folds_cyrillic_case(admin_client):
    aigul = ParticipantFactory(last_name="Өмүрбекова", first_name="Айгүл", email="aigul@example.kg")
    ParticipantFactory(last_name="Токтогулов", first_name="Нурлан", email="nurlan@example.kg")

    response = admin_client.get(url(Participant, "changelist"), {"q": "айгүл"})

    assert list(response.context["cl"].result_list) == [aigul]


def test_participant_search_matches_every_word_and_email_in_any_case(admin_client):
    elena = ParticipantFactory(last_name="Ковалёва", first_name="Елена", email="E.Kov@Example.org")
    ParticipantFactory(last_name="Ковалёва", first_name="Мария", email="")

    by_words = admin_client.get(url(Participant, "changelist"), {"q": "ЕЛЕНА коВалева"})
    by_email = admin_client.get(url(Participant, "changelist"), {"q": "e.kov@EXAMPLE"})

    assert list(by_words.context["cl"].result_list) == [elena]
    assert list(by_email.context["cl"].result_list) == [elena]


def test_participant_autocomplete_folds_cyrillic_case(admin_client):
    ParticipantFactory(last_name="Өмүрбекова", first_name="Айгүл")
    response = admin_client.get(
        reverse("admin:autocomplete"),
        {
            "term": "ӨМҮР",
            "app_label": "trainings",
            "model_name": "enrolment",
            "field_name": "participant",
        },
    )

    assert [r["text"] for r in response.json()["results"]] == ["Өмүрбекова Айгүл"]


def test_agency_search_folds_cyrillic_case(admin_client):
    prosecutors = AgencyFactory(name="Генеральная прокуратура")
    AgencyFactory(name="Министерство юстиции")

    response = admin_client.get(url(Agency, "changelist"), {"q": "ПРОКУРАТУРА"})

    assert list(response.context["cl"].result_list) == [prosecutors]


# --- forms -------------------------------------------------------------------------------------


def test_agency_differing_only_in_case_is_refused(admin_client):
    AgencyFactory(name="Генеральная прокуратура")

    response = admin_client.post(
        url(Agency, "add"),
        {"name": "ГЕНЕРАЛЬНАЯ ПРОКУРАТУРА", "type": agency_type("Prosecution").pk},
    )

    assert response.status_code == 200
    assert "already exists" in str(response.context["adminform"].form.errors["name"])
    assert Agency.objects.count() == 1


def test_reference_item_added_and_sort_order_edited_in_list(admin_client):
    response = admin_client.post(
        url(AgencyType, "add"),
        {"name": "Border service", "aliases": "Погранслужба", "sort_order": 5},
    )
    assert response.status_code == 302
    border = AgencyType.objects.get(name="Border service")
    assert border.name_key == "border service"

    female = gender("female")
    before = female.sort_order
    data = {
        "form-TOTAL_FORMS": "1",
        "form-INITIAL_FORMS": "1",
        "form-0-id": female.pk,
        "form-0-sort_order": before + 7,
        "_save": "Save",
    }
    response = admin_client.post(url(Gender, "changelist") + "?code=female", data)

    assert response.status_code == 302
    female.refresh_from_db()
    assert female.sort_order == before + 7


def test_participant_with_an_email_taken_in_another_case_is_refused(admin_client):
    ParticipantFactory(email="aigul@example.kg")
    agency = AgencyFactory()

    response = admin_client.post(
        url(Participant, "add"),
        {
            "last_name": "Өмүрбекова",
            "first_name": "Айгүл",
            "gender": gender("female").pk,
            "agency": agency.pk,
            "email": "AIGUL@example.kg",
            "disability": "",
        },
    )

    assert response.status_code == 200
    assert "already has this email" in str(response.context["adminform"].form.errors["email"])
    assert Participant.objects.count() == 1


@pytest.mark.parametrize(
    ("model", "data", "missing"),
    [
        (TrainingDay, {"date": "2025-03-10"}, "session"),
        (Enrolment, {"status": "registered", "pre_score": "5"}, "session"),
        (Attendance, {"present": "on"}, "day"),
    ],
    ids=["day", "enrolment", "attendance"],
)
def test_leaving_out_the_record_a_row_belongs_to_is_a_form_error(
    admin_client, model, data, missing
):
    response = admin_client.post(url(model, "add"), data)

    assert response.status_code == 200
    assert "required" in str(response.context["adminform"].form.errors[missing])
    assert not model.objects.exists()


def _session_form(course: Course, **overrides) -> dict:
    data = {
        "code": "UPR-2025-01",
        "course": course.pk,
        "title": "",
        "status": Session.Status.PLANNED,
        "start_date": "2025-04-07",
        "end_date": "2025-04-09",
        "region": region("Osh city").pk,
        "venue": "Osh State University",
        "format": Session.Format.IN_PERSON,
        "language": "ky",
        "capacity": "25",
        "max_score": "100",
        "pass_mark": "",
        "min_attendance": "",
        "certificate_language": "en",
        "certificate_design": "",
        "training_hours": "",
    }
    for prefix in ("days", "enrolments", "enrolments-2"):
        data |= {
            f"{prefix}-TOTAL_FORMS": "0",
            f"{prefix}-INITIAL_FORMS": "0",
            f"{prefix}-MIN_NUM_FORMS": "0",
            f"{prefix}-MAX_NUM_FORMS": "1000",
        }
    return data | overrides


def test_adding_a_session_creates_its_default_training_days(admin_client):
    course = CourseFactory(code="UPR", pass_mark=70, min_attendance=75)
    assert not TrainingDay.objects.exists()

    response = admin_client.post(url(Session, "add"), _session_form(course))

    assert response.status_code == 302, response.context["adminform"].form.errors
    session = Session.objects.get(code="UPR-2025-01")
    assert list(session.days.values_list("date", flat=True)) == [
        dt.date(2025, 4, 7),
        dt.date(2025, 4, 8),
        dt.date(2025, 4, 9),
    ]
    # Left blank, the pass mark and minimum attendance are the course's.
    assert (session.pass_mark, session.min_attendance) == (70, 75)


def test_days_typed_on_the_add_form_are_kept_instead_of_the_default(admin_client):
    course = CourseFactory(code="UPR")
    data = _session_form(course) | {
        "days-TOTAL_FORMS": "2",
        "days-0-date": "2025-04-07",
        "days-1-date": "2025-04-09",
    }

    response = admin_client.post(url(Session, "add"), data)

    assert response.status_code == 302
    session = Session.objects.get(code="UPR-2025-01")
    assert list(session.days.values_list("date", flat=True)) == [
        dt.date(2025, 4, 7),
        dt.date(2025, 4, 9),
    ]


def test_adding_a_session_can_enrol_a_participant(admin_client):
    course = CourseFactory(code="UPR")
    person = ParticipantFactory()
    data = _session_form(course) | {
        "enrolments-2-TOTAL_FORMS": "1",
        "enrolments-2-0-participant": person.pk,
        "enrolments-2-0-status": Enrolment.Status.CONFIRMED,
    }

    response = admin_client.post(url(Session, "add"), data)

    assert response.status_code == 302
    assert Enrolment.objects.get().participant == person


def _change_form(admin_client, session: Session) -> dict:
    """The session's change form as the browser would post it back, unchanged."""
    form = admin_client.get(url(Session, "change", session.pk)).context["adminform"].form
    data = _session_form(
        session.course,
        code=session.code,
        status=session.status,
        start_date=session.start_date.isoformat(),
        end_date=session.end_date.isoformat(),
        region=session.region_id,
        pass_mark=session.pass_mark,
        min_attendance=session.min_attendance,
        capacity="",
    )
    assert form.instance == session
    days = list(session.days.order_by("date"))
    enrolments = list(session.enrolments.order_by("pk"))
    data |= {"days-TOTAL_FORMS": len(days), "days-INITIAL_FORMS": len(days)}
    for i, day in enumerate(days):
        data |= {
            f"days-{i}-id": day.pk,
            f"days-{i}-session": session.pk,
            f"days-{i}-date": day.date,
        }
    data |= {"enrolments-TOTAL_FORMS": len(enrolments), "enrolments-INITIAL_FORMS": len(enrolments)}
    for i, e in enumerate(enrolments):
        data |= {
            f"enrolments-{i}-id": e.pk,
            f"enrolments-{i}-session": session.pk,
            f"enrolments-{i}-status": e.status,
            f"enrolments-{i}-pre_score": e.pre_score or "",
            f"enrolments-{i}-post_score": e.post_score or "",
        }
    return data


def test_extending_a_session_adds_the_new_days(admin_client):
    session = SessionFactory(start_date=dt.date(2025, 3, 10))  # 10 to 12 March
    data = _change_form(admin_client, session) | {"end_date": "2025-03-13"}

    response = admin_client.post(url(Session, "change", session.pk), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert session.days.count() == 4


def test_moving_dates_away_from_recorded_attendance_is_refused(admin_client):
    session = SessionFactory(start_date=dt.date(2025, 3, 10))
    attend(EnrolmentFactory(session=session), 3)
    data = _change_form(admin_client, session) | {"end_date": "2025-03-11"}

    response = admin_client.post(url(Session, "change", session.pk), data)

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "attendance is recorded on 2025-03-12" in str(errors["end_date"])
    session.refresh_from_db()
    assert session.end_date == dt.date(2025, 3, 12)
    assert session.days.count() == 3


def test_mark_cancelled_action_leaves_completed_sessions(admin_client):
    planned = SessionFactory(status=Session.Status.PLANNED)
    completed = SessionFactory(status=Session.Status.COMPLETED)

    response = admin_client.post(
        url(Session, "changelist"),
        {"action": "mark_cancelled", "_selected_action": [planned.pk, completed.pk]},
        follow=True,
    )

    planned.refresh_from_db()
    completed.refresh_from_db()
    assert planned.status == Session.Status.CANCELLED
    assert completed.status == Session.Status.COMPLETED
    assert "1 session(s) left as they were" in response.content.decode()


def test_mark_completed_action(admin_client):
    sessions = SessionFactory.create_batch(2, status=Session.Status.OPEN)

    admin_client.post(
        url(Session, "changelist"),
        {"action": "mark_completed", "_selected_action": [s.pk for s in sessions]},
    )

    assert set(Session.objects.values_list("status", flat=True)) == {Session.Status.COMPLETED}


def test_certificate_added_by_hand_is_issued_with_a_number_and_an_unguessable_code(
    admin_client,
):
    enrolment = EnrolmentFactory(post_score=Decimal(80))
    attend(enrolment, 3)

    response = admin_client.post(
        url(Certificate, "add"), {"enrolment": enrolment.pk, "issued_on": "2025-03-12"}
    )

    assert response.status_code == 302
    certificate = Certificate.objects.get()
    assert certificate.number == f"{enrolment.session.code}-001"
    assert len(certificate.code) >= 16


def test_revoking_a_certificate_dates_it_today(admin_client):
    certificate = CertificateFactory()

    response = admin_client.post(
        url(Certificate, "changelist"),
        {
            "action": "revoke",
            "_selected_action": [certificate.pk],
            "apply": "1",
            "reason": "Issued by mistake",
        },
    )

    assert response.status_code == 302
    certificate.refresh_from_db()
    assert certificate.revoked and certificate.revoked_on is not None


# --- import and export -------------------------------------------------------------------------

XLSX, CSV = "0", "1"  # the admin's import formats, in order
ROSTER, RESULTS = "0", "1"  # the enrolment admin's import resources, in order
ROSTER_HEADER = ["session", "last_name", "first_name", "gender", "agency", "agency_type", "email"]


def upload(path) -> SimpleUploadedFile:
    return SimpleUploadedFile(path.name, path.read_bytes())


def import_preview(client, model, path, *, fmt: str, resource: str = "0"):
    return client.post(
        url(model, "import"), {"resource": resource, "format": fmt, "import_file": upload(path)}
    )


def confirm(client, model, preview):
    return client.post(url(model, "process_import"), preview.context["confirm_form"].initial)


def problems_shown(response) -> list[str]:
    html = response.content.decode()
    start = html.index('<ul class="errorlist import-problems">')
    items = html[start : html.index("</ul>", start)].split("<li>")[1:]
    return [unescape(i.split("</li>")[0]) for i in items]


def test_roster_csv_with_semicolons_previews_then_confirm_writes(admin_client, write_csv):
    SessionFactory(code="OPCAT-01", status=Session.Status.OPEN)
    path = write_csv(
        [
            ROSTER_HEADER,
            ["OPCAT-01", "Өмүрбекова", "Айгүл", "ж", "Генеральная прокуратура", "Prosecution", ""],
            ["OPCAT-01", "Токтогулов", "Нурлан", "м", "ГЕНЕРАЛЬНАЯ ПРОКУРАТУРА", "", "n@ex.kg"],
        ],
        name="roster.csv",
        delimiter=";",
        bom=True,
    )

    preview = import_preview(admin_client, Enrolment, path, fmt=CSV, resource=ROSTER)

    assert preview.status_code == 200
    assert preview.context["confirm_form"] is not None
    assert "dry run, nothing written: enrolments: 2 created" in preview.content.decode()
    assert "Өмүрбекова" in preview.content.decode()
    assert not Enrolment.objects.exists()

    response = confirm(admin_client, Enrolment, preview)

    assert response.status_code == 302
    assert Enrolment.objects.filter(session__code="OPCAT-01").count() == 2
    assert Agency.objects.get().name == "Генеральная прокуратура"
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert messages == ["Import finished: " + messages[0].removeprefix("Import finished: ")]
    assert "enrolments: 2 created" in messages[0]
    (entry,) = LogEntry.objects.all()
    assert entry.object_repr == "import of roster.csv"
    assert "enrolments: 2 created" in entry.change_message


def test_roster_with_a_problem_shows_row_and_column_and_writes_nothing(admin_client, write_csv):
    SessionFactory(code="OPCAT-01", status=Session.Status.OPEN)
    path = write_csv(
        [
            ROSTER_HEADER,
            ["OPCAT-01", "Өмүрбекова", "Айгүл", "ж", "Генеральная прокуратура", "Prosecution", ""],
            ["", "", "", "", "", "", ""],
            ["OPCAT-01", "Токтогулов", "Нурлан", "робот", "Генеральная прокуратура", "", ""],
        ],
        delimiter=";",
    )

    response = import_preview(admin_client, Enrolment, path, fmt=CSV, resource=ROSTER)

    assert response.status_code == 200
    assert "confirm_form" not in response.context or not response.context["confirm_form"]
    shown = problems_shown(response)
    assert len(shown) == 1
    assert shown[0].startswith("row 4: gender: 'робот' is not a gender")
    assert "Nothing was imported: 1 problem" in response.content.decode()
    assert not Enrolment.objects.exists()
    assert not Participant.objects.exists()
    # The upload's temporary copy, with its personal data, is not kept for a confirm.
    copy = response.context["form"].cleaned_data["import_file"].tmp_storage_name
    assert not (Path(tempfile.gettempdir()) / copy).exists()


def test_results_xlsx_chosen_in_the_enrolment_admin_records_scores(admin_client, write_xlsx):
    session = SessionFactory(code="UPR-01", start_date=dt.date(2025, 3, 10))
    enrolment = EnrolmentFactory(session=session, participant__email="aigul@example.kg")
    path = write_xlsx(
        [
            ["session", "email", "pre_score", "post_score", "2025-03-10", "2025-03-11"],
            ["UPR-01", "AIGUL@example.kg", 40, 85, "1", "+"],
        ]
    )

    preview = import_preview(admin_client, Enrolment, path, fmt=XLSX, resource=RESULTS)
    assert preview.context["confirm_form"] is not None
    enrolment.refresh_from_db()
    assert enrolment.post_score is None

    response = confirm(admin_client, Enrolment, preview)

    assert response.status_code == 302
    enrolment.refresh_from_db()
    assert (enrolment.pre_score, enrolment.post_score) == (Decimal(40), Decimal(85))
    assert Attendance.objects.filter(enrolment=enrolment, present=True).count() == 2


def test_sessions_xlsx_import_creates_the_session_and_its_days(admin_client, write_xlsx):
    path = write_xlsx(
        [
            ["Code", "Course", "Course_title", "Start_date", "End_date", "Region"],
            ["TIP-01", "TIP", "Combating trafficking", dt.date(2025, 5, 5), "07.05.2025", "Ош"],
        ]
    )

    preview = import_preview(admin_client, Session, path, fmt=XLSX)
    assert not Session.objects.exists()
    response = confirm(admin_client, Session, preview)

    assert response.status_code == 302
    session = Session.objects.get(code="TIP-01")
    assert session.region == region("Osh")
    assert session.days.count() == 3


def test_confirm_after_the_data_changed_writes_nothing_and_shows_why(admin_client, write_csv):
    session = SessionFactory(code="OPCAT-01", status=Session.Status.OPEN)
    path = write_csv(
        [ROSTER_HEADER, ["OPCAT-01", "Өмүрбекова", "Айгүл", "ж", "Прокуратура", "Prosecution", ""]]
    )
    preview = import_preview(admin_client, Enrolment, path, fmt=CSV, resource=ROSTER)
    assert preview.context["confirm_form"] is not None
    Session.objects.filter(pk=session.pk).update(status=Session.Status.CANCELLED)

    response = confirm(admin_client, Enrolment, preview)

    assert response.status_code == 200
    assert problems_shown(response) == [
        "row 2: session: session OPCAT-01 is cancelled: nobody can be enrolled in it"
    ]
    assert not Enrolment.objects.exists()
    assert not Participant.objects.exists()
    assert not LogEntry.objects.exists()


def test_unreadable_upload_is_refused_with_the_readers_message(admin_client, tmp_path):
    path = tmp_path / "roster.csv"
    path.write_bytes("session;last_name\nS1;Ковалёва\n".encode("cp1251"))

    response = import_preview(admin_client, Enrolment, path, fmt=CSV, resource=ROSTER)

    assert response.status_code == 200
    errors = response.context["form"].errors["import_file"]
    assert errors == [
        "row 2: the CSV file is not in UTF-8 (it looks like Windows-1251 Cyrillic): save it "
        "again as 'CSV UTF-8' and import that; nothing was imported"
    ]


def test_import_page_lists_the_columns_the_resource_reads(admin_client):
    response = admin_client.get(url(Enrolment, "import"))

    html = response.content.decode()
    assert "Roster: people enrolled in sessions" in html
    assert "session (required)" in html
    assert "one column per training day, named YYYY-MM-DD" in html


def _export(client, model, resource_class_name: str, fmt: str, fields: list[str]):
    data = {"format": fmt, "resource": "0"}
    data |= {f"{resource_class_name.lower()}_{f}": "on" for f in fields}
    return client.post(url(model, "export"), data)


def test_session_export_xlsx_contains_the_codes(admin_client):
    SessionFactory(code="UPR-2025-01")
    SessionFactory(code="=HYPERLINK(1)")

    response = _export(admin_client, Session, "SessionResource", "0", ["code", "course"])

    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('.xlsx"')
    sheet = load_workbook(io.BytesIO(response.content)).active
    cells = {(c.value, c.data_type) for row in sheet.iter_rows(min_row=2) for c in row[:1]}
    # Text that looks like a formula stays text.
    assert cells == {("UPR-2025-01", "s"), ("=HYPERLINK(1)", "s")}


def test_session_export_csv_contains_the_codes(admin_client):
    SessionFactory(code="UPR-2025-01")

    response = _export(admin_client, Session, "SessionResource", "1", ["code", "start_date"])

    assert response.status_code == 200
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeffcode,start_date")
    assert "UPR-2025-01,2025-03-10" in text


def test_participant_export_csv_has_the_roster_columns(admin_client):
    ParticipantFactory(last_name="Ковалёва", first_name="Елена", phone="+996 555 123 456")
    ParticipantFactory(last_name="=cmd|' /C calc'!A0", first_name="X")
    fields = ["last_name", "first_name", "gender", "agency", "phone"]

    response = _export(admin_client, Participant, "ParticipantExportResource", "1", fields)

    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == fields
    assert rows[1][0] == "'=cmd|' /C calc'!A0"  # neutralised for spreadsheet programs
    assert rows[2][:3] == ["Ковалёва", "Елена", "female"]
    assert rows[2][4] == "+996 555 123 456"  # a phone number is left as it is


def test_read_only_role_may_export_but_not_import(client):
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name="M&E officer"))
    client.force_login(user)

    changelist = client.get(url(Session, "changelist"))
    assert changelist.status_code == 200
    assert url(Session, "import") not in changelist.content.decode()
    assert client.get(url(Session, "import")).status_code == 403
    assert client.get(url(Session, "export")).status_code == 200


def test_a_trainer_alone_is_kept_out_of_the_admin(client):
    """The admin lists every session; trainers use their own pages, which keep to theirs."""
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name="Trainer"))
    client.force_login(user)

    for page in ("/admin/", url(Enrolment, "import"), url(Enrolment, "changelist")):
        response = client.get(page)
        assert response.status_code == 302, page
        assert "/login/" in response["Location"]
