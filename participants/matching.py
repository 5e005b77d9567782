"""Whether two records are one person (domain.md, "Same person or not").

The rule: records with the same email are one person, and records with different emails are two.
Where either has no email, the same full name (``name_key``) with the same birth year is a
*strong* candidate, the same name with a birth year missing on one side or both a *weak* one, and
a different birth year rules a record out. One strong candidate is the person; several are
ambiguous; with none, exactly one weak candidate is the person and several are ambiguous.

``PersonIndex`` answers the rule for a whole file from one query and is updated as the file is
planned, so that a person an earlier row creates or changes is found by the rows after it.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import zip_longest
from typing import Any, Protocol

from django.db import connections
from django.db.models import Q, QuerySet

from participants.models import Participant
from participants.normalize import email_key, name_key

# Bound on the keys of one IN list: SQLite's historical limit on query parameters is 999.
CHUNK_SIZE = 900
MATCH_FIELDS = ("id", "name_key", "email_key", "birth_year")


class Person(Protocol):
    """What matching reads of a record: a Participant, a planned one, or a row's Probe."""

    name_key: str
    email_key: str
    birth_year: int | None


@dataclass(frozen=True)
class Probe:
    """The identity a spreadsheet row or a form gives for a person."""

    name_key: str
    email_key: str = ""
    birth_year: int | None = None

    @classmethod
    def of(
        cls,
        *,
        last_name: str,
        first_name: str,
        middle_name: str = "",
        email: str = "",
        birth_year: int | None = None,
    ) -> Probe:
        """Build a probe from the values as typed."""
        return cls(name_key(last_name, first_name, middle_name), email_key(email), birth_year)


class Likeness(enum.Enum):
    EMAIL = "email"
    STRONG = "strong"  # same name, same birth year
    WEAK = "weak"  # same name, a birth year missing on one side or both


def likeness(a: Person, b: Person) -> Likeness | None:
    """Return how two records are alike under the rule, or None when they are two people."""
    if a.email_key and b.email_key:
        return Likeness.EMAIL if a.email_key == b.email_key else None
    if not a.name_key or a.name_key != b.name_key:
        return None
    if a.birth_year is None or b.birth_year is None:
        return Likeness.WEAK
    return Likeness.STRONG if a.birth_year == b.birth_year else None


def same_person(a: Person, b: Person) -> bool:
    """Tell whether two records may be one person by the rule, looking at these two only.

    A birth year missing on one side counts as alike here; whether that record is the *only*
    such candidate is for a caller who holds all the candidates (``choose``) to judge.
    """
    return likeness(a, b) is not None


@dataclass(frozen=True)
class Match:
    """The outcome of matching: the person found, or none, or how many could not be told apart."""

    person: Any = None
    by: Likeness | None = None
    # How many recorded people the rule could not tell apart (more than 1 means ambiguous).
    candidates: int = 0

    @property
    def ambiguous(self) -> bool:
        return self.person is None and self.candidates > 1

    @property
    def new(self) -> bool:
        return self.person is None and self.candidates == 0

    def problem(self, probe: Probe, display_name: str) -> tuple[str, str]:
        """Return (column, message) saying that the match is ambiguous and what would settle it."""
        wanted = []
        if probe.birth_year is None:
            wanted.append(("birth_year", "the birth year"))
        if not probe.email_key:
            wanted.append(("email", "the email"))
        described = f"{self.candidates} people named {display_name}"
        if self.by is Likeness.STRONG:
            described += f" born {probe.birth_year}"
        elif probe.birth_year is not None:
            described += " with no birth year recorded"
        if not wanted:
            return (
                "last_name",
                f"{described} could be this person: record their birth years or emails "
                "(or merge them if they are one person), then import again",
            )
        return (
            wanted[0][0],
            f"{described} could be this person: add "
            + " or ".join(text for _, text in wanted)
            + " to tell them apart",
        )


