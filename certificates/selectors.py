"""Reads for certificates: who is eligible, and why not."""

from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal

from django.db.models import Count, Exists, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from certificates.models import Certificate
from participants import normalize
from participants.models import Participant
from trainings.models import Attendance, Enrolment, Session, TrainingDay


def _count(queryset: QuerySet, outer: str) -> Coalesce:
    """Return a subquery counting the rows of ``queryset`` per ``outer`` reference, 0 for none."""
    counted = queryset.order_by().values(outer).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def enrolments_with_eligibility(session: Session) -> QuerySet[Enrolment]:
    """Return the session's enrolments, each annotated with what eligibility needs, in one query.

    Annotations: ``days_present`` (attendance marked present on the session's days),
    ``days_total`` (the session's training days) and ``has_valid_certificate``. Subqueries, not
    joined counts, so the three figures do not multiply each other.
    """
    present = Attendance.objects.filter(
        enrolment=OuterRef("pk"), present=True, day__session=OuterRef("session")
    )
    days = TrainingDay.objects.filter(session=OuterRef("session"))
    valid = Certificate.objects.filter(enrolment=OuterRef("pk"), revoked=False)
    return (
        Enrolment.objects.filter(session=session)
        .select_related("participant", "session__course")
        .annotate(
            days_present=_count(present, "enrolment"),
            days_total=_count(days, "session"),
            has_valid_certificate=Exists(valid),
        )
        .order_by("participant__last_name", "participant__first_name", "pk")
    )


def _percent(part: Decimal | int, whole: Decimal | int) -> str:
    """Return part/whole in percent, truncated to one decimal so 79.99 never reads as 80."""
    value = (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_DOWN)
    return f"{value.normalize():f}" if value == value.to_integral_value() else f"{value:f}"


def _score(score: Decimal) -> str:
    return f"{score.normalize():f}"


def eligibility(enrolment: Enrolment, session: Session) -> tuple[bool, str]:
    """Say whether an annotated enrolment earns a certificate (domain.md), and if not, why.

    ``enrolment`` comes from ``enrolments_with_eligibility``; ``session`` must have its course
    loaded. Thresholds compare integers (present * 100 >= minimum * days), so a participant
    exactly at the minimum is never lost to a rounding error.
    """
    if session.status == Session.Status.CANCELLED:
        return False, "the session was cancelled"
    if enrolment.status not in Enrolment.COUNTED:
        return False, f"the enrolment is {enrolment.get_status_display().lower()}"
    present, total = enrolment.days_present, enrolment.days_total
    if total == 0:
        return False, "the session has no training days"
    if present * 100 < session.min_attendance * total:
        return False, (
            f"attended {present} of {total} days ({_percent(present, total)}%), "
            f"the minimum is {session.min_attendance}%"
        )
    if session.course.assessed:
        post = enrolment.post_score
        if post is None:
            return False, "no post-test score"
        if post * 100 < session.pass_mark * session.max_score:
            return False, (
                f"post-test {_percent(post, session.max_score)}% "
                f"({_score(post)} of {_score(session.max_score)}) "
                f"is below the pass mark {session.pass_mark}%"
            )
    return True, "eligible"


def name_order_key(participant: Participant) -> tuple:
    """Return a sort key putting participants in alphabetical order by last, first, middle name.

    Case-insensitive in every alphabet and the same on every database (SQL collations differ),
    with the Kyrgyz letters in their place in the alphabet.
    """
    return normalize.name_order_key(
        participant.last_name, participant.first_name, participant.middle_name
    )


@dataclass
class IssuePlan:
    """What issuing a session's certificates would do: who gets one, in number order."""

    to_issue: list[Enrolment] = field(default_factory=list)
    already_issued: int = 0
    not_eligible: int = 0


def issue_plan(session: Session) -> IssuePlan:
    """Plan issuing for every enrolment of the session; one query, writes nothing.

    An enrolment that holds a valid certificate counts as already issued (even if it would no
    longer be eligible: revoking is a decision for a person). Every other enrolment, whatever
    its status, is to be issued or not eligible, so the three counts add up to the enrolments.
    """
    plan = IssuePlan()
    for enrolment in enrolments_with_eligibility(session):
        if enrolment.has_valid_certificate:
            plan.already_issued += 1
        elif eligibility(enrolment, session)[0]:
            plan.to_issue.append(enrolment)
        else:
            plan.not_eligible += 1
    plan.to_issue.sort(key=lambda e: (name_order_key(e.participant), e.pk))
    return plan
