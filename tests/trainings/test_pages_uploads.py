"""The upload pages (preview, then confirm) and the import templates, through real files."""

import datetime as dt
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from participants.models import Participant
from tests.factories import (
    EnrolmentFactory,
    ParticipantFactory,
    SessionFactory,
    attend,
    signed_in,
    user_in,
)
from trainings import roles
from trainings import uploads as up
from trainings.importing import Counts
from trainings.models import Attendance, Course, Enrolment, Session

pytestmark = pytest.mark.django_db

ROSTER = ["last_name", "first_name", "gender", "birth_year", "agency", "agency_type", "email"]
AIGUL = ["Осмонова", "Айгүл", "ж", 1990, "Генеральная прокуратура", "Прокуратура", "aigul@mail.kg"]
NURLAN = ["Токтогулов", "Нурлан", "м", 1982, "Генеральная прокуратура", "", "nurlan@mail.kg"]
SESSIONS = ["code", "course", "course_title", "start_date", "end_date", "region", "capacity"]


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT / "imports"


def xlsx_bytes(rows: list[list]) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def send(client, url: str, path: Path):
    with path.open("rb") as f:
        return client.post(url, {"file": f})


def confirm(client, url: str, response):
    return client.post(url, {"token": response.context["token"], "confirm": "1"})


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def problem_rows(response) -> list[tuple[str, str, str]]:
    """The problems table as (row, column, message) triples."""
    return [(str(p.row), p.column, p.message) for p in response.context["problems"]]


def stored_files(media: Path) -> list[Path]:
    return sorted(media.iterdir()) if media.exists() else []


def open_session(**kwargs) -> Session:
    kwargs.setdefault("status", Session.Status.OPEN)
    return SessionFactory(**kwargs)


# --- sessions ------------------------------------------------------------------------------


def test_sessions_preview_shows_the_counts_and_writes_nothing(client, write_xlsx, media):
    signed_in(client, roles.ORGANISER)
    path = write_xlsx(
        [
            SESSIONS,
            ["UPR-01", "UPR", "The UPR", "2026-03-10", "2026-03-12", "Chui", 20],
            ["UPR-02", "UPR", "", "10.04.2026", "11.04.2026", "Bishkek city", ""],
        ]
    )
    url = reverse("trainings:sessions_upload")

    response = send(client, url, path)

    assert response.status_code == 200
    counts = {
        row.label: (row.created, row.updated, row.unchanged) for row in response.context["counts"]
    }
    assert counts["Sessions"] == (2, 0, 0)
    assert counts["Courses"] == (1, 0, 0)
    assert counts["Training days"] == (5, 0, 0)
    assert [(r.number, r.action) for r in response.context["preview"].rows] == [
        (2, "New session"),
        (3, "New session"),
    ]
    html = response.content.decode()
    assert "Confirm and import" in html
    assert "UPR-02" in html
    assert not Session.objects.exists() and not Course.objects.filter(code="UPR").exists()
    assert len(stored_files(media)) == 1


def test_sessions_confirm_writes_deletes_the_file_and_says_what_it_did(client, write_xlsx, media):
    signed_in(client, roles.ADMINISTRATOR)
    path = write_xlsx(
        [SESSIONS, ["UPR-01", "UPR", "The UPR", "2026-03-10", "2026-03-12", "Chui", 20]]
    )
    url = reverse("trainings:sessions_upload")
    preview = send(client, url, path)

    response = confirm(client, url, preview)

    assert response.status_code == 302
    assert response["Location"] == reverse("trainings:session_list")
    session = Session.objects.get(code="UPR-01")
    assert session.days.count() == 3 and session.capacity == 20
    assert messages_of(response) == [
        "Sessions imported: 1 session created, 1 new course, 3 training days added."
    ]
    assert stored_files(media) == []
    assert client.session[up.SESSION_KEY] == {}


