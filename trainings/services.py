"""Every change of state of courses, sessions, training days, scores and attendance."""

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from participants.models import Region
from trainings.audit import CREATED, history_record, history_stamp
from trainings.models import Attendance, Course, Enrolment, Session, TrainingDay

# The fields session_update accepts; trainers (many-to-many) are handled after saving.
SESSION_FIELDS = frozenset(
    {
        "code",
        "course",
        "title",
        "start_date",
        "end_date",
        "region",
        "venue",
        "format",
        "language",
        "capacity",
        "status",
        "max_score",
        "pass_mark",
        "min_attendance",
        "training_hours",
        "certificate_language",
        "certificate_design",
    }
)


# A longer session is a typing mistake in a date, and would create thousands of training days.
MAX_SESSION_DAYS = 366

# --- pure rules, shared with the imports ---------------------------------------------------------


def date_range(start: dt.date, end: dt.date) -> list[dt.date]:
    """Return every calendar day from start to end, both included."""
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


def training_days_plan(
    *,
    old_start: dt.date | None,
    old_end: dt.date | None,
    new_start: dt.date,
    new_end: dt.date,
    existing: Iterable[dt.date],
) -> tuple[list[dt.date], list[dt.date]]:
    """Return (days to remove, days to add) when a session's dates change.

    Days outside the new dates go; days the new dates cover and the old ones did not come. A day
    removed on purpose inside the old dates (a skipped weekend) is not brought back.
    """
    existing = set(existing)
    remove = sorted(d for d in existing if not new_start <= d <= new_end)
    add = [
        d
        for d in date_range(new_start, new_end)
        if d not in existing
        and (old_start is None or old_end is None or not old_start <= d <= old_end)
    ]
    return remove, add


def session_length_problem(start: dt.date, end: dt.date) -> str | None:
    """Say what is wrong with a session's dates that the model does not check, if anything."""
    days = (end - start).days + 1
    if days > MAX_SESSION_DAYS:
        return f"the session would last {days} days: check the dates"
    return None


def attendance_blocks_message(dates: Iterable[dt.date]) -> str:
    """Say which removed days still hold attendance, and what to do about it."""
    listed = ", ".join(d.isoformat() for d in sorted(dates))
    return (
        f"attendance is recorded on {listed}, which the new dates leave out: "
        "keep those dates or delete that attendance first"
    )


def scores_above_message(top: Decimal, max_score: Decimal) -> str:
    """Say that a new maximum score is below a score already recorded."""
    return (
        f"a score of {_plain(top)} is already recorded in this session: "
        f"the maximum score cannot go below it (asked for {_plain(max_score)})"
    )


