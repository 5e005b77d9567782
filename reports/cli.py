"""The statistics filters on the command line, shared by ``stats`` and ``export_workbook``."""

from typing import Any

from django.core.management.base import CommandError, CommandParser

from reports.stats import Filters, StatsFilterError, filters_from_names


def add_filter_arguments(parser: CommandParser) -> None:
    """Add --course, --from, --to, --region, --agency-type, --gender and --programme."""
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


def filters_from_options(options: dict[str, Any]) -> Filters:
    """Resolve the filter options; an unknown or malformed one exits with status 1."""
    try:
        return filters_from_names(
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
