"""``manage.py export_workbook``: the M&E workbook (automation.md), and the Data sheet as CSV."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from reports.stats import StatsFilterError, filters_from_names
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
        parser.add_argument("--course", metavar="CODE", help="a course code")
        parser.add_argument(
            "--from", dest="date_from", metavar="DATE", help="YYYY-MM-DD or DD.MM.YYYY, included"
        )
        parser.add_argument(
            "--to", dest="date_to", metavar="DATE", help="YYYY-MM-DD or DD.MM.YYYY, included"
        )
        parser.add_argument("--region", metavar="NAME", help="the participants' region")
        parser.add_argument(
            "--agency-type", metavar="NAME", help="the type of the participants' agency"
        )
        parser.add_argument(
            "--gender", metavar="CODE", help="female, male, other or undisclosed (or a synonym)"
        )
        parser.add_argument("--programme", metavar="CODE", help="a programme's code")
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
        try:
            filters = filters_from_names(
                course=options["course"],
                date_from=options["date_from"],
                date_to=options["date_to"],
                region=options["region"],
                agency_type=options["agency_type"],
                gender=options["gender"],
                programme=options["programme"],
            )
        except StatsFilterError as exc:
            raise CommandError(str(exc), returncode=1) from exc
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
