"""Spreadsheet imports and exports of sessions and of trainers' results (automation.md).

Both imports validate the whole file against data fetched in a fixed number of queries, then
write in bulk: the number of queries does not grow with the number of rows.
"""

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import Max
from django.utils import timezone
from import_export.fields import Field
from import_export.results import RowResult

from participants.models import Region
from participants.normalize import email_key, fold, name_key
from trainings.audit import CREATED, history_record, import_actor
from trainings.importing import (
    BilimResource,
    CellError,
    ImportResult,
    Problems,
    Row,
    header_key,
    parse_date,
    parse_decimal,
    parse_int,
    parse_presence,
)
from trainings.models import Attendance, Course, Enrolment, Session, TrainingDay
from trainings.selectors import CodeLookup
from trainings.services import (
    attendance_blocks_message,
    date_range,
    scores_above_message,
    session_length_problem,
    training_days_plan,
)

FORMAT_SPELLINGS: dict[str, str] = {
    **dict.fromkeys(
        ["in person", "in-person", "in_person", "offline", "очно", "очный", "очная"],
        Session.Format.IN_PERSON,
    ),
    **dict.fromkeys(["online", "онлайн"], Session.Format.ONLINE),
    **dict.fromkeys(["hybrid", "гибрид", "гибридный", "смешанный"], Session.Format.HYBRID),
}

_UNSET = object()


def _add_row(result: ImportResult, row: Row, import_type: str, instance: Any) -> None:
    """Record a row for the admin's preview, its cells under the file's own headers."""
    values = {column: row.text(column) for column in row.values}
    result.add_row(import_type, instance, values)
    # The preview table lists row.diff under result.diff_headers, the file's headers.
    result.rows[-1].diff = [values.get(header_key(h), "") for h in result.diff_headers]


def _field_errors(
    exc: ValidationError, columns: dict[str, str], default: str
) -> list[tuple[str, str]]:
    """Turn a model's ValidationError into (column, message) pairs."""
    pairs = []
    for name, messages in exc.message_dict.items():
        column = default if name == NON_FIELD_ERRORS else columns.get(name, name)
        pairs.extend((column, m.rstrip(".")) for m in messages)
    return pairs


def _percent(value: Any) -> int:
    text = str(value).strip()
    if isinstance(value, str) and text.endswith("%"):
        value = text[:-1]
    try:
        return parse_int(value, minimum=0, maximum=100)
    except CellError as exc:
        raise CellError(f"{exc}: write a whole percent from 0 to 100") from None


# --- sessions ------------------------------------------------------------------------------------


@dataclass
class _SessionPlan:
    new_courses: list[Course] = field(default_factory=list)
    new_sessions: list[Session] = field(default_factory=list)
    changed_sessions: list[Session] = field(default_factory=list)
    # (session, date) pairs: the session may be unsaved until apply() creates it.
    days_to_add: list[tuple[Session, dt.date]] = field(default_factory=list)
    day_ids_to_remove: list[int] = field(default_factory=list)


