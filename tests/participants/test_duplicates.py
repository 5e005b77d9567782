"""Duplicate suggestions: likely one person that the automatic same-person rule does not catch."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from participants.duplicates import (
    ONE_LETTER,
    OTHER_ALPHABET,
    SAME_AGENCY,
    SAME_BIRTH_YEAR,
    SAME_FIRST_NAME,
    SAME_PHONE,
    SWAPPED,
    damerau_levenshtein,
    duplicate_suggestions,
)
from tests.factories import AgencyFactory, ParticipantFactory

pytestmark = pytest.mark.django_db


def person(last, first, **fields):
    fields.setdefault("email", "")
    return ParticipantFactory(last_name=last, first_name=first, **fields)


def pairs(suggestions):
    return {(s.first.pk, s.second.pk): s for s in suggestions}


def key(a, b):
    return tuple(sorted((a.pk, b.pk)))


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [
        ("osmonova", "osmonova", 0),
        ("osmonova", "osmanova", 1),
        ("osmonova", "osmnova", 1),
        ("osmonova", "somonova", 1),  # two letters swapped
        ("osmonova", "usmanova", 2),
        ("osmonova", "ivanov", 3),  # beyond the limit
    ],
)
def test_damerau_levenshtein_counts_edits_up_to_the_limit(a, b, distance):
    assert damerau_levenshtein(a, b, 2) == distance


def test_same_name_in_cyrillic_and_latin_letters_is_suggested():
    agency = AgencyFactory()
    cyrillic = person("Осмонова", "Айгүл", agency=agency, email="aigul@example.kg")
    latin = person("Osmonova", "Aigul", agency=agency, email="a.osmonova@donor.org")
    person("Токтогулов", "Нурлан")

    found = pairs(duplicate_suggestions())

    assert list(found) == [key(cyrillic, latin)]
    suggestion = found[key(cyrillic, latin)]
    assert suggestion.reasons == (OTHER_ALPHABET, SAME_BIRTH_YEAR, SAME_AGENCY, "same region")
    assert 0 < suggestion.score <= 1


def test_names_one_letter_apart_are_suggested():
    typo = person("Токтогулов", "Нурлан", birth_year=None)
    right = person("Токтагулов", "Нурлан")

    found = pairs(duplicate_suggestions())

    assert ONE_LETTER in found[key(typo, right)].reasons


def test_first_and_last_name_swapped_is_suggested():
    a = person("Ковалёва", "Елена")
    b = person("Elena", "Kovalyova")

    assert pairs(duplicate_suggestions())[key(a, b)].reasons[0] == SWAPPED


def test_changed_surname_with_same_first_name_and_phone_is_suggested():
    a = person("Осмонова", "Айгүл", phone="+996 (555) 12-34-56")
    b = person("Бекова", "Айгүл", phone="0555 123456")
    person("Иманалиева", "Жылдыз", phone="0555 123456")  # the office phone, another person

    found = pairs(duplicate_suggestions())

    assert list(found) == [key(a, b)]
    assert found[key(a, b)].reasons[:2] == (SAME_FIRST_NAME, SAME_PHONE)


def test_different_known_birth_years_are_never_suggested():
    person("Осмонова", "Айгүл", birth_year=1985)
    person("Osmonova", "Aigul", birth_year=1990)
    person("Osmanova", "Aigul", birth_year=1991)

    assert duplicate_suggestions() == []


def test_masculine_and_feminine_surnames_are_not_suggested():
    person("Иванов", "Саша")
    person("Иванова", "Саша")

    assert duplicate_suggestions() == []


def test_different_patronymics_are_not_suggested():
    person("Осмонова", "Айгүл", middle_name="Бакытовна")
    person("Osmonova", "Aigul", middle_name="Tilekovna")

    assert duplicate_suggestions() == []


def test_pairs_the_automatic_rule_takes_for_one_person_are_left_out():
    # Same folded name, same year, no emails: the rule already treats them as one person.
    person("Осмонова", "Айгүл")
    person("ОСМОНОВА", "айгүл")
    # Same name, one birth year missing: also one person by the rule.
    person("Токтогулов", "Нурлан", birth_year=None)
    person("Токтогулов", "Нурлан", email="nurlan@example.kg")

    assert duplicate_suggestions() == []


def test_same_name_with_two_emails_is_suggested_because_the_rule_keeps_them_apart():
    a = person("Осмонова", "Айгүл", email="aigul@example.kg")
    b = person("Осмонова", "Айгүл", email="aigul@gmail.com")

    assert key(a, b) in pairs(duplicate_suggestions())


def test_suggestions_are_ranked_by_score_and_limited():
    weak = person("Токтогулов", "Нурлан", birth_year=None)
    person("Токтагулов", "Нурлан")
    strong = person("Осмонова", "Айгүл", phone="0555123456")
    person("Osmonova", "Aigul", phone="0555123456")

    everything = duplicate_suggestions()
    best = duplicate_suggestions(limit=1)

    assert [s.score for s in everything] == sorted((s.score for s in everything), reverse=True)
    assert len(everything) == 2
    assert [s.first for s in best] == [strong]
    assert everything[1].first == weak


@pytest.mark.parametrize("count", [5, 50])
def test_suggestions_read_the_participants_in_one_query(count):
    for n in range(count):
        person(f"Фамилия{n}", "Айгүл", birth_year=1960 + n)
        person(f"Familiia{n}", "Aigul", birth_year=1960 + n)

    with CaptureQueriesContext(connection) as queries:
        found = duplicate_suggestions(limit=1000)
        names = [s.first.full_name + s.second.full_name for s in found]

    assert len(queries) == 1
    assert len(names) == count


def test_duplicates_command_prints_one_suggestion_a_line():
    a = person("Осмонова", "Айгүл")
    b = person("Osmonova", "Aigul")
    c = person("Токтогулов", "Нурлан", birth_year=None)
    d = person("Токтагулов", "Нурлан")
    out = StringIO()

    call_command("duplicates", "--limit", "1", stdout=out)

    lines = out.getvalue().splitlines()
    assert len(lines) == 1
    score, first, second, reasons = lines[0].split("  ")
    assert float(score) > 0
    assert (first, second) == (f"{a.pk} Осмонова Айгүл", f"{b.pk} Osmonova Aigul")
    assert reasons.startswith(OTHER_ALPHABET)
    out = StringIO()
    call_command("duplicates", stdout=out)
    assert f"{c.pk} Токтогулов Нурлан  {d.pk} Токтагулов Нурлан" in out.getvalue()


def test_duplicates_command_refuses_a_limit_below_one():
    with pytest.raises(CommandError, match="limit"):
        call_command("duplicates", "--limit", "0")
