"""Merge one participant record into another, keeping every enrolment and recording the merge."""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from participants.models import Participant
from participants.services import ParticipantMergeError, participant_merge


class Command(BaseCommand):
    help = (
        "Merge the participant --merge into the participant --keep: every enrolment moves to "
        "--keep, its blank fields are filled, the merge is recorded and --merge is deleted."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--keep", type=int, required=True, help="id of the record to keep")
        parser.add_argument("--merge", type=int, required=True, help="id of the record to merge")

    def handle(self, *args, **options) -> None:
        ids = (options["keep"], options["merge"])
        found = Participant.objects.in_bulk(ids)
        missing = [str(pk) for pk in ids if pk not in found]
        if missing:
            raise CommandError(f"no participant has the id {', '.join(missing)}; nothing changed")
        keep, merge = found[ids[0]], found[ids[1]]
        try:
            record = participant_merge(keep=keep, merge=merge, actor="manage.py merge_participants")
        except ParticipantMergeError as exc:
            raise CommandError(f"{exc} Nothing changed.") from exc
        moved = len(record.merged_snapshot["enrolments_moved"])
        combined = len(record.merged_snapshot["combined"])
        self.stdout.write(
            f"merged #{record.merged_id} into #{keep.pk} {keep.full_name}: "
            f"{moved} enrolment(s) moved, {combined} combined"
        )
