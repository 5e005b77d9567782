"""Public registration: an organiser opens a session to anyone holding its link.

The link carries an unguessable token that survives closing and reopening, so printed QR codes
keep working. A registration finds the person by the same-person rule (participants.matching),
creates them if they are new, and enrols them (on the waitlist when the session is full).

What a public form may change about a person already on record: nothing that is filled in.
Anyone can type anyone's email, so the form's values only fill a matched record's blanks
(birth year, position, region, email, phone, disability, a gender recorded as undisclosed) and
never replace names, agency or anything already stored.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
import secrets
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from participants.matching import PersonIndex, Probe
from participants.models import Agency, AgencyType, Gender, Participant
from participants.normalize import clean_text, fold
from participants.services import agency_create, participant_create, participant_update
from trainings.audit import history_stamp
from trainings.models import Enrolment, Session
from trainings.services import enrolment_create, session_has_free_seat

logger = logging.getLogger(__name__)

# The version of the consent text (templates/trainings/partials/_consent_text.html). Change it
# whenever the text changes, so the log shows which text a person agreed to.
CONSENT_VERSION = "2026-11-30"
# The agency type of an agency a registrant names that is not on record and whose type they
# do not know.
OTHER_AGENCY_TYPE = "Other"
# Statuses that never take registrations.
_FINISHED = (Session.Status.CANCELLED, Session.Status.COMPLETED)


class RegistrationError(Exception):
    """Registration cannot be opened or accepted; the message says why, in the reader's words."""


class Outcome(enum.StrEnum):
    REGISTERED = "registered"
    WAITLISTED = "waitlisted"


@dataclass(frozen=True)
class Submission:
    """What a registration did: the outcome shown to the person, and (for staff) the records."""

    outcome: Outcome
    participant: Participant
    enrolment: Enrolment
    new_person: bool
    new_enrolment: bool


def _finished_problem(session: Session, today: dt.date) -> str | None:
    """Say why the session takes no registrations, or None when it may."""
    if session.status == Session.Status.CANCELLED:
        return _("%(code)s is cancelled: registration cannot be opened.") % {"code": session.code}
    if session.status == Session.Status.COMPLETED:
        return _("%(code)s is completed: registration cannot be opened.") % {"code": session.code}
    if session.end_date < today:
        return _(
            "%(code)s ended on %(date)s: registration cannot be opened for a past session."
        ) % {"code": session.code, "date": session.end_date.isoformat()}
    return None


def registration_accepting(session: Session, *, today: dt.date | None = None) -> bool:
    """Tell whether the public form takes registrations for the session right now."""
    today = today or timezone.localdate()
    return session.registration_open and _finished_problem(session, today) is None


def _new_token() -> str:
    # 18 bytes: 24 URL-safe characters, within the field's 32, 144 bits of chance to guess.
    while True:
        token = secrets.token_urlsafe(18)
        if not Session.objects.filter(registration_token=token).exists():
            return token


@transaction.atomic
def registration_open(*, session: Session, actor: Any = None) -> Session:
    """Open public registration, keeping an earlier token; a planned session becomes open.

    Raises RegistrationError for cancelled, completed or past sessions.
    """
    locked = Session.objects.select_for_update().get(pk=session.pk)
    problem = _finished_problem(locked, timezone.localdate())
    if problem:
        raise RegistrationError(problem)
    fields = []
    if not locked.registration_token:
        locked.registration_token = _new_token()
        fields.append("registration_token")
    if not locked.registration_open:
        locked.registration_open = True
        fields.append("registration_open")
    if locked.status == Session.Status.PLANNED:
        locked.status = Session.Status.OPEN
        fields.append("status")
    if fields:
        history_stamp(locked, actor).save(update_fields=[*fields, "updated_at"])
        logger.info("registration for %s opened by %s", locked.code, actor)
    for name in ("registration_token", "registration_open", "status"):
        setattr(session, name, getattr(locked, name))
    return session


@transaction.atomic
def registration_close(*, session: Session, actor: Any = None) -> Session:
    """Close public registration; the token stays, so reopening revives the same link.

    A session whose status says "Open for registration" goes back to planned.
    """
    locked = Session.objects.select_for_update().get(pk=session.pk)
    fields = []
    if locked.registration_open:
        locked.registration_open = False
        fields.append("registration_open")
    if locked.status == Session.Status.OPEN:
        locked.status = Session.Status.PLANNED
        fields.append("status")
    if fields:
        history_stamp(locked, actor).save(update_fields=[*fields, "updated_at"])
        logger.info("registration for %s closed by %s", locked.code, actor)
    for name in ("registration_open", "status"):
        setattr(session, name, getattr(locked, name))
    return session


