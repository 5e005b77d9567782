"""Names in downloads by role: organisers and administrators get them; M&E officers never do.

Each role downloads the workbook and the Data CSV from the pages (directly and as a background
job) and the files are read back: an M&E officer's file has no name or email column and no
name or email anywhere in any sheet, whatever the query string asks.
"""

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from jobs import tasks
from jobs.models import Job
from jobs.services import job_create
from tests.factories import EnrolmentFactory, ParticipantFactory, SessionFactory, signed_in
from trainings import roles

pytestmark = pytest.mark.django_db

LAST, FIRST, EMAIL = "Dzhumabaeva", "Kanykei", "kanykei.dz@mail.example"
NAME_HEADERS = {"Last name", "First name", "Middle name", "Email"}


@pytest.fixture
def data():
    person = ParticipantFactory(last_name=LAST, first_name=FIRST, email=EMAIL)
    session = SessionFactory(code="S1")
    EnrolmentFactory(session=session, participant=person)
    EnrolmentFactory(session=session)
    return person


def workbook_cells(content: bytes) -> tuple[list, list[str]]:
    """Return the Data sheet's header and every text cell of every sheet."""
    book = load_workbook(io.BytesIO(content), read_only=True)
    texts = [
        str(value)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if value is not None
    ]
    rows = list(book["Data"].iter_rows(values_only=True))
    header = next(row for row in rows if row and row[0] == "Session")
    return list(header), texts


def has_names(texts: list[str]) -> bool:
    return any(LAST in t or FIRST in t or EMAIL in t for t in texts)


def read_response(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.mark.parametrize(
    ("role", "asked", "names"),
    [
        (roles.ORGANISER, "", True),
        (roles.ORGANISER, "1", False),
        (roles.ADMINISTRATOR, "", True),
        (roles.ADMINISTRATOR, "1", False),
        (roles.ME_OFFICER, "", False),
        (roles.ME_OFFICER, "1", False),
        (roles.ME_OFFICER, "0", False),
    ],
)
def test_workbook_download_has_names_only_for_roles_allowed_them(client, data, role, asked, names):
    signed_in(client, role)
    response = client.get(reverse("reports:workbook"), {"pseudonymize": asked})
    assert response.status_code == 200
    header, texts = workbook_cells(read_response(response))
    assert (set(header) >= NAME_HEADERS) is names
    assert not (NAME_HEADERS & set(header)) or names
    assert has_names(texts) is names
    assert ("pseudonymized" in response["Content-Disposition"]) is not names
    assert any("Pseudonymized" in t for t in texts) is not names


@pytest.mark.parametrize(
    ("role", "names"),
    [(roles.ORGANISER, True), (roles.ADMINISTRATOR, True), (roles.ME_OFFICER, False)],
)
def test_csv_download_has_names_only_for_roles_allowed_them(client, data, role, names):
    signed_in(client, role)
    response = client.get(reverse("reports:data_csv"))
    assert response.status_code == 200
    text = read_response(response).decode("utf-8")
    header = next(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert (set(header) >= NAME_HEADERS) is names
    assert (LAST in text or EMAIL in text) is names


@pytest.mark.parametrize("name", ["reports:workbook", "reports:data_csv"])
def test_trainers_get_no_download_at_all(client, data, name):
    signed_in(client, roles.TRAINER)
    assert client.get(reverse(name)).status_code == 403


@pytest.mark.parametrize(
    ("role", "names"),
    [(roles.ORGANISER, True), (roles.ADMINISTRATOR, True), (roles.ME_OFFICER, False)],
)
def test_background_workbook_has_names_only_for_roles_allowed_them(
    client, data, settings, django_capture_on_commit_callbacks, role, names
):
    settings.BILIM_BACKGROUND_EXPORT_ROWS = 1
    signed_in(client, role)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(reverse("jobs:workbook_start"))
    job = Job.objects.get()
    assert response["Location"] == reverse("jobs:detail", args=[job.pk])
    assert job.params["pseudonymize"] is not names
    with job.result.open("rb") as handle:
        header, texts = workbook_cells(handle.read())
    assert (set(header) >= NAME_HEADERS) is names
    assert has_names(texts) is names


def test_a_job_asking_for_names_gets_none_when_its_creator_may_not_see_them(client, data):
    """A job recorded without pseudonymization (say, before a role changed) still has none."""
    from tests.factories import user_in

    me = user_in(roles.ME_OFFICER)
    for kind, work in ((Job.Kind.WORKBOOK, tasks.workbook_work), (Job.Kind.CSV, tasks.csv_work)):
        job = job_create(kind=kind, user=me, params={"query": {}, "pseudonymize": False})
        work(job)
        job.refresh_from_db()
        assert "-pseudonymized" in job.result_name
        with job.result.open("rb") as handle:
            content = handle.read()
        texts = (
            workbook_cells(content)[1] if kind == Job.Kind.WORKBOOK else [content.decode("utf-8")]
        )
        assert not has_names(texts)


@pytest.mark.parametrize(
    ("role", "checkbox"),
    [(roles.ORGANISER, True), (roles.ADMINISTRATOR, True), (roles.ME_OFFICER, False)],
)
def test_statistics_page_offers_the_choice_only_to_roles_that_get_names(client, role, checkbox):
    signed_in(client, role)
    page = client.get(reverse("reports:statistics")).content.decode()
    assert ('name="pseudonymize"' in page) is checkbox
    assert ("Your downloads leave out names" in page) is not checkbox
