"""Programmes and the gender filter narrow the statistics like every other filter."""

import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from reports.models import Programme, Target
from reports.stats import Filters, StatsFilterError, filters_from_names, summary
from tests.factories import EnrolmentFactory, ParticipantFactory, SessionFactory, gender

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_programmes():
    rule_of_law = Programme.objects.create(code="ROL-2026", name="Rule of law", donors="EU; Norway")
    other = Programme.objects.create(code="MEDIA", name="Media freedom")
    inside, outside = SessionFactory(), SessionFactory()
    rule_of_law.sessions.add(inside)
    other.sessions.add(outside)
    woman = ParticipantFactory(gender=gender("female"))
    man = ParticipantFactory(gender=gender("male"))
    for person in (woman, man):
        EnrolmentFactory(session=inside, participant=person)
    EnrolmentFactory(session=outside, participant=woman)
    return rule_of_law, other


def test_programme_filter_counts_only_its_sessions(two_programmes):
    rule_of_law, _ = two_programmes
    everything = summary(Filters())
    scoped = summary(Filters(programme=rule_of_law))
    assert (everything["participations"], everything["participants"]) == (3, 2)
    assert (scoped["sessions"], scoped["participations"], scoped["participants"]) == (1, 2, 2)


def test_a_session_in_two_programmes_is_counted_once_per_programme(two_programmes):
    rule_of_law, other = two_programmes
    other.sessions.add(*rule_of_law.sessions.all())
    assert summary(Filters(programme=other))["participations"] == 3


def test_gender_filter(two_programmes):
    women = summary(filters_from_names(gender="F"))
    assert (women["participants"], women["participations"]) == (1, 2)
    assert women["by_gender"]["male"] == {"participants": 0, "participations": 0}


def test_unknown_programme_or_gender_is_an_error_naming_the_known_ones(two_programmes):
    with pytest.raises(StatsFilterError, match="MEDIA, ROL-2026"):
        filters_from_names(programme="nope")
    with pytest.raises(StatsFilterError, match="is not a gender"):
        filters_from_names(gender="xyz")


def test_stats_command_takes_programme_and_gender(two_programmes, capsys):
    call_command("stats", "--json", "--programme", "rol-2026", "--gender", "female")
    figures = json.loads(capsys.readouterr().out)
    assert (figures["participants"], figures["participations"]) == (1, 1)
    with pytest.raises(CommandError, match="unknown programme"):
        call_command("stats", "--json", "--programme", "nope")


def test_a_share_target_above_one_is_refused(two_programmes):
    rule_of_law, _ = two_programmes
    target = Target(
        programme=rule_of_law, indicator=Target.Indicator.WOMEN_SHARE, value=Decimal(50)
    )
    with pytest.raises(ValidationError, match="fraction"):
        target.full_clean()
