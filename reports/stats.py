"""The M&E statistics: every figure the JSON, the statistics pages and the workbook show.

Counting follows domain.md ("How it counts"). The scope is :func:`participations`: enrolments
that are not withdrawn or waitlisted, in sessions that are not cancelled and that start within
the filter's dates (both ends included), of the filter's course, held by participants of the
filter's region and agency type. Region and agency type are the *participant's*, the same
dimensions the breakdowns show.

Each figure or breakdown is one grouped query; Python only reshapes the rows (and sums a few
hundred of them), so the number of queries does not grow with the data. The breakdowns by the
participant's gender, agency type and region share one query (:func:`_groups`), which
:func:`summary` runs once for all three and the totals. Averages are taken over scores cast to
floating point in SQL, so that SQLite and PostgreSQL agree. Figures are unrounded: rates are
fractions in 0..1, means are percent, and a figure with nothing to average over is ``None``.
"""

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar, overload

from django.db import connection
from django.db.models import (
    Avg,
    Count,
    F,
    FloatField,
    IntegerField,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import (
    Cast,
    Coalesce,
    NullIf,
    TruncMonth,
    TruncQuarter,
    TruncYear,
)
from django.utils.translation import gettext

from certificates.models import Certificate
from participants.models import Agency, AgencyType, Gender, Participant, ReferenceItem, Region
from participants.normalize import clean_text, fold
from reports.models import Programme
from trainings.importing import CellError, parse_date, parse_gender
from trainings.models import Attendance, Course, Enrolment, Session

UNKNOWN = "unknown"  # the by_region key of participants whose region is not recorded

Period = Literal["quarter", "month", "year"]
GroupBy = Literal["course", "session"]
Item = TypeVar("Item", bound=ReferenceItem)


class StatsFilterError(ValueError):
    """A filter names something that does not exist, or is not a valid value."""


@dataclass(frozen=True)
class Filters:
    """Which participations the statistics count; ``None`` means no restriction.

    ``course`` is a course code as stored (see :func:`filters_from_names` to resolve what a
    person typed); ``region`` and ``agency_type`` are the participant's.
    """

    course: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    region: Region | None = None
    agency_type: AgencyType | None = None
    gender: Gender | None = None
    programme: Programme | None = None

    def __post_init__(self) -> None:
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise StatsFilterError(
                f"the start of the period ({self.date_from.isoformat()}) is after its end "
                f"({self.date_to.isoformat()})"
            )


@dataclass(frozen=True)
class Row:
    """One value of a breakdown: its key, a label for people, and both counts.

    The key is what the JSON shows (a gender's code, a stored name, a course or session code); the
    label of a gender, agency type or region is its name in the active language (the seeded names
    are translated, as ``ReferenceItem.__str__`` shows them), of a course or session its title.
    """

    key: str
    label: str
    participants: int
    participations: int


@dataclass(frozen=True)
class CrossRow:
    """One combination of gender and agency type that occurs in scope, with both counts.

    ``gender`` is the gender's code (as :func:`by_gender` keys it); ``agency_type`` is the agency
    type's stored name (as :func:`by_agency_type` keys it); the labels are their names in the
    active language. A person counts once per combination.
    """

    gender: str
    gender_label: str
    agency_type: str
    agency_type_label: str
    participants: int
    participations: int


@dataclass(frozen=True)
class Headline:
    """The totals: sessions with a participation in scope, participations, participants."""

    sessions: int
    participations: int
    participants: int


@dataclass(frozen=True)
class AttendanceFigures:
    """Present and scheduled person-days and their ratio (``None`` if nothing is scheduled)."""

    present_days: int
    scheduled_days: int
    rate: float | None
    key: str | None = None
    label: str | None = None


@dataclass(frozen=True)
class AssessmentFigures:
    """Pre/post test figures over the pairs; all but ``pairs`` are ``None`` without pairs."""

    pairs: int
    pre_mean: float | None
    post_mean: float | None
    mean_gain: float | None
    improved_share: float | None
    normalized_gain: float | None
    key: str | None = None
    label: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """Return the figures as the JSON's ``assessment`` object."""
        return {
            "pairs": self.pairs,
            "pre_mean": self.pre_mean,
            "post_mean": self.post_mean,
            "mean_gain": self.mean_gain,
            "improved_share": self.improved_share,
            "normalized_gain": self.normalized_gain,
        }


# --- filters -----------------------------------------------------------------------------------


def filters_from_names(
    *,
    course: str | None = None,
    date_from: str | dt.date | None = None,
    date_to: str | dt.date | None = None,
    region: str | None = None,
    agency_type: str | None = None,
    gender: str | None = None,
    programme: str | None = None,
) -> Filters:
    """Resolve what a person typed into Filters, case-insensitively in every alphabet.

    Regions and agency types match by name or alias, courses by code. Raises StatsFilterError
    for anything unknown or malformed, so that a typo never passes for a filter that matches
    nothing.
    """
    return Filters(
        course=_resolve_course(course) if course is not None else None,
        date_from=_resolve_date("from", date_from),
        date_to=_resolve_date("to", date_to),
        region=_resolve_reference(Region, "region", region) if region is not None else None,
        agency_type=(
            _resolve_reference(AgencyType, "agency type", agency_type)
            if agency_type is not None
            else None
        ),
        gender=_resolve_gender(gender) if gender is not None else None,
        programme=_resolve_programme(programme) if programme is not None else None,
    )


def _resolve_gender(value: str) -> Gender:
    """Match a gender by any of the roster's spellings (female, f, ж, ...), as imports do."""
    if not clean_text(value):
        raise StatsFilterError("the gender is blank: use female, male, other or undisclosed")
    try:
        code = parse_gender(value)
    except CellError as exc:
        raise StatsFilterError(str(exc)) from None
    return Gender.objects.get(code=code)


def _resolve_programme(value: str) -> Programme:
    """Match a programme by code, case-insensitively in every alphabet."""
    wanted = fold(clean_text(value))
    programmes = list(Programme.objects.only("id", "code", "name"))
    for programme in programmes:
        if fold(programme.code) == wanted:
            return programme
    raise StatsFilterError(
        f"unknown programme {value!r}: known programmes are "
        f"{_known(p.code for p in programmes) or 'none'}"
    )


def _resolve_date(which: str, value: str | dt.date | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return parse_date(value)
    except CellError as exc:
        raise StatsFilterError(f"{which}: {exc}") from exc


def _known(names: Iterable[str], limit: int = 30) -> str:
    names = list(names)
    shown = ", ".join(names[:limit])
    return shown + (f", ... ({len(names) - limit} more)" if len(names) > limit else "")


def _resolve_course(value: str) -> str:
    key = fold(value)
    if not key:
        raise StatsFilterError("the course code is blank: give a code or leave the filter out")
    codes = list(Course.objects.order_by("code").values_list("code", flat=True))
    # Codes are unique as typed, so "upr" and "UPR" can both exist: the exact spelling wins.
    matches = [code for code in codes if code == clean_text(value)] or [
        code for code in codes if fold(code) == key
    ]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise StatsFilterError(
            f"'{clean_text(value)}' could be any course of: {', '.join(sorted(matches))}; "
            "give the code exactly as written"
        )
    raise StatsFilterError(
        f"no course with code '{clean_text(value)}'; known: {_known(codes) or 'none'}"
    )


def _resolve_reference(model: type[Item], what: str, value: str) -> Item:
    key = fold(value)
    if not key:
        raise StatsFilterError(f"the {what} is blank: give a name or leave the filter out")
    items = list(model.objects.all())
    # A name wins over another entry's alias that happens to be spelt the same.
    matches = [item for item in items if item.name_key == key] or [
        item for item in items if key in item.spellings
    ]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise StatsFilterError(
            f"'{clean_text(value)}' could be any {what} of: "
            f"{', '.join(m.name for m in matches)}; give the full name"
        )
    raise StatsFilterError(
        f"no {what} named '{clean_text(value)}'; known: "
        f"{_known(item.name for item in items) or 'none'}"
    )


# --- the scope ---------------------------------------------------------------------------------


def participations(filters: Filters) -> QuerySet[Enrolment]:
    """Return the enrolments that count as participations under the filters."""
    qs = Enrolment.objects.filter(status__in=Enrolment.COUNTED).exclude(
        session__status=Session.Status.CANCELLED
    )
    if filters.course is not None:
        qs = qs.filter(session__course__code=filters.course)
    if filters.date_from is not None:
        qs = qs.filter(session__start_date__gte=filters.date_from)
    if filters.date_to is not None:
        qs = qs.filter(session__start_date__lte=filters.date_to)
    if filters.region is not None:
        qs = qs.filter(participant__region=filters.region)
    if filters.agency_type is not None:
        qs = qs.filter(participant__agency__type=filters.agency_type)
    if filters.gender is not None:
        qs = qs.filter(participant__gender=filters.gender)
    if filters.programme is not None:
        # One programme: at most one row per session in the join, so no enrolment is doubled.
        qs = qs.filter(session__programmes=filters.programme)
    return qs


def _counts() -> dict[str, Count]:
    return {
        "participants": Count("participant", distinct=True),
        "participations": Count("id"),
    }


# --- totals and breakdowns ---------------------------------------------------------------------


def headline(filters: Filters) -> Headline:
    """Count sessions (those with at least one participation in scope), participations, people."""
    totals = participations(filters).aggregate(
        sessions=Count("session", distinct=True), **_counts()
    )
    return Headline(**totals)


@dataclass(frozen=True)
class _Group:
    """Participants in scope sharing a gender, agency type and region, and their participations.

    The ranks order agency types and regions as the database orders them (sort order, then name;
    regions without a record last), so that Python only reshapes.
    """

    gender_id: int
    gender: str
    gender_name: str
    gender_rank: int
    agency_type: str
    agency_type_rank: int
    region: str | None
    region_rank: int
    participants: int
    participations: int


def _groups(filters: Filters) -> list[_Group]:
    """Count the participants in scope per gender, agency type and region: one query.

    Each person has one gender, one agency type and one region, so each counts in exactly one
    group: the breakdowns by any of the three (and their crossings) are sums over the groups,
    without a distinct count per breakdown. The scope is grouped per person first (the
    participations each holds), then the people are grouped by their attributes.
    """
    per_person = (
        participations(filters)
        .order_by()
        .values(person=F("participant_id"))
        .annotate(n=Count("pk"))
        .values("person", "n")
    )
    inner, params = per_person.query.sql_with_params()
    name = connection.ops.quote_name
    participant, agency = Participant._meta.db_table, Agency._meta.db_table
    type_, region = AgencyType._meta.db_table, Region._meta.db_table
    gender_ = Gender._meta.db_table
    query = f"""
        SELECT g.id, g.code, g.name, DENSE_RANK() OVER (ORDER BY g.sort_order, g.name, g.code),
            t.name,
            DENSE_RANK() OVER (ORDER BY t.sort_order, t.name),
            r.name,
            DENSE_RANK() OVER (
                ORDER BY CASE WHEN r.id IS NULL THEN 1 ELSE 0 END, r.sort_order, r.name
            ),
            COUNT(*), SUM(x.n)
        FROM ({inner}) x
        JOIN {name(participant)} p ON p.id = x.person
        JOIN {name(gender_)} g ON g.id = p.gender_id
        JOIN {name(agency)} a ON a.id = p.agency_id
        JOIN {name(type_)} t ON t.id = a.type_id
        LEFT JOIN {name(region)} r ON r.id = p.region_id
        GROUP BY g.id, t.id, r.id
    """
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        # SUM of integers is a numeric (Decimal) on PostgreSQL.
        return [_Group(*row[:-1], int(row[-1])) for row in cursor.fetchall()]


def _genders() -> list[tuple[int, str, str]]:
    """Every gender of the reference list, in its order: (pk, code, name)."""
    return list(Gender.objects.order_by("sort_order", "name").values_list("pk", "code", "name"))


def _gender_rows(groups: list[_Group], genders: list[tuple[int, str, str]]) -> list[Row]:
    counted: dict[int, list[int]] = {}
    for group in groups:
        n = counted.setdefault(group.gender_id, [0, 0])
        n[0] += group.participants
        n[1] += group.participations
    return [Row(code, gettext(name), *counted.get(pk, (0, 0))) for pk, code, name in genders]


def _sum_by(groups: list[_Group], key: str, rank: str) -> list[tuple[Any, int, int]]:
    """Sum the groups by one attribute, in the attribute's rank: (value, people, participations)."""
    sums: dict[Any, list[int]] = {}
    for group in groups:
        n = sums.setdefault(getattr(group, key), [getattr(group, rank), 0, 0])
        n[1] += group.participants
        n[2] += group.participations
    return [
        (value, people, times)
        for value, (_, people, times) in sorted(sums.items(), key=lambda item: item[1][0])
    ]


def _agency_type_rows(groups: list[_Group]) -> list[Row]:
    return [
        Row(name, gettext(name), *n)
        for name, *n in _sum_by(groups, "agency_type", "agency_type_rank")
    ]


def _region_rows(groups: list[_Group]) -> list[Row]:
    return [
        Row(UNKNOWN, UNKNOWN, *n) if name is None else Row(name, gettext(name), *n)
        for name, *n in _sum_by(groups, "region", "region_rank")
    ]


def by_gender(filters: Filters, groups: list[_Group] | None = None) -> list[Row]:
    """Break down by gender: every gender of the reference list, in its order, zeros included."""
    return _gender_rows(_groups(filters) if groups is None else groups, _genders())


def by_agency_type(filters: Filters, groups: list[_Group] | None = None) -> list[Row]:
    """Break down by the participant's agency type; only types that occur."""
    return _agency_type_rows(_groups(filters) if groups is None else groups)


def by_region(filters: Filters, groups: list[_Group] | None = None) -> list[Row]:
    """Break down by the participant's region; those without one under ``unknown``, last."""
    return _region_rows(_groups(filters) if groups is None else groups)


def _course_counts(filters: Filters) -> list[tuple[str, str, int, int, int]]:
    """Per course: code, title, participants, participations and sessions, by code."""
    return list(
        participations(filters)
        .values("session__course__code", "session__course__title")
        .annotate(**_counts(), sessions=Count("session", distinct=True))
        .order_by("session__course__code")
        .values_list(
            "session__course__code",
            "session__course__title",
            "participants",
            "participations",
            "sessions",
        )
    )


def by_course(filters: Filters) -> list[Row]:
    """Break down by course, keyed by course code."""
    return [Row(*row[:4]) for row in _course_counts(filters)]


def by_session(filters: Filters) -> list[Row]:
    """Break down by session, keyed by session code, in order of start date."""
    rows = (
        participations(filters)
        .values("session__code", "session__title", "session__course__title")
        .annotate(**_counts())
        .order_by("session__start_date", "session__code")
        .values_list(
            "session__code",
            "session__title",
            "session__course__title",
            "participants",
            "participations",
        )
    )
    return [Row(code, title or course_title, *n) for code, title, course_title, *n in rows]


def by_gender_and_agency_type(
    filters: Filters, groups: list[_Group] | None = None
) -> list[CrossRow]:
    """Cross gender with the participant's agency type: one row per combination that occurs.

    Ordered like :func:`by_gender` (the genders' sort order), then like :func:`by_agency_type`.
    """
    groups = _groups(filters) if groups is None else groups
    rows = []
    for (_, code, name), of_gender in _sum_groups(groups, ("gender_rank", "gender", "gender_name")):
        for type_name, *n in _sum_by(of_gender, "agency_type", "agency_type_rank"):
            rows.append(CrossRow(code, gettext(name), type_name, gettext(type_name), *n))
    return rows


def _sum_groups(
    groups: list[_Group], fields: tuple[str, ...]
) -> list[tuple[tuple[Any, ...], list[_Group]]]:
    """Split the groups by the values of ``fields``, in the order of those values."""
    split: dict[tuple[Any, ...], list[_Group]] = {}
    for group in groups:
        split.setdefault(tuple(getattr(group, f) for f in fields), []).append(group)
    return sorted(split.items(), key=lambda item: item[0])


_TRUNC = {"quarter": TruncQuarter, "month": TruncMonth, "year": TruncYear}


def _period_label(start: dt.date, period: Period) -> str:
    if period == "quarter":
        return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
    if period == "month":
        return f"{start.year}-{start.month:02d}"
    return str(start.year)


def by_period(filters: Filters, period: Period = "quarter") -> list[Row]:
    """Break down by the period in which sessions start; keyed by the period's first day."""
    if period not in _TRUNC:
        raise ValueError(f"period must be one of {', '.join(_TRUNC)}, not {period!r}")
    rows = (
        participations(filters)
        .annotate(period=_TRUNC[period]("session__start_date"))
        .values("period")
        .annotate(**_counts())
        .order_by("period")
        .values_list("period", "participants", "participations")
    )
    return [Row(start.isoformat(), _period_label(start, period), *n) for start, *n in rows]


# --- attendance, assessment, certificates ------------------------------------------------------

# group_by -> (key, label, order): the course by code (label its title); the session by code
# (label its title, or its course's when it has none), in order of start date as by_session.
_GROUPS: dict[str, tuple[str, str | tuple[str, str], tuple[str, ...]]] = {
    "course": ("session__course__code", "session__course__title", ("key_",)),
    "session": (
        "session__code",
        ("session__title", "session__course__title"),
        ("session__start_date", "key_"),
    ),
}


def _grouped(
    qs: QuerySet, group_by: GroupBy | None, aggregates: dict[str, Any], prefix: str = ""
) -> list[dict]:
    """Aggregate a queryset into one row, or into one row per group with ``key`` and ``label``.

    ``prefix`` leads from the queryset's model to the enrolment (e.g. ``enrolment__``).
    """
    if group_by is None:
        return [qs.aggregate(**aggregates)]
    if group_by not in _GROUPS:
        raise ValueError(f"group_by must be one of {', '.join(_GROUPS)}, not {group_by!r}")
    key, label, order = _GROUPS[group_by]
    if isinstance(label, tuple):
        own, fallback = label
        label_expr: Any = Coalesce(NullIf(F(prefix + own), Value("")), F(prefix + fallback))
    else:
        label_expr = F(prefix + label)
    return list(
        qs.values(key_=F(prefix + key), label_=label_expr)
        .annotate(**aggregates)
        .order_by(*(field if field == "key_" else prefix + field for field in order))
    )


def _count_subquery(qs: QuerySet, on: str) -> Coalesce:
    counted = qs.order_by().values(on).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def _attendance(row: dict) -> AttendanceFigures:
    present, scheduled = row["present"] or 0, row["scheduled"] or 0
    return AttendanceFigures(
        present_days=present,
        scheduled_days=scheduled,
        rate=present / scheduled if scheduled else None,
        key=row.get("key_"),
        label=row.get("label_"),
    )


@overload
def attendance(filters: Filters, group_by: None = None) -> AttendanceFigures: ...
@overload
def attendance(filters: Filters, group_by: GroupBy) -> list[AttendanceFigures]: ...
def attendance(
    filters: Filters, group_by: GroupBy | None = None
) -> AttendanceFigures | list[AttendanceFigures]:
    """Sum present and scheduled person-days (each participation times its session's days)."""
    scope = participations(filters)
    # Two plain joins rather than one: joining both the days and the marks to the enrolments
    # would multiply the rows, and a correlated subquery per enrolment is several times slower.
    scheduled = _grouped(scope, group_by, {"n": Count("session__days")})
    present = _grouped(
        Attendance.objects.filter(present=True, enrolment__in=scope.values("pk")),
        group_by,
        {"n": Count("pk")},
        prefix="enrolment__",
    )
    present_by_key = {row.get("key_"): row["n"] for row in present}
    rows = [
        _attendance({**row, "scheduled": row["n"], "present": present_by_key.get(row.get("key_"))})
        for row in scheduled
    ]
    return rows[0] if group_by is None else rows


def _percent(field: str) -> Any:
    return (
        Cast(field, FloatField())
        * Value(100.0, output_field=FloatField())
        / Cast("session__max_score", FloatField())
    )


# The pre mean counts as 100 (no room to gain, so no normalized gain) within float rounding.
_FULL_MARKS_TOLERANCE = 1e-9


def _assessment(row: dict) -> AssessmentFigures:
    pairs = row["pairs"]
    keys = {"key": row.get("key_"), "label": row.get("label_")}
    if not pairs:
        return AssessmentFigures(0, None, None, None, None, None, **keys)
    pre, post = row["pre_mean"], row["post_mean"]
    gain = post - pre
    full_marks = math.isclose(pre, 100.0, abs_tol=_FULL_MARKS_TOLERANCE) or pre > 100.0
    return AssessmentFigures(
        pairs=pairs,
        pre_mean=pre,
        post_mean=post,
        mean_gain=gain,
        improved_share=row["improved"] / pairs,
        normalized_gain=None if full_marks else gain / (100.0 - pre),
        **keys,
    )


@overload
def assessment(filters: Filters, group_by: None = None) -> AssessmentFigures: ...
@overload
def assessment(filters: Filters, group_by: GroupBy) -> list[AssessmentFigures]: ...
def assessment(
    filters: Filters, group_by: GroupBy | None = None
) -> AssessmentFigures | list[AssessmentFigures]:
    """Compute pre/post means in percent, gains and the improved share over the pairs."""
    pairs = participations(filters).filter(pre_score__isnull=False, post_score__isnull=False)
    aggregates = {
        "pairs": Count("id"),
        "pre_mean": Avg(_percent("pre_score")),
        "post_mean": Avg(_percent("post_score")),
        "improved": Count("id", filter=Q(post_score__gt=F("pre_score"))),
    }
    rows = [_assessment(row) for row in _grouped(pairs, group_by, aggregates)]
    return rows[0] if group_by is None else rows


def certificates(filters: Filters) -> int:
    """Count the certificates not revoked whose enrolment is a participation in scope."""
    return Certificate.objects.filter(
        revoked=False, enrolment__in=participations(filters).values("pk")
    ).count()


# --- the JSON ----------------------------------------------------------------------------------


def _as_dict(rows: list[Row]) -> dict[str, dict[str, int]]:
    return {
        row.key: {"participants": row.participants, "participations": row.participations}
        for row in rows
    }


def summary(filters: Filters) -> dict[str, Any]:
    """Return every figure of ``manage.py stats --json``, in the contract's shape.

    The totals come from the breakdowns (each session has one course, each person one gender),
    and the three breakdowns by the participant's attributes from one query.
    """
    groups = _groups(filters)
    courses = _course_counts(filters)
    return {
        "sessions": sum(sessions for *_, sessions in courses),
        "participations": sum(group.participations for group in groups),
        "participants": sum(group.participants for group in groups),
        "by_gender": _as_dict(_gender_rows(groups, _genders())),
        "by_agency_type": _as_dict(_agency_type_rows(groups)),
        "by_region": _as_dict(_region_rows(groups)),
        "by_course": _as_dict([Row(*row[:4]) for row in courses]),
        "attendance_rate": attendance(filters).rate,
        "assessment": assessment(filters).as_dict(),
        "certificates": certificates(filters),
    }


class Figures:
    """This module with each selector's result kept, for one page or one workbook.

    ``Figures().headline(filters)`` is ``headline(filters)``, queried on the first call only
    (Filters is frozen, so hashable). by_gender, by_agency_type, by_region and
    by_gender_and_agency_type share one grouped query, also kept, so a page showing all four
    runs it once.
    """

    def __init__(self) -> None:
        self._kept: dict[tuple, Any] = {}

    def __getattr__(self, name: str) -> Any:
        selector = globals()[name]

        def kept(filters: Filters, *args: Any, **kwargs: Any) -> Any:
            key = (name, filters, args, tuple(sorted(kwargs.items())))
            if key not in self._kept:
                if name in _FROM_GROUPS:
                    kwargs["groups"] = self._groups(filters)
                self._kept[key] = selector(filters, *args, **kwargs)
            return self._kept[key]

        return kept

    def _groups(self, filters: Filters) -> list[_Group]:
        key = ("_groups", filters)
        if key not in self._kept:
            self._kept[key] = _groups(filters)
        return self._kept[key]


# The breakdowns computed from the participants' groups (one query shared between them).
_FROM_GROUPS = frozenset({"by_gender", "by_agency_type", "by_region", "by_gender_and_agency_type"})
