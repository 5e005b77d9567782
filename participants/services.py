"""Changes to agencies and participants; pages, admin actions and imports all obey these rules.

The checks that read no other record (``participant_field_errors``, ``agency_field_errors``,
``validate_birth_year``) are separate functions so that the roster import, which resolves
related records in bulk, applies exactly the same rules to each row without a query per row.
"""

import logging
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from participants.models import (
    Agency,
    AgencyType,
    Gender,
    Participant,
    ParticipantMerge,
    Region,
)
from participants.normalize import clean_text, fold
from trainings.audit import history_acting, history_record_ids, history_stamp

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
        "consent_version",
    }
)
_TEXT_FIELDS = ("last_name", "first_name", "middle_name", "position", "email", "phone")
_RELATED_FIELDS = ("gender", "agency", "region")
# Validating a foreign key reads the related table; callers that resolved them in bulk skip it.
_NOT_OWN_FIELDS = frozenset({*_RELATED_FIELDS, "name_key", "email_key", "created_at", "updated_at"})


def current_consent_version() -> str:
    """Return the version of the consent text people agree to now (trainings.registration)."""
    from trainings.registration import CONSENT_VERSION

    return CONSENT_VERSION


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
    consent_version: str = "",
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
        "consent_version": consent_version or (current_consent_version() if consent else ""),
    }
    _clean_texts(values)
    participant = Participant(**values)
    _participant_validate(participant)
    history_stamp(participant, actor)
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
    if fields.get("consent") and not participant.consent and not fields.get("consent_version"):
        # Consent given now is consent to the text in use now.
        fields["consent_version"] = current_consent_version()
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
    history_stamp(participant, actor)
    participant.save(update_fields=[*changed, "name_key", "email_key", "updated_at"])
    logger.info("participant %s updated (%s) by %s", participant.pk, ", ".join(changed), actor)
    return participant


class ParticipantMergeError(Exception):
    """Two participant records cannot be merged as asked; the message says why and what to do."""


# Fields of the kept record filled from the merged one when blank on the kept one.
_MERGE_FILLED = ("middle_name", "birth_year", "position", "region", "email", "phone", "disability")
# A stronger status wins when two enrolments of one person in one session are combined.
_STATUS_RANK = {"withdrawn": 0, "waitlisted": 1, "registered": 2, "confirmed": 3}


def _merge_snapshot(person: Participant) -> dict[str, Any]:
    """Return a merged-away record's fields as plain JSON values."""
    return {
        "last_name": person.last_name,
        "first_name": person.first_name,
        "middle_name": person.middle_name,
        "gender": person.gender.code,
        "birth_year": person.birth_year,
        "agency": person.agency.name,
        "position": person.position,
        "region": person.region.name if person.region_id else None,
        "email": person.email,
        "phone": person.phone,
        "disability": person.disability,
        "consent": person.consent,
        "consent_at": person.consent_at.isoformat() if person.consent_at else None,
        "consent_version": person.consent_version,
        "created_at": person.created_at.isoformat() if person.created_at else None,
    }


def _combine_enrolments(
    pairs: list[tuple[Any, Any]], keep: Participant, merge: Participant, actor: Any = None
) -> list[dict[str, Any]]:
    """Fold each pair (keep's, merge's) of enrolments in one session into one; return a record.

    The enrolment with more information stays; the other's scores and attendance marks fill only
    what the staying one lacks, its certificates (revoked ones) move over, and it is deleted.
    """
    from certificates.models import Certificate
    from trainings.models import Attendance

    ids = [e.pk for pair in pairs for e in pair]
    marks: dict[int, dict[int, Any]] = defaultdict(dict)
    for mark in Attendance.objects.filter(enrolment_id__in=ids):
        marks[mark.enrolment_id][mark.day_id] = mark
    valid: dict[int, int] = defaultdict(int)
    for enrolment_id in Certificate.objects.filter(enrolment_id__in=ids, revoked=False).values_list(
        "enrolment_id", flat=True
    ):
        valid[enrolment_id] += 1

    combined = []
    for kept_one, merged_one in pairs:
        session = kept_one.session
        if valid[kept_one.pk] and valid[merged_one.pk]:
            raise ParticipantMergeError(
                _(
                    "Both records hold a valid certificate for session %(code)s: revoke one of "
                    "them, then merge again."
                )
                % {"code": session.code}
            )
        for name in ("pre_score", "post_score"):
            a, b = getattr(kept_one, name), getattr(merged_one, name)
            if a is not None and b is not None and a != b:
                label = _("pre-test scores") if name == "pre_score" else _("post-test scores")
                raise ParticipantMergeError(
                    _(
                        "The two records have different %(label)s in session %(code)s "
                        "(%(a)s and %(b)s): correct the wrong one, then merge again."
                    )
                    % {"label": label, "code": session.code, "a": a, "b": b}
                )

        def information(e: Any) -> tuple[int, int, int, int]:
            scores = (e.pre_score is not None) + (e.post_score is not None)
            keep_first = e.participant_id == keep.pk
            return (valid[e.pk], len(marks[e.pk]), scores, keep_first)

        stays, goes = sorted((kept_one, merged_one), key=information, reverse=True)
        for name in ("pre_score", "post_score"):
            if getattr(stays, name) is None:
                setattr(stays, name, getattr(goes, name))
        if _STATUS_RANK.get(goes.status, 0) > _STATUS_RANK.get(stays.status, 0):
            stays.status = goes.status
        moved_marks = [m.pk for d, m in marks[goes.pk].items() if d not in marks[stays.pk]]
        Attendance.objects.filter(pk__in=moved_marks).update(enrolment=stays)
        moved_certificates = list(
            Certificate.objects.filter(enrolment=goes).values_list("pk", flat=True)
        )
        Certificate.objects.filter(pk__in=moved_certificates).update(enrolment=stays)
        # The audit trail: queryset updates send no signals, so the moves are recorded here.
        history_record_ids(Attendance, moved_marks, actor=actor)
        history_record_ids(Certificate, moved_certificates, actor=actor)
        combined.append(
            {
                "session": session.code,
                "kept_enrolment": stays.pk,
                "deleted_enrolment": goes.pk,
                "deleted_was": "merged" if goes.participant_id == merge.pk else "kept",
                "deleted_scores": [
                    str(s) if s is not None else None for s in (goes.pre_score, goes.post_score)
                ],
                "deleted_status": goes.status,
            }
        )
        with history_acting(actor):  # its remaining attendance marks go with it
            history_stamp(goes, actor).delete()
        stays.participant = keep
        stays.full_clean()
        history_stamp(stays, actor).save()
    return combined


