"""``manage.py export_workbook`` and the two downloads, on the data set of test_workbook."""

import csv
import io

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import load_workbook

from reports.workbook import SHEETS
from tests.factories import UserFactory
from tests.reports.test_workbook import EMAIL, EVIL_LAST, build, table
from trainings import roles

pytestmark = pytest.mark.django_db


@pytest.fixture
def data() -> dict:
    return build()


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("export_workbook", *args, stdout=out)
    return out.getvalue()


# --- the command -------------------------------------------------------------------------------


def test_command_writes_the_workbook_and_says_how_many_participations(data, tmp_path):
    path = tmp_path / "me.xlsx"
    assert run("--out", str(path)) == f"5 participations written to {path}\n"
    book = load_workbook(path)
    assert book.sheetnames == list(SHEETS)
    assert len(table(book["Data"])) == 1 + 5
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind


def test_command_applies_every_filter(data, tmp_path):
    path = tmp_path / "me.xlsx"
    out = run(
        "--out",
        str(path),
        "--course",
        "tort",
        "--from",
        "2025-03-01",
        "--to",
        "10.03.2025",
        "--region",
        "Чуй",
        "--agency-type",
        "police",
        "--gender",
        "ж",
    )
    assert out.startswith("1 participations written")
    rows = table(load_workbook(path)["Data"])
    assert [row[6] for row in rows[1:]] == [EVIL_LAST]


def test_command_writes_the_csv_with_a_bom_and_pseudonymizes(data, tmp_path):
    path = tmp_path / "data.csv"
    assert run("--csv", str(path), "--pseudonymize").startswith("5 participations written")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfSession,Course,")
    text = raw.decode("utf-8-sig")
    assert EMAIL not in text and "Aigul" not in text
    assert len(list(csv.reader(io.StringIO(text)))) == 6


def test_command_writes_both_files_at_once(data, tmp_path):
    xlsx, data_csv = tmp_path / "me.xlsx", tmp_path / "me.csv"
    assert run("--out", str(xlsx), "--csv", str(data_csv)) == (
        f"5 participations written to {xlsx}, {data_csv}\n"
    )
    assert xlsx.exists() and data_csv.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--course", "NOPE"), "no course with code 'NOPE'"),
        (("--region", "Atlantis"), "no region named 'Atlantis'"),
        (("--gender", "x"), "is not a gender"),
        (("--from", "2025-05-01", "--to", "2025-04-01"), "is after its end"),
        (("--from", "tomorrow"), "from:"),
        (("--programme", "NONE"), "unknown programme"),
    ],
)
def test_a_bad_filter_fails_with_status_1_and_writes_nothing(data, tmp_path, args, message):
    path = tmp_path / "me.xlsx"
    with pytest.raises(CommandError, match=message) as failed:
        run("--out", str(path), *args)
    assert failed.value.returncode == 1
    assert list(tmp_path.iterdir()) == []


def test_command_needs_a_file_and_an_existing_folder(db, tmp_path):
    with pytest.raises(CommandError, match="give --out"):
        run()
    with pytest.raises(CommandError, match="no folder"):
        run("--out", str(tmp_path / "missing" / "me.xlsx"))


# --- the downloads -----------------------------------------------------------------------------


def signed_in(client, role: str | None):
    user = UserFactory()
    if role:
        user.groups.add(Group.objects.get(name=role))
    client.force_login(user)
    return client


@pytest.mark.parametrize("role", [roles.ME_OFFICER, roles.ORGANISER, roles.ADMINISTRATOR])
def test_readers_download_the_workbook(data, client, role):
    response = signed_in(client, role).get(reverse("reports:workbook"))
    assert response.status_code == 200
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="bilim-statistics-20')
    assert disposition.endswith('.xlsx"')
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert book.sheetnames == list(SHEETS)


@pytest.mark.parametrize("name", ["reports:workbook", "reports:data_csv"])
def test_trainers_and_people_without_a_role_are_refused(data, client, name):
    assert signed_in(client, roles.TRAINER).get(reverse(name)).status_code == 403
    assert signed_in(client, None).get(reverse(name)).status_code == 403


@pytest.mark.parametrize("name", ["reports:workbook", "reports:data_csv"])
def test_anonymous_visitors_are_sent_to_sign_in(data, client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_workbook_download_applies_the_filters_and_pseudonymizes(data, client):
    response = signed_in(client, roles.ME_OFFICER).get(
        reverse("reports:workbook"), {"gender": "male", "pseudonymize": "1"}
    )
    assert response.status_code == 200
    assert "pseudonymized" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content)))["Data"]
    rows = table(sheet)
    assert "Last name" not in rows[0]
    assert sorted(row[5] for row in rows[1:]) == sorted([data["p2"].pk, data["p4"].pk])
    assert sheet["A2"].value.startswith("Filters: Gender: Male.")


def test_csv_download_streams_the_data_sheet(data, client):
    # An organiser: M&E officers' downloads never carry names (see test_names_by_role.py).
    response = signed_in(client, roles.ORGANISER).get(
        reverse("reports:data_csv"), {"course": "UPR"}
    )
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].endswith('.csv"')
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeffSession,")
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert [row[0] for row in rows[1:]] == ["S2", "S2"]
    assert "'" + EVIL_LAST in rows[1] + rows[2]


def test_csv_download_pseudonymized_has_no_name_or_email(data, client):
    response = signed_in(client, roles.ME_OFFICER).get(
        reverse("reports:data_csv"), {"pseudonymize": "on"}
    )
    text = b"".join(response.streaming_content).decode("utf-8")
    assert EMAIL not in text and "Ivanov" not in text and "Email" not in text


@pytest.mark.parametrize("name", ["reports:workbook", "reports:data_csv"])
def test_invalid_filters_answer_400_with_what_is_wrong(data, client, name):
    response = signed_in(client, roles.ME_OFFICER).get(
        reverse(name), {"course": "NOPE", "date_from": "2025-05-01", "date_to": "2025-04-01"}
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    text = response.content.decode()
    assert text.startswith("The filters are not valid:")
    assert "Course:" in text and "The end of the period is before its start." in text
