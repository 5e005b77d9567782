"""The audit trail's reading side: a session's changes, and changes after certificates were issued.

Each history row (django-simple-history) is one change of one record; what changed is found by
comparing it with the record's previous row (``diff_against``). A page of changes is read in a
fixed number of queries whatever its length: the keys of the page (one union query over the
four history tables), then per table its rows with the id of each one's previous row, those
previous rows, and the names of the people, days, sessions and users they refer to.

Names are today's (an erased participant shows as anonymous): the trail keeps values, not the
personal data of the moment.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import (
    CharField,
    Exists,
    F,
    Model,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import TruncDate
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from certificates.models import Certificate, CertificateDesign
from participants.models import Participant, Region
from trainings.audit import CHANGED, CREATED, DELETED
from trainings.grid_services import score_display, score_text
from trainings.models import Attendance, Course, Enrolment, Session, TrainingDay

SESSION, ENROLMENT, ATTENDANCE, CERTIFICATE = "session", "enrolment", "attendance", "certificate"
AUDITED: dict[str, type[Model]] = {
    SESSION: Session,
    ENROLMENT: Enrolment,
    ATTENDANCE: Attendance,
    CERTIFICATE: Certificate,
}
# Bookkeeping, and the public registration link's secret: not shown as changes.
HIDDEN = frozenset({"id", "created_at", "updated_at", "registration_token"})
# What a created or deleted record shows of itself.
SHOWN_WHEN_CREATED = {
    SESSION: ("status",),
    ENROLMENT: ("status", "pre_score", "post_score"),
    ATTENDANCE: ("present",),
    CERTIFICATE: ("number", "revoked"),
}
# What the changes-after-certificates list is about.
SCORES_AND_ATTENDANCE = frozenset({"pre_score", "post_score", "present"})
LABELS = {
    "pre_score": gettext_lazy("pre score"),
    "post_score": gettext_lazy("post score"),
    "present": gettext_lazy("attendance"),
    "status": gettext_lazy("status"),
    "participant_id": gettext_lazy("participant"),
    "enrolment_id": gettext_lazy("enrolment"),
    "session_id": gettext_lazy("session"),
    "day_id": gettext_lazy("day"),
    "course_id": gettext_lazy("course"),
    "region_id": gettext_lazy("region"),
    "certificate_design_id": gettext_lazy("certificate design"),
    "revoked": gettext_lazy("revoked"),
    "revoked_reason": gettext_lazy("reason for revoking"),
    "number": gettext_lazy("certificate number"),
}
PAGE_SIZE = 50
# The value before a change when the trail holds no earlier row of the record.
NOT_RECORDED = object()


def _history(kind: str) -> type[Model]:
    return AUDITED[kind].history.model


# --- what one change says ----------------------------------------------------------------------


@dataclass
class FieldChange:
    """One field of one record: its value before and after the change."""

    name: str
    label: str
    old: Any
    new: Any
    old_text: str = ""
    new_text: str = ""


@dataclass
class Change:
    """One recorded change of one record, with who made it and what it changed."""

    kind: str
    action: str
    history_id: int
    when: dt.datetime
    user: str | None
    reason: str | None
    session_code: str = ""
    participant: str = ""
    day: dt.date | None = None
    certificate: str = ""
    fields: list[FieldChange] = field(default_factory=list)

    @property
    def who(self) -> str:
        """Name who made the change: a user, a command or the public form, or nobody known."""
        return self.user or self.reason or _("unknown")

    @property
    def action_text(self) -> str:
        return {CREATED: _("created"), CHANGED: _("changed"), DELETED: _("deleted")}[self.action]

    @property
    def record(self) -> str:
        """Say which record changed: the session, a participant, their day or certificate."""
        if self.kind == SESSION:
            return _("session %(code)s") % {"code": self.session_code}
        parts = [self.participant]
        if self.day is not None:
            parts.append(formats.date_format(self.day, "SHORT_DATE_FORMAT"))
        if self.certificate and self.kind == CERTIFICATE:
            parts.append(_("certificate %(number)s") % {"number": self.certificate})
        return ", ".join(p for p in parts if p)


# --- which rows: the keys of a page ------------------------------------------------------------


def _keys(kind: str, rows: QuerySet, certificate: Any = None) -> QuerySet:
    """Reduce history rows to the keys every list sorts and pages by; the same columns each."""
    certificate = certificate if certificate is not None else Value("")
    return (
        rows.annotate(
            kind=Value(kind, output_field=CharField()),
            certificate_number=certificate,
        )
        .values("history_id", "history_date", "kind", "certificate_number")
        .order_by()
    )


def _newest_first(parts: Sequence[QuerySet]) -> QuerySet:
    first, *others = parts
    union = first.union(*others, all=True) if others else first
    return union.order_by("-history_date", "-history_id")


def session_change_keys(session: Session) -> QuerySet:
    """Return the keys of every recorded change to the session, its enrolments, their
    attendance and certificates, newest first."""
    enrolments = _history(ENROLMENT).objects.filter(session_id=session.pk).values("id")
    return _newest_first(
        [
            _keys(SESSION, _history(SESSION).objects.filter(id=session.pk)),
            _keys(ENROLMENT, _history(ENROLMENT).objects.filter(session_id=session.pk)),
            _keys(ATTENDANCE, _history(ATTENDANCE).objects.filter(enrolment_id__in=enrolments)),
            _keys(CERTIFICATE, _history(CERTIFICATE).objects.filter(enrolment_id__in=enrolments)),
        ]
    )


def _previous(kind: str) -> QuerySet:
    """The record's row just before the outer history row."""
    return (
        _history(kind)
        .objects.filter(id=OuterRef("id"), history_id__lt=OuterRef("history_id"))
        .order_by("-history_id")
    )


