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
