"""Suggest pairs of participant records that are likely one person, for an organiser to review.

The automatic rule (``participants.matching``) treats records with the same email, or with the
same folded name and a compatible birth year, as one person. This finds what it cannot: the same
name in Cyrillic and in Latin letters, names one letter apart, first and last name swapped, and a
changed surname with the same first name and phone. Pairs with two different known birth years
are two people (domain.md) and are never suggested.

It reads the needed columns of every participant in ONE query, computes keys in Python, and
compares only records that share a block: the name key (first and last name in either order),
each of the name key's one-letter deletions (so that two keys one edit apart, Damerau-Levenshtein,
always meet) and the phone's last nine digits.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import combinations

from participants.matching import likeness
from participants.models import Participant
from participants.translit import is_cyrillic, latin_key

# A key shorter than this is too common to trust one letter of difference ("li an", "li in").
MIN_TYPO_LENGTH = 8
# The phone's national number: the last nine digits, whatever prefix was typed.
PHONE_DIGITS = 9
LOADED_FIELDS = (
    "id",
    "last_name",
    "first_name",
    "middle_name",
    "name_key",
    "email_key",
    "birth_year",
    "phone",
    "agency_id",
    "region_id",
    "gender_id",
)
_NOT_DIGIT = re.compile(r"\D+")

SAME_NAME = "same name"
OTHER_ALPHABET = "same name in another alphabet"
OTHER_SPELLING = "same name spelt differently"
SWAPPED = "first and last name swapped"
ONE_LETTER = "names differ by one letter"
SAME_FIRST_NAME = "same first name"
SAME_PHONE = "same phone"
SAME_BIRTH_YEAR = "same birth year"
SAME_AGENCY = "same agency"
SAME_REGION = "same region"

_NAME_SCORE = {
    SAME_NAME: 0.6,
    OTHER_ALPHABET: 0.6,
    OTHER_SPELLING: 0.55,
    SWAPPED: 0.5,
    ONE_LETTER: 0.45,
    SAME_FIRST_NAME: 0.2,
}
_EXTRA_SCORE = {SAME_PHONE: 0.2, SAME_BIRTH_YEAR: 0.15, SAME_AGENCY: 0.05, SAME_REGION: 0.03}


@dataclass(frozen=True)
class Suggestion:
    """Two records that may be one person, how likely (0..1), and why."""

    first: Participant
    second: Participant
    score: float
    reasons: tuple[str, ...]


@dataclass
class _Entry:
    person: Participant
    last: str
    first: str
    middle: str
    key: str  # last and first name, in the order written
    phone: str
    blocks: set[str] = field(default_factory=set)


def damerau_levenshtein(a: str, b: str, limit: int = 2) -> int:
    """Return the optimal-string-alignment distance of two strings, or limit + 1 if beyond it."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = ca != cb
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return min(previous[-1], limit + 1)


def _deletions(key: str) -> set[str]:
    return {key[:i] + key[i + 1 :] for i in range(len(key))}


def _phone(value: str) -> str:
    digits = _NOT_DIGIT.sub("", value or "")
    return digits[-PHONE_DIGITS:] if len(digits) >= PHONE_DIGITS - 2 else ""


def _entry(person: Participant) -> _Entry:
    last, first = latin_key(person.last_name), latin_key(person.first_name)
    entry = _Entry(
        person=person,
        last=last,
        first=first,
        middle=latin_key(person.middle_name),
        key=f"{last} {first}",
        phone=_phone(person.phone),
    )
    if last and first:
        entry.blocks.add("n:" + " ".join(sorted((last, first))))
        if len(entry.key) >= MIN_TYPO_LENGTH:
            entry.blocks.update("d:" + d for d in _deletions(entry.key))
    if entry.phone:
        entry.blocks.add("p:" + entry.phone)
    return entry


def _feminine_pair(a: str, b: str) -> bool:
    """Tell whether two surname keys are one family's masculine and feminine forms."""
    short, long = sorted((a, b), key=len)
    return long == short + "a" or (short.endswith("ii") and long == short[:-2] + "aia")


