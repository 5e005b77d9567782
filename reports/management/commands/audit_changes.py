"""``manage.py audit_changes --session CODE [--after-certificates]``: the audit trail as lines.

One line per changed field, tab-separated: when (ISO 8601, local time), who (a user name, the
command or "public registration", or "unknown"), session, record (participant, day or
certificate), action (created, changed, deleted), field, old value, new value, certificate
number (for changes after certificates). Newest first, as the pages list them.
"""

from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser, no_translations
from django.db.models import QuerySet

from trainings.history import (
    SCORES_AND_ATTENDANCE,
    Change,
    after_certificates_keys,
    changes_load,
    plain,
    session_change_keys,
)
from trainings.management.commands._page_actions import session_named

ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}
# Keys read per batch: each batch costs the same handful of queries, whatever its size.
BATCH = 500


class Command(BaseCommand):
    help = (
        "List the audit trail of a session (every change to it, its enrolments, attendance, "
        "scores and certificates), or with --after-certificates the score and attendance "
        "changes made after a valid certificate was issued (of one session, or of all without "
        "--session). One tab-separated line per changed field: when, who, session, record, "
        "action, field, old value, new value, certificate."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--session", metavar="CODE", help="the session code")
        parser.add_argument(
            "--after-certificates",
            action="store_true",
            help="only scores and attendance changed after a certificate was issued",
        )

    @no_translations
    def handle(
        self, *args: Any, session: str | None, after_certificates: bool, **options: Any
    ) -> None:
        if not session and not after_certificates:
            raise CommandError(
                "give --session CODE, or --after-certificates to list every session's changes "
                "after certificates",
                returncode=1,
            )
        found = session_named(session) if session else None
        if after_certificates:
            keys, only = after_certificates_keys(found), SCORES_AND_ATTENDANCE
        else:
            keys, only = session_change_keys(found), None
        for change in _changes(keys, only):
            for line in lines(change):
                self.stdout.write("\t".join(_cell(v) for v in line))


def _changes(keys: QuerySet, only: frozenset[str] | None) -> Iterator[Change]:
    batches = iter(keys.iterator(chunk_size=BATCH))
    while batch := list(islice(batches, BATCH)):
        yield from changes_load(batch, only=only)


def lines(change: Change) -> Iterable[list[Any]]:
    """Return the change's output lines: one per changed field (one without a field if none)."""
    head = [
        plain(change.when),
        change.user or change.reason or "unknown",
        change.session_code,
        _record(change),
        ACTIONS[change.action],
    ]
    if not change.fields:
        return [[*head, "", "", "", change.certificate]]
    return [[*head, f.name, *_values(f), change.certificate] for f in change.fields]


def _values(field: Any) -> tuple[str, str]:
    if field.name.endswith("_id"):
        return field.old_text, field.new_text  # the name of the participant, course, region
    return plain(field.old), plain(field.new)


def _record(change: Change) -> str:
    if change.kind == "session":
        return f"session {change.session_code}"
    parts = [change.participant]
    if change.day is not None:
        parts.append(change.day.isoformat())
    if change.kind == "certificate":
        parts.append(f"certificate {change.certificate}")
    return ", ".join(p for p in parts if p)


def _cell(value: Any) -> str:
    # A tab or line break in a value would split the line.
    return " ".join(str(value).split()) if value is not None else ""