def choose(probe: Person, people: Iterable[Any]) -> Match:
    """Apply the rule to a probe and the records sharing its email or name."""
    strong, weak = [], []
    for person in people:
        alike = likeness(probe, person)
        if alike is Likeness.EMAIL:
            return Match(person, Likeness.EMAIL, 1)
        if alike is Likeness.STRONG:
            strong.append(person)
        elif alike is Likeness.WEAK:
            weak.append(person)
    for by, found in ((Likeness.STRONG, strong), (Likeness.WEAK, weak)):
        if len(found) == 1:
            return Match(found[0], by, 1)
        if found:
            return Match(None, by, len(found))
    return Match()


def chunked(keys: Sequence[Any], size: int | None = None) -> Iterator[Sequence[Any]]:
    """Yield the keys in slices short enough for one IN list."""
    size = size or CHUNK_SIZE
    for start in range(0, len(keys), size):
        yield keys[start : start + size]


class PersonIndex:
    """The people a file may refer to, indexed by email and name key, updatable while planning.

    Holds Participant instances (saved, or planned and not yet saved); matching reads only
    their ``name_key``, ``email_key`` and ``birth_year``. After changing a person's names or
    email, call ``refresh_keys()`` on it and then ``reindex`` here.
    """

    def __init__(self, people: Iterable[Any] = ()) -> None:
        self._by_email: dict[str, Any] = {}
        self._by_name: dict[str, list[Any]] = defaultdict(list)
        # Each person with the keys it is filed under, by id(): planned people have no pk to hash.
        self._filed: dict[int, tuple[Any, str, str]] = {}
        for person in people:
            self.add(person)

    @classmethod
    def load(
        cls,
        *,
        email_keys: Iterable[str],
        name_keys: Iterable[str],
        fields: Sequence[str] = MATCH_FIELDS,
        queryset: QuerySet[Participant] | None = None,
    ) -> PersonIndex:
        """Fetch, in one query per ~900 keys, everyone with one of these emails or names.

        ``fields`` are the columns loaded; callers that compare more than identity ask for more
        here rather than touching deferred fields later (a query each).
        """
        emails = sorted({k for k in email_keys if k})
        names = sorted({k for k in name_keys if k})
        base = (queryset if queryset is not None else Participant.objects.all()).only(*fields)
        people: dict[int, Participant] = {}
        # PostgreSQL takes any number of keys: one query, one pass over the table, rather
        # than a pass per chunk (past ~100 keys its planner reads the table either way).
        size = CHUNK_SIZE if connections[base.db].features.max_query_params else None
        size = size or max(len(emails), len(names), 1)
        pairs = zip_longest(chunked(emails, size), chunked(names, size), fillvalue=())
        for email_chunk, name_chunk in pairs:
            # "<> ''" names the condition of the partial unique index on email_key, so that
            # the database searches that index rather than reading the whole table.
            by_email = Q(email_key__in=email_chunk) & ~Q(email_key="")
            found = base.filter(by_email | Q(name_key__in=name_chunk))
            for person in found.order_by("pk"):
                people.setdefault(person.pk, person)
        return cls(people.values())

    def __len__(self) -> int:
        return len(self._filed)

    def __iter__(self) -> Iterator[Any]:
        return (person for person, _, _ in self._filed.values())

    def add(self, person: Any) -> None:
        """File a person (saved or planned) under its current keys."""
        if id(person) in self._filed:
            self.reindex(person)
            return
        self._file(person)

    def reindex(self, person: Any) -> None:
        """File a person again after its names or email changed."""
        _, name, email = self._filed.pop(id(person), (person, "", ""))
        if name:
            group = self._by_name[name]
            group[:] = [p for p in group if p is not person]
            if not group:
                del self._by_name[name]
        if email and self._by_email.get(email) is person:
            del self._by_email[email]
        self._file(person)

    def _file(self, person: Any) -> None:
        if person.email_key:
            self._by_email[person.email_key] = person
        if person.name_key:
            self._by_name[person.name_key].append(person)
        self._filed[id(person)] = (person, person.name_key, person.email_key)

    def match(self, probe: Person) -> Match:
        """Return the person the probe names by the rule, or why there is none."""
        people: list[Any] = []
        if probe.email_key and probe.email_key in self._by_email:
            people.append(self._by_email[probe.email_key])
        people.extend(self._by_name.get(probe.name_key, ()))
        return choose(probe, people)