def test_sessions_csv_in_semicolons_with_a_bom_is_read(client, write_csv):
    signed_in(client, roles.ORGANISER)
    path = write_csv(
        [
            SESSIONS,
            [
                "UPR-01",
                "UPR",
                "Универсальный периодический обзор",
                "2026-03-10",
                "2026-03-11",
                "Chui",
                "",
            ],
        ],
        delimiter=";",
        bom=True,
    )
    url = reverse("trainings:sessions_upload")

    preview = send(client, url, path)
    assert preview.status_code == 200
    assert preview.context["token"]
    assert not Session.objects.exists()
    confirm(client, url, preview)

    assert Course.objects.get(code="UPR").title == "Универсальный периодический обзор"
    assert Session.objects.get(code="UPR-01").days.count() == 2


def test_sessions_upload_is_for_planners_only(client):
    url = reverse("trainings:sessions_upload")
    assert client.get(url).status_code == 302  # anonymous: to the sign-in page
    for role in (roles.TRAINER, roles.ME_OFFICER):
        signed_in(client, role)
        assert client.get(url).status_code == 403
        assert client.post(url, {}).status_code == 403
    signed_in(client, roles.ORGANISER)
    assert client.get(url).status_code == 200


# --- roster --------------------------------------------------------------------------------


def test_roster_preview_counts_then_confirm_registers(client, write_xlsx, media):
    signed_in(client, roles.ORGANISER)
    session = open_session(code="UPR-01")
    known = ParticipantFactory(email="nurlan@mail.kg", last_name="Токтогулов", first_name="Нурлан")
    EnrolmentFactory(session=session, participant=known)
    path = write_xlsx([ROSTER, AIGUL, NURLAN])
    url = reverse("trainings:roster_upload", args=[session.code])

    preview = send(client, url, path)

    assert preview.status_code == 200
    counts = {r.label: (r.created, r.updated, r.unchanged) for r in preview.context["counts"]}
    assert counts["Enrolments"] == (1, 0, 1)
    assert counts["Participants"][0] == 1
    assert [(r.number, r.action) for r in preview.context["preview"].rows] == [
        (2, "Will be registered"),
        (3, "Details will be updated"),
    ]
    assert "session" not in preview.context["preview"].columns
    assert session.enrolments.count() == 1
    assert not Participant.objects.filter(email="aigul@mail.kg").exists()

    response = confirm(client, url, preview)

    assert response.status_code == 302
    assert response["Location"] == reverse("trainings:session_detail", args=[session.code])
    assert session.enrolments.count() == 2
    assert session.enrolments.filter(participant__email="aigul@mail.kg").exists()
    assert messages_of(response) == [
        "Roster imported: 1 participant registered, 1 already enrolled, 1 person new to Bilim, "
        "1 person's details updated, 1 new agency."
    ]
    assert stored_files(media) == []


def test_roster_with_a_bad_row_names_row_and_column_and_writes_nothing(client, write_xlsx, media):
    signed_in(client, roles.ORGANISER)
    session = open_session()
    path = write_xlsx([ROSTER, AIGUL, [*NURLAN[:2], "xyz", *NURLAN[3:]]])
    url = reverse("trainings:roster_upload", args=[session.code])

    response = send(client, url, path)

    assert response.status_code == 200
    assert [(row, column) for row, column, _ in problem_rows(response)] == [("3", "gender")]
    html = response.content.decode()
    assert re.search(r'<td class="num">3</td>\s*<td class="code">gender</td>', html)
    assert "Nothing was written" in html
    assert "Confirm and import" not in html
    assert 'type="file"' in html  # the form to send the corrected file
    assert not Enrolment.objects.exists() and not Participant.objects.exists()
    assert stored_files(media) == []


