"""The M&E workbook (.xlsx) and its Data sheet as CSV, every figure from reports.stats.

One class per export (a sheet) yields its tables: a header and rows from the statistics
selectors; :class:`WorkbookRenderer` writes them to an openpyxl write-only workbook and
:func:`write_csv` writes one table (the ``Data`` sheet's) as CSV. The whole workbook is
write-only, so that ``Data``'s rows go to disk as they come and 300,000 of them do not fill the
memory; write-only sheets accept column widths, frozen panes, an autofilter and charts, set before
(widths, panes) or after (filter, charts) the rows.

The workbook is in English whatever the reader's language: the contract names its sheets in
English, and English headers keep the formulas and pivot tables people build on ``Data`` working
whoever exports it.

Formula safety: every string, whatever its source, is written as a text cell (``t="inlineStr"``),
so a name such as ``=HYPERLINK(...)`` is shown, never run; characters XML cannot hold are dropped.
In the CSV, which has no cell types, a value starting with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return gets a leading single quote (OWASP, "CSV injection").

Pseudonymized exports leave the name and email columns out (the columns are absent, not blank);
phones are never exported. The participant id is the participant's primary key: stable as long
as the record exists (a merge keeps the kept record's id), and meaningless outside Bilim.
"""

import csv
import datetime as dt
import textwrap
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MethodType
from typing import IO, Any, Literal

from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.chart import BarChart, PieChart, Reference
from openpyxl.chart.label import DataLabelList
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties

from certificates.models import Certificate
from reports import stats
from reports.stats import Figures, Filters
from trainings.models import Attendance, TrainingDay

Kind = Literal["text", "count", "percent", "mean", "ratio", "date", "id"]

# Number formats by kind of value; percents are stored as fractions (0.5 shows as 50.0%).
FORMATS: dict[str, str] = {
    "count": "#,##0",
    "percent": "0.0%",
    "mean": "0.0",
    "ratio": "0.00",
    "date": "yyyy-mm-dd",
    "id": "0",
}
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
TITLE_FONT = Font(bold=True, size=14)
BOLD = Font(bold=True)
MUTED = Font(italic=True, color="595959")
RIGHT = Alignment(horizontal="right")
FIRST_TABLE_ROW = 4  # title, filters line, blank row, then the first table

SHEETS = ("Summary", "By gender", "By agency type", "By region", "By course", "Assessments", "Data")


@dataclass(frozen=True)
class Column:
    """A column: its header, the kind of its values (format) and its width in characters."""

    header: str
    kind: Kind = "text"
    width: float = 14


@dataclass(frozen=True)
class Typed:
    """A value with its own kind, for a column whose rows hold different kinds (Summary)."""

    value: Any
    kind: Kind


@dataclass
class Table:
    """One table of a sheet: an optional caption, columns, rows, a totals row and a note."""

    name: str
    columns: list[Column]
    rows: Iterable[Sequence[Any]]
    caption: str | None = None
    totals: Sequence[Any] | None = None
    note: str | None = None
    # Every value of a text column is a str or None, of another column a number, a date (not a
    # datetime) or None: the renderer takes its quick path (the Data sheet's 300,000 rows).
    uniform: bool = False


@dataclass
class Placed:
    """Where a table landed: its header row, first and last data row, and the totals row."""

    header_row: int
    first_row: int
    last_row: int
    totals_row: int | None
    columns: int


def describe(filters: Filters) -> list[tuple[str, str]]:
    """Return (label, value) for each filter that is set, in the statistics form's order."""
    shown = []
    if filters.programme is not None:
        shown.append(("Programme", f"{filters.programme.code}: {filters.programme.name}"))
    if filters.course is not None:
        shown.append(("Course", filters.course))
    if filters.date_from is not None:
        shown.append(("Sessions starting from", filters.date_from.isoformat()))
    if filters.date_to is not None:
        shown.append(("Sessions starting until", filters.date_to.isoformat()))
    if filters.region is not None:
        shown.append(("Participant's region", filters.region.name))
    if filters.agency_type is not None:
        shown.append(("Agency type", filters.agency_type.name))
    if filters.gender is not None:
        shown.append(("Gender", filters.gender.name))
    return shown


