"""List the participants with no activity for the retention period, for review."""

import csv

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from participants.selectors import participants_for_retention, retention_cutoff
from reports.workbook import csv_text


class Command(BaseCommand):
    help = (
        "List the participants (not erased) whose last session ended, or whose record was "
        "created without any enrolment, more than --years years ago (default: "
        "BILIM_RETENTION_YEARS). Erase them with manage.py erase_participant, or keep them."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--years", type=int, help="the retention period in years")
        parser.add_argument("--csv", action="store_true", help="write CSV rather than a table")

    def handle(self, *args, **options) -> None:
        years = options["years"] if options["years"] is not None else settings.BILIM_RETENTION_YEARS
        if years < 1:
            raise CommandError("--years must be 1 or more")
        people = participants_for_retention(years=years).iterator(chunk_size=2000)
        header = ["id", "name", "agency", "last_activity", "enrolled"]
        if options["csv"]:
            writer = csv.writer(self.stdout, lineterminator="\n")
            writer.writerow(header)
            for person in people:
                writer.writerow(
                    [
                        person.pk,
                        # A name such as "=HYPERLINK(...)" must not run in a spreadsheet.
                        csv_text(person.full_name, "text"),
                        csv_text(person.agency.name, "text"),
                        person.last_activity.isoformat(),
                        "yes" if person.last_session else "no",
                    ]
                )
            return
        count = 0
        for person in people:
            count += 1
            self.stdout.write(
                f"#{person.pk}\t{person.full_name}\t{person.agency.name}\t"
                f"last activity {person.last_activity.isoformat()}"
                + ("" if person.last_session else " (record created, never enrolled)")
            )
        cutoff = retention_cutoff(years).isoformat()
        self.stdout.write(
            f"{count} participant(s) with no activity since before {cutoff} ({years} years)"
        )