def _valid_certificate() -> QuerySet:
    """Certificates of the outer row's enrolment that were valid when the row was written."""
    return Certificate.objects.filter(
        enrolment_id=OuterRef("enrolment_ref"),
        created_at__lt=OuterRef("history_date"),
    ).filter(Q(revoked=False) | Q(revoked_on__gte=OuterRef("history_day")))


def _differs(name: str, before: str) -> Q:
    """The field's value differs from the annotated earlier one (NULL counts as a value)."""
    return (
        Q(**{f"{name}__isnull": True, f"{before}__isnull": False})
        | Q(**{f"{name}__isnull": False, f"{before}__isnull": True})
        | Q(**{f"{name}__lt": F(before)})
        | Q(**{f"{name}__gt": F(before)})
    )


def after_certificates_keys(session: Session | None = None) -> QuerySet:
    """Return the keys of every score and attendance change made while the enrolment held a
    valid certificate issued before it, newest first; optionally in one session only."""
    scores = _history(ENROLMENT).objects.filter(history_type=CHANGED)
    marks = _history(ATTENDANCE).objects.all()
    if session is not None:
        scores = scores.filter(session_id=session.pk)
        ids = _history(ENROLMENT).objects.filter(session_id=session.pk).values("id")
        marks = marks.filter(enrolment_id__in=ids)
    else:
        scores = scores.filter(id__in=Certificate.objects.values("enrolment_id"))
        marks = marks.filter(enrolment_id__in=Certificate.objects.values("enrolment_id"))
    previous = _previous(ENROLMENT)
    scores = (
        scores.annotate(
            enrolment_ref=F("id"),
            history_day=TruncDate("history_date"),
            had_before=Exists(previous),
            pre_before=Subquery(previous.values("pre_score")[:1]),
            post_before=Subquery(previous.values("post_score")[:1]),
        )
        .filter(Exists(_valid_certificate()), had_before=True)
        .filter(_differs("pre_score", "pre_before") | _differs("post_score", "post_before"))
    )
    previous = _previous(ATTENDANCE)
    marks = (
        marks.annotate(
            enrolment_ref=F("enrolment_id"),
            history_day=TruncDate("history_date"),
            present_before=Subquery(previous.values("present")[:1]),
        )
        .filter(Exists(_valid_certificate()))
        .filter(
            Q(history_type=CHANGED, present=True, present_before=False)
            | Q(history_type=CHANGED, present=False, present_before=True)
            | Q(history_type__in=[CREATED, DELETED], present=True)
        )
    )
    number = Subquery(_valid_certificate().order_by("created_at").values("number")[:1])
    return _newest_first([_keys(ENROLMENT, scores, number), _keys(ATTENDANCE, marks, number)])


# --- reading a page of changes -----------------------------------------------------------------


