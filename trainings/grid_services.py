"""Cell by cell changes from the trainers' grids, each saved only if nobody changed it meanwhile.

Two people may have the same grid open. Every change carries the value the cell showed before
(``expected``); the enrolment's row is locked, the stored value compared, and the change saved
only when they still match (compare-and-swap). Otherwise ``ConflictError`` carries what is
stored now, so the page can show it instead of overwriting someone else's work silently.
"""

from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from trainings.audit import history_stamp
from trainings.models import Attendance, Enrolment, TrainingDay
from trainings.services import attendance_set

SCORE_FIELDS = {"pre": "pre_score", "post": "post_score"}
# The model stores two decimals; more would be rounded silently by the database.
SCORE_DECIMALS = 2


class ConflictError(Exception):
    """The cell changed since the person saw it; ``current`` is the value stored now."""

    def __init__(self, current: Any) -> None:
        super().__init__(f"changed meanwhile: now {current!r}")
        self.current = current


def score_text(score: Decimal | None) -> str:
    """Write a score plainly, without trailing zeros ("85.5", "72"); blank for None."""
    if score is None:
        return ""
    text = format(score, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def score_display(score: Decimal | None) -> str:
    """Write a score for the reader, with their decimal separator ("85,5" in Russian)."""
    if score is None:
        return ""
    return number_format(Decimal(score_text(score)), use_l10n=True)


def score_parse(text: str | None) -> Decimal | None:
    """Read a typed score: blank is None (not taken); a decimal comma is accepted ("85,5").

    Raises ValidationError, in the reader's language, for anything but a number with at most
    two decimals (the range is the session's, checked by ``enrolment_score_save``).
    """
    text = (text or "").strip().replace("\u00a0", "").replace(" ", "")
    if not text:
        return None
    try:
        value = Decimal(text.replace(",", "."))
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        raise ValidationError(
            _("“%(value)s” is not a number: type a score such as 85 or 85,5, or leave it blank.")
            % {"value": text[:20]},
            code="not_a_number",
        )
    exponent = value.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < -SCORE_DECIMALS:
        raise ValidationError(_("Use at most two decimals."), code="decimals")
    return value


def score_problem(value: Decimal | None, max_score: Decimal) -> str | None:
    """Say why a score cannot be recorded in a session with this maximum, if it cannot."""
    if value is None:
        return None
    if value < 0:
        return _("A score cannot be negative.")
    if value > max_score:
        return _("%(value)s is above the maximum score, %(max)s.") % {
            "value": score_display(value),
            "max": score_display(max_score),
        }
    return None


def _locked(enrolment: Enrolment) -> Enrolment:
    """Lock the enrolment's row: changes to its cells then happen one after another."""
    return (
        Enrolment.objects.select_for_update(of=("self",))
        .select_related("session", "participant")
        .get(pk=enrolment.pk)
    )


def _withdrawn_message(enrolment: Enrolment) -> str:
    return _("%(name)s is withdrawn from %(code)s: nothing can be recorded for them.") % {
        "name": enrolment.participant.full_name,
        "code": enrolment.session.code,
    }


@transaction.atomic
def attendance_mark(
    *,
    enrolment: Enrolment,
    day: TrainingDay,
    present: bool,
    expected: bool,
    actor: Any = None,
) -> Attendance | None:
    """Mark an enrolment present or absent on one day, if the cell still holds ``expected``.

    A day without a mark counts as absent. Raises ConflictError(current) when the stored mark
    differs from ``expected``; ValidationError for a day of another session or a withdrawn
    enrolment marked present. Returns the mark (None when absent and never marked).
    """
    enrolment = _locked(enrolment)
    if day.session_id != enrolment.session_id:
        raise ValidationError(_("This day belongs to another session."), code="other_session")
    if present and enrolment.status == Enrolment.Status.WITHDRAWN:
        raise ValidationError(_withdrawn_message(enrolment), code="withdrawn")
    mark = Attendance.objects.filter(enrolment=enrolment, day=day).first()
    current = bool(mark and mark.present)
    if current != bool(expected):
        raise ConflictError(current)
    if current == bool(present):
        return mark
    if mark is None:
        mark = Attendance(enrolment=enrolment, day=day, present=bool(present))
        mark.full_clean(validate_unique=False)
        history_stamp(mark, actor).save()
    else:
        mark.present = bool(present)
        history_stamp(mark, actor).save(update_fields=["present"])
    return mark


@transaction.atomic
def enrolment_score_save(
    *,
    enrolment: Enrolment,
    field: str,
    value: Decimal | None,
    expected: Decimal | None,
    actor: Any = None,
) -> Enrolment:
    """Record a pre (``field="pre"``) or post score, if the stored one is still ``expected``.

    None means the test was not taken. Raises ValidationError for a score below 0 or above the
    session's maximum, or for a withdrawn enrolment; ConflictError(current) when someone else
    changed the score to something else meanwhile (the same value they saved is no conflict).
    """
    if field not in SCORE_FIELDS:
        raise ValidationError(_("Unknown score: %(field)s") % {"field": field}, code="field")
    name = SCORE_FIELDS[field]
    enrolment = _locked(enrolment)
    if value is not None and enrolment.status == Enrolment.Status.WITHDRAWN:
        raise ValidationError(_withdrawn_message(enrolment), code="withdrawn")
    problem = score_problem(value, enrolment.session.max_score)
    if problem:
        raise ValidationError(problem, code="range")
    current = getattr(enrolment, name)
    if current == value:
        return enrolment
    if current != expected:
        raise ConflictError(current)
    setattr(enrolment, name, value)
    enrolment.full_clean(exclude=["session", "participant"], validate_unique=False)
    history_stamp(enrolment, actor).save(update_fields=[name, "updated_at"])
    return enrolment


@transaction.atomic
def attendance_day_present(*, day: TrainingDay, enrolment_ids: list[int], actor: Any = None) -> int:
    """Mark present on one day the enrolments a person saw absent; return how many changed.

    Only the cells the person saw absent are sent, so a mark someone else removed meanwhile from
    a cell they saw present is left alone; a cell someone marked present meanwhile already holds
    what they want. Withdrawn and waitlisted enrolments, and other sessions', are skipped.
    """
    enrolments = list(
        Enrolment.objects.select_for_update()
        .filter(pk__in=enrolment_ids, session_id=day.session_id, status__in=Enrolment.COUNTED)
        .values_list("pk", flat=True)
    )
    if not enrolments:
        return 0
    counts = attendance_set(day=day, marks=dict.fromkeys(enrolments, True), actor=actor)
    return counts["created"] + counts["updated"]
