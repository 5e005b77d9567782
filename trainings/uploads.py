"""The pages' spreadsheet uploads: stored files between preview and confirm, the sentences that
say what an import did, the preview's tables, and the import templates (automation.md).

Files are read exactly as ``manage.py import_*`` reads them (``trainings.importing``), and go
through the same resources, whose ``import_data`` is all or nothing.
"""

import csv
import datetime as dt
import io
import os
import re
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import tablib
from django.conf import settings
from django.http import HttpRequest
from django.template.defaultfilters import filesizeformat
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext_lazy
from import_export.results import RowResult

from participants.normalize import clean_text, fold, name_order_key
from participants.resources import RosterResource
from trainings.admin_import import _is_formula_like
from trainings.importing import (
    BilimResource,
    Counts,
    ImportFileError,
    ImportProblem,
    ImportResult,
    header_key,
    load_dataset,
)
from trainings.models import Attendance, Enrolment, Session
from trainings.resources import ResultsResource, SessionResource

RESOURCES: dict[str, type[BilimResource]] = {
    "sessions": SessionResource,
    "roster": RosterResource,
    "results": ResultsResource,
}
SUFFIXES = (".xlsx", ".csv")

# --- stored uploads ----------------------------------------------------------------------------

IMPORTS_DIR = "imports"
SESSION_KEY = "bilim_uploads"
# A preview waits this long for its confirm; older files are deleted when the next one arrives.
MAX_AGE = 24 * 60 * 60
# Previews one browser session may keep waiting at a time (older ones are discarded).
MAX_WAITING = 5
_TOKEN = re.compile(r"[A-Za-z0-9_-]{32}")


def imports_dir() -> Path:
    return Path(settings.MEDIA_ROOT) / IMPORTS_DIR


@dataclass(frozen=True)
class StoredUpload:
    """An uploaded file waiting for its confirm, known by a random token kept in the session."""

    token: str
    kind: str
    scope: str
    name: str
    suffix: str
    at: float

    @property
    def path(self) -> Path:
        # Built from the token and the suffix this server chose, never from a path in a form.
        return imports_dir() / f"{self.token}{self.suffix}"

    def read(self) -> bytes:
        return self.path.read_bytes()