def _plain(number: Decimal) -> str:
    text = format(number, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


# --- courses -------------------------------------------------------------------------------------


@transaction.atomic
def course_create(
    *,
    code: str,
    title: str,
    thematic_area: str = "",
    pass_mark: int = 60,
    min_attendance: int = 80,
    assessed: bool = True,
    actor: Any = None,
) -> Course:
    """Create a course in the catalogue."""
    course = Course(
        code=code,
        title=title,
        thematic_area=thematic_area,
        pass_mark=pass_mark,
        min_attendance=min_attendance,
        assessed=assessed,
    )
    course.full_clean()
    course.save()
    return course


# The fields course_update accepts; the code names the course in files and stays as it is.
COURSE_FIELDS = frozenset({"title", "thematic_area", "pass_mark", "min_attendance", "assessed"})


@transaction.atomic
def course_update(*, course: Course, actor: Any = None, **changes: Any) -> Course:
    """Change a course's title, thematic area, assessment and default thresholds.

    Sessions already planned keep their own pass mark and minimum attendance.
    """
    unknown = set(changes) - COURSE_FIELDS
    if unknown:
        raise TypeError(f"course_update() got unknown fields: {', '.join(sorted(unknown))}")
    for name, value in changes.items():
        setattr(course, name, value)
    course.full_clean()
    course.save()
    return course


# --- sessions and their training days ------------------------------------------------------------


@transaction.atomic
def session_create(
    *,
    code: str,
    course: Course,
    start_date: dt.date,
    end_date: dt.date,
    region: Region,
    title: str = "",
    venue: str = "",
    format: str = Session.Format.IN_PERSON,
    language: str = "",
    capacity: int | None = None,
    status: str = Session.Status.PLANNED,
    max_score: Decimal = Decimal(100),
    pass_mark: int | None = None,
    min_attendance: int | None = None,
    training_hours: int | None = None,
    certificate_language: str = "en",
    certificate_design: Any = None,
    trainers: Iterable[Any] = (),
    actor: Any = None,
) -> Session:
    """Create a session with one training day per calendar day from start to end.

    The pass mark and minimum attendance default to the course's.
    """
    session = Session(
        code=code,
        course=course,
        start_date=start_date,
        end_date=end_date,
        region=region,
        title=title,
        venue=venue,
        format=format,
        language=language,
        capacity=capacity,
        status=status,
        max_score=max_score,
        pass_mark=course.pass_mark if pass_mark is None else pass_mark,
        min_attendance=course.min_attendance if min_attendance is None else min_attendance,
        training_hours=training_hours,
        certificate_language=certificate_language,
        certificate_design=certificate_design,
    )
    session.full_clean()
    _check_length(session)
    history_stamp(session, actor).save()
    trainers = list(trainers)
    if trainers:
        session.trainers.set(trainers)
    session_days_default(session=session)
    return session


@transaction.atomic
def session_days_default(*, session: Session, actor: Any = None) -> int:
    """Give a session without training days one per calendar day; return how many were made."""
    if session.days.exists():
        return 0
    days = [
        TrainingDay(session=session, date=d)
        for d in date_range(session.start_date, session.end_date)
    ]
    TrainingDay.objects.bulk_create(days)
    return len(days)


@transaction.atomic
def session_update(*, session: Session, actor: Any = None, **changes: Any) -> Session:
    """Change a session's fields and keep its training days within its dates.

    ``changes`` are field values (and ``trainers``); values already set on the instance, as a
    ModelForm sets them, count as changes too, because the old dates are read from the database.
    Days outside the new dates are removed (refused while attendance is recorded on them); days
    the new dates newly cover are added; days removed on purpose inside the old dates stay
    removed.
    """
    unknown = set(changes) - SESSION_FIELDS - {"trainers"}
    if unknown:
        raise TypeError(f"session_update() got unknown fields: {', '.join(sorted(unknown))}")
    trainers = changes.pop("trainers", None)
    stored = (
        Session.objects.select_for_update()
        .filter(pk=session.pk)
        .values("start_date", "end_date", "max_score")
        .get()
    )
    for name, value in changes.items():
        setattr(session, name, value)
    session.full_clean()
    _check_length(session)

    errors: dict[str, list[str]] = {}
    if session.max_score < stored["max_score"]:
        top = _top_score(session)
        if top is not None and top > session.max_score:
            errors.setdefault("max_score", []).append(scores_above_message(top, session.max_score))
    days = dict(TrainingDay.objects.filter(session=session).values_list("date", "pk"))
    remove, add = training_days_plan(
        old_start=stored["start_date"],
        old_end=stored["end_date"],
        new_start=session.start_date,
        new_end=session.end_date,
        existing=days,
    )
    if remove:
        attended = set(
            Attendance.objects.filter(day_id__in=[days[d] for d in remove])
            .values_list("day__date", flat=True)
            .distinct()
        )
        before = [d for d in attended if d < session.start_date]
        after = [d for d in attended if d > session.end_date]
        if before:
            errors.setdefault("start_date", []).append(attendance_blocks_message(before))
        if after:
            errors.setdefault("end_date", []).append(attendance_blocks_message(after))
    if errors:
        raise ValidationError(errors)

    history_stamp(session, actor).save()
    if remove:
        TrainingDay.objects.filter(pk__in=[days[d] for d in remove]).delete()
    if add:
        TrainingDay.objects.bulk_create(TrainingDay(session=session, date=d) for d in add)
    if trainers is not None:
        session.trainers.set(trainers)
    if "capacity" in changes:
        # More seats (or no limit any more) move the waitlist up.
        waitlist_promote(session=session, actor=actor)
    return session


# What a copy of a session takes over from the original (trainers are copied separately).
COPIED_FIELDS = (
    "course",
    "title",
    "region",
    "venue",
    "format",
    "language",
    "capacity",
    "max_score",
    "pass_mark",
    "min_attendance",
    "training_hours",
    "certificate_language",
    "certificate_design",
)


@transaction.atomic
def session_copy(*, session: Session, code: str, start_date: dt.date, actor: Any = None) -> Session:
    """Plan a new run of a session: same course, place, settings and trainers, new dates.

    The copy lasts as long as the original, starts planned, and has no enrolments.
    """
    copy = Session(
        code=code,
        start_date=start_date,
        end_date=start_date + (session.end_date - session.start_date),
        status=Session.Status.PLANNED,
        **{name: getattr(session, name) for name in COPIED_FIELDS},
    )
    copy.full_clean()
    _check_length(copy)
    history_stamp(copy, actor).save()
    trainers = list(session.trainers.all())
    if trainers:
        copy.trainers.set(trainers)
    session_days_default(session=copy)
    return copy


@transaction.atomic
def session_cancel(*, session: Session, actor: Any = None) -> Session:
    """Cancel a session; its enrolments stay recorded but stop counting in the statistics."""
    session = _locked_session(session)
    if session.status == Session.Status.CANCELLED:
        return session
    session.status = Session.Status.CANCELLED
    session.full_clean()
    history_stamp(session, actor).save(update_fields=["status", "updated_at"])
    return session


def _check_length(session: Session) -> None:
    problem = session_length_problem(session.start_date, session.end_date)
    if problem:
        raise ValidationError({"end_date": problem})


def _top_score(session: Session) -> Decimal | None:
    tops = Enrolment.objects.filter(session=session).aggregate(
        pre=Max("pre_score"), post=Max("post_score")
    )
    scores = [s for s in tops.values() if s is not None]
    return max(scores) if scores else None


# --- scores and attendance -----------------------------------------------------------------------


@transaction.atomic
def enrolment_scores_set(
    *,
    enrolment: Enrolment,
    pre_score: Decimal | None,
    post_score: Decimal | None,
    actor: Any = None,
) -> Enrolment:
    """Record an enrolment's pre- and post-test scores; None means the test was not taken."""
    if enrolment.status == Enrolment.Status.WITHDRAWN and (
        pre_score is not None or post_score is not None
    ):
        raise ValidationError(f"{enrolment.participant} is withdrawn from {enrolment.session.code}")
    enrolment.pre_score = pre_score
    enrolment.post_score = post_score
    enrolment.full_clean()
    history_stamp(enrolment, actor).save(update_fields=["pre_score", "post_score", "updated_at"])
    return enrolment


@transaction.atomic
def attendance_set(
    *, day: TrainingDay, marks: Mapping[int, bool], actor: Any = None
) -> dict[str, int]:
    """Mark enrolments (by id) present or absent on one training day, in bulk.

    Returns how many marks were created, updated and left unchanged.
    """
    enrolments = {
        e.pk: e
        for e in Enrolment.objects.filter(pk__in=list(marks)).select_related(
            "participant", "session"
        )
    }
    errors = []
    for pk in marks:
        enrolment = enrolments.get(pk)
        if enrolment is None or enrolment.session_id != day.session_id:
            errors.append(f"enrolment {pk} is not in session {day.session.code}")
        elif enrolment.status == Enrolment.Status.WITHDRAWN and marks[pk]:
            errors.append(f"{enrolment.participant} is withdrawn from {day.session.code}")
    if errors:
        raise ValidationError(errors)
    existing = {a.enrolment_id: a for a in Attendance.objects.filter(day=day, enrolment__in=marks)}
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    new, changed = [], []
    for pk, present in marks.items():
        mark = existing.get(pk)
        if mark is None:
            mark = Attendance(enrolment=enrolments[pk], day=day, present=bool(present))
            # Field checks of the foreign keys would query once per mark; clean() checks them.
            mark.full_clean(
                exclude=["enrolment", "day"], validate_unique=False, validate_constraints=False
            )
            new.append(mark)
            counts["created"] += 1
        elif mark.present != bool(present):
            mark.present = bool(present)
            changed.append(mark)
            counts["updated"] += 1
        else:
            counts["unchanged"] += 1
    Attendance.objects.bulk_create(new)
    Attendance.objects.bulk_update(changed, ["present"])
    # Bulk writes send no signals: the audit trail records them here, one INSERT per batch.
    history_record(new, actor=actor, kind=CREATED, model=Attendance)
    history_record(changed, actor=actor, model=Attendance)
    return counts


# --- enrolments: capacity and the waitlist -------------------------------------------------------


def _locked_session(session: Session) -> Session:
    """Lock the session's row so that concurrent registrations count seats one after another."""
    return Session.objects.select_for_update().get(pk=session.pk)


def _seats_taken(session: Session) -> int:
    return Enrolment.objects.filter(session=session, status__in=Enrolment.COUNTED).count()


def session_has_free_seat(session: Session) -> bool:
    """Say whether one more person can take a seat (sessions without a capacity always can)."""
    return session.capacity is None or _seats_taken(session) < session.capacity


def _status_for_new_seat(session: Session) -> str:
    if not session_has_free_seat(session):
        return Enrolment.Status.WAITLISTED
    return Enrolment.Status.REGISTERED


@transaction.atomic
def enrolment_create(
    *, session: Session, participant: Any, actor: Any = None
) -> tuple[Enrolment, bool]:
    """Enrol a participant, on the waitlist when the session is full; return (enrolment, created).

    A person already enrolled keeps their enrolment (created is False); a withdrawn one is taken
    back, again on the waitlist when the session is full. Cancelled sessions take nobody.
    """
    session = _locked_session(session)
    if session.status == Session.Status.CANCELLED:
        raise ValidationError(
            _("%(code)s is cancelled: nobody can be enrolled.") % {"code": session.code}
        )
    enrolment = Enrolment.objects.filter(session=session, participant=participant).first()
    if enrolment is not None:
        if enrolment.status != Enrolment.Status.WITHDRAWN:
            return enrolment, False
        enrolment.status = _status_for_new_seat(session)
        history_stamp(enrolment, actor).save(update_fields=["status", "updated_at"])
        return enrolment, False
    enrolment = Enrolment(
        session=session, participant=participant, status=_status_for_new_seat(session)
    )
    enrolment.full_clean(exclude=["session", "participant"], validate_unique=False)
    history_stamp(enrolment, actor).save()
    return enrolment, True


@transaction.atomic
def waitlist_promote(*, session: Session, actor: Any = None) -> list[Enrolment]:
    """Move waitlisted enrolments up, first come first served, while seats are free.

    Returns the enrolments moved up.
    """
    session = _locked_session(session)
    waiting = (
        Enrolment.objects.filter(session=session, status=Enrolment.Status.WAITLISTED)
        .select_related("participant")
        .order_by("created_at", "pk")
    )
    if session.capacity is not None:
        free = session.capacity - _seats_taken(session)
        if free <= 0:
            return []
        waiting = waiting[:free]
    promoted = list(waiting)
    for enrolment in promoted:
        enrolment.status = Enrolment.Status.REGISTERED
    Enrolment.objects.bulk_update(promoted, ["status", "updated_at"])
    history_record(promoted, actor=actor, model=Enrolment)
    return promoted


@transaction.atomic
def enrolment_status_set(
    *, enrolment: Enrolment, status: str, actor: Any = None
) -> tuple[Enrolment, list[Enrolment]]:
    """Change an enrolment's status; a seat given up moves the waitlist up.

    Returns the enrolment and the enrolments moved up from the waitlist. Taking a seat
    (registered or confirmed) is refused while the session is full, except for the waitlist's
    own promotion.
    """
    if status not in Enrolment.Status.values:
        raise ValidationError({"status": _("Unknown status: %(status)s") % {"status": status}})
    session = _locked_session(enrolment.session)
    enrolment = Enrolment.objects.select_for_update().get(pk=enrolment.pk)
    before = enrolment.status
    if status == before:
        return enrolment, []
    takes_seat = status in Enrolment.COUNTED and before not in Enrolment.COUNTED
    if takes_seat and session.capacity is not None and _seats_taken(session) >= session.capacity:
        raise ValidationError(
            _(
                "%(code)s is full (%(capacity)s seats): "
                "withdraw someone first or raise the capacity."
            )
            % {"code": session.code, "capacity": session.capacity}
        )
    enrolment.status = status
    history_stamp(enrolment, actor).save(update_fields=["status", "updated_at"])
    promoted: list[Enrolment] = []
    if before in Enrolment.COUNTED and status not in Enrolment.COUNTED:
        promoted = waitlist_promote(session=session, actor=actor)
    return enrolment, promoted
