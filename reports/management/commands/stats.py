"""``manage.py stats``: the M&E figures as one JSON object (automation.md, "What goes out")."""

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from reports.cli import add_filter_arguments, filters_from_options
from reports.stats import summary


class Command(BaseCommand):
    help = (
        "Print the M&E statistics of the participations in scope: sessions starting within "
        "[--from, --to] (both included), of --course, of participants of --region and "
        "--agency-type."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--json", action="store_true", help="print one JSON object (the contract's format)"
        )
        add_filter_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        filters = filters_from_options(options)
        figures = summary(filters)
        if options["json"]:
            self.stdout.write(json.dumps(figures, ensure_ascii=False, indent=2))
        else:
            self.stdout.write(render_table(figures))


def _number(value: float | None, percent: bool = False, digits: int = 1) -> str:
    if value is None:
        return "-"
    return f"{value * 100:.{digits}f}%" if percent else f"{value:.{digits}f}"


def render_table(figures: dict[str, Any]) -> str:
    """Return the figures of a summary as a short table for people to read."""
    lines = [
        f"{'sessions':<32}{figures['sessions']:>8}",
        f"{'participations':<32}{figures['participations']:>8}",
        f"{'participants':<32}{figures['participants']:>8}",
    ]
    for title, name in (
        ("gender", "by_gender"),
        ("agency type", "by_agency_type"),
        ("participant region", "by_region"),
        ("course", "by_course"),
    ):
        lines.append("")
        lines.append(f"{'by ' + title:<32}{'participants':>14}{'participations':>16}")
        for key, counts in figures[name].items():
            lines.append(f"  {key:<30}{counts['participants']:>14}{counts['participations']:>16}")
    a = figures["assessment"]
    lines += [
        "",
        f"{'attendance rate':<32}{_number(figures['attendance_rate'], percent=True):>8}",
        f"{'test pairs':<32}{a['pairs']:>8}",
        f"{'pre mean %':<32}{_number(a['pre_mean']):>8}",
        f"{'post mean %':<32}{_number(a['post_mean']):>8}",
        f"{'mean gain (points)':<32}{_number(a['mean_gain']):>8}",
        f"{'improved':<32}{_number(a['improved_share'], percent=True):>8}",
        f"{'normalized gain':<32}{_number(a['normalized_gain'], digits=2):>8}",
        f"{'certificates':<32}{figures['certificates']:>8}",
    ]
    return "\n".join(lines)
