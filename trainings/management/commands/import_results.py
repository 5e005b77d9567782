"""``manage.py import_results FILE [--dry-run]``: record trainers' scores and attendance."""

from trainings.importing import ImportCommand
from trainings.resources import ResultsResource


class Command(ImportCommand):
    help = (
        "Record pre/post scores and day-by-day attendance of enrolments from an .xlsx or .csv "
        "file, all or nothing; see automation.md for the columns."
    )
    resource_class = ResultsResource
