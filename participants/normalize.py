"""Normalise what people type so that matching agrees in every alphabet.

SQLite folds ASCII letters only, so case-insensitive comparison of Cyrillic text happens here, in
Python, and the results are stored in indexed ``*_key`` columns that both databases compare
exactly.
"""

import re

_SPACES = re.compile(r"\s+")


def clean_text(value: object) -> str:
    """Return a cell's text with surrounding spaces removed and inner runs of spaces as one."""
    if value is None:
        return ""
    if type(value) is str and "  " not in value and value.isprintable():
        # Printable text holds no whitespace but the plain space (true over all of Unicode, a
        # test checks it), so only the ends can need trimming: the import calls this ~12 times
        # per row, mostly on clean text.
        return value.strip()
    return _SPACES.sub(" ", str(value)).strip()


def fold(value: object) -> str:
    """Return a case-folded key for text: spaces collapsed, ё read as е."""
    return clean_text(value).casefold().replace("ё", "е")


def name_key(last_name: str, first_name: str, middle_name: str = "") -> str:
    """Return the key of a person's full name: last + first + middle, folded."""
    return fold(" ".join(part for part in (last_name, first_name, middle_name) if part))


def email_key(email: object) -> str:
    """Return the key of an email address: trimmed and case-folded, or '' when there is none."""
    return clean_text(email).casefold()


# The Russian and Kyrgyz alphabet in the Kyrgyz order (ң after н, ө after о, ү after у); ё is
# folded into е first. Mapped past every other letter so that Latin names come first.
_ALPHABET = "абвгдежзийклмнңоөпрстуүфхцчшщъыьэюя"
_COLLATE = str.maketrans({c: chr(0xE000 + i) for i, c in enumerate(_ALPHABET)})


def name_order_key(last_name: str, first_name: str, middle_name: str = "") -> tuple[str, ...]:
    """Return a key ordering people by last, first and middle name, alike on every database.

    SQL collations differ between SQLite and PostgreSQL and none knows the Kyrgyz letters' place.
    """
    return tuple(fold(p or "").translate(_COLLATE) for p in (last_name, first_name, middle_name))
