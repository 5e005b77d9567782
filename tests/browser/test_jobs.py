"""Background jobs from the page, in chromium: the live progress bar and the result link.

A real ``db_worker`` (django-tasks-db's Worker, its run loop in a thread of this process, so it
shares pytest-django's test database, which another process could not see on SQLite) takes the
jobs the pages enqueue with the database backend.

The fast test (in every run) issues 60 certificates with the threshold lowered. The issue's
done-when sizes (a 1,000-certificate batch, a 300,000-row workbook) are marked ``slow`` and run
only with ``BILIM_SLOW_TESTS=1``:

    BILIM_SLOW_TESTS=1 .venv/bin/pytest tests/browser/test_jobs.py -m slow
"""

import itertools
import os
import threading
import time
from contextlib import contextmanager

import pytest
from django.db import connection
from django_tasks_db.management.commands.db_worker import Worker

from certificates.models import Certificate
from jobs import tasks
from jobs.models import Job
from reports import stats
from reports.stats import Filters
from tests.jobs.helpers import session_with_eligible
from trainings import roles

pytestmark = pytest.mark.django_db(transaction=True)

SLOW = pytest.mark.skipif(
    os.environ.get("BILIM_SLOW_TESTS") != "1", reason="set BILIM_SLOW_TESTS=1 to run"
)
DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def database_tasks(settings, tmp_path):
    """Jobs go to the database queue (as in production), results to a temporary MEDIA_ROOT."""
    settings.TASKS = DATABASE_TASKS
    settings.MEDIA_ROOT = tmp_path / "media"


@contextmanager
def db_worker():
    """Run django-tasks-db's worker loop in a thread until the block ends."""
    worker = Worker(
        queue_names=["default"],
        interval=0.2,
        batch=False,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="browser-test-worker",
        excluded_queue_names=[],
    )

    def run() -> None:
        try:
            worker.run()
        finally:
            connection.close()

    thread = threading.Thread(target=run, name="db_worker", daemon=True)
    thread.start()
    try:
        yield worker
    finally:
        worker.running = False
        thread.join(timeout=120)


def watch_progress(page, timeout: float) -> list[int]:
    """Read the progress bar's value as it changes, without reloading, until the result shows.

    Returns the distinct values seen, in order; fails if the page reloaded meanwhile.
    """
    page.evaluate("() => { window.__sameDocument = true; }")
    seen: list[int] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = page.evaluate(
            "() => { const bar = document.getElementById('job-bar');"
            " return bar ? Math.round(bar.value) : null; }"
        )
        if value is not None and (not seen or value != seen[-1]):
            seen.append(value)
        if page.locator("#job-result, #job-error").count():
            # The last swap may have come between reading the bar and finding the result.
            value = page.evaluate("() => Math.round(document.getElementById('job-bar').value)")
            if not seen or value != seen[-1]:
                seen.append(value)
            break
        page.wait_for_timeout(150)
    assert page.evaluate("() => window.__sameDocument === true"), "the page reloaded"
    return seen


def assert_progress_and_result(page, server, seen: list[int], total: int, start: bytes) -> bytes:
    assert page.locator("#job-error").count() == 0, page.locator("#job-error").inner_text()
    assert page.locator("#job-result").count() == 1, f"no result after {seen}"
    print(f"progress bar: {len(seen)} values seen, {seen[:3]} ... {seen[-3:]}")
    increases = sum(1 for a, b in itertools.pairwise(seen) if b > a)
    assert increases >= 2, f"the bar moved {increases} times: {seen}"
    assert seen == sorted(seen) and seen[-1] == total
    text = page.locator("#job-progress-text").inner_text()
    assert f"{total:,}".replace(",", "") in text.replace(",", "").replace("\u202f", "")
    href = page.locator("#job-result").get_attribute("href")
    response = page.request.get(server.url + href)
    assert response.status == 200
    body = response.body()
    assert body.startswith(start)
    return body


def start_certificates(page, live_server, session) -> None:
    page.goto(f"{live_server.url}/sessions/{session.code}/")
    page.get_by_role("button", name="Issue certificates").click()
    page.wait_for_url("**/jobs/*/")


def test_certificates_batch_with_a_live_progress_bar(
    page, live_server, sign_in, user_with_role, shoot, settings, database_tasks, monkeypatch
):
    settings.BILIM_BACKGROUND_CERTIFICATES = 10
    monkeypatch.setattr(tasks, "CERTIFICATE_CHUNK", 10)
    session = session_with_eligible(60)
    sign_in(page, user_with_role(roles.ORGANISER))
    # The worker starts once the job is queued: on the tests' shared in-memory SQLite, a worker
    # polling the queue while the page writes the job could make that write fail with "database
    # table is locked" (a production database waits instead).
    start_certificates(page, live_server, session)
    assert page.locator("h1").inner_text().startswith("Certificates")
    with db_worker():
        seen = watch_progress(page, timeout=120)
    shoot(page, "job-certificates-done")
    assert_progress_and_result(page, live_server, seen, 60, b"%PDF")
    assert Certificate.objects.filter(enrolment__session=session, revoked=False).count() == 60
    job = Job.objects.get()
    assert (job.status, job.done, job.total) == ("done", 60, 60)
    page.goto(f"{live_server.url}/jobs/")
    assert page.get_by_role("link", name=job.result_name).count() == 1


@pytest.mark.slow
@SLOW
def test_a_1000_certificate_batch_in_the_background(
    page, live_server, sign_in, user_with_role, database_tasks
):
    session = session_with_eligible(1000)
    sign_in(page, user_with_role(roles.ORGANISER))
    began = time.monotonic()
    with db_worker():
        start_certificates(page, live_server, session)
        seen = watch_progress(page, timeout=1800)
    print(f"\n1,000 certificates: {time.monotonic() - began:.1f} s")
    assert_progress_and_result(page, live_server, seen, 1000, b"%PDF")


@pytest.mark.slow
@SLOW
def test_a_300000_row_workbook_in_the_background(
    page, live_server, sign_in, user_with_role, database_tasks
):
    from bench.imports_and_stats import generate

    began = time.monotonic()
    # About 85 % of the generated enrolments count as participations (the rest are withdrawn,
    # waitlisted or in cancelled sessions): 356,000 enrolments give just over 300,000.
    generate(356_000)
    rows = stats.participations(Filters()).count()
    print(f"\ngenerated {rows} participations in {time.monotonic() - began:.1f} s")
    assert rows >= 300_000
    sign_in(page, user_with_role(roles.ME_OFFICER))
    # The statistics page over 300,000 participations, before the worker competes for the database.
    page.goto(f"{live_server.url}/reports/", timeout=600_000)
    began = time.monotonic()
    with db_worker():
        page.get_by_role("button", name="Download the workbook (.xlsx)").click()
        page.wait_for_url("**/jobs/*/", timeout=600_000)
        seen = watch_progress(page, timeout=3600)
    print(f"workbook of {rows} rows: {time.monotonic() - began:.1f} s")
    assert_progress_and_result(page, live_server, seen, rows, b"PK")
