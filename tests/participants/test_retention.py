"""The retention review: people with no activity for N years, listed for review, not erased."""

import csv
import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from participants.erasure import participant_erase
from participants.models import Participant
from participants.selectors import participants_for_retention, retention_cutoff
from tests.factories import EnrolmentFactory, ParticipantFactory, SessionFactory, signed_in
from trainings import roles
from trainings.models import Enrolment

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 6, 1)
CUTOFF = dt.date(2021, 6, 1)  # five years before TODAY


def session_ending(day: dt.date):
    return SessionFactory(start_date=day - dt.timedelta(days=2), end_date=day)


def created_on(person: Participant, day: dt.date) -> Participant:
    moment = timezone.make_aware(dt.datetime.combine(day, dt.time(12, 0)))
    Participant.objects.filter(pk=person.pk).update(created_at=moment)
    return person


@pytest.fixture
def world():
    """People on both sides of the five-year limit, by session end or by creation date."""
    long_ago = dt.date(2019, 1, 1)
    people = {}
    people["ended_day_before"] = created_on(ParticipantFactory(last_name="Old"), long_ago)
    EnrolmentFactory(
        participant=people["ended_day_before"],
        session=session_ending(CUTOFF - dt.timedelta(days=1)),
    )
    people["ended_on_limit"] = created_on(ParticipantFactory(last_name="Limit"), long_ago)
    EnrolmentFactory(participant=people["ended_on_limit"], session=session_ending(CUTOFF))
    people["old_and_recent"] = created_on(ParticipantFactory(last_name="Returning"), long_ago)
    EnrolmentFactory(
        participant=people["old_and_recent"], session=session_ending(dt.date(2018, 5, 1))
    )
    EnrolmentFactory(
        participant=people["old_and_recent"], session=session_ending(dt.date(2024, 5, 1))
    )
    people["withdrawn_recently"] = created_on(ParticipantFactory(last_name="Withdrawn"), long_ago)
    EnrolmentFactory(
        participant=people["withdrawn_recently"],
        session=session_ending(dt.date(2025, 1, 1)),
        status=Enrolment.Status.WITHDRAWN,
    )
    people["never_enrolled_old"] = created_on(
        ParticipantFactory(last_name="Nobody"), CUTOFF - dt.timedelta(days=1)
    )
    people["never_enrolled_on_limit"] = created_on(ParticipantFactory(last_name="Newish"), CUTOFF)
    people["erased_old"] = created_on(ParticipantFactory(last_name="Gone"), long_ago)
    EnrolmentFactory(participant=people["erased_old"], session=session_ending(dt.date(2017, 1, 1)))
    participant_erase(participant=people["erased_old"], actor=None, reason="asked")
    return people


def test_cutoff_is_n_years_before_today_and_handles_29_february():
    assert retention_cutoff(5, TODAY) == CUTOFF
    assert retention_cutoff(1, dt.date(2028, 2, 29)) == dt.date(2027, 2, 28)


def test_lists_only_people_whose_last_activity_is_older_than_the_limit(world):
    listed = list(participants_for_retention(years=5, today=TODAY))
    assert [p.pk for p in listed] == [
        world["ended_day_before"].pk,
        world["never_enrolled_old"].pk,
    ]
    by_pk = {p.pk: p for p in listed}
    assert by_pk[world["ended_day_before"].pk].last_activity == CUTOFF - dt.timedelta(days=1)
    assert by_pk[world["never_enrolled_old"].pk].last_activity == CUTOFF - dt.timedelta(days=1)
    assert by_pk[world["never_enrolled_old"].pk].last_session is None


def test_a_shorter_period_lists_more_and_a_longer_one_fewer(world):
    three = {p.last_name for p in participants_for_retention(years=3, today=TODAY)}
    assert three == {"Old", "Limit", "Nobody", "Newish"}
    assert list(participants_for_retention(years=10, today=TODAY)) == []


def test_nobody_is_erased_by_the_review(world):
    list(participants_for_retention(years=1, today=TODAY))
    assert Participant.objects.filter(erased_at__isnull=False).count() == 1


def test_command_prints_the_list_and_a_count(world):
    recent = ParticipantFactory(last_name="Recent")
    EnrolmentFactory(participant=recent, session=session_ending(timezone.localdate()))
    out = io.StringIO()
    call_command("retention_review", "--years", "3", stdout=out)
    text = out.getvalue()
    # The command counts from today: these four are more than three years old whenever it runs.
    for name in ("Old", "Limit", "Nobody", "Newish"):
        assert f"\t{name} " in text
    assert "Recent" not in text
    assert "Gone" not in text and "Erased participant" not in text
    assert "(record created, never enrolled)" in text
    assert "participant(s) with no activity since before" in text


def test_command_writes_csv(world):
    out = io.StringIO()
    call_command("retention_review", "--years", "5", "--csv", stdout=out)
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[0] == ["id", "name", "agency", "last_activity", "enrolled"]
    ids = {int(row[0]) for row in rows[1:]}
    assert world["ended_day_before"].pk in ids
    assert world["never_enrolled_old"].pk in ids
    assert world["erased_old"].pk not in ids


def test_command_quotes_formula_names_in_csv():
    person = created_on(ParticipantFactory(last_name="=HYPERLINK(1)"), dt.date(2000, 1, 1))
    out = io.StringIO()
    call_command("retention_review", "--csv", stdout=out)
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert next(row[1] for row in rows[1:] if int(row[0]) == person.pk).startswith("'=")


def test_command_refuses_zero_years():
    with pytest.raises(CommandError, match="--years"):
        call_command("retention_review", "--years", "0")


@override_settings(BILIM_RETENTION_YEARS=5)
def test_page_lists_people_with_a_link_to_erase_each(client, world):
    signed_in(client, roles.ORGANISER)
    response = client.get(reverse("participants:participant_retention"))
    page = response.content.decode()
    assert response.context["years"] == 5
    listed = {p.pk for p in response.context["people"]}
    assert world["ended_day_before"].pk in listed
    assert world["erased_old"].pk not in listed
    assert world["withdrawn_recently"].pk not in listed
    assert reverse("participants:participant_erase", args=[world["ended_day_before"].pk]) in page


@pytest.mark.parametrize("role", [roles.ME_OFFICER, roles.TRAINER])
def test_page_is_for_organisers_and_administrators(client, role):
    signed_in(client, role)
    assert client.get(reverse("participants:participant_retention")).status_code == 403


@pytest.mark.parametrize("count", [1, 30])
def test_page_query_count_is_flat(client, django_assert_max_num_queries, count):
    for _ in range(count):
        person = created_on(ParticipantFactory(), dt.date(2000, 1, 1))
        EnrolmentFactory(participant=person, session=session_ending(dt.date(2001, 1, 1)))
    signed_in(client, roles.ADMINISTRATOR)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("participants:participant_retention"))
    assert len(response.context["people"]) == count


def test_page_with_rows_and_erase_page_pass_the_accessibility_audit(client, world):
    from tests.test_accessibility import PageAudit

    signed_in(client, roles.ORGANISER)
    person = world["ended_day_before"]
    for url, data in (
        (reverse("participants:participant_retention"), None),
        (reverse("participants:participant_erase", args=[person.pk]), None),
        (reverse("participants:participant_erase", args=[person.pk]), {"reason": ""}),
        (reverse("participants:participant_erase", args=[world["erased_old"].pk]), None),
    ):
        response = client.post(url, data) if data is not None else client.get(url)
        assert response.status_code == 200
        audit = PageAudit()
        audit.feed(response.content.decode())
        assert audit.problems() == [], url
