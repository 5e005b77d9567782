"""Background jobs: run at enqueue under the ImmediateBackend, progress, failure, permissions,
the polling partial, and small work done at once."""

import html
import io
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from certificates.models import Certificate
from jobs import services, tasks
from jobs.models import Job
from tests.factories import UserFactory
from tests.jobs.helpers import session_with_eligible
from trainings import roles

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def person(role: str | None):
    user = UserFactory()
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def organiser():
    return person(roles.ORGANISER)


@pytest.fixture
def me_officer():
    return person(roles.ME_OFFICER)


def result_bytes(job: Job) -> bytes:
    with job.result.open("rb") as handle:
        return handle.read()


# --- certificates ------------------------------------------------------------------------------


def test_certificates_batch_runs_in_the_background_and_ends_with_one_pdf(
    client, organiser, settings, django_capture_on_commit_callbacks
):
    settings.BILIM_BACKGROUND_CERTIFICATES = 2
    session = session_with_eligible(3)
    client.force_login(organiser)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("jobs:certificates_start", args=[session.code]))
    job = Job.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("jobs:detail", args=[job.pk])
    assert (job.kind, job.status, job.done, job.total) == ("certificates", "done", 3, 3)
    assert job.task_result_id
    assert job.started_at and job.finished_at
    assert job.params["summary"] == {"issued": 3, "already": 0, "not_eligible": 0}
    assert Certificate.objects.filter(enrolment__session=session).count() == 3
    assert job.result.name.startswith("jobs/certificates-")
    assert len(PdfReader(io.BytesIO(result_bytes(job))).pages) == 3

    page = client.get(reverse("jobs:detail", args=[job.pk]))
    assert b"<progress" in page.content
    assert b"Issued 3, 0 already issued, 0 not eligible." in page.content
    download = client.get(reverse("jobs:result", args=[job.pk]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF")


def test_small_certificate_batch_is_issued_at_once(client, organiser):
    session = session_with_eligible(2)
    client.force_login(organiser)
    response = client.post(reverse("jobs:certificates_start", args=[session.code]), follow=True)
    assert response.redirect_chain[-1][0] == reverse(
        "trainings:session_detail", args=[session.code]
    )
    assert not Job.objects.exists()
    assert Certificate.objects.filter(enrolment__session=session).count() == 2
    assert "Issued 2 certificates, 0 already issued, 0 not eligible." in response.content.decode()


def test_progress_moves_chunk_by_chunk(organiser, monkeypatch):
    session = session_with_eligible(5)
    job = services.job_create(
        kind=Job.Kind.CERTIFICATES, user=organiser, params={"session": session.pk}
    )
    seen = []
    original = tasks.job_progress

    def recording(job_id, done, total=None, message=""):
        original(job_id, done, total, message)
        row = Job.objects.get(pk=job_id)
        seen.append((row.done, row.total, row.status))

    monkeypatch.setattr(tasks, "CERTIFICATE_CHUNK", 2)
    monkeypatch.setattr(tasks, "job_progress", recording)
    tasks.certificates_batch.call(job.pk)
    assert seen == [(0, 5, "running"), (2, 5, "running"), (4, 5, "running"), (5, 5, "running")]
    job.refresh_from_db()
    assert (job.status, job.done, job.total, job.percent) == ("done", 5, 5, 100)
    assert len(PdfReader(io.BytesIO(result_bytes(job))).pages) == 5


def test_a_failure_is_recorded_in_words(client, organiser, monkeypatch, caplog):
    session = session_with_eligible(1)
    job = services.job_create(
        kind=Job.Kind.CERTIFICATES, user=organiser, params={"session": session.pk}
    )

    def broken(job):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(tasks, "certificates_work", broken)
    with pytest.raises(RuntimeError):
        tasks.certificates_batch.call(job.pk)
    job.refresh_from_db()
    assert job.status == "failed"
    assert job.finished_at is not None
    assert "unexpected error" in job.error
    assert "disk on fire" not in job.error  # the traceback is for the log
    assert "disk on fire" in caplog.text
    client.force_login(organiser)
    page = client.get(reverse("jobs:detail", args=[job.pk])).content.decode()
    assert "The job failed." in page and html.escape(job.error) in page
    assert "hx-trigger" not in page


def test_a_failure_with_a_reason_says_it(organiser, settings):
    session = session_with_eligible(0)
    job = services.job_create(
        kind=Job.Kind.CERTIFICATES, user=organiser, params={"session": session.pk}
    )
    # The immediate backend records the exception on the task result; the job says why.
    result = tasks.certificates_batch.enqueue(job.pk)
    assert result.status == "FAILED"
    job.refresh_from_db()
    assert job.status == "failed"
    assert "no certificates to print" in job.error


# --- exports -----------------------------------------------------------------------------------


def test_workbook_export_in_the_background(
    client, me_officer, settings, django_capture_on_commit_callbacks, monkeypatch
):
    settings.BILIM_BACKGROUND_EXPORT_ROWS = 2
    monkeypatch.setattr(tasks, "EXPORT_STEP", 2)
    session = session_with_eligible(5)
    client.force_login(me_officer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(
            reverse("jobs:workbook_start"), {"course": session.course.code, "pseudonymize": "1"}
        )
    job = Job.objects.get()
    assert response["Location"] == reverse("jobs:detail", args=[job.pk])
    assert job.params == {"query": {"course": session.course.code}, "pseudonymize": True}
    assert (job.status, job.done, job.total) == ("done", 5, 5)
    assert job.result_name.endswith("-pseudonymized.xlsx")
    workbook = load_workbook(io.BytesIO(result_bytes(job)), read_only=True)
    data = list(workbook["Data"].iter_rows(values_only=True))
    assert sum(1 for row in data if row and row[0] == session.code) == 5


def test_csv_export_in_the_background_reports_progress(me_officer, monkeypatch):
    session_with_eligible(5)
    monkeypatch.setattr(tasks, "EXPORT_STEP", 2)
    job = services.job_create(kind=Job.Kind.CSV, user=me_officer, params={"query": {}})
    seen = []
    original = services.job_progress

    def recording(job_id, done, total=None, message=""):
        original(job_id, done, total, message)
        seen.append(done)

    monkeypatch.setattr(tasks, "job_progress", recording)
    monkeypatch.setattr(services, "job_progress", recording)
    tasks.csv_export.call(job.pk)
    assert seen == [0, 2, 4, 5]
    job.refresh_from_db()
    text = result_bytes(job).decode("utf-8")
    assert text.startswith("\ufeffSession,")
    assert len(text.strip().splitlines()) == 6


def test_small_exports_redirect_to_the_direct_download(client, me_officer):
    session = session_with_eligible(2)
    client.force_login(me_officer)
    query = {"course": session.course.code}
    workbook = client.get(reverse("jobs:workbook_start"), query)
    csv = client.get(reverse("jobs:csv_start"), query)
    assert urlsplit(workbook["Location"]).path == reverse("reports:workbook")
    assert urlsplit(csv["Location"]).path == reverse("reports:data_csv")
    assert urlsplit(csv["Location"]).query == f"course={session.course.code}"
    assert not Job.objects.exists()


def test_invalid_filters_go_to_the_direct_download_which_says_why(client, me_officer):
    client.force_login(me_officer)
    response = client.get(reverse("jobs:workbook_start"), {"date_from": "soon"}, follow=True)
    assert response.status_code == 400
    assert not Job.objects.exists()


# --- permissions -------------------------------------------------------------------------------


def test_only_the_creator_and_administrators_see_a_job(client, organiser):
    job = Job.objects.create(kind=Job.Kind.CERTIFICATES, created_by=organiser, status="running")
    urls = [reverse(name, args=[job.pk]) for name in ("jobs:detail", "jobs:progress")]
    client.force_login(person(roles.ORGANISER))
    assert [client.get(url).status_code for url in urls] == [404, 404]
    client.force_login(person(roles.ME_OFFICER))  # cannot run certificate batches at all
    assert [client.get(url).status_code for url in urls] == [403, 403]
    client.force_login(person(roles.ADMINISTRATOR))
    assert [client.get(url).status_code for url in urls] == [200, 200]
    client.force_login(organiser)
    assert [client.get(url).status_code for url in urls] == [200, 200]
    # Unfinished: nothing to download yet.
    assert client.get(reverse("jobs:result", args=[job.pk])).status_code == 404


def test_who_may_start_which_job(client):
    client.force_login(person(roles.TRAINER))
    assert client.get(reverse("jobs:workbook_start")).status_code == 403
    assert client.get(reverse("jobs:list")).status_code == 403
    me = person(roles.ME_OFFICER)
    client.force_login(me)
    session = session_with_eligible(1)
    assert client.post(reverse("jobs:certificates_start", args=[session.code])).status_code == 403
    assert client.get(reverse("jobs:csv_start")).status_code == 302


def test_the_list_shows_the_persons_own_jobs(client, organiser, me_officer):
    Job.objects.create(kind=Job.Kind.CERTIFICATES, created_by=organiser, params={"code": "MINE"})
    Job.objects.create(kind=Job.Kind.CSV, created_by=me_officer)
    client.force_login(organiser)
    page = client.get(reverse("jobs:list")).content.decode()
    assert "MINE" in page
    assert "CSV export" not in page


# --- the polling partial -----------------------------------------------------------------------


def test_the_partial_polls_while_running_and_stops_when_done(client, organiser):
    job = Job.objects.create(
        kind=Job.Kind.CERTIFICATES, created_by=organiser, status="running", done=30, total=120
    )
    client.force_login(organiser)
    url = reverse("jobs:progress", args=[job.pk])
    running = client.get(url).content.decode()
    assert 'hx-trigger="every 1s"' in running
    assert f'hx-get="{url}"' in running
    assert 'value="30"' in running and 'max="120"' in running
    assert "30 of 120 (25 %)" in running
    services.job_finish(job.pk, name="certificates-X.pdf", content=b"%PDF-1.7")
    done = client.get(url).content.decode()
    assert "hx-trigger" not in done and "hx-get" not in done
    assert reverse("jobs:result", args=[job.pk]) in done
    assert "120 of 120 (100 %)" in done


# --- roster import -----------------------------------------------------------------------------

ROSTER = ["last_name", "first_name", "gender", "birth_year", "agency", "agency_type", "email"]


def roster_rows(n: int) -> list[list]:
    return [ROSTER] + [
        [f"Осмонова{i:04d}", "Айгүл", "ж", 1990, "Генеральная прокуратура", "Прокуратура", ""]
        for i in range(n)
    ]


def preview_and_confirm(client, url, path, capture):
    with path.open("rb") as f:
        preview = client.post(url, {"file": f})
    assert preview.status_code == 200 and preview.context["token"], preview.context.get("problems")
    with capture(execute=True):
        return client.post(url, {"token": preview.context["token"], "confirm": "1"})


def test_a_large_roster_imports_in_the_background(
    client, organiser, settings, write_xlsx, django_capture_on_commit_callbacks
):
    from tests.factories import SessionFactory
    from trainings.models import Enrolment, Session

    settings.BILIM_BACKGROUND_IMPORT_ROWS = 3
    session = SessionFactory(status=Session.Status.OPEN)
    client.force_login(organiser)
    url = reverse("trainings:roster_upload", args=[session.code])
    response = preview_and_confirm(
        client, url, write_xlsx(roster_rows(5)), django_capture_on_commit_callbacks
    )
    job = Job.objects.get()
    assert response["Location"] == reverse("jobs:detail", args=[job.pk])
    assert (job.kind, job.status, job.done, job.total) == ("roster_import", "done", 5, 5)
    assert Enrolment.objects.filter(session=session).count() == 5
    assert not (settings.MEDIA_ROOT / "imports" / job.params["input"]).exists()
    page = client.get(reverse("jobs:detail", args=[job.pk])).content.decode()
    assert "Roster imported:" in page
    # The confirmed upload cannot be confirmed a second time.
    assert not client.session.get("bilim_uploads", {})


def test_a_small_roster_imports_at_once(
    client, organiser, write_xlsx, django_capture_on_commit_callbacks
):
    from tests.factories import SessionFactory
    from trainings.models import Enrolment, Session

    session = SessionFactory(status=Session.Status.OPEN)
    client.force_login(organiser)
    url = reverse("trainings:roster_upload", args=[session.code])
    response = preview_and_confirm(
        client, url, write_xlsx(roster_rows(3)), django_capture_on_commit_callbacks
    )
    assert response["Location"] == reverse("trainings:session_detail", args=[session.code])
    assert not Job.objects.exists()
    assert Enrolment.objects.filter(session=session).count() == 3