def upload_store(
    request: HttpRequest, *, kind: str, scope: str, name: str, data: bytes
) -> StoredUpload:
    """Keep the bytes under MEDIA_ROOT/imports/ and remember them in the user's session.

    Also deletes files older than MAX_AGE and this session's previews beyond MAX_WAITING.
    """
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        raise ValueError(f"unexpected suffix {suffix!r}")
    folder = imports_dir()
    folder.mkdir(parents=True, exist_ok=True)
    _prune(folder)
    upload = StoredUpload(
        token=secrets.token_urlsafe(24),
        kind=kind,
        scope=scope,
        name=Path(name).name[:200],
        suffix=suffix,
        at=time.time(),
    )
    # Readable by this server's user only: a roster holds personal data.
    fd = os.open(upload.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    waiting = dict(request.session.get(SESSION_KEY, {}))
    waiting[upload.token] = {
        "kind": kind,
        "scope": scope,
        "name": upload.name,
        "suffix": suffix,
        "at": upload.at,
    }
    for token in sorted(waiting, key=lambda t: waiting[t]["at"])[:-MAX_WAITING]:
        _remove(_from_meta(token, waiting.pop(token)))
    request.session[SESSION_KEY] = waiting
    return upload


def upload_find(request: HttpRequest, token: str, *, kind: str, scope: str) -> StoredUpload | None:
    """Return the stored upload this session holds under ``token`` for this page, or None."""
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        return None
    meta = request.session.get(SESSION_KEY, {}).get(token)
    if not meta or meta.get("kind") != kind or meta.get("scope") != scope:
        return None
    upload = _from_meta(token, meta)
    if upload.suffix not in SUFFIXES or time.time() - upload.at > MAX_AGE:
        upload_discard(request, upload)
        return None
    return upload


def upload_discard(request: HttpRequest, upload: StoredUpload) -> None:
    """Delete the stored file and forget it."""
    _remove(upload)
    waiting = dict(request.session.get(SESSION_KEY, {}))
    if waiting.pop(upload.token, None) is not None:
        request.session[SESSION_KEY] = waiting


def _from_meta(token: str, meta: dict) -> StoredUpload:
    return StoredUpload(
        token=token,
        kind=meta.get("kind", ""),
        scope=meta.get("scope", ""),
        name=meta.get("name", ""),
        suffix=meta.get("suffix", ""),
        at=float(meta.get("at", 0)),
    )


def _remove(upload: StoredUpload) -> None:
    if upload.suffix in SUFFIXES and _TOKEN.fullmatch(upload.token):
        upload.path.unlink(missing_ok=True)


def _prune(folder: Path) -> None:
    """Delete previews nobody confirmed within MAX_AGE."""
    limit = time.time() - MAX_AGE
    for path in folder.iterdir():
        try:
            if path.is_file() and path.stat().st_mtime < limit:
                path.unlink()
        except OSError:
            continue


# --- reading and checking ----------------------------------------------------------------------


def read_upload(data: bytes, name: str) -> tablib.Dataset:
    """Read uploaded bytes as the import commands read a file; raises ImportFileError."""
    return load_dataset(io.BytesIO(data), filename=name)


def file_error_message(exc: ImportFileError) -> str:
    return _("This file cannot be imported: %(reason)s. Nothing was written.") % {
        "reason": str(exc)
    }


def too_large_message(size: int) -> str:
    return _(
        "The file is %(size)s; the limit is %(limit)s. Split it into smaller files. "
        "Nothing was written."
    ) % {"size": filesizeformat(size), "limit": filesizeformat(settings.BILIM_IMPORT_MAX_BYTES)}


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _reads(resource_class: type[BilimResource], key: str) -> bool:
    """Say whether the resource reads the column with this canonical name."""
    pattern = resource_class.column_pattern
    return key in resource_class.columns or (pattern is not None and bool(pattern.fullmatch(key)))


def pin_session(
    dataset: tablib.Dataset, session: Session, resource_class: type[BilimResource]
) -> tuple[tablib.Dataset, list[ImportProblem]]:
    """Make every row of an upload for one session name that session.

    Without a ``session`` column, one is added with the session's code. With one, a blank cell
    means this session and a cell naming another session is a problem. A row whose only filled
    cell is the session (as in the roster template) is read as a blank row. Blank rows stay
    blank, so the row numbers remain those of the spreadsheet.
    """
    headers = list(dataset.headers or [])
    keys = [header_key(h) for h in headers]
    known = [
        i
        for i, key in enumerate(keys)
        if key in resource_class.columns
        or (
            resource_class.column_pattern is not None
            and resource_class.column_pattern.fullmatch(key)
        )
    ]
    if not [i for i in known if keys[i] != "session"]:
        # No column the import reads but the session: the rows are not blank, the file is
        # wrong, and the resource says so on the header.
        known = list(range(len(keys)))
    position = keys.index("session") if "session" in keys else None
    if position is None:
        headers.append("session")
        position = len(headers) - 1
    problems: list[ImportProblem] = []
    rows: list[list[Any]] = []
    for index, values in enumerate(dataset):
        values = list(values)
        if position == len(values):
            values.append(None)
        others = [values[i] for i in known if i != position]
        if all(_blank(v) for v in others):
            rows.append([None] * len(values))
            continue
        text = clean_text(values[position])
        if text and fold(text) != fold(session.code):
            problems.append(
                ImportProblem(
                    index + 2,
                    "session",
                    _("this upload is for session %(code)s") % {"code": session.code},
                )
            )
        # Exactly the stored spelling, so the resource finds this session and no other.
        values[position] = session.code
        rows.append(values)
    pinned = tablib.Dataset()
    pinned.headers = headers
    for values in rows:
        pinned.append(values)
    return pinned, problems


def run_import(
    resource_class: type[BilimResource],
    dataset: tablib.Dataset,
    *,
    dry_run: bool,
    problems: Iterable[ImportProblem] = (),
    actor: Any = None,
) -> tuple[ImportResult, list[ImportProblem]]:
    """Import all or nothing; with ``problems`` found beforehand, only validate.

    Returns the result and every problem, the earlier ones first within a row. The audit trail
    names ``actor`` as the author of what is written.
    """
    early = list(problems)
    result = resource_class().import_data(dataset, dry_run=dry_run or bool(early), actor=actor)
    found = sorted([*early, *result.problems], key=lambda p: p.row)
    return result, found


# --- what an import does, in words -------------------------------------------------------------


def _count_phrases() -> dict[tuple[str, str], Any]:
    # (kind, outcome) -> a phrase with %(count)d, whose form the count picks.
    return {
        ("enrolments", "created"): ngettext_lazy(
            "%(count)d participant registered",
            "%(count)d participants registered",
            "count",
        ),
        ("enrolments", "waitlisted"): ngettext_lazy(
            "%(count)d on the waiting list",
            "%(count)d on the waiting list",
            "count",
        ),
        ("enrolments", "reactivated"): ngettext_lazy(
            "%(count)d withdrawn participant registered again",
            "%(count)d withdrawn participants registered again",
            "count",
        ),
        ("enrolments", "unchanged"): ngettext_lazy(
            "%(count)d already enrolled", "%(count)d already enrolled", "count"
        ),
        ("participants", "created"): ngettext_lazy(
            "%(count)d person new to Bilim",
            "%(count)d people new to Bilim",
            "count",
        ),
        ("participants", "updated"): ngettext_lazy(
            "%(count)d person's details updated",
            "%(count)d people's details updated",
            "count",
        ),
        ("agencies", "created"): ngettext_lazy(
            "%(count)d new agency", "%(count)d new agencies", "count"
        ),
        ("sessions", "created"): ngettext_lazy(
            "%(count)d session created", "%(count)d sessions created", "count"
        ),
        ("sessions", "updated"): ngettext_lazy(
            "%(count)d session updated", "%(count)d sessions updated", "count"
        ),
        ("sessions", "unchanged"): ngettext_lazy(
            "%(count)d session unchanged", "%(count)d sessions unchanged", "count"
        ),
        ("courses", "created"): ngettext_lazy(
            "%(count)d new course", "%(count)d new courses", "count"
        ),
        ("training days", "created"): ngettext_lazy(
            "%(count)d training day added",
            "%(count)d training days added",
            "count",
        ),
        ("training days", "removed"): ngettext_lazy(
            "%(count)d training day removed",
            "%(count)d training days removed",
            "count",
        ),
        ("scores", "updated"): ngettext_lazy(
            "scores updated for %(count)d participant",
            "scores updated for %(count)d participants",
            "count",
        ),
        ("attendance marks", "created"): ngettext_lazy(
            "%(count)d attendance mark recorded",
            "%(count)d attendance marks recorded",
            "count",
        ),
        ("attendance marks", "updated"): ngettext_lazy(
            "%(count)d attendance mark changed",
            "%(count)d attendance marks changed",
            "count",
        ),
    }


# The order of the parts of each kind's sentence, and the counts they read.
_SENTENCES: dict[str, list[tuple[str, str, str, str]]] = {
    # (phrase kind, phrase outcome, counts kind, counts outcome)
    "roster": [
        ("enrolments", "created", "enrolments", "created"),
        ("enrolments", "reactivated", "enrolments", "updated"),
        ("enrolments", "waitlisted", "enrolments", "waitlisted"),
        ("enrolments", "unchanged", "enrolments", "unchanged"),
        ("participants", "created", "participants", "created"),
        ("participants", "updated", "participants", "updated"),
        ("agencies", "created", "agencies", "created"),
    ],
    "sessions": [
        ("sessions", "created", "sessions", "created"),
        ("sessions", "updated", "sessions", "updated"),
        ("sessions", "unchanged", "sessions", "unchanged"),
        ("courses", "created", "courses", "created"),
        ("training days", "created", "training days", "created"),
        ("training days", "removed", "training days", "removed"),
    ],
    "results": [
        ("scores", "updated", "enrolments", "updated"),
        ("attendance marks", "created", "attendance marks", "created"),
        ("attendance marks", "updated", "attendance marks", "updated"),
    ],
}


def counts_sentence(kind: str, counts: Counts) -> str:
    """Say in the reader's language what an import did: '12 participants registered, ...'.

    Parts with nothing to count are left out; counts the sentence does not know are added as
    'N <kind> <outcome>', so nothing a resource reports is hidden.
    """
    phrases = _count_phrases()
    parts = []
    used: set[tuple[str, str]] = set()
    for phrase_kind, phrase_outcome, counts_kind, outcome in _SENTENCES.get(kind, []):
        used.add((counts_kind, outcome))
        n = counts.get(counts_kind, outcome)
        if n:
            parts.append(phrases[(phrase_kind, phrase_outcome)] % {"count": n})
    for counts_kind, counter in counts.by_kind.items():
        for outcome, n in counter.items():
            if n and (counts_kind, outcome) not in used and outcome != "unchanged":
                parts.append(f"{n} {counts_kind} {outcome}")
    if parts:
        return ", ".join(parts)
    if any(n for counter in counts.by_kind.values() for n in counter.values()):
        return _("nothing changed: the file matches what is recorded")
    return _("nothing to import: the file has no rows")


def import_message(kind: str, counts: Counts) -> str:
    """The confirmation shown after an import, with its numbers."""
    titles = {
        "sessions": _("Sessions imported: %(summary)s."),
        "roster": _("Roster imported: %(summary)s."),
        "results": _("Results imported: %(summary)s."),
    }
    template = titles.get(kind, _("Imported: %(summary)s."))
    return template % {"summary": counts_sentence(kind, counts)}


# --- the preview -------------------------------------------------------------------------------

KIND_LABELS = {
    "sessions": gettext_lazy("Sessions"),
    "courses": gettext_lazy("Courses"),
    "training days": gettext_lazy("Training days"),
    "enrolments": gettext_lazy("Enrolments"),
    "participants": gettext_lazy("Participants"),
    "agencies": gettext_lazy("Agencies"),
    "attendance marks": gettext_lazy("Attendance marks"),
}
EXTRA_OUTCOMES = {
    "waitlisted": gettext_lazy("on the waiting list"),
    "removed": gettext_lazy("to remove"),
}


@dataclass
class CountRow:
    label: str | Promise
    created: int
    updated: int
    unchanged: int
    notes: list[str] = field(default_factory=list)


def count_rows(counts: Counts) -> list[CountRow]:
    """The counts per kind of record, for the preview's table."""
    rows = []
    for kind, counter in counts.by_kind.items():
        notes = [
            f"{n} {EXTRA_OUTCOMES.get(outcome, outcome)}"
            for outcome, n in counter.items()
            if outcome not in {"created", "updated", "unchanged"} and n
        ]
        rows.append(
            CountRow(
                label=KIND_LABELS.get(kind, kind),
                created=counter["created"],
                updated=counter["updated"],
                unchanged=counter["unchanged"],
                notes=notes,
            )
        )
    return rows


def _actions() -> dict[str, dict[str, str]]:
    return {
        "sessions": {
            RowResult.IMPORT_TYPE_NEW: _("New session"),
            RowResult.IMPORT_TYPE_UPDATE: _("Will be updated"),
            RowResult.IMPORT_TYPE_SKIP: _("Unchanged"),
        },
        "roster": {
            RowResult.IMPORT_TYPE_NEW: _("Will be registered"),
            RowResult.IMPORT_TYPE_UPDATE: _("Details will be updated"),
            RowResult.IMPORT_TYPE_SKIP: _("Already enrolled"),
            "waitlisted": _("Waiting list"),
        },
        "results": {
            RowResult.IMPORT_TYPE_UPDATE: _("Will be recorded"),
            RowResult.IMPORT_TYPE_SKIP: _("Unchanged"),
        },
    }


@dataclass
class PreviewRow:
    number: int | None
    action: str
    css: str
    cells: list[str]


@dataclass
class Preview:
    columns: list[str]
    rows: list[PreviewRow]
    more: int


# The preview lists this many rows; the counts above it cover the whole file.
PREVIEW_ROWS = 200


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        value = value.date() if value.time() == dt.time(0) else value
    if isinstance(value, dt.date):
        return value.isoformat()
    return clean_text(value)


def preview(
    kind: str,
    dataset: tablib.Dataset,
    result: ImportResult,
    *,
    hide: Iterable[str] = (),
) -> Preview:
    """The rows of a valid file with what will happen to each, under the columns it reads."""
    resource = RESOURCES[kind]
    hidden = set(hide)
    columns: list[str] = []
    for header in dataset.headers or []:
        key = header_key(header)
        if _reads(resource, key) and key not in hidden and key not in columns:
            columns.append(key)
    numbers = [
        index + 2 for index, values in enumerate(dataset) if not all(_blank(v) for v in values)
    ]
    row_results = list(result.rows)
    if len(numbers) != len(row_results):
        numbers = [None] * len(row_results)
    labels = _actions().get(kind, {})
    rows = []
    for number, row in zip(numbers[:PREVIEW_ROWS], row_results[:PREVIEW_ROWS], strict=True):
        action = row.import_type
        instance = getattr(row, "instance", None)
        if (
            kind == "roster"
            and action in (RowResult.IMPORT_TYPE_NEW, RowResult.IMPORT_TYPE_UPDATE)
            and getattr(instance, "status", None) == Enrolment.Status.WAITLISTED
        ):
            action = "waitlisted"
        values = row.row_values or {}
        rows.append(
            PreviewRow(
                number=number,
                action=labels.get(action, action),
                css=action,
                cells=[_cell(values.get(c)) for c in columns],
            )
        )
    return Preview(columns=columns, rows=rows, more=max(0, len(row_results) - PREVIEW_ROWS))


# --- templates ---------------------------------------------------------------------------------

TEMPLATE_KINDS = ("sessions", "roster", "results")
REQUIRED = gettext_lazy("required")
OPTIONAL = gettext_lazy("optional")


def column_help(kind: str) -> list[tuple[str, str | Promise, str | Promise]]:
    """(column, required or not, what to write) for each column of a kind, from automation.md."""
    when_new = gettext_lazy("when the course is new")
    when_agency_new = gettext_lazy("when the agency is new")
    if kind == "sessions":
        return [
            (
                "code",
                REQUIRED,
                gettext_lazy("The session code, unique. An existing code is updated."),
            ),
            ("course", REQUIRED, gettext_lazy("The course code.")),
            (
                "course_title",
                when_new,
                gettext_lazy(
                    "The course title; creates the course when its code is new. Needed only on "
                    "the first row that names a new course."
                ),
            ),
            ("title", OPTIONAL, gettext_lazy("The session title; defaults to the course title.")),
            ("start_date", REQUIRED, gettext_lazy("First day: YYYY-MM-DD or DD.MM.YYYY.")),
            (
                "end_date",
                REQUIRED,
                gettext_lazy(
                    "Last day, not before the start. Every day in between is a training day."
                ),
            ),
            ("region", REQUIRED, gettext_lazy("A region of the reference list.")),
            ("venue", OPTIONAL, gettext_lazy("Where the session takes place.")),
            (
                "format",
                OPTIONAL,
                gettext_lazy("in person, online or hybrid; blank means in person."),
            ),
            ("language", OPTIONAL, gettext_lazy("The language of the training.")),
            ("capacity", OPTIONAL, gettext_lazy("The number of seats, a positive whole number.")),
            (
                "max_score",
                OPTIONAL,
                gettext_lazy("The highest pre- and post-test score; default 100."),
            ),
            (
                "pass_mark",
                OPTIONAL,
                gettext_lazy("Percent needed to pass; default from the course."),
            ),
            (
                "min_attendance",
                OPTIONAL,
                gettext_lazy(
                    "Percent of the days needed for a certificate; default from the course."
                ),
            ),
        ]
    if kind == "roster":
        return [
            (
                "session",
                REQUIRED,
                gettext_lazy(
                    "The session code. On a session's own upload page the column may be left "
                    "out: every row is for that session."
                ),
            ),
            ("last_name", REQUIRED, gettext_lazy("Last name.")),
            ("first_name", REQUIRED, gettext_lazy("First name.")),
            ("middle_name", OPTIONAL, gettext_lazy("Middle name (patronymic).")),
            (
                "gender",
                REQUIRED,
                gettext_lazy(
                    "female (f, ж, аял), male (m, м, эркек), other, or undisclosed (blank or -). "
                    "Anything else is an error."
                ),
            ),
            ("birth_year", OPTIONAL, gettext_lazy("Year of birth, four digits.")),
            ("agency", REQUIRED, gettext_lazy("The agency the person works for.")),
            (
                "agency_type",
                when_agency_new,
                gettext_lazy(
                    "A type of the reference list; needed only on the first row of a new agency."
                ),
            ),
            ("position", OPTIONAL, gettext_lazy("The person's position.")),
            ("region", OPTIONAL, gettext_lazy("A region of the reference list.")),
            ("email", OPTIONAL, gettext_lazy("Email address; finds the person if already known.")),
            ("phone", OPTIONAL, gettext_lazy("Phone number.")),
            ("disability", OPTIONAL, gettext_lazy("yes, no or blank (not stated).")),
        ]
    if kind == "results":
        return [
            (
                "session",
                REQUIRED,
                gettext_lazy(
                    "The session code. On a session's own upload page the column may be left "
                    "out: every row is for that session."
                ),
            ),
            (
                "email",
                OPTIONAL,
                gettext_lazy("Finds the participant; or give last_name and first_name."),
            ),
            ("last_name", OPTIONAL, gettext_lazy("Last name, when there is no email.")),
            ("first_name", OPTIONAL, gettext_lazy("First name, when there is no email.")),
            (
                "birth_year",
                OPTIONAL,
                gettext_lazy("Year of birth, to tell apart two people of one name."),
            ),
            (
                "pre_score",
                OPTIONAL,
                gettext_lazy("Pre-test score, 0 to the session's maximum; blank: not taken."),
            ),
            (
                "post_score",
                OPTIONAL,
                gettext_lazy("Post-test score, 0 to the session's maximum; blank: not taken."),
            ),
            (
                "YYYY-MM-DD",
                OPTIONAL,
                gettext_lazy(
                    "One column per training day, named by its date: 1, yes, + or x for "
                    "present; 0, no, - or blank for absent."
                ),
            ),
        ]
    raise KeyError(kind)


def general_help() -> list[str]:
    return [
        _("Row 1 names the columns; each row below it is one record."),
        _(
            "Column names are matched without regard to case; columns not listed here are "
            "ignored. Blank rows are skipped."
        ),
        _("Dates: a spreadsheet date, YYYY-MM-DD or DD.MM.YYYY."),
        _(
            "An import is all or nothing: if any row is wrong, nothing is written and every "
            "problem is listed as row N, column: message, with the header as row 1."
        ),
    ]


# Rows of the roster template carrying the session code, when the session sets no capacity.
ROSTER_ROWS = 30
ROSTER_ROWS_MAX = 500


def template_table(kind: str, session: Session | None = None) -> tuple[list[str], list[list]]:
    """The header and the pre-filled rows of an import template."""
    if kind == "sessions":
        return list(SessionResource.columns), []
    if kind == "roster":
        headers = list(RosterResource.columns)
        if session is None:
            return headers, []
        taken = session.enrolments.filter(status__in=Enrolment.COUNTED).count()
        free = ROSTER_ROWS if session.capacity is None else session.capacity - taken
        blank = [""] * (len(headers) - 1)
        return headers, [[session.code, *blank] for _ in range(min(max(free, 1), ROSTER_ROWS_MAX))]
    if kind == "results":
        headers = ["session", "email", "last_name", "first_name", "birth_year"]
        headers += ["pre_score", "post_score"]
        if session is None:
            return headers, []
        days = list(session.days.order_by("date"))
        headers += [d.date.isoformat() for d in days]
        enrolments = sorted(
            session.enrolments.filter(status__in=Enrolment.COUNTED).select_related("participant"),
            key=lambda e: name_order_key(
                e.participant.last_name, e.participant.first_name, e.participant.middle_name
            ),
        )
        marks = {
            (enrolment_id, day_id): present
            for enrolment_id, day_id, present in Attendance.objects.filter(
                day__session=session
            ).values_list("enrolment_id", "day_id", "present")
        }
        rows = []
        for enrolment in enrolments:
            person = enrolment.participant
            # What is recorded already is filled in: a blank score or day would erase it.
            row = [
                session.code,
                person.email,
                person.last_name,
                person.first_name,
                person.birth_year,
                enrolment.pre_score,
                enrolment.post_score,
            ]
            for day in days:
                mark = marks.get((enrolment.pk, day.pk))
                row.append(None if mark is None else int(mark))
            rows.append(row)
        return headers, rows
    raise KeyError(kind)


def _width(values: Iterable[Any], header: str) -> float:
    longest = max([len(str(header)), *(len(str(v)) for v in values if v is not None)])
    return float(min(max(longest + 3, 12), 45))


def template_workbook(kind: str, session: Session | None = None) -> bytes:
    """An .xlsx import template: the header in bold and frozen, and a Help sheet."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    headers, rows = template_table(kind, session)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = {"sessions": "Sessions", "roster": "Roster", "results": "Results"}[kind]
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="E8EFF8")
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = bold
        cell.fill = fill
    for row in rows:
        sheet.append([float(v) if isinstance(v, Decimal) else v for v in row])
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # a name starting with '=' stays text, not a formula
    sheet.freeze_panes = "A2"
    for index, header in enumerate(headers, start=1):
        column = [row[index - 1] for row in rows]
        sheet.column_dimensions[get_column_letter(index)].width = _width(column, header)

    help_sheet = workbook.create_sheet("Help")
    help_sheet.append([_("Column"), _("Required"), _("What to write")])
    for cell in help_sheet[1]:
        cell.font = bold
        cell.fill = fill
    for column, required, text in column_help(kind):
        help_sheet.append([column, str(required), str(text)])
    help_sheet.append([])
    for line in general_help():
        help_sheet.append([line])
    if kind == "roster" and session is not None:
        help_sheet.append(
            [
                _(
                    "Rows with only the session filled in are skipped on the session's upload "
                    "page; delete them before importing with manage.py import_roster."
                )
            ]
        )
    if kind == "results" and session is not None:
        help_sheet.append(
            [
                _(
                    "The rows list the enrolled participants with what is already recorded: a "
                    "blank score or day means not taken or absent, and is written as such."
                )
            ]
        )
    help_sheet.freeze_panes = "A2"
    help_sheet.column_dimensions["A"].width = 18
    help_sheet.column_dimensions["B"].width = 24
    help_sheet.column_dimensions["C"].width = 90
    wrap = Alignment(wrap_text=True, vertical="top")
    for row in help_sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = wrap
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def template_csv(kind: str, session: Session | None = None) -> bytes:
    """A CSV import template (UTF-8 with BOM, so Cyrillic opens right in spreadsheet programs)."""
    headers, rows = template_table(kind, session)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    for row in rows:
        writer.writerow(["" if v is None else ("'" + v if _is_formula_like(v) else v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
