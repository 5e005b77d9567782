"""The statistics page's cache: figures come back from it until any counted row is written.

These tests commit (``transaction=True``), as the site does: the cache is off for the rest of the
suite, whose tests never commit.
"""

import datetime as dt

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reports import cache as stats_cache
from reports import stats
from tests.factories import (
    EnrolmentFactory,
    ParticipantFactory,
    SessionFactory,
    attend,
    signed_in,
)
from trainings import roles
from trainings.bulk import bulk_insert
from trainings.models import Attendance, Enrolment
from trainings.services import attendance_set

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_lists")]


@pytest.fixture(autouse=True)
def _cache_on(settings):
    settings.BILIM_STATS_CACHE_SECONDS = 600
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def world():
    """One completed two-day session with three confirmed people, each present on both days."""
    session = SessionFactory(
        start_date=dt.date(2025, 3, 10), end_date=dt.date(2025, 3, 11), code="CACHE-1"
    )
    enrolments = [EnrolmentFactory(session=session) for _ in range(3)]
    for enrolment in enrolments:
        attend(enrolment, 2)
    return session, enrolments


def figures(client):
    response = client.get(reverse("reports:statistics"))
    assert response.status_code == 200
    context = response.context
    return context["totals"].participations, context["attendance"].present_days


def test_second_request_reads_the_figures_from_the_cache(client, world):
    signed_in(client, roles.ME_OFFICER)
    assert figures(client) == (3, 6)
    # Sign-in, the session and the page's own form lists only: no statistics query.
    with CaptureQueriesContext(connection) as cached:
        assert figures(client) == (3, 6)
    cache.clear()
    with CaptureQueriesContext(connection) as fresh:
        assert figures(client) == (3, 6)
    assert not any("trainings_attendance" in q["sql"] for q in cached.captured_queries)
    assert any("trainings_attendance" in q["sql"] for q in fresh.captured_queries)
    assert len(fresh.captured_queries) > len(cached.captured_queries) + 5


def test_service_write_shows_at_once(client, world):
    session, enrolments = world
    signed_in(client, roles.ME_OFFICER)
    assert figures(client) == (3, 6)
    day = session.days.order_by("date").first()
    attendance_set(day=day, marks={enrolments[0].pk: False})
    assert figures(client) == (3, 5)


@pytest.mark.parametrize("how", ["update", "bulk_create", "bulk_insert", "delete", "raw sql"])
def test_writes_that_skip_save_show_at_once(client, world, how):
    session, enrolments = world
    newcomer = ParticipantFactory()
    signed_in(client, roles.ME_OFFICER)
    assert figures(client) == (3, 6)
    if how == "update":
        Attendance.objects.filter(enrolment=enrolments[0]).update(present=False)
        expected = (3, 4)
    elif how == "bulk_create":
        Enrolment.objects.bulk_create(
            [Enrolment(session=session, participant=newcomer, status=Enrolment.Status.CONFIRMED)]
        )
        expected = (4, 6)
    elif how == "bulk_insert":  # COPY on PostgreSQL, which no execute wrapper sees
        bulk_insert(
            Enrolment,
            [Enrolment(session=session, participant=newcomer, status=Enrolment.Status.CONFIRMED)],
        )
        expected = (4, 6)
    elif how == "delete":
        Attendance.objects.filter(enrolment=enrolments[1]).delete()
        expected = (3, 4)
    else:
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {Attendance._meta.db_table} SET present = %s WHERE enrolment_id = %s",
                [False, enrolments[2].pk],
            )
        expected = (3, 4)
    assert figures(client) == expected


def test_a_committed_transaction_shows_and_a_rolled_back_one_changes_nothing(client, world):
    _, enrolments = world
    signed_in(client, roles.ME_OFFICER)
    assert figures(client) == (3, 6)
    with transaction.atomic():
        Attendance.objects.filter(enrolment=enrolments[0]).update(present=False)
        Attendance.objects.filter(enrolment=enrolments[1]).update(present=False)
    assert figures(client) == (3, 2)
    with pytest.raises(RuntimeError), transaction.atomic():
        Attendance.objects.filter(enrolment=enrolments[2]).update(present=False)
        raise RuntimeError("rolled back")
    assert figures(client) == (3, 2)
    # After a rollback the next transaction still starts a new version.
    with transaction.atomic():
        Attendance.objects.filter(enrolment=enrolments[2]).update(present=False)
    assert figures(client) == (3, 0)


