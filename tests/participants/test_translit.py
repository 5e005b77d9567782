"""The Latin name key on which Cyrillic and Latin spellings of one name compare equal."""

import pytest

from participants.translit import is_cyrillic, latin_key


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Айгүл Осмонова", "Aigul Osmonova"),
        ("Айгүл Осмонова", "AYGÜL  osmonova"),
        ("Жеңишбек", "Zhenishbek"),
        ("Жеңишбек", "Jenishbek"),
        ("Нурлан Токтогулов", "Nurlan Toktogulov"),
        ("Ковалёва Елена", "Kovaleva Elena"),
        ("Ковалёва Елена", "Kovalyova Yelena"),
        ("Үсөнов", "Usonov"),
        ("Чолпон", "Cholpon"),
        ("Мария", "Mariya"),
        ("Мария", "Maria"),
        ("Алексей", "Alexey"),
        ("Хасан", "Hasan"),
        ("Щукин", "Shchukin"),
        ("Сергеев", "Sergeyev"),
        ("Джамиля", "Djamilya"),
    ],
)
def test_spellings_of_one_name_share_a_key(one, other):
    assert latin_key(one) == latin_key(other)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Иванов", "Иванова"),
        ("Usenov", "Usonov"),  # one letter apart: suggestions find it, the key does not merge it
        ("Айгүл", "Айгерим"),
        ("Нурлан Токтогулов", "Токтогулов Нурлан"),
    ],
)
def test_different_names_keep_different_keys(one, other):
    assert latin_key(one) != latin_key(other)


def test_key_is_lower_case_latin_letters_and_single_spaces():
    assert latin_key("  Өмүрбекова-Ли,   Айгүл ") == "omurbekovali aigul"


def test_is_cyrillic_tells_the_alphabet_of_most_letters():
    assert is_cyrillic("Айгүл Осмонова, Bishkek") is True
    assert is_cyrillic("Aigul Osmonova, Бишкек") is False
