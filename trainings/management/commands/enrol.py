"""``manage.py enrol --session CODE --participant ID``: register a known person in a session."""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandParser, no_translations

from trainings.management.commands._page_actions import (
    participant_numbered,
    refusal,
    session_named,
    who,
)
from trainings.models import Enrolment
from trainings.services import enrolment_create


def seats(capacity: int | None) -> str:
    return f"{capacity} seat{'s' if capacity != 1 else ''}"


class Command(BaseCommand):
    help = (
        "Enrol a participant on record in a session, as the session's Register page does: on "
        "the waitlist when the session is full; a withdrawn enrolment is taken back; someone "
        "already enrolled stays as they are. Cancelled sessions take nobody."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--session", required=True, metavar="CODE", help="the session code")
        parser.add_argument(
            "--participant", required=True, metavar="ID", help="the participant's id"
        )

    @no_translations
    def handle(self, *args: Any, session: str, participant: str, **options: Any) -> None:
        found = session_named(session)
        person = participant_numbered(participant)
        before = (
            Enrolment.objects.filter(session=found, participant=person)
            .values_list("status", flat=True)
            .first()
        )
        if before is not None and before != Enrolment.Status.WITHDRAWN:
            self.stdout.write(
                f"{who(person)} already enrolled in {found.code} ({before}): nothing changed"
            )
            return
        try:
            enrolment, _created = enrolment_create(
                session=found, participant=person, actor="manage.py enrol"
            )
        except ValidationError as exc:
            raise refusal(exc) from exc
        if enrolment.status == Enrolment.Status.WAITLISTED:
            self.stdout.write(
                f"{who(person)} put on the waitlist of {found.code}: "
                f"the session is full ({seats(found.capacity)})"
            )
        else:
            self.stdout.write(f"{who(person)} registered in {found.code}")