def test_roster_rows_naming_another_session_are_problems(client, write_xlsx):
    signed_in(client, roles.ORGANISER)
    session = open_session(code="UPR-01")
    open_session(code="UPR-02")
    path = write_xlsx([["session", *ROSTER], ["upr-01", *AIGUL], ["UPR-02", *NURLAN]])
    url = reverse("trainings:roster_upload", args=[session.code])

    response = send(client, url, path)

    assert problem_rows(response) == [("3", "session", "this upload is for session UPR-01")]
    assert not Enrolment.objects.exists()


def test_roster_template_rows_with_only_the_session_are_skipped(client):
    signed_in(client, roles.ORGANISER)
    session = open_session(code="UPR-01", capacity=5)
    template = client.get(
        reverse("trainings:import_template", args=["roster"]), {"session": session.code}
    )
    workbook = load_workbook(io.BytesIO(template.content))
    sheet = workbook.worksheets[0]
    assert [c.value for c in sheet[1]][:3] == ["session", "last_name", "first_name"]
    assert [sheet.cell(row=r, column=1).value for r in range(2, 7)] == ["UPR-01"] * 5
    header = [c.value for c in sheet[1]]
    for column, value in zip(
        ("last_name", "first_name", "gender", "agency", "agency_type"),
        ("Осмонова", "Айгүл", "ж", "Омбудсмен", "Ombudsman"),
        strict=True,
    ):
        sheet.cell(row=3, column=header.index(column) + 1, value=value)
    out = io.BytesIO()
    workbook.save(out)
    upload = io.BytesIO(out.getvalue())
    upload.name = "roster.xlsx"
    url = reverse("trainings:roster_upload", args=[session.code])

    preview = client.post(url, {"file": upload})

    assert preview.context.get("problems") is None, preview.context.get("problems")
    assert [r.number for r in preview.context["preview"].rows] == [3]
    confirm(client, url, preview)
    assert session.enrolments.get().participant.last_name == "Осмонова"


def test_confirm_checks_again_and_writes_nothing_when_the_data_changed(client, write_xlsx, media):
    signed_in(client, roles.ORGANISER)
    session = open_session()
    url = reverse("trainings:roster_upload", args=[session.code])
    preview = send(client, url, write_xlsx([ROSTER, AIGUL]))
    Session.objects.filter(pk=session.pk).update(status=Session.Status.CANCELLED)

    response = confirm(client, url, preview)

    assert response.status_code == 200
    assert problem_rows(response)[0][:2] == ("2", "session")
    assert "changed since the preview" in response.content.decode()
    assert not Enrolment.objects.exists()
    assert stored_files(media) == []


def test_confirm_with_a_token_not_in_the_session_is_refused(client, write_xlsx, media):
    organiser = signed_in(client, roles.ORGANISER)
    session = open_session()
    url = reverse("trainings:roster_upload", args=[session.code])
    preview = send(client, url, write_xlsx([ROSTER, AIGUL]))
    token = preview.context["token"]

    # Another browser session of the same user does not hold the token.
    other = client_class_for(client)
    other.force_login(organiser)
    refused = other.post(url, {"token": token, "confirm": "1"})
    assert refused.status_code == 302
    assert "no longer waiting" in messages_of(refused)[0]
    # Nor does a made-up token, or a path, work in this session.
    for forged in ("A" * 32, "../../etc/passwd", str(stored_files(media)[0])):
        assert client.post(url, {"token": forged, "confirm": "1"}).status_code == 302
    # A token kept for another page (here: another session's roster) is refused too.
    elsewhere = open_session()
    other_url = reverse("trainings:roster_upload", args=[elsewhere.code])
    assert client.post(other_url, {"token": token, "confirm": "1"}).status_code == 302

    assert not Enrolment.objects.exists()
    assert len(stored_files(media)) == 1
    confirm(client, url, preview)
    assert Enrolment.objects.count() == 1


def client_class_for(client):
    return type(client)()