@transaction.atomic
def participant_merge(
    *, keep: Participant, merge: Participant, actor: Any = None
) -> ParticipantMerge:
    """Merge ``merge`` into ``keep``: move every enrolment, fill keep's blanks, record, delete.

    Where both are enrolled in one session the enrolments are combined into one; refuses (with
    ParticipantMergeError, changing nothing) two valid certificates or two different scores there.
    """
    from trainings.models import Enrolment

    if keep.pk is None or merge.pk is None or keep.pk == merge.pk:
        raise ParticipantMergeError(_("Choose two different participants to merge."))
    locked = {
        p.pk: p
        for p in Participant.objects.select_for_update(of=("self",))
        .select_related("gender", "agency", "region")
        .filter(pk__in=[keep.pk, merge.pk])
    }
    if len(locked) != 2:
        raise ParticipantMergeError(
            _("One of the two participants no longer exists: reload the page and choose again.")
        )
    kept, merged = locked[keep.pk], locked[merge.pk]
    if kept.erased_at is not None or merged.erased_at is not None:
        raise ParticipantMergeError(
            _(
                "An erased record cannot be merged: its data is gone, so nothing shows it is "
                "the same person."
            )
        )
    snapshot = _merge_snapshot(merged)

    enrolments = list(
        Enrolment.objects.select_for_update(of=("self",))
        .select_related("session")
        .filter(participant_id__in=[kept.pk, merged.pk])
        .order_by("pk")
    )
    by_session: dict[int, dict[int, Any]] = defaultdict(dict)
    for enrolment in enrolments:
        by_session[enrolment.session_id][enrolment.participant_id] = enrolment
    pairs = [(s[kept.pk], s[merged.pk]) for s in by_session.values() if len(s) == 2]
    only_merged = [s[merged.pk].pk for s in by_session.values() if len(s) == 1 and merged.pk in s]
    snapshot["combined"] = _combine_enrolments(pairs, kept, merged, actor)
    Enrolment.objects.filter(pk__in=only_merged).update(participant=kept)
    history_record_ids(Enrolment, only_merged, actor=actor)
    snapshot["enrolments_moved"] = sorted(
        only_merged
        + [c["kept_enrolment"] for c in snapshot["combined"] if c["deleted_was"] == "kept"]
    )

    # Earlier merges into the merged-away record now belong to the kept one.
    ParticipantMerge.objects.filter(kept=merged).update(kept=kept)

    filled = []
    for name in _MERGE_FILLED:
        if getattr(kept, name) in ("", None) and getattr(merged, name) not in ("", None):
            setattr(kept, name, getattr(merged, name))
            filled.append(name)
    if kept.gender.code == "undisclosed" and merged.gender.code != "undisclosed":
        kept.gender = merged.gender
        filled.append("gender")
    if not kept.consent and merged.consent:
        kept.consent, kept.consent_at = True, merged.consent_at
        kept.consent_version = merged.consent_version
        filled.extend(["consent", "consent_at", "consent_version"])
    if kept.email_key and merged.email_key and kept.email_key != merged.email_key:
        snapshot["email_not_kept"] = merged.email
    snapshot["filled"] = filled

    merged_id = merged.pk
    history_stamp(merged, actor).delete()  # before saving kept: its email may pass on
    if filled:
        _participant_validate(kept)
        history_stamp(kept, actor).save()
    record = ParticipantMerge(
        kept=kept,
        merged_id=merged_id,
        merged_snapshot=snapshot,
        merged_by=actor if isinstance(actor, get_user_model()) else None,
    )
    record.full_clean()
    record.save()
    logger.info("participant %s merged into %s by %s", merged_id, kept.pk, actor)
    return record
