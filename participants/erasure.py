"""Erase a person's data on request: the record stays, anonymous, so every figure stays the same.

What is wiped: the names (replaced by a fixed label and the id, so lists still render), email,
phone and position, the matching keys derived from them, the same fields in every historical
row of the record (and of the records merged into it) and in the merge records' snapshots, and
the name the admin's log shows. What stays: gender, agency, region, disability and birth year
(the breakdowns and the workbook's Data sheet use them), the consent with its date and text
version (the proof that the data was held lawfully), enrolments, attendance, scores and
certificates. The erasure itself is recorded as a historical row: who, when and the reason.
"""

import logging
from typing import Any

from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from participants.models import Participant, ParticipantMerge

logger = logging.getLogger(__name__)

# Stored, not translated: the record reads the same in every export and language.
ERASED_LAST_NAME = "Erased participant"
# The history's change reason holds at most this many characters.
REASON_MAX_LENGTH = 100
# The person's own fields that are wiped, with the value they get (names are set apart).
WIPED_BLANK = ("middle_name", "email", "phone", "position")
# Keys of a merge record's snapshot that hold the merged-away record's personal data.
SNAPSHOT_WIPED = ("middle_name", "email", "phone", "position", "email_not_kept")


class ParticipantEraseError(Exception):
    """The participant cannot be erased as asked; the message says why and what to do."""


def erased_first_name(pk: int) -> str:
    """Return the first name an erased record gets: its id, so each still reads apart."""
    return f"#{pk}"


def _anonymous_fields(pk: int) -> dict[str, Any]:
    return {
        "last_name": ERASED_LAST_NAME,
        "first_name": erased_first_name(pk),
        **{name: "" for name in WIPED_BLANK},
    }


@transaction.atomic
def participant_erase(*, participant: Participant, actor: Any, reason: str) -> Participant:
    """Wipe the person's personal data everywhere it is stored; keep what the figures need.

    Side effects: rewrites the participant's historical rows, those of records merged into it,
    their merge snapshots and the admin log's names; adds one historical row for the erasure
    with the actor and the reason. Raises ParticipantEraseError for an erased record or a
    missing reason.
    """
    reason = " ".join((reason or "").split())
    if not reason:
        raise ParticipantEraseError(_("Write why the data is erased (for example, who asked)."))
    if len(reason) > REASON_MAX_LENGTH:
        raise ParticipantEraseError(
            _("Write the reason in at most %(count)d characters.") % {"count": REASON_MAX_LENGTH}
        )
    locked = Participant.objects.select_for_update().filter(pk=participant.pk).first()
    if locked is None:
        raise ParticipantEraseError(_("This participant no longer exists."))
    if locked.erased_at is not None:
        raise ParticipantEraseError(
            _("This participant's data was already erased on %(date)s.")
            % {"date": timezone.localtime(locked.erased_at).date().isoformat()}
        )

    anonymous = _anonymous_fields(locked.pk)
    for name, value in anonymous.items():
        setattr(locked, name, value)
    locked.erased_at = timezone.now()
    locked.refresh_keys()
    locked.full_clean()
    # The erasure's own historical row: who and why, with the anonymous values only.
    locked._change_reason = f"Erased on request: {reason}"[:REASON_MAX_LENGTH]
    if isinstance(actor, get_user_model()):
        locked._history_user = actor
    locked.save()

    merges = list(ParticipantMerge.objects.filter(kept=locked))
    # The records merged into this one were the same person: their history is wiped too.
    ids = [locked.pk, *(merge.merged_id for merge in merges)]
    Participant.history.model.objects.filter(id__in=ids).update(**anonymous)
    for merge in merges:
        snapshot = dict(merge.merged_snapshot)
        snapshot.update(
            {"last_name": ERASED_LAST_NAME, "first_name": erased_first_name(merge.merged_id)}
        )
        for key in SNAPSHOT_WIPED:
            if key in snapshot:
                snapshot[key] = ""
        merge.merged_snapshot = snapshot
    ParticipantMerge.objects.bulk_update(merges, ["merged_snapshot"])
    content_type = ContentType.objects.get_for_model(Participant)
    LogEntry.objects.filter(
        content_type=content_type, object_id__in=[str(pk) for pk in ids]
    ).update(object_repr=locked.full_name)
    logger.info("participant %s erased by %s", locked.pk, actor)
    participant.refresh_from_db()
    return locked