def test_discard_deletes_the_stored_file(client, write_xlsx, media):
    signed_in(client, roles.ORGANISER)
    session = open_session()
    url = reverse("trainings:roster_upload", args=[session.code])
    preview = send(client, url, write_xlsx([ROSTER, AIGUL]))

    response = client.post(url, {"token": preview.context["token"], "discard": "1"})

    assert response.status_code == 302
    assert stored_files(media) == []
    assert not Enrolment.objects.exists()


def test_a_file_over_the_size_limit_is_refused_with_nothing_written(
    client, settings, write_xlsx, media
):
    settings.BILIM_IMPORT_MAX_BYTES = 1000
    signed_in(client, roles.ORGANISER)
    session = open_session()
    path = write_xlsx([ROSTER, AIGUL])
    assert path.stat().st_size > 1000

    response = send(client, reverse("trainings:roster_upload", args=[session.code]), path)

    assert response.status_code == 200
    errors = response.context["form"].errors["file"]
    assert re.match(r"The file is \d\.\d\xa0KB; ", errors[0])
    assert "the limit is 1000\xa0bytes. Split it into smaller files" in errors[0]
    assert 'aria-invalid="true"' in response.content.decode()
    assert not Enrolment.objects.exists()
    assert stored_files(media) == []


def test_too_many_rows_and_unreadable_files_are_refused(client, settings, write_xlsx, tmp_path):
    signed_in(client, roles.ORGANISER)
    session = open_session()
    url = reverse("trainings:roster_upload", args=[session.code])
    settings.BILIM_IMPORT_MAX_ROWS = 1
    response = send(client, url, write_xlsx([ROSTER, AIGUL, NURLAN]))
    assert "more than 1 rows" in response.context["form"].errors["file"][0]

    fake = tmp_path / "fake.xlsx"
    fake.write_bytes(b"last_name,first_name\n")
    response = send(client, url, fake)
    assert "not a real .xlsx" in response.context["form"].errors["file"][0]

    other = tmp_path / "roster.pdf"
    other.write_bytes(b"%PDF-1.4")
    response = send(client, url, other)
    assert "Only .xlsx and .csv" in response.context["form"].errors["file"][0]
    assert not Enrolment.objects.exists()


def test_roster_upload_permissions(client, write_xlsx):
    session = open_session()
    url = reverse("trainings:roster_upload", args=[session.code])
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    signed_in(client, roles.ME_OFFICER)
    assert send(client, url, write_xlsx([ROSTER, AIGUL])).status_code == 403
    trainer = signed_in(client, roles.TRAINER)
    session.trainers.add(trainer)
    assert client.get(url).status_code == 403
    signed_in(client, roles.ORGANISER)
    assert client.get(reverse("trainings:roster_upload", args=["NOPE"])).status_code == 404
    assert not Enrolment.objects.exists()


# --- results -------------------------------------------------------------------------------


def results_session(trainer=None):
    session = open_session(code="UPR-01", start_date=dt.date(2025, 3, 10))
    if trainer is not None:
        session.trainers.add(trainer)
    enrolment = EnrolmentFactory(
        session=session,
        participant=ParticipantFactory(
            last_name="Осмонова", first_name="Айгүл", email="aigul@mail.kg"
        ),
    )
    return session, enrolment


def test_a_trainer_uploads_results_for_own_session(client, write_xlsx, media):
    trainer = signed_in(client, roles.TRAINER)
    session, enrolment = results_session(trainer)
    url = reverse("trainings:results_upload", args=[session.code])
    assert client.get(url).status_code == 200
    path = write_xlsx(
        [
            ["email", "pre_score", "post_score", "2025-03-10", "2025-03-11", "2025-03-12"],
            ["aigul@mail.kg", 40, 85, 1, "+", 0],
        ]
    )

    preview = send(client, url, path)

    assert preview.status_code == 200
    counts = {r.label: (r.created, r.updated, r.unchanged) for r in preview.context["counts"]}
    assert counts["Attendance marks"] == (3, 0, 0)
    assert counts["Enrolments"] == (0, 1, 0)
    enrolment.refresh_from_db()
    assert enrolment.pre_score is None and not Attendance.objects.exists()

    response = confirm(client, url, preview)

    assert response.status_code == 302
    enrolment.refresh_from_db()
    assert (enrolment.pre_score, enrolment.post_score) == (Decimal(40), Decimal(85))
    assert Attendance.objects.filter(present=True).count() == 2
    assert messages_of(response) == [
        "Results imported: scores updated for 1 participant, 3 attendance marks recorded."
    ]


