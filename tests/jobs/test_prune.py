"""Job results (files with people's names) are deleted after BILIM_JOB_RESULT_DAYS."""

import datetime as dt
import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from jobs import services
from jobs.models import Job
from tests.factories import signed_in
from trainings import roles

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.BILIM_JOB_RESULT_DAYS = 7


def finished_job(user, days_ago: float, name: str) -> Job:
    job = services.job_create(kind=Job.Kind.WORKBOOK, user=user)
    job = services.job_finish(job.pk, name=name, content=b"PK names")
    Job.objects.filter(pk=job.pk).update(finished_at=timezone.now() - dt.timedelta(days=days_ago))
    job.refresh_from_db()
    return job


def test_old_results_are_deleted_and_recent_ones_kept(client):
    user = signed_in(client, roles.ORGANISER)
    recent = finished_job(user, 6, "recent.xlsx")
    old = finished_job(user, 8, "old.xlsx")
    old_path, recent_path = old.result.path, recent.result.path

    out = io.StringIO()
    call_command("prune_jobs", stdout=out)

    assert out.getvalue().strip() == "deleted 1 result file"
    old.refresh_from_db()
    recent.refresh_from_db()
    assert not old.result and old.params["result_deleted"] is True
    assert recent.result.name.endswith("recent.xlsx")
    assert not Path(old_path).exists()
    assert Path(recent_path).read_bytes() == b"PK names"
    page = client.get(reverse("jobs:detail", args=[old.pk])).content.decode()
    assert "The result file was deleted after its keeping time" in page
    assert client.get(reverse("jobs:result", args=[old.pk])).status_code == 404


def test_starting_a_job_deletes_results_past_their_time(client):
    user = signed_in(client, roles.ORGANISER)
    old = finished_job(user, 30, "old.xlsx")
    services.job_create(kind=Job.Kind.CSV, user=user)
    old.refresh_from_db()
    assert not old.result


def test_days_option_overrides_the_setting():
    from tests.factories import UserFactory

    job = finished_job(UserFactory(), 2, "two-days.xlsx")
    out = io.StringIO()
    call_command("prune_jobs", "--days", "1", stdout=out)
    job.refresh_from_db()
    assert not job.result
    assert "deleted 1 result file" in out.getvalue()