def changes_load(
    keys: Iterable[dict[str, Any]], *, only: frozenset[str] | None = None
) -> list[Change]:
    """Turn a page of keys into changes, in their order, in a fixed number of queries.

    ``only`` limits the fields shown (the changes-after-certificates list shows scores and
    attendance only).
    """
    keys = list(keys)
    by_kind: dict[str, list[int]] = defaultdict(list)
    for key in keys:
        by_kind[key["kind"]].append(key["history_id"])
    rows: dict[tuple[str, int], Any] = {}
    previous: dict[tuple[str, int], Any] = {}
    for kind, ids in by_kind.items():
        history = _history(kind)
        found = list(
            history.objects.filter(history_id__in=ids)
            .select_related("history_user")
            .annotate(previous_id=Subquery(_previous(kind).values("history_id")[:1]))
        )
        earlier = history.objects.in_bulk([r.previous_id for r in found if r.previous_id])
        for row in found:
            rows[(kind, row.history_id)] = row
            if row.previous_id:
                previous[(kind, row.history_id)] = earlier[row.previous_id]
    names = _Names.load(list(rows.values()), list(previous.values()))
    changes = []
    for key in keys:
        kind, history_id = key["kind"], key["history_id"]
        row = rows.get((kind, history_id))
        if row is None:
            continue
        change = Change(
            kind=kind,
            action=row.history_type,
            history_id=history_id,
            when=row.history_date,
            user=row.history_user.get_username() if row.history_user else None,
            reason=row.history_change_reason or None,
            certificate=key.get("certificate_number") or "",
        )
        names.describe(change, row)
        change.fields = _fields(kind, row, previous.get((kind, history_id)), names, only)
        changes.append(change)
    return changes


def _fields(
    kind: str, row: Any, before: Any, names: _Names, only: frozenset[str] | None
) -> list[FieldChange]:
    """List what the row changed: against the previous row, or what it created or deleted."""
    model = AUDITED[kind]
    if row.history_type == CHANGED and before is not None:
        delta = row.diff_against(before)
        pairs = [(c.field, c.old, c.new) for c in delta.changes]
    elif row.history_type == CHANGED:
        # The first row of a record that existed before the audit trail: nothing to compare.
        pairs = [(n, NOT_RECORDED, getattr(row, n)) for n in SHOWN_WHEN_CREATED[kind]]
    elif row.history_type == CREATED:
        pairs = [(n, None, getattr(row, n)) for n in SHOWN_WHEN_CREATED[kind]]
        pairs = [(n, old, new) for n, old, new in pairs if new not in (None, "")]
    else:
        pairs = [(n, getattr(row, n), None) for n in SHOWN_WHEN_CREATED[kind]]
        pairs = [(n, old, new) for n, old, new in pairs if old not in (None, "")]
    fields = []
    for name, old, new in pairs:
        attname = model._meta.get_field(name).attname
        if attname in HIDDEN or (only is not None and attname not in only):
            continue
        fields.append(
            FieldChange(
                name=attname,
                label=str(LABELS.get(attname, model._meta.get_field(name).verbose_name)),
                old=old,
                new=new,
                old_text=names.show(model, attname, old),
                new_text=names.show(model, attname, new),
            )
        )
    fields.sort(key=lambda f: f.name)
    return fields


