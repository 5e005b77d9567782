"""The same-person rule of domain.md, and the index that applies it to a whole file."""

from types import SimpleNamespace

import pytest

from participants.matching import (
    Likeness,
    PersonIndex,
    Probe,
    choose,
    likeness,
    same_person,
)
from participants.models import Participant
from participants.normalize import name_key
from tests.factories import ParticipantFactory

AIGUL = name_key("Осмонова", "Айгүл")


def person(name: str = AIGUL, email: str = "", birth_year: int | None = None) -> SimpleNamespace:
    return SimpleNamespace(name_key=name, email_key=email, birth_year=birth_year)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (person(email="a@x.org"), person(name="other", email="a@x.org"), Likeness.EMAIL),
        (person(email="a@x.org", birth_year=1990), person(email="b@x.org", birth_year=1990), None),
        (person(email="a@x.org", birth_year=1990), person(birth_year=1990), Likeness.STRONG),
        (person(birth_year=1990), person(birth_year=1990), Likeness.STRONG),
        (person(birth_year=1990), person(), Likeness.WEAK),
        (person(), person(), Likeness.WEAK),
        (person(birth_year=1990), person(birth_year=1991), None),
        (person(birth_year=1990), person(name="осмонова айгуль", birth_year=1990), None),
    ],
)
def test_likeness_follows_the_rule(a, b, expected):
    assert likeness(a, b) is expected
    assert likeness(b, a) is expected
    assert same_person(a, b) is (expected is not None)


def test_probe_folds_names_and_email_as_the_stored_keys_do():
    probe = Probe.of(last_name=" КОВАЛЁВА ", first_name="Елена  ", email=" E.Kov@Mail.KG ")
    assert probe == Probe("ковалева елена", "e.kov@mail.kg", None)


def test_one_strong_candidate_wins_over_weak_ones():
    strong = person(birth_year=1990)
    match = choose(Probe(AIGUL, "", 1990), [person(), strong, person()])
    assert match.person is strong
    assert match.by is Likeness.STRONG


def test_two_strong_candidates_are_ambiguous():
    match = choose(Probe(AIGUL, "", 1990), [person(birth_year=1990), person(birth_year=1990)])
    assert match.person is None
    assert match.ambiguous
    assert match.candidates == 2


def test_exactly_one_weak_candidate_is_the_person():
    weak = person()
    match = choose(Probe(AIGUL, "", 1990), [weak, person(birth_year=1985)])
    assert match.person is weak
    assert match.by is Likeness.WEAK


def test_two_weak_candidates_are_ambiguous():
    match = choose(Probe(AIGUL, "", None), [person(birth_year=1985), person(birth_year=1990)])
    assert match.ambiguous
    assert match.by is Likeness.WEAK
    assert match.candidates == 2


def test_a_candidate_with_another_email_is_another_person():
    match = choose(Probe(AIGUL, "a@x.org", 1990), [person(email="b@x.org", birth_year=1990)])
    assert match.new


def test_an_email_match_wins_over_name_candidates():
    by_email = person(name="другое имя", email="a@x.org")
    match = choose(Probe(AIGUL, "a@x.org", 1990), [person(birth_year=1990), by_email])
    assert match.person is by_email
    assert match.by is Likeness.EMAIL


@pytest.mark.parametrize(
    ("probe", "by", "column", "advice"),
    [
        (Probe(AIGUL, "", None), Likeness.WEAK, "birth_year", "add the birth year or the email"),
        (Probe(AIGUL, "", 1990), Likeness.STRONG, "email", "born 1990 could be this person: add"),
        (Probe(AIGUL, "a@x.org", None), Likeness.WEAK, "birth_year", "add the birth year to"),
        (Probe(AIGUL, "a@x.org", 1990), Likeness.STRONG, "last_name", "or merge them"),
    ],
)
def test_an_ambiguous_match_says_how_many_and_what_to_add(probe, by, column, advice):
    match = choose(probe, [person(birth_year=probe.birth_year)] * 2)
    assert match.by is by
    got_column, message = match.problem(probe, "Осмонова Айгүл")
    assert got_column == column
    assert message.startswith("2 people named Осмонова Айгүл")
    assert advice in message


def test_index_finds_a_person_planned_by_an_earlier_row_and_refiles_a_changed_email():
    index = PersonIndex()
    planned = Participant(last_name="Осмонова", first_name="Айгүл", birth_year=1990)
    planned.refresh_keys()
    index.add(planned)
    probe = Probe.of(last_name="Осмонова", first_name="Айгүл", email="a@x.org", birth_year=1990)
    assert index.match(probe).person is planned

    planned.email = "A@x.org"
    planned.refresh_keys()
    index.reindex(planned)

    assert index.match(Probe("someone else", "a@x.org", None)).person is planned
    assert len(index) == 1


def test_index_refiles_a_renamed_person_under_the_new_name_only():
    renamed = person(birth_year=1990)
    index = PersonIndex([renamed])
    renamed.name_key = "токтогулов нурлан"
    index.reindex(renamed)
    assert index.match(Probe(AIGUL, "", 1990)).new
    assert index.match(Probe("токтогулов нурлан", "", 1990)).person is renamed
    assert list(index) == [renamed]


@pytest.mark.django_db
def test_load_fetches_only_people_named_or_emailed_by_the_file_in_one_query(
    django_assert_num_queries,
):
    by_email = ParticipantFactory(email="Nurlan@Mail.kg")
    by_name = ParticipantFactory(last_name="Осмонова", first_name="Айгүл", email="")
    ParticipantFactory(last_name="Токтогулов", first_name="Нурлан", email="")
    ParticipantFactory(email="")  # no email: must not be fetched by the file's blank emails

    with django_assert_num_queries(1):
        index = PersonIndex.load(email_keys=["nurlan@mail.kg", ""], name_keys=[AIGUL])
        loaded = list(index)

    assert {p.pk for p in loaded} == {by_email.pk, by_name.pk}
    assert index.match(Probe("x", "nurlan@mail.kg", None)).person.pk == by_email.pk


@pytest.mark.django_db
def test_load_splits_long_key_lists_and_keeps_each_person_once(monkeypatch):
    monkeypatch.setattr("participants.matching.CHUNK_SIZE", 2)
    people = [ParticipantFactory(email=f"p{i}@x.org") for i in range(5)]
    index = PersonIndex.load(
        email_keys=[p.email_key for p in people], name_keys=[p.name_key for p in people]
    )
    assert sorted(p.pk for p in index) == sorted(p.pk for p in people)


def test_clean_text_short_cut_is_safe_for_every_unicode_character():
    """Printable characters include no whitespace but the space, so the short cut is exact."""
    import re
    import sys

    from participants.normalize import clean_text

    assert [
        c
        for c in map(chr, range(sys.maxunicode + 1))
        if re.fullmatch(r"\s", c) and c != " " and c.isprintable()
    ] == []
    assert clean_text("  Айгүл   Осмонова ") == "Айгүл Осмонова"
    assert clean_text("Айгүл\u00a0Осмонова") == "Айгүл Осмонова"
    assert clean_text(" x ") == "x"
