"""Reads behind the participant pages: the filtered directory and one person's history.

Names are searched through the stored, folded ``*_key`` columns (``participants.normalize.fold``)
because SQLite's ``lower()`` folds ASCII letters only: "айгүл" must find "Айгүл" on both
databases. Counts are correlated subqueries so that the page query stays one query whatever the
number of people or enrolments.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from participants.models import Participant, ParticipantMerge
from participants.normalize import fold


def _count(qs: QuerySet, on: str) -> Coalesce:
    """Return a correlated subquery counting the rows of ``qs`` grouped by ``on``, 0 when none."""
    counted = qs.order_by().values(on).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def counted_enrolments() -> QuerySet:
    """Return the enrolments that count as participations (domain.md).

    Registered or confirmed (not withdrawn, not waitlisted), in a session that is not cancelled.
    """
    from trainings.models import Enrolment, Session

    return Enrolment.objects.filter(status__in=Enrolment.COUNTED).exclude(
        session__status=Session.Status.CANCELLED
    )


def participant_directory(
    *,
    search: str = "",
    agency: str = "",
    agency_type: Any = None,
    region: Any = None,
    gender: Any = None,
    course: Any = None,
) -> QuerySet[Participant]:
    """Return participants matching the filters, with ``participations`` and ``certificates``.

    ``search`` keeps people whose folded name or email contains every folded word; ``agency``
    keeps people whose agency's folded name contains the folded text; ``course`` keeps people
    with a counted enrolment in a session of that course. Ordered by the folded name.
    """
    from certificates.models import Certificate

    qs = Participant.objects.select_related("gender", "agency", "agency__type", "region")
    for word in fold(search).split():
        qs = qs.filter(Q(name_key__contains=word) | Q(email_key__contains=word))
    agency_key = fold(agency)
    if agency_key:
        qs = qs.filter(agency__name_key__contains=agency_key)
    if agency_type is not None:
        qs = qs.filter(agency__type=agency_type)
    if region is not None:
        qs = qs.filter(region=region)
    if gender is not None:
        qs = qs.filter(gender=gender)
    if course is not None:
        attended = counted_enrolments().filter(session__course=course)
        qs = qs.filter(pk__in=attended.values("participant_id"))
    return qs.annotate(
        participations=_count(
            counted_enrolments().filter(participant=OuterRef("pk")), "participant"
        ),
        certificates=_count(
            Certificate.objects.filter(revoked=False, enrolment__participant=OuterRef("pk")),
            "enrolment__participant",
        ),
    ).order_by("name_key", "pk")


def _percent(score: Decimal | None, max_score: Decimal) -> Decimal | None:
    """Return a score as a percent of the session's maximum, to one decimal place."""
    if score is None or not max_score:
        return None
    return (Decimal(score) * 100 / Decimal(max_score)).quantize(Decimal("0.1"))


@dataclass
class HistoryRow:
    """One enrolment of a person, with what the history table shows about it."""

    enrolment: Any
    session: Any
    days: int
    present: int
    pre_percent: Decimal | None
    post_percent: Decimal | None
    gain: Decimal | None
    certificates: list

    @property
    def counted(self) -> bool:
        from trainings.models import Enrolment, Session

        return (
            self.enrolment.status in Enrolment.COUNTED
            and self.session.status != Session.Status.CANCELLED
        )


def participant_for_page(pk: int) -> Participant:
    """Return the participant with the related records its page shows; DoesNotExist if none."""
    return Participant.objects.select_related("gender", "agency", "agency__type", "region").get(
        pk=pk
    )


def participant_history(participant: Participant) -> list[HistoryRow]:
    """Return every enrolment of the person, newest session first, with days, percents, gain.

    Three queries whatever the number of enrolments: enrolments (with session, course and day
    counts), then their certificates.
    """
    from django.db.models import Prefetch

    from certificates.models import Certificate
    from trainings.models import Attendance, Enrolment, TrainingDay

    enrolments = (
        Enrolment.objects.filter(participant=participant)
        .select_related("session", "session__course")
        .annotate(
            day_count=_count(TrainingDay.objects.filter(session=OuterRef("session_id")), "session"),
            present_count=_count(
                Attendance.objects.filter(enrolment=OuterRef("pk"), present=True), "enrolment"
            ),
        )
        .prefetch_related(
            Prefetch("certificates", queryset=Certificate.objects.order_by("issued_on", "pk"))
        )
        .order_by("-session__start_date", "-pk")
    )
    rows = []
    for enrolment in enrolments:
        session = enrolment.session
        pre = _percent(enrolment.pre_score, session.max_score)
        post = _percent(enrolment.post_score, session.max_score)
        rows.append(
            HistoryRow(
                enrolment=enrolment,
                session=session,
                days=enrolment.day_count,
                present=enrolment.present_count,
                pre_percent=pre,
                post_percent=post,
                gain=post - pre if pre is not None and post is not None else None,
                certificates=list(enrolment.certificates.all()),
            )
        )
    return rows


def merges_into(participant: Participant) -> QuerySet[ParticipantMerge]:
    """Return the merges recorded into this person, newest first, with who made them."""
    return ParticipantMerge.objects.filter(kept=participant).select_related("merged_by")


def people_for_merge(pks: list[int]) -> dict[int, Participant]:
    """Return the participants with these ids (related records and counts loaded), by id."""
    people = participant_directory().filter(pk__in=pks)
    return {p.pk: p for p in people}


def retention_cutoff(years: int, today: Any = None) -> Any:
    """Return the date ``years`` years before today (28 February for a 29 February)."""
    import datetime as dt

    from django.utils import timezone

    today = today or timezone.localdate()
    try:
        return today.replace(year=today.year - years)
    except ValueError:
        return dt.date(today.year - years, 2, 28)


def participants_for_retention(*, years: int, today: Any = None) -> QuerySet[Participant]:
    """Return the people not erased whose last activity is older than ``years`` years.

    The last activity is the end date of the latest session they were enrolled in (any status),
    or the day the record was created when they have no enrolment; annotated as
    ``last_activity`` (a date) and ordered oldest first. One query.
    """
    import datetime as dt

    from django.db.models import DateField, Max
    from django.db.models.functions import TruncDate
    from django.utils import timezone

    from trainings.models import Enrolment

    cutoff = retention_cutoff(years, today)
    latest = (
        Enrolment.objects.filter(participant=OuterRef("pk"))
        .order_by()
        .values("participant")
        .annotate(end=Max("session__end_date"))
        .values("end")
    )
    # The record's creation as a local date: the day the office saw it, as the page shows it.
    created_before = timezone.make_aware(dt.datetime.combine(cutoff, dt.time.min))
    return (
        Participant.objects.filter(erased_at__isnull=True)
        .select_related("agency", "region")
        .annotate(last_session=Subquery(latest, output_field=DateField()))
        .filter(
            Q(last_session__lt=cutoff) | Q(last_session__isnull=True, created_at__lt=created_before)
        )
        .annotate(
            last_activity=Coalesce("last_session", TruncDate("created_at")),
        )
        .order_by("last_activity", "pk")
    )