class _Names:
    """The people, days, sessions and other records a page of rows refers to, read in bulk."""

    def __init__(self) -> None:
        self.enrolments: dict[int, tuple[int, int]] = {}  # id -> (session_id, participant_id)
        self.people: dict[int, str] = {}
        self.days: dict[int, dt.date] = {}
        self.sessions: dict[int, str] = {}
        self.related: dict[str, dict[int, str]] = {}

    @classmethod
    def load(cls, rows: list[Any], earlier: list[Any]) -> _Names:
        names = cls()
        every = rows + earlier
        enrolment_ids: set[int] = set()
        day_ids: set[int] = set()
        session_ids: set[int] = set()
        person_ids: set[int] = set()  # named by a change of an enrolment's participant
        for row in every:
            if isinstance(row, _history(ENROLMENT)):
                enrolment_ids.add(row.id)
                session_ids.add(row.session_id)
                person_ids.add(row.participant_id)
            elif isinstance(row, _history(ATTENDANCE)):
                enrolment_ids.add(row.enrolment_id)
                day_ids.add(row.day_id)
            elif isinstance(row, _history(CERTIFICATE)):
                enrolment_ids.add(row.enrolment_id)
            else:
                session_ids.add(row.id)
        # Whose enrolment it is now: after a merge, the kept person's (the same person).
        for pk, session_id, person_id in Enrolment.objects.filter(pk__in=enrolment_ids).values_list(
            "pk", "session_id", "participant_id"
        ):
            names.enrolments[pk] = (session_id, person_id)
        missing = enrolment_ids - names.enrolments.keys()
        if missing:
            # Enrolments deleted since (two combined by a merge): their last recorded row.
            for pk, session_id, person_id in (
                _history(ENROLMENT)
                .objects.filter(id__in=missing)
                .order_by("id", "history_id")
                .values_list("id", "session_id", "participant_id")
            ):
                names.enrolments[pk] = (session_id, person_id)
        session_ids |= {s for s, _ in names.enrolments.values()}
        names.sessions = dict(Session.objects.filter(pk__in=session_ids).values_list("pk", "code"))
        person_ids |= {p for _, p in names.enrolments.values()}
        names.people = {
            p.pk: p.full_name
            for p in Participant.objects.filter(pk__in=person_ids).only(
                "last_name", "first_name", "middle_name"
            )
        }
        names.days = dict(TrainingDay.objects.filter(pk__in=day_ids).values_list("pk", "date"))
        names._load_related(rows, earlier)
        return names

    def _load_related(self, rows: list[Any], earlier: list[Any]) -> None:
        """Read the courses, regions and designs a session's changed fields name."""
        wanted: dict[str, set[int]] = defaultdict(set)
        for row in rows + earlier:
            if isinstance(row, _history(SESSION)):
                for name in ("course_id", "region_id", "certificate_design_id"):
                    if getattr(row, name) is not None:
                        wanted[name].add(getattr(row, name))
        # Only a session's own rows name these, one of each per row: a handful on any page.
        sources = {
            "course_id": (Course, "code"),
            "region_id": (Region, "name"),
            "certificate_design_id": (CertificateDesign, "name"),
        }
        for name, ids in wanted.items():
            model, label = sources[name]
            self.related[name] = {
                pk: str(_(text)) if model is Region else text
                for pk, text in model.objects.filter(pk__in=ids).values_list("pk", label)
            }

    def person(self, person_id: int | None) -> str:
        if person_id is None:
            return ""
        return self.people.get(person_id) or _("participant #%(id)s (removed)") % {"id": person_id}

    def of_enrolment(self, enrolment_id: int | None) -> str:
        return self.person(self.enrolments.get(enrolment_id, (None, None))[1])

    def describe(self, change: Change, row: Any) -> None:
        """Fill in which session, participant, day and certificate the row is about."""
        kind = change.kind
        if kind == SESSION:
            change.session_code = row.code
            return
        enrolment_id = row.id if kind == ENROLMENT else row.enrolment_id
        session_id, person_id = self.enrolments.get(enrolment_id, (None, None))
        change.session_code = self.sessions.get(session_id, "")
        change.participant = self.person(person_id)
        if kind == ATTENDANCE:
            change.day = self.days.get(row.day_id)
        if kind == CERTIFICATE:
            change.certificate = row.number

    def show(self, model: type[Model], attname: str, value: Any) -> str:
        """Write a value for the reader: scores with their decimal separator, names for ids."""
        if value is NOT_RECORDED:
            return _("not recorded")
        if value is None or value == "":
            return "—"
        if attname == "present":
            return _("present") if value else _("absent")
        if attname in ("participant_id",):
            return self.person(value)
        if attname in ("enrolment_id",):
            return self.of_enrolment(value)
        if attname == "session_id":
            return self.sessions.get(value, f"#{value}")
        if attname == "day_id":
            day = self.days.get(value)
            return formats.date_format(day, "SHORT_DATE_FORMAT") if day else f"#{value}"
        if attname in self.related:
            return self.related[attname].get(value, f"#{value}")
        if isinstance(value, bool):
            return _("yes") if value else _("no")
        if isinstance(value, Decimal):
            return score_display(value)
        if isinstance(value, dt.date):
            return formats.date_format(value, "SHORT_DATE_FORMAT")
        choices = dict(model._meta.get_field(attname).flatchoices)
        return str(choices.get(value, value))


def plain(value: Any) -> str:
    """Write a value for a command's output: ISO dates, plain scores, blank for nothing."""
    if value is None or value is NOT_RECORDED:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return score_text(value)
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)