def test_a_trainer_gets_404_on_another_trainers_session(client, write_xlsx):
    signed_in(client, roles.TRAINER)
    session, _ = results_session(user_in(roles.TRAINER))
    url = reverse("trainings:results_upload", args=[session.code])
    assert client.get(url).status_code == 404
    assert (
        send(client, url, write_xlsx([["email", "pre_score"], ["aigul@mail.kg", 1]])).status_code
        == 404
    )
    assert not Enrolment.objects.filter(pre_score__isnull=False).exists()


def test_an_me_officer_may_not_upload_results(client, write_xlsx):
    signed_in(client, roles.ME_OFFICER)
    session, _ = results_session()
    url = reverse("trainings:results_upload", args=[session.code])
    response = send(client, url, write_xlsx([["email", "pre_score"], ["aigul@mail.kg", 1]]))
    assert response.status_code == 403
    assert client.get(url).status_code == 403
    assert not Enrolment.objects.filter(pre_score__isnull=False).exists()


def test_results_template_round_trip(client):
    trainer = signed_in(client, roles.TRAINER)
    session, enrolment = results_session(trainer)
    attend(enrolment, 1)
    EnrolmentFactory(session=session, status=Enrolment.Status.WITHDRAWN)
    response = client.get(
        reverse("trainings:import_template", args=["results"]), {"session": session.code}
    )
    assert response.status_code == 200
    assert 'filename="bilim-results-UPR-01.xlsx"' in response["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.content))
    sheet = workbook.worksheets[0]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0] == [
        "session",
        "email",
        "last_name",
        "first_name",
        "birth_year",
        "pre_score",
        "post_score",
        "2025-03-10",
        "2025-03-11",
        "2025-03-12",
    ]
    # The withdrawn enrolment is left out; the marks already recorded are filled in.
    assert rows[1:] == [["UPR-01", "aigul@mail.kg", "Осмонова", "Айгүл", 1985, None, None, 1, 0, 0]]
    assert sheet.freeze_panes == "A2"
    assert all(cell.font.bold for cell in sheet[1])
    assert workbook.sheetnames == ["Results", "Help"]

    sheet.cell(row=2, column=6, value=55)
    upload = io.BytesIO()
    workbook.save(upload)
    upload.seek(0)
    upload.name = "results.xlsx"
    url = reverse("trainings:results_upload", args=[session.code])
    preview = client.post(url, {"file": upload})
    assert preview.context.get("problems") is None
    confirm(client, url, preview)
    enrolment.refresh_from_db()
    assert enrolment.pre_score == 55
    assert Attendance.objects.filter(enrolment=enrolment, present=True).count() == 1


# --- templates -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "first"),
    [("sessions", ["code", "course", "course_title"]), ("roster", ["session", "last_name"])],
)
def test_blank_templates_have_the_contract_headers_and_a_help_sheet(client, kind, first):
    signed_in(client, roles.ORGANISER)
    response = client.get(reverse("trainings:import_template", args=[kind]))
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    sheet = workbook.worksheets[0]
    header = [c.value for c in sheet[1]]
    assert header[: len(first)] == first
    assert header == list(up.RESOURCES[kind].columns)
    assert sheet.max_row == 1
    assert sheet.freeze_panes == "A2"
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet.column_dimensions["A"].width >= 12
    help_rows = list(workbook["Help"].iter_rows(values_only=True))
    assert help_rows[0] == ("Column", "Required", "What to write")
    assert {row[0] for row in help_rows[1:]} >= set(header)


