"""``manage.py restore FILE``: load a backup into an empty installation."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jobs.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = (
        "Load an archive written by 'manage.py backup' into an empty installation (a new "
        "database after 'manage.py migrate', an empty MEDIA_ROOT). Checks every checksum and "
        "the migrations first; a damaged archive or a database holding data is refused and "
        "nothing is written."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", metavar="FILE", help="the archive 'manage.py backup' wrote")

    def handle(self, *args: Any, file: str, **options: Any) -> None:
        try:
            report = backup_restore(path=Path(file))
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        lines = report.lines()
        self.stdout.write(f"restored: {lines[0]}")
        for line in lines[1:]:
            self.stdout.write(line)
