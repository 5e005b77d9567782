"""Write the printable attendance sign-in sheets of a session to a PDF file."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from trainings.models import Session
from trainings.selectors import CodeLookup
from trainings.sheets import sign_in_sheets_document


class Command(BaseCommand):
    help = (
        "Write one sign-in sheet per training day of a session (registered and confirmed "
        "participants, sorted by last name) to a PDF file for printing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--session", required=True, help="session code (any letter case)")
        parser.add_argument("--out", required=True, help="the PDF file to write")

    def handle(self, *args, **options) -> None:
        code = options["session"].strip()
        out = Path(options["out"])
        lookup = CodeLookup(Session.objects.all(), [code])
        session = lookup.get(code)
        if session is None:
            raise CommandError(
                lookup.problem(code, "session", f"no session has the code '{code}'")
                + "; nothing was written"
            )
        if not session.days.exists():
            raise CommandError(
                f"session {session.code} has no training days: add them first; nothing was written"
            )
        if not out.parent.is_dir():
            raise CommandError(f"{out.parent}: no such folder; nothing was written")
        document = sign_in_sheets_document(session)
        out.write_bytes(document.write_pdf())
        pages = len(document.pages)
        self.stdout.write(f"{out}: {pages} page{'s' if pages != 1 else ''}")