def filters_line(filters: Filters, pseudonymize: bool = False) -> str:
    """Return the line under each sheet's title: the filters used, the date, pseudonymization."""
    described = describe(filters)
    used = "; ".join(f"{label}: {value}" for label, value in described)
    line = f"Filters: {used}" if described else "Filters: none (every participation)"
    line += f". Exported on {timezone.localdate().isoformat()}."
    if pseudonymize:
        line += " Pseudonymized: names and emails left out."
    return line


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


# --- the exports -------------------------------------------------------------------------------


class Export:
    """One sheet: a title and the tables that follow it; subclasses yield the tables."""

    sheet: str = ""
    title: str = ""

    def __init__(self, filters: Filters, pseudonymize: bool = False) -> None:
        self.filters = filters
        self.pseudonymize = pseudonymize
        # The statistics, each figure queried once per workbook: the renderer shares its own.
        self.stats = Figures()

    def tables(self) -> list[Table]:
        raise NotImplementedError

    def charts(self, sheet: Any, placed: dict[str, Placed]) -> list[tuple[Any, str]]:
        """Return (chart, anchor cell) pairs whose data point at the placed tables."""
        return []


def _count_table(
    name: str, header: str, rows: list[stats.Row], total: stats.Headline, caption: str | None
) -> Table:
    return Table(
        name=name,
        caption=caption,
        columns=[
            Column(header, "text", 34),
            Column("Participants", "count"),
            Column("Participations", "count"),
            Column("Share of participants", "percent", 20),
        ],
        rows=[
            (
                row.label,
                row.participants,
                row.participations,
                _share(row.participants, total.participants),
            )
            for row in rows
        ],
        totals=(
            "Total",
            total.participants,
            total.participations,
            1.0 if total.participants else None,
        ),
    )


class SummaryExport(Export):
    sheet = "Summary"
    title = "Training statistics: summary"

    def tables(self) -> list[Table]:
        f = self.filters
        total = self.stats.headline(f)
        genders = self.stats.by_gender(f)
        women = sum(row.participants for row in genders if row.key == "female")
        rate = self.stats.attendance(f).rate
        a = self.stats.assessment(f)
        figures = [
            ("Sessions", Typed(total.sessions, "count")),
            ("Participations (a person once per session)", Typed(total.participations, "count")),
            ("Participants (distinct persons)", Typed(total.participants, "count")),
            (
                "Share of women among participants",
                Typed(_share(women, total.participants), "percent"),
            ),
            ("Attendance rate (present / scheduled person-days)", Typed(rate, "percent")),
            ("Pre/post test pairs", Typed(a.pairs, "count")),
            ("Pre-test mean", Typed(_fraction(a.pre_mean), "percent")),
            ("Post-test mean", Typed(_fraction(a.post_mean), "percent")),
            ("Mean gain (percentage points)", Typed(a.mean_gain, "mean")),
            ("Share of pairs improved", Typed(a.improved_share, "percent")),
            ("Normalized gain", Typed(a.normalized_gain, "ratio")),
            ("Certificates issued (not revoked)", Typed(self.stats.certificates(f), "count")),
        ]
        tables = [
            Table(
                "figures",
                [Column("Figure", "text", 50), Column("Value", "count", 14)],
                figures,
            ),
            Table(
                "gender",
                [Column("Gender", "text", 50), Column("Participants", "count")],
                [(row.label, row.participants) for row in genders],
                caption="Participants by gender",
            ),
            Table(
                "quarters",
                [
                    Column("Quarter", "text", 50),
                    Column("Participants", "count"),
                    Column("Participations", "count"),
                ],
                [
                    (row.label, row.participants, row.participations)
                    for row in self.stats.by_period(f, "quarter")
                ],
                caption="Participants per quarter (by the sessions' start date)",
                note="A person trained in two quarters counts in both.",
            ),
        ]
        achieved = _achievements(f)
        if achieved:
            tables.append(
                Table(
                    "targets",
                    [
                        Column("Indicator", "text", 50),
                        Column("Period start", "date", 14),
                        Column("Period end", "date", 14),
                        Column("Target", "count", 12),
                        Column("Achieved", "count", 12),
                        Column("Achieved / target", "percent", 12),
                    ],
                    [
                        (
                            row.label,
                            row.period_start,
                            row.period_end,
                            Typed(row.target, "percent" if row.is_share else "count"),
                            Typed(row.achieved, "percent" if row.is_share else "count"),
                            row.ratio,
                        )
                        for row in achieved
                    ],
                    caption=(
                        f"Achieved against target: {f.programme.code}"  # type: ignore[union-attr]
                    ),
                    note=" ".join(dict.fromkeys(row.note for row in achieved if row.note)),
                )
            )
        return tables

    def charts(self, sheet: Any, placed: dict[str, Placed]) -> list[tuple[Any, str]]:
        charts = []
        gender = placed["gender"]
        if gender.last_row >= gender.first_row:
            pie = PieChart()
            pie.title = "Participants by gender"
            pie.add_data(
                Reference(sheet, min_col=2, min_row=gender.header_row, max_row=gender.last_row),
                titles_from_data=True,
            )
            pie.set_categories(
                Reference(sheet, min_col=1, min_row=gender.first_row, max_row=gender.last_row)
            )
            pie.dataLabels = DataLabelList()
            pie.dataLabels.showPercent = True
            for hidden in ("showVal", "showCatName", "showSerName", "showLegendKey"):
                setattr(pie.dataLabels, hidden, False)
            pie.height, pie.width = 7.5, 12
            charts.append((pie, f"D{FIRST_TABLE_ROW}"))
        quarters = placed["quarters"]
        if quarters.last_row >= quarters.first_row:
            bar = _bar_chart("Participants per quarter", "Participants", "Quarter")
            bar.add_data(
                Reference(sheet, min_col=2, min_row=quarters.header_row, max_row=quarters.last_row),
                titles_from_data=True,
            )
            bar.set_categories(
                Reference(sheet, min_col=1, min_row=quarters.first_row, max_row=quarters.last_row)
            )
            bar.legend = None
            charts.append((bar, f"D{FIRST_TABLE_ROW + 16}"))
        return charts