def _name_reason(a: _Entry, b: _Entry) -> str | None:
    if a.person.name_key == b.person.name_key:
        return SAME_NAME
    if a.key == b.key:
        if is_cyrillic(a.person.full_name) != is_cyrillic(b.person.full_name):
            return OTHER_ALPHABET
        return OTHER_SPELLING
    if a.last == b.first and a.first == b.last:
        return SWAPPED
    if _feminine_pair(a.last, b.last):
        return None
    if len(a.key) >= MIN_TYPO_LENGTH and damerau_levenshtein(a.key, b.key, 1) <= 1:
        return ONE_LETTER
    if a.first == b.first and a.phone and a.phone == b.phone:
        return SAME_FIRST_NAME
    return None


def compare(a: _Entry, b: _Entry) -> Suggestion | None:
    """Return a suggestion for two records, or None when they are not a likely duplicate."""
    pa, pb = a.person, b.person
    if pa.birth_year is not None and pb.birth_year is not None and pa.birth_year != pb.birth_year:
        return None  # domain.md: a different birth year makes two people
    if likeness(pa, pb) is not None:
        return None  # the automatic rule already takes them for one person
    if a.middle and b.middle and damerau_levenshtein(a.middle, b.middle, 1) > 1:
        return None  # two different patronymics: two people
    name = _name_reason(a, b)
    if name is None:
        return None
    reasons = [name]
    if a.phone and a.phone == b.phone:
        reasons.append(SAME_PHONE)
    if pa.birth_year is not None and pa.birth_year == pb.birth_year:
        reasons.append(SAME_BIRTH_YEAR)
    if pa.agency_id == pb.agency_id:
        reasons.append(SAME_AGENCY)
    if pa.region_id is not None and pa.region_id == pb.region_id:
        reasons.append(SAME_REGION)
    score = _NAME_SCORE[name] + sum(_EXTRA_SCORE.get(r, 0.0) for r in reasons)
    if pa.gender_id != pb.gender_id:
        score -= 0.1
    first, second = sorted((pa, pb), key=lambda p: p.pk)
    return Suggestion(first, second, round(min(max(score, 0.0), 1.0), 2), tuple(reasons))


def _candidate_pairs(entries: Iterable[_Entry]) -> set[tuple[int, int]]:
    """Return index pairs of entries sharing a block, skipping pairs of known, different years."""
    blocks: dict[str, list[int]] = defaultdict(list)
    indexed = list(entries)
    for index, entry in enumerate(indexed):
        for block in entry.blocks:
            blocks[block].append(index)
    pairs: set[tuple[int, int]] = set()
    for members in blocks.values():
        if len(members) < 2:
            continue
        # Within a block, only the same year or an unknown one can pair: big blocks stay cheap.
        by_year: dict[int | None, list[int]] = defaultdict(list)
        for index in members:
            by_year[indexed[index].person.birth_year].append(index)
        unknown = by_year.pop(None, [])
        for group in by_year.values():
            pairs.update(combinations(group, 2))
            pairs.update((u, k) if u < k else (k, u) for u in unknown for k in group)
        pairs.update(combinations(unknown, 2))
    return pairs


def suggestions_among(people: Iterable[Participant], *, limit: int = 200) -> list[Suggestion]:
    """Return the likely duplicate pairs among these records, best first, at most ``limit``."""
    entries = [_entry(p) for p in people]
    found = []
    for i, j in _candidate_pairs(entries):
        suggestion = compare(entries[i], entries[j])
        if suggestion is not None:
            found.append(suggestion)
    found.sort(key=lambda s: (-s.score, s.first.pk, s.second.pk))
    return found[:limit]


def duplicate_suggestions(*, limit: int = 200) -> list[Suggestion]:
    """Return the likely duplicate participants the automatic rule does not catch, best first."""
    # Erased records are nobody's: never suggested (their labels differ by one digit).
    people = Participant.objects.filter(erased_at__isnull=True).only(*LOADED_FIELDS).order_by("pk")
    return suggestions_among(people.iterator(chunk_size=2000), limit=limit)
