"""List likely duplicate participants that the automatic same-person rule does not catch."""

from django.core.management.base import BaseCommand, CommandParser

from participants.duplicates import duplicate_suggestions


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = (
        "Print likely duplicate participants, best first, one pair a line: "
        "score, id and name of each, and the reasons. Merge with merge_participants."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--limit", type=_positive, default=200, help="at most this many pairs (default 200)"
        )

    def handle(self, *args, **options) -> None:
        suggestions = duplicate_suggestions(limit=options["limit"])
        for s in suggestions:
            self.stdout.write(
                f"{s.score:.2f}  {s.first.pk} {s.first.full_name}  "
                f"{s.second.pk} {s.second.full_name}  {'; '.join(s.reasons)}"
            )
        if not suggestions:
            self.stderr.write("no likely duplicates found")