def _bar_chart(title: str, y_title: str, x_title: str) -> BarChart:
    chart = BarChart()
    chart.type = "col"
    chart.title = title
    chart.y_axis.title = y_title
    chart.x_axis.title = x_title
    chart.y_axis.majorGridlines = None
    # Recent Excel hides axes whose 'delete' is unset in openpyxl's output: say it.
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.height, chart.width = 7.5, 16
    return chart


def _fraction(percent: float | None) -> float | None:
    """A mean in percent (75.0) as the fraction Excel's percent format shows (0.75)."""
    return None if percent is None else percent / 100


def _achievements(filters: Filters) -> list:
    if filters.programme is None:
        return []
    from reports.targets import achievements

    return achievements(filters)


class ByGenderExport(Export):
    sheet = "By gender"
    title = "Participants and participations by gender"

    def tables(self) -> list[Table]:
        f = self.filters
        main = _count_table("main", "Gender", self.stats.by_gender(f), self.stats.headline(f), None)
        main.note = "Each person has one gender, so the participants add up to the total."
        return [main, *self._cross_tables()]

    def _cross_tables(self) -> list[Table]:
        """Gender across agency types, participants then participations, one row per type."""
        cross = self.stats.by_gender_and_agency_type(self.filters)
        genders = self.stats.by_gender(self.filters)
        types = self.stats.by_agency_type(self.filters)
        cells = {(row.agency_type, row.gender): row for row in cross}
        tables = []
        for what in ("participants", "participations"):
            tables.append(
                Table(
                    f"cross_{what}",
                    [
                        Column("Agency type", "text", 34),
                        *(Column(g.label, "count") for g in genders),
                        Column("Total", "count"),
                    ],
                    [
                        (
                            t.label,
                            *(
                                getattr(cells[(t.key, g.key)], what)
                                if (t.key, g.key) in cells
                                else 0
                                for g in genders
                            ),
                            getattr(t, what),
                        )
                        for t in types
                    ],
                    caption=f"{what.capitalize()} by agency type and gender",
                    totals=(
                        "Total",
                        *(getattr(g, what) for g in genders),
                        getattr(self.stats.headline(self.filters), what),
                    ),
                )
            )
        return tables

    def charts(self, sheet: Any, placed: dict[str, Placed]) -> list[tuple[Any, str]]:
        main = placed["main"]
        chart = _bar_chart("Participants and participations by gender", "Number", "Gender")
        chart.grouping = "clustered"
        chart.add_data(
            Reference(sheet, min_col=2, max_col=3, min_row=main.header_row, max_row=main.last_row),
            titles_from_data=True,
        )
        chart.set_categories(
            Reference(sheet, min_col=1, min_row=main.first_row, max_row=main.last_row)
        )
        # Right of the widest table (the gender x agency type tables), a column apart.
        widest = max(p.columns for p in placed.values())
        return [(chart, f"{get_column_letter(widest + 2)}{FIRST_TABLE_ROW}")]


