"""``manage.py import_roster FILE [--dry-run]``: enrol the people a roster lists (automation.md)."""

from participants.resources import RosterResource
from trainings.importing import ImportCommand


class Command(ImportCommand):
    help = (
        "Import a roster (.xlsx or .csv, one row per participant per session): match people "
        "to those on record, create new people and agencies, enrol them. All or nothing."
    )
    resource_class = RosterResource