def test_templates_as_csv_and_unknown_kinds(client):
    signed_in(client, roles.ORGANISER)
    session = open_session(code="UPR-01")
    response = client.get(
        reverse("trainings:import_template", args=["roster"]),
        {"session": session.code, "format": "csv"},
    )
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeffsession,last_name,first_name,")
    assert text.splitlines()[1].startswith("UPR-01,")
    assert client.get(reverse("trainings:import_template", args=["people"])).status_code == 404


def test_templates_are_for_planners_and_trainers_of_sessions_they_see(client):
    session = open_session(code="UPR-01")
    url = reverse("trainings:import_template", args=["results"])
    assert client.get(url).status_code == 302
    signed_in(client, roles.ME_OFFICER)
    assert client.get(url).status_code == 403
    trainer = signed_in(client, roles.TRAINER)
    assert client.get(url).status_code == 200
    assert client.get(url, {"session": session.code}).status_code == 404
    session.trainers.add(trainer)
    assert client.get(url, {"session": session.code}).status_code == 200


def test_template_queries_do_not_grow_with_the_participants(client, django_assert_max_num_queries):
    signed_in(client, roles.ORGANISER)
    session = open_session()
    url = reverse("trainings:import_template", args=["results"])
    EnrolmentFactory(session=session)
    with django_assert_max_num_queries(8):
        assert client.get(url, {"session": session.code}).status_code == 200
    for _ in range(29):
        attend(EnrolmentFactory(session=session), 2)
    with django_assert_max_num_queries(8):
        response = client.get(url, {"session": session.code})
    assert load_workbook(io.BytesIO(response.content)).worksheets[0].max_row == 31


# --- the sentences -------------------------------------------------------------------------


def test_counts_sentence_says_what_happened_with_numbers():
    counts = Counts()
    counts.add("enrolments", "created", 12)
    counts.add("enrolments", "updated", 0)
    counts.add("enrolments", "unchanged", 3)
    counts.add("enrolments", "waitlisted", 2)
    counts.add("participants", "created", 1)
    counts.add("agencies", "created", 0)
    assert up.counts_sentence("roster", counts) == (
        "12 participants registered, 2 on the waiting list, 3 already enrolled, "
        "1 person new to Bilim"
    )
    nothing = Counts()
    nothing.add("enrolments", "unchanged", 4)
    assert up.counts_sentence("results", nothing) == (
        "nothing changed: the file matches what is recorded"
    )
    assert up.counts_sentence("sessions", Counts()) == "nothing to import: the file has no rows"


def test_counts_sentence_is_translated():
    from django.utils import translation

    counts = Counts()
    counts.add("enrolments", "created", 5)
    with translation.override("ru"):
        sentence = up.counts_sentence("roster", counts)
        message = up.import_message("roster", counts)
    # Once the Russian catalogue has these phrases, the words change; the number stays.
    assert "5" in sentence and sentence in message


def test_roster_preview_queries_do_not_grow_with_the_rows(
    client, write_xlsx, django_assert_max_num_queries
):
    signed_in(client, roles.ORGANISER)
    session = open_session()
    url = reverse("trainings:roster_upload", args=[session.code])
    one = write_xlsx([ROSTER, AIGUL], name="one.xlsx")
    many = write_xlsx(
        [
            ROSTER,
            *([f"Фамилия{i}", "Имя", "ж", 1990, "Омбудсмен", "Ombudsman", ""] for i in range(30)),
        ],
        name="many.xlsx",
    )
    with django_assert_max_num_queries(13):
        assert send(client, url, one).context["token"]
    with django_assert_max_num_queries(13):
        response = send(client, url, many)
    assert len(response.context["preview"].rows) == 30
