"""Erase a participant's personal data on request; the anonymous record keeps counting."""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from participants.erasure import ParticipantEraseError, participant_erase
from participants.models import Participant


class Command(BaseCommand):
    help = (
        "Erase the personal data of the participant --id (names, email, phone, position, also "
        "in the history and merge records). Enrolments, scores and certificates stay, so the "
        "figures do not change. Asks for confirmation unless --yes."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--id", type=int, required=True, help="the participant's id")
        parser.add_argument(
            "--reason", required=True, help="why (kept in the history; do not write the name)"
        )
        parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    def handle(self, *args, **options) -> None:
        person = Participant.objects.filter(pk=options["id"]).first()
        if person is None:
            raise CommandError(f"no participant has the id {options['id']}; nothing changed")
        if not options["yes"]:
            answer = input(f"Erase the data of #{person.pk} {person.full_name}? Type yes: ")
            if answer.strip().lower() != "yes":
                raise CommandError("not confirmed; nothing changed")
        try:
            participant_erase(
                participant=person, actor="manage.py erase_participant", reason=options["reason"]
            )
        except ParticipantEraseError as exc:
            raise CommandError(f"{exc} Nothing changed.") from exc
        self.stdout.write(f"erased the personal data of participant #{person.pk}")