class ByAgencyTypeExport(Export):
    sheet = "By agency type"
    title = "Participants and participations by agency type"

    def tables(self) -> list[Table]:
        f = self.filters
        table = _count_table(
            "main", "Agency type", self.stats.by_agency_type(f), self.stats.headline(f), None
        )
        table.note = (
            "A person counts once per agency type, under the type of their agency as recorded "
            "now; each person has one, so the participants add up to the total."
        )
        return [table]


class ByRegionExport(Export):
    sheet = "By region"
    title = "Participants and participations by the participant's region"

    def tables(self) -> list[Table]:
        f = self.filters
        table = _count_table(
            "main", "Participant's region", self.stats.by_region(f), self.stats.headline(f), None
        )
        table.note = (
            "A person counts once per region, their region as recorded now ('unknown': not "
            "recorded); each person has one, so the participants add up to the total."
        )
        return [table]


class ByCourseExport(Export):
    sheet = "By course"
    title = "Participants, participations and attendance by course and by session"

    def tables(self) -> list[Table]:
        f = self.filters
        total = self.stats.headline(f)
        overall = self.stats.attendance(f)
        rate = {row.key: row.rate for row in self.stats.attendance(f, group_by="course")}
        session_rate = {row.key: row.rate for row in self.stats.attendance(f, group_by="session")}
        columns = [
            Column("Code", "text", 22),
            Column("Title", "text", 50),
            Column("Participants", "count"),
            Column("Participations", "count"),
            Column("Attendance rate", "percent", 16),
        ]
        return [
            Table(
                "main",
                columns,
                [
                    (row.key, row.label, row.participants, row.participations, rate.get(row.key))
                    for row in self.stats.by_course(f)
                ],
                totals=(
                    "All courses",
                    None,
                    total.participants,
                    total.participations,
                    overall.rate,
                ),
                note=(
                    "A person counts once per course: someone trained in two courses is in two "
                    "rows, so the participants of the rows may add up to more than the total, "
                    "which counts each person once. Participations add up."
                ),
            ),
            Table(
                "sessions",
                columns,
                [
                    (
                        row.key,
                        row.label,
                        row.participants,
                        row.participations,
                        session_rate.get(row.key),
                    )
                    for row in self.stats.by_session(f)
                ],
                caption="By session (in order of start date)",
                note="A person counts once per session.",
            ),
        ]


