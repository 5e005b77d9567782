"""``manage.py enrolment_status --session CODE --participant ID --status STATUS``."""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser, no_translations

from trainings.management.commands._page_actions import (
    NOTHING_CHANGED,
    participant_numbered,
    refusal,
    session_named,
    who,
)
from trainings.models import Enrolment
from trainings.services import enrolment_status_set

STATUSES = tuple(Enrolment.Status.values)


class Command(BaseCommand):
    help = (
        "Register, confirm, withdraw or waitlist a participant's enrolment in a session, as the "
        "session's page does: a seat given up moves the waitlist up, first come first served; "
        "taking a seat in a full session is refused."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--session", required=True, metavar="CODE", help="the session code")
        parser.add_argument(
            "--participant", required=True, metavar="ID", help="the participant's id"
        )
        parser.add_argument(
            "--status",
            required=True,
            metavar="{" + ",".join(STATUSES) + "}",
            help="the new status",
        )

    @no_translations
    def handle(
        self, *args: Any, session: str, participant: str, status: str, **options: Any
    ) -> None:
        wanted = status.strip().lower()
        if wanted not in STATUSES:
            raise CommandError(
                f"'{status}' is not a status: write one of {', '.join(STATUSES)}" + NOTHING_CHANGED,
                returncode=1,
            )
        found = session_named(session)
        person = participant_numbered(participant)
        enrolment = (
            Enrolment.objects.filter(session=found, participant=person)
            .select_related("participant", "session")
            .first()
        )
        if enrolment is None:
            raise CommandError(
                f"{who(person)} is not enrolled in {found.code}: enrol them with "
                f"manage.py enrol{NOTHING_CHANGED}",
                returncode=1,
            )
        before = enrolment.status
        try:
            enrolment, promoted = enrolment_status_set(
                enrolment=enrolment, status=wanted, actor="manage.py enrolment_status"
            )
        except ValidationError as exc:
            raise refusal(exc) from exc
        if enrolment.status == before:
            self.stdout.write(
                f"{who(person)} was already {before} in {found.code}: nothing changed"
            )
            return
        moved = ", ".join(who(e.participant) for e in promoted) or "nobody"
        self.stdout.write(
            f"{who(person)} {before} -> {enrolment.status} in {found.code}; "
            f"moved up from the waitlist: {moved}"
        )