def _find_person(data: dict[str, Any]) -> Participant | None:
    probe = Probe.of(
        last_name=data["last_name"],
        first_name=data["first_name"],
        middle_name=data.get("middle_name", ""),
        email=data.get("email", ""),
        birth_year=data.get("birth_year"),
    )
    index = PersonIndex.load(email_keys=[probe.email_key], name_keys=[probe.name_key])
    # Several people the rule cannot tell apart: a new record, which the duplicate list
    # shows the organisers, rather than a guess that enrols someone else.
    found = index.match(probe).person
    if found is None:
        return None
    # The index loads identity columns only; the blanks to fill need the whole row.
    return (
        Participant.objects.select_for_update(of=("self",))
        .select_related("gender")
        .get(pk=found.pk)
    )


def _agency_for(name: str, agency_type: AgencyType | None) -> Agency:
    name = clean_text(name)
    found = Agency.objects.filter(name_key=fold(name)).first()
    if found is not None:
        return found
    if agency_type is None:
        agency_type = AgencyType.objects.get(name_key=fold(OTHER_AGENCY_TYPE))
    try:
        with transaction.atomic():
            return agency_create(name=name, type=agency_type, actor="public registration")
    except (ValidationError, IntegrityError):
        # Created meanwhile by a concurrent registration naming the same agency.
        return Agency.objects.get(name_key=fold(name))


def _fill_blanks(person: Participant, data: dict[str, Any], now: dt.datetime) -> None:
    """Fill only what the matched person's record leaves empty; never replace a stored value."""
    fields: dict[str, Any] = {}
    for name in ("position", "phone", "email"):
        if data.get(name) and not getattr(person, name):
            fields[name] = data[name]
    if data.get("birth_year") and person.birth_year is None:
        fields["birth_year"] = data["birth_year"]
    if data.get("region") is not None and person.region_id is None:
        fields["region"] = data["region"]
    if data.get("disability") and not person.disability:
        fields["disability"] = data["disability"]
    gender: Gender | None = data.get("gender")
    if gender is not None and gender.code != "undisclosed" and person.gender.code == "undisclosed":
        fields["gender"] = gender
    if not person.consent:
        fields["consent"] = True
        fields["consent_at"] = now
        fields["consent_version"] = CONSENT_VERSION
    if fields:
        participant_update(participant=person, actor="public registration", **fields)


@transaction.atomic
def registration_submit(*, session: Session, data: dict[str, Any]) -> Submission:
    """Register a member of the public for the session from the form's cleaned data.

    ``data`` holds last_name, first_name, middle_name, gender (Gender), birth_year, agency_name,
    agency_type (AgencyType or None for "don't know"), position, region (Region or None),
    email, phone, disability and consent (True). Creates the person (and their agency) when new,
    fills only the blanks of a person on record, and enrols them. Raises RegistrationError when
    registration is closed, ValidationError when the data is refused.

    The outcome of someone already enrolled is what a newcomer would get at this moment, so
    the reply never tells whether a person is registered.
    """
    if not data.get("consent"):
        raise ValidationError({"consent": _("Registration needs your consent.")})
    # Lock the session first: registrations for one session run one after another, so two
    # submissions with one new email cannot both create a person, and seats are counted right.
    locked = Session.objects.select_for_update().get(pk=session.pk)
    if not registration_accepting(locked):
        raise RegistrationError(_("Registration for this session is closed."))
    now = timezone.now()
    person = _find_person(data)
    new_person = person is None
    if person is None:
        person = participant_create(
            last_name=data["last_name"],
            first_name=data["first_name"],
            middle_name=data.get("middle_name", ""),
            gender=data["gender"],
            birth_year=data.get("birth_year"),
            agency=_agency_for(data["agency_name"], data.get("agency_type")),
            position=data.get("position", ""),
            region=data.get("region"),
            email=data.get("email", ""),
            phone=data.get("phone", ""),
            disability=data.get("disability", ""),
            consent=True,
            consent_at=now,
            consent_version=CONSENT_VERSION,
            actor="public registration",
        )
    else:
        _fill_blanks(person, data, now)
    before = (
        Enrolment.objects.filter(session=locked, participant=person)
        .values_list("status", flat=True)
        .first()
    )
    seat_free = session_has_free_seat(locked)
    enrolment, created = enrolment_create(
        session=locked, participant=person, actor="public registration"
    )
    if created or before == Enrolment.Status.WITHDRAWN:
        waitlisted = enrolment.status == Enrolment.Status.WAITLISTED
    else:
        waitlisted = not seat_free
    logger.info(
        "public registration for %s: participant %s (%s), enrolment %s (%s), consent %s",
        locked.code,
        person.pk,
        "new" if new_person else "matched",
        enrolment.pk,
        "new" if created else "existing",
        CONSENT_VERSION,
    )
    return Submission(
        outcome=Outcome.WAITLISTED if waitlisted else Outcome.REGISTERED,
        participant=person,
        enrolment=enrolment,
        new_person=new_person,
        new_enrolment=created,
    )
