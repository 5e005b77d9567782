"""Every change of state of certificates: issuing, numbering and revoking."""

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from certificates.codes import certificate_code_new
from certificates.models import Certificate
from certificates.selectors import eligibility, enrolments_with_eligibility, issue_plan
from trainings.audit import CREATED, history_record, history_stamp
from trainings.models import Enrolment, Session

# Fields a new certificate is checked on without a query each: the enrolment (a foreign key) and
# the uniqueness of number and code are left to the database, which enforces them anyway.
_NO_QUERY_CLEAN = {
    "exclude": ["enrolment"],
    "validate_unique": False,
    "validate_constraints": False,
}


class CertificateError(Exception):
    """A certificate cannot be issued or revoked; the message says why and what to do."""


@dataclass
class IssueReport:
    """What one issuing run did."""

    issued: list[Certificate] = field(default_factory=list)
    already_issued: int = 0
    not_eligible: int = 0

    def summary_line(self) -> str:
        """Return the line ``issue_certificates`` prints (automation.md)."""
        return (
            f"issued {len(self.issued)}, already issued {self.already_issued}, "
            f"not eligible {self.not_eligible}"
        )


def certificate_number(session_code: str, sequence: int) -> str:
    """Return the readable number of a session's certificate: ``<code>-<NNN>``, NNN from 001."""
    return f"{session_code}-{sequence:03d}"


def _session_lock(session: Session) -> Session:
    """Lock the session row for this transaction, so two runs cannot take the same numbers."""
    return (
        Session.objects.select_for_update(of=("self",)).select_related("course").get(pk=session.pk)
    )


def _last_sequence(session: Session) -> int:
    """Return the session's highest sequence so far, revoked certificates included."""
    found = Certificate.objects.filter(enrolment__session=session).aggregate(last=Max("sequence"))
    return found["last"] or 0


def _numbers_taken_check(numbers: list[str]) -> None:
    """Refuse numbers another session holds (possible only after a session code changed)."""
    taken = sorted(Certificate.objects.filter(number__in=numbers).values_list("number", flat=True))
    if taken:
        raise CertificateError(
            f"certificate number {', '.join(taken)} is already used by another session "
            "(was a session code changed?): give this session a distinct code, then issue again"
        )


def _certificates_new(
    *, session: Session, enrolments: list[Enrolment], issued_on: dt.date, actor: Any = None
) -> list[Certificate]:
    """Create certificates for the enrolments in this order, numbered after the last one.

    Each gets an audit-trail row naming the actor (a user, or a text such as the command's
    name). The caller holds the session's row lock, so no other run can issue meanwhile; the
    database's one-valid-certificate constraint is the last guard, and its refusal becomes a
    CertificateError rather than a crash (the caller's atomic block then rolls everything back,
    so no savepoint of its own is needed).
    """
    first = _last_sequence(session) + 1
    certificates = [
        Certificate(
            enrolment=enrolment,
            sequence=sequence,
            number=certificate_number(session.code, sequence),
            code=certificate_code_new(),
            issued_on=issued_on,
        )
        for sequence, enrolment in enumerate(enrolments, start=first)
    ]
    if not certificates:
        return []
    for certificate in certificates:
        certificate.full_clean(**_NO_QUERY_CLEAN)
    _numbers_taken_check([c.number for c in certificates])
    try:
        created = Certificate.objects.bulk_create(certificates)
    except IntegrityError as exc:
        raise CertificateError(
            _(
                "Certificates of %(code)s were issued by someone else at the same moment: "
                "nothing was issued by this run. Look at the session's certificates, or issue "
                "again."
            )
            % {"code": session.code}
        ) from exc
    history_record(created, actor=actor, kind=CREATED, model=Certificate)
    return created


@transaction.atomic
def certificates_issue(
    *, session: Session, actor: Any = None, issued_on: dt.date | None = None
) -> IssueReport:
    """Issue a certificate to every eligible enrolment of the session that has no valid one.

    Idempotent: a second run issues nothing. New certificates are numbered in alphabetical order
    of the participants' names, after the session's highest number so far (numbers of revoked
    certificates are never reused). The session row is locked, so concurrent runs wait.
    """
    session = _session_lock(session)
    plan = issue_plan(session)
    issued = _certificates_new(
        session=session,
        enrolments=plan.to_issue,
        issued_on=issued_on or timezone.localdate(),
        actor=actor,
    )
    return IssueReport(
        issued=issued, already_issued=plan.already_issued, not_eligible=plan.not_eligible
    )


@transaction.atomic
def certificate_issue(
    *, enrolment: Enrolment, actor: Any = None, issued_on: dt.date | None = None
) -> Certificate:
    """Issue a certificate to one enrolment, or return the valid one it already has.

    Raises CertificateError with the reason when the enrolment is not eligible.
    """
    session = _session_lock(enrolment.session)
    annotated = enrolments_with_eligibility(session).get(pk=enrolment.pk)
    if annotated.has_valid_certificate:
        return Certificate.objects.get(enrolment=annotated, revoked=False)
    eligible, reason = eligibility(annotated, session)
    if not eligible:
        raise CertificateError(
            f"{annotated.participant.full_name} is not eligible for a certificate of "
            f"{session.code}: {reason}"
        )
    [certificate] = _certificates_new(
        session=session,
        enrolments=[annotated],
        issued_on=issued_on or timezone.localdate(),
        actor=actor,
    )
    return certificate


@transaction.atomic
def certificate_revoke(
    *, certificate: Certificate, reason: str, actor: Any = None, revoked_on: dt.date | None = None
) -> Certificate:
    """Revoke a valid certificate, keeping the record with the reason and the date.

    The enrolment may then be issued a new certificate, with a new number.
    """
    reason = (reason or "").strip()
    if not reason:
        raise CertificateError(
            f"give a reason for revoking certificate {certificate.number}: it is kept on record "
            "and the verification page shows the certificate as revoked"
        )
    certificate = Certificate.objects.select_for_update().get(pk=certificate.pk)
    if certificate.revoked:
        raise CertificateError(
            f"certificate {certificate.number} was already revoked on "
            f"{certificate.revoked_on.isoformat()}"
        )
    certificate.revoked = True
    certificate.revoked_on = revoked_on or timezone.localdate()
    certificate.revoked_reason = reason
    certificate.full_clean(exclude=["enrolment"], validate_unique=False)
    history_stamp(certificate, actor)  # the audit trail's row names who revoked
    certificate.save(update_fields=["revoked", "revoked_on", "revoked_reason"])
    return certificate
