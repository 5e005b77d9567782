"""``manage.py prune_jobs [--days N]``: delete job result files past their keeping time."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from jobs.services import job_results_prune


class Command(BaseCommand):
    help = "Delete the result files of background jobs finished more than N days ago."

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help=f"keep results this many days (default BILIM_JOB_RESULT_DAYS, "
            f"{settings.BILIM_JOB_RESULT_DAYS})",
        )

    def handle(self, *args, days=None, **options):
        if days is not None and days < 0:
            raise CommandError("--days must be 0 or more.")
        deleted = job_results_prune(days=days)
        self.stdout.write(f"deleted {deleted} result file{'' if deleted == 1 else 's'}")