class AssessmentsExport(Export):
    sheet = "Assessments"
    title = "Pre-test and post-test results"

    COLUMNS = [
        Column("Pairs", "count", 10),
        Column("Pre-test mean", "percent", 15),
        Column("Post-test mean", "percent", 15),
        Column("Mean gain (points)", "mean", 19),
        Column("Share improved", "percent", 16),
        Column("Normalized gain", "ratio", 16),
    ]

    @staticmethod
    def _figures(a: stats.AssessmentFigures) -> tuple:
        return (
            a.pairs,
            _fraction(a.pre_mean),
            _fraction(a.post_mean),
            a.mean_gain,
            a.improved_share,
            a.normalized_gain,
        )

    def tables(self) -> list[Table]:
        f = self.filters
        titles = {row.key: row.label for row in self.stats.by_course(f)}
        sessions = {row.key: row.label for row in self.stats.by_session(f)}
        note = (
            "Over the pairs: participations with both a pre- and a post-test score, in percent "
            "of the session's maximum score. Mean gain = post mean - pre mean; normalized gain "
            "= mean gain / (100 - pre mean)."
        )
        return [
            Table(
                "main",
                [Column("Code", "text", 16), Column("Course", "text", 50), *self.COLUMNS],
                [
                    (a.key, titles.get(a.key, a.label), *self._figures(a))
                    for a in self.stats.assessment(f, group_by="course")
                ],
                caption="By course",
                totals=("All courses", None, *self._figures(self.stats.assessment(f))),
                note=note,
            ),
            Table(
                "sessions",
                [Column("Session", "text", 22), Column("Title", "text", 50), *self.COLUMNS],
                [
                    (a.key, sessions.get(a.key, a.label), *self._figures(a))
                    for a in self.stats.assessment(f, group_by="session")
                ],
                caption="By session",
            ),
        ]


class DataExport(Export):
    """One row per participation, in long format for pivot tables; one query, streamed."""

    sheet = "Data"
    title = "Participations (one row each)"

    NAME_COLUMNS = ("Last name", "First name", "Middle name", "Email")

    def columns(self) -> list[Column]:
        columns = [
            Column("Session", "text", 22),
            Column("Course", "text", 14),
            Column("Start", "date", 12),
            Column("End", "date", 12),
            Column("Session region", "text", 16),
            Column("Participant id", "id", 12),
            Column("Last name", "text", 18),
            Column("First name", "text", 16),
            Column("Middle name", "text", 18),
            Column("Email", "text", 26),
            Column("Gender", "text", 10),
            Column("Birth year", "id", 10),
            Column("Agency", "text", 36),
            Column("Agency type", "text", 18),
            Column("Participant region", "text", 18),
            Column("Days present", "count", 10),
            Column("Attendance %", "percent", 12),
            Column("Pre %", "percent", 9),
            Column("Post %", "percent", 9),
            Column("Certificate number", "text", 20),
        ]
        if self.pseudonymize:
            columns = [c for c in columns if c.header not in self.NAME_COLUMNS]
        return columns

    def queryset(self) -> Any:
        """Return the participations with every column, in one query (subqueries, no loop)."""
        present = (
            Attendance.objects.filter(enrolment=OuterRef("pk"), present=True)
            .order_by()
            .values("enrolment")
            .annotate(n=Count("pk"))
            .values("n")
        )
        days = (
            TrainingDay.objects.filter(session=OuterRef("session"))
            .order_by()
            .values("session")
            .annotate(n=Count("pk"))
            .values("n")
        )
        certificate = Certificate.objects.filter(enrolment=OuterRef("pk"), revoked=False).values(
            "number"
        )[:1]
        fields = [
            "session__code",
            "session__course__code",
            "session__start_date",
            "session__end_date",
            "session__region__name",
            "participant_id",
            *(
                ()
                if self.pseudonymize
                else (
                    "participant__last_name",
                    "participant__first_name",
                    "participant__middle_name",
                    "participant__email",
                )
            ),
            "participant__gender__name",
            "participant__birth_year",
            "participant__agency__name",
            "participant__agency__type__name",
            "participant__region__name",
            "days_present",
            "session_days",
            "pre_score",
            "post_score",
            "session__max_score",
            "certificate_number",
        ]
        order = ["session__start_date", "session__code"]
        order += (
            ["participant_id"]
            if self.pseudonymize
            else [
                "participant__last_name",
                "participant__first_name",
            ]
        )
        return (
            stats.participations(self.filters)
            .annotate(
                days_present=Coalesce(Subquery(present, output_field=IntegerField()), Value(0)),
                session_days=Coalesce(Subquery(days, output_field=IntegerField()), Value(0)),
                certificate_number=Subquery(certificate),
            )
            .order_by(*order, "pk")
            .values_list(*fields)
        )

    def rows(self) -> Iterator[tuple]:
        """Yield one tuple per participation, the columns' values; percents as fractions."""
        for row in self.queryset().iterator(chunk_size=2000):
            *head, present, days, pre, post, max_score, certificate = row
            maximum = float(max_score) if max_score else None
            yield (
                *head,
                present,
                present / days if days else None,
                float(pre) / maximum if pre is not None and maximum else None,
                float(post) / maximum if post is not None and maximum else None,
                certificate,
            )

    def tables(self) -> list[Table]:
        return [Table("main", self.columns(), self.rows(), uniform=True)]


