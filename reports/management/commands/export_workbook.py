"""``manage.py export_workbook``: the M&E workbook (automation.md), and the Data sheet as CSV."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from reports.cli import add_filter_arguments, filters_from_options
from reports.workbook import write_csv, write_workbook


class Command(BaseCommand):
    help = (
        "Write the M&E workbook (--out FILE.xlsx) and/or its Data sheet as CSV (--csv FILE.csv) "
        "for the participations in scope: sessions starting within [--from, --to] (both "
        "included), of --course and --programme, of participants of --region, --agency-type "
        "and --gender. --pseudonymize leaves out names and emails."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", type=Path, metavar="FILE.xlsx", help="the workbook to write")
        parser.add_argument(
            "--csv", type=Path, metavar="FILE.csv", help="the Data sheet as CSV (UTF-8, BOM)"
        )
        add_filter_arguments(parser)
        parser.add_argument(
            "--pseudonymize",
            action="store_true",
            help="leave out names and emails; keep the participant id",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        out, csv_out = options["out"], options["csv"]
        if out is None and csv_out is None:
            raise CommandError("give --out FILE.xlsx, --csv FILE.csv or both", returncode=1)
        for path in (out, csv_out):
            if path is not None and not path.parent.is_dir():
                raise CommandError(f"no folder {path.parent} to write {path.name} in", returncode=1)
        filters = filters_from_options(options)
        pseudonymize = options["pseudonymize"]
        written = []
        if out is not None:
            rows = _atomic(out, lambda tmp: write_workbook(tmp, filters, pseudonymize))
            written.append(str(out))
        if csv_out is not None:

            def csv_to(tmp: Path) -> int:
                with tmp.open("w", encoding="utf-8", newline="") as f:
                    return write_csv(f, filters, pseudonymize)

            rows = _atomic(csv_out, csv_to)
            written.append(str(csv_out))
        self.stdout.write(f"{rows} participations written to {', '.join(written)}")


def _atomic(path: Path, write: Any) -> int:
    """Write to a temporary file beside ``path``, then move it into place: never half a file."""
    tmp = path.with_name(f".{path.name}.part")
    try:
        result = write(tmp)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return result
