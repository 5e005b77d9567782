"""``manage.py backup [--out FILE]``: the database and the uploaded files in one archive."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jobs.backup import BackupError, backup_write


class Command(BaseCommand):
    help = (
        "Write the whole database (one consistent snapshot) and the uploaded files to one "
        ".tar.gz archive; 'manage.py restore' reads it back into an empty installation."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--out",
            metavar="FILE",
            help="the archive to write (default: backups/bilim-YYYYmmdd-HHMMSS.tar.gz)",
        )

    def handle(self, *args: Any, out: str | None = None, **options: Any) -> None:
        try:
            report = backup_write(out=Path(out) if out else None)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        lines = report.lines()
        self.stdout.write(f"backup written: {lines[0]}")
        for line in lines[1:]:
            self.stdout.write(line)