EXPORTS: tuple[type[Export], ...] = (
    SummaryExport,
    ByGenderExport,
    ByAgencyTypeExport,
    ByRegionExport,
    ByCourseExport,
    AssessmentsExport,
    DataExport,
)


# --- rendering ---------------------------------------------------------------------------------


def _clean(text: str) -> str:
    return ILLEGAL_CHARACTERS_RE.sub("", text) if ILLEGAL_CHARACTERS_RE.search(text) else text


# openpyxl writes a plain str as a formula if it starts with "=", as an error if it is one of
# these; anything else as text. Those two need a cell typed as text.
_NOT_TEXT = frozenset(ERROR_CODES)
# Plain values that openpyxl writes as they are, in the format they need: a date gets
# yyyy-mm-dd, an integer shows the same under General as under "0" or "#,##0" (the counts of
# a row are small).
_PLAIN_KINDS = ("text", "date", "id", "count")


class _FormattedCell(Cell):
    """A column's formatted cell, reused for every row, its style looked up once.

    openpyxl looks a cell's style up in the workbook's list of styles each time it writes it;
    a column's format never changes, so :meth:`fix` looks it up once.
    """

    __slots__ = ("_fixed_id",)

    def fix(self) -> "_FormattedCell":
        self._fixed_id = Cell.style_id.fget(self)  # type: ignore[attr-defined]
        return self

    @property
    def style_id(self) -> int:  # type: ignore[override]
        return self._fixed_id

    @property
    def has_style(self) -> bool:  # type: ignore[override]
        return True


def _values_to_row(sheet: Any, values: Sequence[Any], row_idx: int) -> Iterator[Any]:
    """openpyxl's WriteOnlyWorksheet._values_to_row, taking a cell for a cell at once.

    openpyxl first tries a value as a plain value, and takes it as a cell when that raises
    ValueError (its message formatting the cell's repr): three times a row on Data, more than
    the writing of the cell. Same output otherwise: None is skipped, a plain value goes
    through one reused cell, replaced when openpyxl gave it a style (a date's format).
    """
    cell = WriteOnlyCell(sheet)
    for col_idx, value in enumerate(values, 1):
        if value is None:
            continue
        if isinstance(value, Cell):
            value.column, value.row = col_idx, row_idx
            yield value
            continue
        cell.value = value
        cell.column, cell.row = col_idx, row_idx
        yield cell
        if cell.has_style:
            cell = WriteOnlyCell(sheet)