class SessionResource(BilimResource):
    """Sessions: import by code (create or update, creating courses), export one row each."""

    columns = {
        "code": True,
        "course": True,
        "course_title": False,
        "title": False,
        "start_date": True,
        "end_date": True,
        "region": True,
        "venue": False,
        "format": False,
        "language": False,
        "capacity": False,
        "max_score": False,
        "pass_mark": False,
        "min_attendance": False,
    }
    # Session fields an import sets, for bulk_update and to tell updated from unchanged.
    written_fields = (
        "course",
        "title",
        "start_date",
        "end_date",
        "region",
        "venue",
        "format",
        "language",
        "capacity",
        "max_score",
        "pass_mark",
        "min_attendance",
    )

    code = Field(attribute="code", column_name="code")
    course = Field(attribute="course__code", column_name="course")
    course_title = Field(attribute="course__title", column_name="course_title")
    title = Field(attribute="title", column_name="title")
    start_date = Field(attribute="start_date", column_name="start_date")
    end_date = Field(attribute="end_date", column_name="end_date")
    region = Field(attribute="region__name", column_name="region")
    venue = Field(attribute="venue", column_name="venue")
    format = Field(attribute="format", column_name="format")
    language = Field(attribute="language", column_name="language")
    capacity = Field(attribute="capacity", column_name="capacity")
    max_score = Field(attribute="max_score", column_name="max_score")
    pass_mark = Field(attribute="pass_mark", column_name="pass_mark")
    min_attendance = Field(attribute="min_attendance", column_name="min_attendance")
    status = Field(attribute="status", column_name="status")

    class Meta:
        model = Session
        fields = (
            "code",
            "course",
            "course_title",
            "title",
            "start_date",
            "end_date",
            "region",
            "venue",
            "format",
            "language",
            "capacity",
            "max_score",
            "pass_mark",
            "min_attendance",
            "status",
        )
        export_order = fields
        import_id_fields = ("code",)

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("course", "region")

    def plan(
        self, rows: list[Row], problems: Problems, *, result: ImportResult, **kwargs
    ) -> _SessionPlan:
        """Validate every row against the stored sessions, courses and regions."""
        plan = _SessionPlan()
        counts = result.counts
        for kind in ("sessions", "courses", "training days"):
            counts.add(kind, "created", 0)

        codes = {row.text("code") for row in rows} - {""}
        course_codes = {row.text("course") for row in rows} - {""}
        regions = list(Region.objects.all())
        spellings: dict[str, Region | None] = {}
        for region in regions:
            for spelling in region.spellings:
                # A spelling two regions share names neither.
                spellings[spelling] = None if spelling in spellings else region
        courses = CodeLookup(Course.objects.all(), course_codes)
        sessions = CodeLookup(Session.objects.select_related("course"), codes)
        stored_ids = [s.pk for s in sessions.records()]
        days: dict[int, dict[dt.date, int]] = defaultdict(dict)
        attended: dict[int, set[dt.date]] = defaultdict(set)
        tops: dict[int, Decimal] = {}
        if stored_ids:
            day_rows = (
                TrainingDay.objects.filter(session_id__in=stored_ids)
                .order_by()
                .values_list("session_id", "date", "pk")
            )
            for session_id, date, pk in day_rows:
                days[session_id][date] = pk
            for session_id, date in (
                Attendance.objects.filter(day__session_id__in=stored_ids)
                .order_by()  # the default ordering would join and defeat DISTINCT
                .values_list("day__session_id", "day__date")
                .distinct()
            ):
                attended[session_id].add(date)
            for top in (
                Enrolment.objects.filter(session_id__in=stored_ids)
                .order_by()
                .values("session_id")
                .annotate(pre=Max("pre_score"), post=Max("post_score"))
            ):
                scores = [s for s in (top["pre"], top["post"]) if s is not None]
                if scores:
                    tops[top["session_id"]] = max(scores)

        seen: dict[str, int] = {}
        new_courses: dict[str, Course] = {}
        used_courses: set[str] = set()
        region_names = ", ".join(r.name for r in regions)
        for row in rows:
            before = len(problems)

            def problem(column: str, message: str, row: Row = row) -> None:
                problems.add(row.number, column, message)

            code = row.text("code")
            session = sessions.get(code)
            if not code:
                problem("code", "required")
            elif fold(code) in seen:
                problem("code", f"session {code} already appears on row {seen[fold(code)]}")
            else:
                seen[fold(code)] = row.number
                if session is None and len(sessions.folded.get(fold(code), [])) > 1:
                    problem("code", sessions.problem(code, "session", ""))

            course = self._course(row, courses, new_courses, problem)
            if course is not None and course.code in courses:
                used_courses.add(course.code)

            start = self._required(row, "start_date", parse_date, problem)
            end = self._required(row, "end_date", parse_date, problem)
            if start is not None and end is not None:
                if end < start:
                    problem(
                        "end_date",
                        f"{end.isoformat()} is before the start date {start.isoformat()}",
                    )
                    end = None
                elif session_length_problem(start, end):
                    problem("end_date", session_length_problem(start, end))
                    end = None

            region = None
            if not row.text("region"):
                problem("region", "required")
            else:
                region = spellings.get(fold(row.text("region")))
                if region is None:
                    problem(
                        "region",
                        f"'{row.text('region')}' is not a region of the reference list: "
                        f"write one of {region_names}",
                    )

            values: dict[str, Any] = {}
            present = set(row.values)
            if "title" in present or session is None:
                values["title"] = row.text("title")
            for column in ("venue", "language"):
                if column in present or session is None:
                    values[column] = row.text(column)
            if "format" in present or session is None:
                text = row.text("format")
                if not text:
                    values["format"] = Session.Format.IN_PERSON
                elif fold(text) in FORMAT_SPELLINGS:
                    values["format"] = FORMAT_SPELLINGS[fold(text)]
                else:
                    problem(
                        "format", f"'{text}' is not a format: write in person, online or hybrid"
                    )
            if "capacity" in present or session is None:
                values["capacity"] = self._optional(
                    row,
                    "capacity",
                    lambda v: parse_int(v, minimum=1),
                    problem,
                    hint="the capacity must be a positive whole number",
                )
            if "max_score" in present or session is None:
                max_score = self._optional(row, "max_score", parse_decimal, problem)
                if max_score is None:
                    max_score = Decimal(100)
                elif max_score is not _UNSET and max_score <= 0:
                    problem("max_score", f"{row.text('max_score')} is not above 0")
                    max_score = _UNSET
                if max_score is not _UNSET:
                    top = tops.get(session.pk) if session is not None else None
                    if top is not None and top > max_score:
                        problem("max_score", scores_above_message(top, max_score))
                    values["max_score"] = max_score
            for column in ("pass_mark", "min_attendance"):
                if column in present or session is None:
                    percent = self._optional(row, column, _percent, problem)
                    if percent is None and course is not None:
                        percent = getattr(course, column)
                    if percent is not None and percent is not _UNSET:
                        values[column] = percent

            if len(problems) > before or course is None:
                continue

            if session is None:
                session = Session(code=code, status=Session.Status.PLANNED)
                old = None
            else:
                old = {name: getattr(session, name) for name in self._compared()}
            old_dates = (session.start_date, session.end_date)
            session.course = course
            session.region = region
            session.start_date, session.end_date = start, end
            for name, value in values.items():
                setattr(session, name, value)
            try:
                session.clean_fields(exclude=["course", "region"])
                session.clean()
            except ValidationError as exc:
                for column, message in _field_errors(exc, {}, "code"):
                    problem(column, message)
                continue

            if old is None:
                plan.new_sessions.append(session)
                plan.days_to_add.extend((session, d) for d in date_range(start, end))
                counts.add("sessions", "created")
                counts.add("training days", "created", (end - start).days + 1)
                _add_row(result, row, RowResult.IMPORT_TYPE_NEW, session)
                continue

            stored_days = days[session.pk]
            remove, add = training_days_plan(
                old_start=old_dates[0],
                old_end=old_dates[1],
                new_start=start,
                new_end=end,
                existing=stored_days,
            )
            blocked = [d for d in remove if d in attended[session.pk]]
            if blocked:
                before_start = [d for d in blocked if d < start]
                after_end = [d for d in blocked if d > end]
                if before_start:
                    problem("start_date", attendance_blocks_message(before_start))
                if after_end:
                    problem("end_date", attendance_blocks_message(after_end))
                continue
            plan.day_ids_to_remove.extend(stored_days[d] for d in remove)
            plan.days_to_add.extend((session, d) for d in add)
            counts.add("training days", "created", len(add))
            counts.add("training days", "unchanged", len(stored_days) - len(remove))
            if remove:
                counts.add("training days", "removed", len(remove))
            if {name: getattr(session, name) for name in self._compared()} != old:
                session.updated_at = timezone.now()
                plan.changed_sessions.append(session)
                counts.add("sessions", "updated")
                _add_row(result, row, RowResult.IMPORT_TYPE_UPDATE, session)
            else:
                counts.add("sessions", "unchanged")
                _add_row(result, row, RowResult.IMPORT_TYPE_SKIP, session)

        plan.new_courses = list(new_courses.values())
        counts.add("courses", "created", len(new_courses))
        counts.add("courses", "unchanged", len(used_courses))
        return plan

    def apply(self, plan: _SessionPlan, *, result: ImportResult, **kwargs) -> None:
        """Create the courses, then the sessions, update the changed ones, then fix the days."""
        actor = import_actor(kwargs)
        Course.objects.bulk_create(plan.new_courses)
        Session.objects.bulk_create(plan.new_sessions)
        history_record(plan.new_sessions, actor=actor, kind=CREATED, model=Session)
        if plan.changed_sessions:
            Session.objects.bulk_update(plan.changed_sessions, [*self.written_fields, "updated_at"])
            history_record(plan.changed_sessions, actor=actor, model=Session)
        if plan.day_ids_to_remove:
            TrainingDay.objects.filter(pk__in=plan.day_ids_to_remove).delete()
        TrainingDay.objects.bulk_create(
            TrainingDay(session=session, date=date) for session, date in plan.days_to_add
        )

    def _compared(self) -> list[str]:
        return [
            "course_id" if name == "course" else "region_id" if name == "region" else name
            for name in self.written_fields
        ]

    @staticmethod
    def _course(row: Row, courses: dict, new_courses: dict, problem) -> Course | None:
        """Find the row's course, or make the one its course_title describes."""
        code = row.text("course")
        if not code:
            problem("course", "required")
            return None
        # A different course_title for an existing course renames nothing: the admin does that.
        course = courses.get(code) or new_courses.get(fold(code))
        if course is not None:
            return course
        if len(courses.folded.get(fold(code), [])) > 1:
            problem("course", courses.problem(code, "course", ""))
            return None
        title = row.text("course_title")
        if not title:
            problem(
                "course",
                f"course {code} does not exist: give its course_title to create it",
            )
            return None
        course = Course(code=code, title=title, assessed=True)
        try:
            course.clean_fields()
        except ValidationError as exc:
            for column, message in _field_errors(
                exc, {"code": "course", "title": "course_title"}, "course"
            ):
                problem(column, message)
            return None
        new_courses[fold(code)] = course
        return course

    @staticmethod
    def _required(row: Row, column: str, parse, problem) -> Any:
        if not row.has(column):
            problem(column, "required")
            return None
        try:
            return parse(row.raw(column))
        except CellError as exc:
            problem(column, str(exc))
            return None

    @staticmethod
    def _optional(row: Row, column: str, parse, problem, hint: str = "") -> Any:
        """Parse a cell; None when blank, _UNSET (after reporting) when wrong."""
        if not row.has(column):
            return None
        try:
            return parse(row.raw(column))
        except CellError as exc:
            problem(column, f"{exc}: {hint}" if hint else str(exc))
            return _UNSET


