"""Changes to agencies and participants; pages, admin actions and imports all obey these rules.

The checks that read no other record (``participant_field_errors``, ``agency_field_errors``,
``validate_birth_year``) are separate functions so that the roster import, which resolves
related records in bulk, applies exactly the same rules to each row without a query per row.
"""

import logging
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from participants.models import Agency, AgencyType, Gender, Participant, Region
from participants.normalize import clean_text, fold

logger = logging.getLogger(__name__)

BIRTH_YEAR_MIN = 1900

# The fields a person's record is made of; participant_update accepts these and nothing else.
PARTICIPANT_FIELDS = frozenset(
    {
        "last_name",
        "first_name",
        "middle_name",
        "gender",
        "birth_year",
        "agency",
        "position",
        "region",
        "email",
        "phone",
        "disability",
        "consent",
        "consent_at",
    }
)
_TEXT_FIELDS = ("last_name", "first_name", "middle_name", "position", "email", "phone")
_RELATED_FIELDS = ("gender", "agency", "region")
# Validating a foreign key reads the related table; callers that resolved them in bulk skip it.
_NOT_OWN_FIELDS = frozenset({*_RELATED_FIELDS, "name_key", "email_key", "created_at", "updated_at"})


def validate_birth_year(year: int | None, *, this_year: int | None = None) -> None:
    """Raise ValidationError unless the year is blank or from 1900 to the current year.

    Callers checking many years pass ``this_year`` once rather than asking the clock each time.
    """
    if year is None:
        return
    latest = this_year or timezone.localdate().year
    if not BIRTH_YEAR_MIN <= year <= latest:
        raise ValidationError(
            f"{year} is not a plausible birth year: write a year from {BIRTH_YEAR_MIN} to {latest}",
            code="birth_year",
        )


def participant_field_errors(
    participant: Participant, fields: Iterable[str] | None = None
) -> dict[str, list[str]]:
    """Return what is wrong with a participant's own values, by field; read no other record.

    ``fields`` limits the check to those fields (default: all of the person's own fields), so a
    caller holding a partly loaded record never triggers a query for a deferred one.
    """
    own = {f.name for f in Participant._meta.concrete_fields} - _NOT_OWN_FIELDS - {"id"}
    wanted = own if fields is None else own & set(fields)
    errors: dict[str, list[str]] = {}
    try:
        participant.clean_fields(
            exclude=[f.name for f in Participant._meta.fields if f.name not in wanted]
        )
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if "birth_year" in wanted and "birth_year" not in errors:
        try:
            validate_birth_year(participant.birth_year)
        except ValidationError as exc:
            errors["birth_year"] = exc.messages
    if "consent" in wanted and participant.consent and participant.consent_at is None:
        errors.setdefault("consent_at", []).append("Consent needs the date it was given.")
    return errors


def agency_field_errors(agency: Agency) -> dict[str, list[str]]:
    """Return what is wrong with an agency's own values, by field; read no other record."""
    try:
        agency.clean_fields(exclude=["name_key", "type", "parent"])
    except ValidationError as exc:
        return exc.message_dict
    return {}


def _clean_texts(values: dict[str, Any]) -> None:
    for name in _TEXT_FIELDS:
        if name in values:
            values[name] = clean_text(values[name])


def _participant_validate(participant: Participant) -> None:
    participant.refresh_keys()
    errors = participant_field_errors(participant)
    if participant.email_key and "email" not in errors:
        other = (
            Participant.objects.filter(email_key=participant.email_key)
            .exclude(pk=participant.pk)
            .only("last_name", "first_name", "middle_name")
            .first()
        )
        if other is not None:
            errors["email"] = [
                f"{other.full_name} already has this email: one email belongs to one person "
                "(merge the two records if they are the same person)"
            ]
    if errors:
        raise ValidationError(errors)
    participant.full_clean()


@transaction.atomic
def agency_create(
    *, name: str, type: AgencyType, parent: Agency | None = None, actor: Any = None
) -> Agency:
    """Create an agency whose name no other agency has in any letter case."""
    agency = Agency(name=clean_text(name), type=type, parent=parent)
    agency.name_key = fold(agency.name)
    errors = agency_field_errors(agency)
    if not errors:
        other = Agency.objects.filter(name_key=agency.name_key).only("name").first()
        if other is not None:
            errors["name"] = [f"the agency {other.name} already exists: choose it instead"]
    if errors:
        raise ValidationError(errors)
    agency.full_clean()
    agency.save()
    logger.info("agency %s created by %s", agency.pk, actor)
    return agency


@transaction.atomic
def participant_create(
    *,
    last_name: str,
    first_name: str,
    gender: Gender,
    agency: Agency,
    middle_name: str = "",
    birth_year: int | None = None,
    position: str = "",
    region: Region | None = None,
    email: str = "",
    phone: str = "",
    disability: str = Participant.Disability.NOT_STATED,
    consent: bool = False,
    consent_at: Any = None,
    actor: Any = None,
) -> Participant:
    """Create a participant; their email, if any, must not belong to anyone else."""
    values: dict[str, Any] = {
        "last_name": last_name,
        "first_name": first_name,
        "middle_name": middle_name,
        "gender": gender,
        "birth_year": birth_year,
        "agency": agency,
        "position": position,
        "region": region,
        "email": email,
        "phone": phone,
        "disability": disability,
        "consent": consent,
        "consent_at": consent_at if consent_at is not None or not consent else timezone.now(),
    }
    _clean_texts(values)
    participant = Participant(**values)
    _participant_validate(participant)
    participant.save()
    logger.info("participant %s created by %s", participant.pk, actor)
    return participant


@transaction.atomic
def participant_update(
    *, participant: Participant, actor: Any = None, **fields: Any
) -> Participant:
    """Change the given fields of a participant; save only if something actually changed."""
    unknown = set(fields) - PARTICIPANT_FIELDS
    if unknown:
        raise TypeError(f"participant_update() got unknown fields: {', '.join(sorted(unknown))}")
    _clean_texts(fields)
    if fields.get("consent") and fields.get("consent_at") is None and not participant.consent_at:
        fields["consent_at"] = timezone.now()
    changed = []
    for name, value in fields.items():
        attname = Participant._meta.get_field(name).attname
        current = getattr(participant, attname)
        new = value.pk if name in _RELATED_FIELDS and value is not None else value
        if current != new:
            setattr(participant, name, value)
            changed.append(name)
    if not changed:
        return participant
    _participant_validate(participant)
    participant.save(update_fields=[*changed, "name_key", "email_key", "updated_at"])
    logger.info("participant %s updated (%s) by %s", participant.pk, ", ".join(changed), actor)
    return participant