class WorkbookRenderer:
    """Write exports to a write-only workbook, one sheet each, and save it."""

    def __init__(self, filters: Filters, pseudonymize: bool = False) -> None:
        self.filters = filters
        self.pseudonymize = pseudonymize
        self.workbook = Workbook(write_only=True)
        self.workbook.properties.creator = "Bilim"
        self.workbook.properties.title = "Training statistics"
        self.rows_written: dict[str, int] = {}
        self._formats: dict[str, Any] = {}
        self.stats = Figures()  # shared by the exports: each figure is queried once

    def cell(self, sheet: Any, value: Any, kind: Kind = "text", font: Font | None = None) -> Any:
        """Return what to append for one value: the value itself, or a styled/text cell."""
        if isinstance(value, Typed):
            value, kind = value.value, value.kind
        if value is None:
            return None
        if isinstance(value, str):
            value = _clean(value)
            if font is None and not value.startswith(FORMULA_PREFIXES) and value not in _NOT_TEXT:
                return value
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"  # text, even when it looks like a formula
        else:
            cell = WriteOnlyCell(sheet, value=value)
            if kind in FORMATS:
                cell.number_format = FORMATS[kind]
        if font is not None:
            cell.font = font
        return cell

    def row(self, sheet: Any, values: Sequence[Any], kinds: list[Kind], formatted: list) -> list:
        """Return a table row's cells; number cells reuse one formatted cell per column.

        Setting a number format costs more than writing the cell, and openpyxl writes each
        cell of a write-only row before taking the next and never keeps one, so a column's
        formatted cell can carry each row's value in turn.
        """
        cells = []
        for n, (value, kind) in enumerate(zip(values, kinds, strict=True)):
            if value is None or isinstance(value, (str, Typed)) or kind not in FORMATS:
                cells.append(self.cell(sheet, value, kind))
                continue
            cell = formatted[n]
            if cell is None:
                cell = formatted[n] = WriteOnlyCell(sheet)
                cell.number_format = FORMATS[kind]
            cell.value = value
            cells.append(cell)
        return cells

    def uniform_rows(self, sheet: Any, table: Table) -> Iterator[list]:
        """Yield a uniform table's rows to append: plain values, but for what needs a cell.

        A text that openpyxl would take for a formula or an error, or that holds characters XML
        cannot, becomes a text cell (:meth:`cell`); a number whose kind has a format that
        shows differently from General (percent, mean, ratio) goes in its column's formatted
        cell, reused from row to row (openpyxl writes each cell of a write-only row before it
        takes the next, and keeps none).
        """
        texts = [n for n, c in enumerate(table.columns) if c.kind == "text"]
        formatted = [
            (n, _FormattedCell(sheet, row=1, column=1, style_array=None))
            for n, c in enumerate(table.columns)
            if c.kind not in _PLAIN_KINDS
        ]
        for n, cell in formatted:
            cell.number_format = FORMATS[table.columns[n].kind]
            cell.fix()
        search = ILLEGAL_CHARACTERS_RE.search
        for values in table.rows:
            row = list(values)
            for n in texts:
                text = row[n]
                if text and (text[0] == "=" or text in _NOT_TEXT or search(text)):
                    row[n] = self.cell(sheet, text)
            for n, cell in formatted:
                if row[n] is not None:
                    cell.value = row[n]
                    row[n] = cell
            yield row

    def header(self, sheet: Any, column: Column) -> Any:
        """Return a header cell: bold, and right-aligned over numbers, as the numbers are."""
        cell = self.cell(sheet, column.header, font=BOLD)
        if column.kind != "text":
            cell.alignment = RIGHT
        return cell

    def _line(self, sheet: Any, text: str, font: Font | None = None) -> None:
        sheet.append([self.cell(sheet, text, font=font or MUTED)])

    def render(self, export: Export) -> None:
        """Add the export's sheet: title, filters line, its tables, then its charts."""
        sheet = self.workbook.create_sheet(export.sheet)
        export.stats = self.stats
        tables = export.tables()
        widths: dict[int, float] = {}
        for table in tables:
            for n, column in enumerate(table.columns, 1):
                widths[n] = max(widths.get(n, 0), column.width)
        for n, width in widths.items():
            sheet.column_dimensions[get_column_letter(n)].width = width
        first = tables[0]
        header_row = FIRST_TABLE_ROW + (1 if first.caption else 0)
        sheet.freeze_panes = f"A{header_row + 1}"
        if not isinstance(export, DataExport):
            # Printed (or converted to PDF), a statistics sheet and its charts fit a page's width.
            sheet.page_setup.orientation = "landscape"
            sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
            sheet.page_setup.fitToWidth = 1
            sheet.page_setup.fitToHeight = 0
        sheet.print_title_rows = f"{header_row}:{header_row}"

        self._line(sheet, export.title, TITLE_FONT)
        self._line(sheet, filters_line(self.filters, self.pseudonymize))
        sheet.append([])
        row_number = FIRST_TABLE_ROW - 1
        placed: dict[str, Placed] = {}
        for index, table in enumerate(tables):
            if index:
                sheet.append([])
                row_number += 1
            if table.caption:
                sheet.append([self.cell(sheet, table.caption, font=BOLD)])
                row_number += 1
            sheet.append([self.header(sheet, c) for c in table.columns])
            row_number += 1
            header = row_number
            kinds = [c.kind for c in table.columns]
            count = 0
            if table.uniform:
                # Cells go straight to the writer (see _values_to_row); kept for this table only.
                sheet._values_to_row = MethodType(_values_to_row, sheet)
                for row in self.uniform_rows(sheet, table):
                    sheet.append(row)
                    count += 1
                del sheet._values_to_row
            else:
                formatted: list[Any] = [None] * len(kinds)
                for values in table.rows:
                    sheet.append(self.row(sheet, values, kinds, formatted))
                    count += 1
            row_number += count
            totals_row = None
            if table.totals is not None:
                sheet.append(
                    [
                        self.cell(sheet, v, k, font=BOLD)
                        for v, k in zip(table.totals, kinds, strict=True)
                    ]
                )
                row_number += 1
                totals_row = row_number
            placed[table.name] = Placed(
                header, header + 1, header + count, totals_row, len(table.columns)
            )
            if index == 0:
                last = header + count  # the filter covers the rows, not the totals
                sheet.auto_filter.ref = (
                    f"A{header}:{get_column_letter(len(table.columns))}{max(last, header)}"
                )
                self.rows_written[export.sheet] = count
            if table.note:
                # A blank row first, so that the note is not part of the table's current region.
                # Wrapped to the table's width: a long line would widen the printed page.
                sheet.append([])
                width = max(40, int(sum(c.width for c in table.columns)))
                lines = textwrap.wrap(table.note, width)
                for line in lines:
                    sheet.append([self.cell(sheet, line, font=MUTED)])
                row_number += 1 + len(lines)
        for chart, anchor in export.charts(sheet, placed):
            sheet.add_chart(chart, anchor)

    def save(self, target: str | Path | IO[bytes]) -> None:
        self.workbook.save(target)