# --- results -------------------------------------------------------------------------------------


@dataclass
class _ResultsPlan:
    changed_enrolments: list[Enrolment] = field(default_factory=list)
    new_marks: list[Attendance] = field(default_factory=list)
    changed_marks: list[Attendance] = field(default_factory=list)


class ResultsResource(BilimResource):
    """Trainers' results: scores and day-by-day attendance of the enrolments of sessions."""

    columns = {
        "session": True,
        "email": False,
        "last_name": False,
        "first_name": False,
        "birth_year": False,
        "pre_score": False,
        "post_score": False,
    }
    column_pattern = re.compile(r"\d{4}-\d{2}-\d{2}")

    session = Field(attribute="session__code", column_name="session")
    email = Field(attribute="participant__email", column_name="email")
    last_name = Field(attribute="participant__last_name", column_name="last_name")
    first_name = Field(attribute="participant__first_name", column_name="first_name")
    birth_year = Field(attribute="participant__birth_year", column_name="birth_year")
    pre_score = Field(attribute="pre_score", column_name="pre_score")
    post_score = Field(attribute="post_score", column_name="post_score")

    class Meta:
        model = Enrolment
        fields = (
            "session",
            "email",
            "last_name",
            "first_name",
            "birth_year",
            "pre_score",
            "post_score",
        )
        export_order = fields

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("session", "participant")

    def plan(
        self, rows: list[Row], problems: Problems, *, result: ImportResult, **kwargs
    ) -> _ResultsPlan:
        """Match every row to one enrolment of its session and decide what changes."""
        plan = _ResultsPlan()
        counts = result.counts
        counts.add("enrolments", "updated", 0)
        counts.add("attendance marks", "created", 0)
        if not rows:
            return plan

        present_columns = set(rows[0].values)
        day_columns: dict[str, dt.date] = {}
        for column in sorted(present_columns):
            if self.column_pattern.fullmatch(column):
                try:
                    day_columns[column] = dt.date.fromisoformat(column)
                except ValueError:
                    problems.add(1, column, "this header is not a real date: write YYYY-MM-DD")
        if not ({"email"} <= present_columns or {"last_name", "first_name"} <= present_columns):
            problems.add(1, "email", "give an email column, or last_name and first_name columns")
        if problems:
            return plan

        codes = {row.text("session") for row in rows} - {""}
        sessions = CodeLookup(Session.objects.all(), codes)
        by_id = {s.pk: s for s in sessions.records()}
        session_days: dict[int, dict[dt.date, TrainingDay]] = defaultdict(dict)
        for day in TrainingDay.objects.filter(session_id__in=list(by_id)).order_by("date"):
            day.session = by_id[day.session_id]
            session_days[day.session_id][day.date] = day
        by_email: dict[tuple[int, str], list[Enrolment]] = defaultdict(list)
        by_name: dict[tuple[int, str], list[Enrolment]] = defaultdict(list)
        for enrolment in Enrolment.objects.filter(session_id__in=list(by_id)).select_related(
            "participant"
        ):
            enrolment.session = by_id[enrolment.session_id]
            person = enrolment.participant
            if person.email_key:
                by_email[(enrolment.session_id, person.email_key)].append(enrolment)
            # A stored middle name still matches a row that gives last and first name only.
            for key in {person.name_key, name_key(person.last_name, person.first_name)}:
                by_name[(enrolment.session_id, key)].append(enrolment)
        marks: dict[tuple[int, int], Attendance] = {}
        if day_columns:
            for mark in Attendance.objects.filter(
                day__session_id__in=list(by_id), day__date__in=list(day_columns.values())
            ).order_by():
                marks[(mark.enrolment_id, mark.day_id)] = mark

        seen: dict[int, int] = {}
        for row in rows:
            before = len(problems)

            def problem(column: str, message: str, row: Row = row) -> None:
                problems.add(row.number, column, message)

            code = row.text("session")
            session = sessions.get(code)
            if not code:
                problem("session", "required")
            elif session is None:
                problem("session", sessions.problem(code, "session", f"no session has code {code}"))
            enrolment = None
            if session is not None:
                enrolment, who_column = self._match(row, session, by_email, by_name, problem)
                if enrolment is not None:
                    if enrolment.pk in seen:
                        problem(
                            who_column,
                            f"{enrolment.participant} in {code} already appears on row "
                            f"{seen[enrolment.pk]}",
                        )
                    else:
                        seen[enrolment.pk] = row.number

            scores: dict[str, Decimal | None] = {}
            for column in ("pre_score", "post_score"):
                if column not in present_columns:
                    continue
                if not row.has(column):
                    scores[column] = None
                    continue
                if session is None:
                    continue
                try:
                    scores[column] = parse_decimal(
                        row.raw(column), minimum=Decimal(0), maximum=session.max_score
                    )
                except CellError as exc:
                    problem(column, f"{exc} (scores run from 0 to the session's maximum)")

            day_marks: dict[TrainingDay, bool] = {}
            if session is not None:
                days = session_days[session.pk]
                for column, date in day_columns.items():
                    day = days.get(date)
                    if day is None:
                        if row.has(column):
                            listed = ", ".join(d.isoformat() for d in days) or "none"
                            problem(
                                column,
                                f"{date.isoformat()} is not a training day of session {code} "
                                f"(its days: {listed})",
                            )
                        continue
                    try:
                        day_marks[day] = parse_presence(row.raw(column))
                    except CellError as exc:
                        problem(column, str(exc))

            if enrolment is None or len(problems) > before:
                continue

            if enrolment.status == Enrolment.Status.WITHDRAWN:
                if any(s is not None for s in scores.values()) or any(day_marks.values()):
                    problem(
                        who_column,
                        f"{enrolment.participant} is withdrawn from {code}: "
                        "results cannot be recorded",
                    )
                else:
                    # Nothing to record for someone who left: their stored data stays as it is.
                    counts.add("enrolments", "unchanged")
                    _add_row(result, row, RowResult.IMPORT_TYPE_SKIP, enrolment)
                continue

            old_scores = (enrolment.pre_score, enrolment.post_score)
            for name, score in scores.items():
                setattr(enrolment, name, score)
            try:
                enrolment.clean_fields(exclude=["session", "participant", "status"])
                enrolment.clean()
            except ValidationError as exc:
                for col, message in _field_errors(exc, {}, "pre_score"):
                    problem(col, message)
                continue
            changed = (enrolment.pre_score, enrolment.post_score) != old_scores
            if changed:
                enrolment.updated_at = timezone.now()
                plan.changed_enrolments.append(enrolment)
                counts.add("enrolments", "updated")
            else:
                counts.add("enrolments", "unchanged")

            for day, is_present in day_marks.items():
                mark = marks.get((enrolment.pk, day.pk))
                if mark is None:
                    plan.new_marks.append(
                        Attendance(enrolment=enrolment, day=day, present=is_present)
                    )
                    counts.add("attendance marks", "created")
                    changed = True
                elif mark.present != is_present:
                    mark.present = is_present
                    plan.changed_marks.append(mark)
                    counts.add("attendance marks", "updated")
                    changed = True
                else:
                    counts.add("attendance marks", "unchanged")
            _add_row(
                result,
                row,
                RowResult.IMPORT_TYPE_UPDATE if changed else RowResult.IMPORT_TYPE_SKIP,
                enrolment,
            )
        return plan

    def apply(self, plan: _ResultsPlan, *, result: ImportResult, **kwargs) -> None:
        """Write the changed scores and the new and changed marks, and their audit trail."""
        actor = import_actor(kwargs)
        if plan.changed_enrolments:
            Enrolment.objects.bulk_update(
                plan.changed_enrolments, ["pre_score", "post_score", "updated_at"]
            )
            history_record(plan.changed_enrolments, actor=actor, model=Enrolment)
        Attendance.objects.bulk_create(plan.new_marks)
        history_record(plan.new_marks, actor=actor, kind=CREATED, model=Attendance)
        if plan.changed_marks:
            Attendance.objects.bulk_update(plan.changed_marks, ["present"])
            history_record(plan.changed_marks, actor=actor, model=Attendance)

    @staticmethod
    def _match(
        row: Row, session: Session, by_email: dict, by_name: dict, problem
    ) -> tuple[Enrolment | None, str]:
        """Find the row's enrolment by email, else by name and birth year (domain.md).

        Returns the enrolment (or None after reporting) and the column to report about it.
        """
        email = email_key(row.text("email"))
        last, first = row.text("last_name"), row.text("first_name")
        column = "email" if email else "last_name"
        if email:
            found = by_email.get((session.pk, email), [])
            if found:
                return found[0], column
        if not (last and first):
            if email:
                problem(
                    column, f"{row.text('email')} matches no enrolment of session {session.code}"
                )
            else:
                problem(column, "give the email, or last_name and first_name, of the participant")
            return None, column

        candidates = by_name.get((session.pk, name_key(last, first)), [])
        if email:
            # Two different emails are two people, whatever their names.
            candidates = [e for e in candidates if not e.participant.email_key]
        birth_year = None
        if row.has("birth_year"):
            try:
                birth_year = parse_int(row.raw("birth_year"), minimum=1900, maximum=2100)
            except CellError as exc:
                problem("birth_year", str(exc))
                return None, column
            same = [e for e in candidates if e.participant.birth_year == birth_year]
            candidates = same or [e for e in candidates if e.participant.birth_year is None]
        who = " ".join(p for p in (row.text("last_name"), row.text("first_name")) if p)
        if email:
            who += f" ({row.text('email')})"
        if birth_year is not None:
            who += f", born {birth_year},"
        if not candidates:
            problem(column, f"{who} matches no enrolment of session {session.code}")
            return None, column
        if len(candidates) > 1:
            problem(
                column,
                f"{who} matches {len(candidates)} enrolments of session {session.code}: "
                "add email or birth_year",
            )
            return None, column
        return candidates[0], column
