"""``manage.py import_sessions FILE [--dry-run]``: create or update sessions from a spreadsheet."""

from trainings.importing import ImportCommand
from trainings.resources import SessionResource


class Command(ImportCommand):
    help = (
        "Create or update sessions (and new courses) from an .xlsx or .csv file, all or nothing; "
        "see automation.md for the columns."
    )
    resource_class = SessionResource
