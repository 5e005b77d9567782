"""``manage.py copy_session --session CODE --code NEW --start DATE``: plan a session's next run."""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandParser, no_translations

from participants.normalize import clean_text
from trainings.management.commands._page_actions import date_given, refusal, session_named
from trainings.services import session_copy


class Command(BaseCommand):
    help = (
        "Plan the next run of a session, as the session's Copy page does: a new code and start "
        "date; the course, place, settings, trainers and length are kept, without enrolments."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--session", required=True, metavar="CODE", help="the session to copy")
        parser.add_argument("--code", required=True, metavar="NEW", help="the new session's code")
        parser.add_argument(
            "--start",
            required=True,
            metavar="DATE",
            help="the new start date, YYYY-MM-DD or DD.MM.YYYY",
        )

    @no_translations
    def handle(self, *args: Any, session: str, code: str, start: str, **options: Any) -> None:
        original = session_named(session, related=("course", "region"))
        start_date = date_given(start, "--start")
        try:
            copy = session_copy(
                session=original,
                code=clean_text(code),
                start_date=start_date,
                actor="manage.py copy_session",
            )
        except ValidationError as exc:
            raise refusal(exc) from exc
        days = copy.days.count()
        self.stdout.write(
            f"planned {copy.code} as a copy of {original.code}: "
            f"{copy.start_date.isoformat()} to {copy.end_date.isoformat()}, "
            f"{days} training day{'s' if days != 1 else ''}"
        )