def test_the_cached_page_agrees_with_the_statistics_after_changes(client, world):
    _, enrolments = world
    signed_in(client, roles.ME_OFFICER)
    figures(client)
    Enrolment.objects.filter(pk=enrolments[0].pk).update(status=Enrolment.Status.WITHDRAWN)
    fresh = stats.Figures()
    assert figures(client) == (
        fresh.headline(stats.Filters()).participations,
        fresh.attendance(stats.Filters()).present_days,
    )
    assert figures(client)[0] == 2


def test_each_language_keeps_its_own_labels(client, world):
    signed_in(client, roles.ME_OFFICER)
    english = client.get(reverse("reports:statistics"), HTTP_ACCEPT_LANGUAGE="en")
    client.cookies["django_language"] = "ru"
    russian = client.get(reverse("reports:statistics"))
    assert "By gender" in english.content.decode()
    assert "By gender" not in russian.content.decode()


def test_cache_off_computes_every_time(client, world, settings):
    settings.BILIM_STATS_CACHE_SECONDS = 0
    signed_in(client, roles.ME_OFFICER)
    figures(client)
    kept = [key for key in cache._cache if ":bilim:stats:" in key and "version" not in key]
    assert kept == []


@pytest.mark.parametrize(
    ("sql", "writes"),
    [
        ('INSERT INTO "trainings_attendance" ("enrolment_id") VALUES (%s)', True),
        ('UPDATE "participants_participant" SET "last_name" = %s', True),
        ('DELETE FROM "certificates_certificate" WHERE "id" IN (%s)', True),
        ('  update "reports_programme" set "name" = %s', True),
        ("UPDATE trainings_attendance SET present = %s", True),
        ('SELECT "trainings_attendance"."id" FROM "trainings_attendance"', False),
        ('INSERT INTO "django_session" ("session_key") VALUES (%s)', False),
        ('UPDATE "bilim_cache" SET "value" = %s', False),
        ('UPDATE "auth_user" SET "last_login" = %s', False),
    ],
)
def test_which_statements_count_as_writes(sql, writes):
    assert stats_cache.is_write(sql) is writes


def test_the_me_start_page_shows_a_new_participation_at_once(client, world):
    session, _ = world
    newcomer = ParticipantFactory()
    signed_in(client, roles.ME_OFFICER)
    assert client.get(reverse("home_me")).context["figures"]["participations"] == 3
    assert client.get(reverse("home_me")).context["figures"]["participations"] == 3
    Enrolment.objects.create(
        session=session, participant=newcomer, status=Enrolment.Status.CONFIRMED
    )
    assert client.get(reverse("home_me")).context["figures"]["participations"] == 4


def test_the_directory_counts_from_the_cache_until_someone_is_added(client, world):
    signed_in(client, roles.ORGANISER)
    url = reverse("participants:participant_list")
    assert client.get(url).context["page_obj"].paginator.count == 3
    with CaptureQueriesContext(connection) as again:
        assert client.get(url).context["page_obj"].paginator.count == 3
    assert not any("COUNT(*)" in q["sql"] for q in again.captured_queries)
    ParticipantFactory()
    assert client.get(url).context["page_obj"].paginator.count == 4
    # Each set of filters keeps its own count.
    assert client.get(url, {"q": "no such name"}).context["page_obj"].paginator.count == 0


def test_the_kept_html_of_the_figures_changes_with_the_data(client, world):
    _, enrolments = world
    signed_in(client, roles.ME_OFFICER)
    url = reverse("reports:statistics")

    def headline() -> str:
        html = client.get(url).content.decode()
        start = html.index('id="stat-participations"')
        return html[start : start + 200]

    assert "<dd>3</dd>" in headline()
    assert "<dd>3</dd>" in headline()  # the second time from the kept fragment
    Enrolment.objects.filter(pk=enrolments[0].pk).update(status=Enrolment.Status.WITHDRAWN)
    assert "<dd>2</dd>" in headline()