def write_workbook(
    target: str | Path | IO[bytes], filters: Filters, pseudonymize: bool = False
) -> int:
    """Write the M&E workbook to ``target``; return the participations written to ``Data``."""
    with translation.override("en"):
        renderer = WorkbookRenderer(filters, pseudonymize)
        for export in EXPORTS:
            renderer.render(export(filters, pseudonymize))
        renderer.save(target)
    return renderer.rows_written[DataExport.sheet]


# --- CSV ---------------------------------------------------------------------------------------


def csv_text(value: Any, kind: Kind) -> Any:
    """Return a value as the CSV holds it: formula-like text quoted, percents in 0..100."""
    if value is None:
        return ""
    if isinstance(value, str):
        return "'" + value if value.startswith(FORMULA_PREFIXES) else value
    if kind == "percent":
        return f"{value * 100:.2f}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def csv_rows(export: Export) -> Iterator[list[Any]]:
    """Yield the export's first table as CSV rows, header first."""
    table = export.tables()[0]
    kinds = [c.kind for c in table.columns]
    yield [c.header for c in table.columns]
    for values in table.rows:
        yield [csv_text(v, k) for v, k in zip(values, kinds, strict=True)]


class _Echo:
    """A file-like object whose write returns the line: csv.writer into a generator."""

    def write(self, value: str) -> str:
        return value


def csv_lines(filters: Filters, pseudonymize: bool = False) -> Iterator[str]:
    """Yield the Data sheet as CSV text, line by line, a BOM first so Excel reads it as UTF-8."""
    writer = csv.writer(_Echo())
    yield "\ufeff"
    for row in csv_rows(DataExport(filters, pseudonymize)):
        yield writer.writerow(row)


def write_csv(target: IO[str], filters: Filters, pseudonymize: bool = False) -> int:
    """Write the Data sheet as CSV to a text file opened with newline=''; return its rows."""
    lines = 0
    for line in csv_lines(filters, pseudonymize):
        target.write(line)
        lines += 1
    return lines - 2  # the BOM and the header


__all__ = [
    "EXPORTS",
    "SHEETS",
    "Column",
    "DataExport",
    "Export",
    "Table",
    "WorkbookRenderer",
    "csv_lines",
    "describe",
    "filters_line",
    "write_csv",
    "write_workbook",
]
