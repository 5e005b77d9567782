"""``manage.py cancel_session --session CODE``: cancel a session, as its Cancel page does."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser, no_translations

from trainings.management.commands._page_actions import counted, session_named
from trainings.models import Enrolment, Session
from trainings.services import session_cancel


class Command(BaseCommand):
    help = (
        "Cancel a session: its enrolments stay recorded but no longer count in the figures. "
        "Prints how many enrolments that affects; a cancelled session is left as it is."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--session", required=True, metavar="CODE", help="the session code")

    @no_translations
    def handle(self, *args: Any, session: str, **options: Any) -> None:
        found = session_named(session)
        if found.status == Session.Status.CANCELLED:
            self.stdout.write(f"{found.code} was already cancelled: nothing changed")
            return
        seats = counted(found)
        waiting = found.enrolments.filter(status=Enrolment.Status.WAITLISTED).count()
        session_cancel(session=found, actor="manage.py cancel_session")
        enrolments = f"{seats} enrolment{'s' if seats != 1 else ''}"
        verb = "counts" if seats == 1 else "count"
        self.stdout.write(
            f"cancelled {found.code}: its {enrolments} no longer {verb} in the figures "
            f"({waiting} on the waitlist)"
        )
