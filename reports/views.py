"""The statistics page: filters, headline figures, breakdowns, charts."""

from dataclasses import dataclass

from django.conf import settings
from django.urls import path
from django.utils.formats import number_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from reports import cache, charts, stats, targets
from reports.forms import StatisticsFilterForm
from trainings.permissions import READERS, RoleRequiredMixin

FEMALE = "female"  # the Gender code whose share the headline shows


@dataclass
class Line:
    """A row of a breakdown table as the page shows it."""

    key: str
    label: str
    participants: int
    participations: int
    percent: float | None = None


@dataclass
class Breakdown:
    """One breakdown table: its rows, its totals and whether participants add up."""

    slug: str
    title: str
    heading: str
    lines: list[Line]
    participants: int
    participations: int
    adds_up: bool
    note: str = ""
    chart: str = ""


def _percent(part: float | None, whole: float | None) -> float | None:
    return None if part is None or not whole else 100 * part / whole


def _breakdown(
    slug: str,
    title: str,
    heading: str,
    rows: list[stats.Row],
    totals: stats.Headline,
    *,
    adds_up: bool,
) -> Breakdown:
    """Reshape the rows of one breakdown, with each value's share of the participants."""
    lines = [
        Line(
            row.key,
            row.label,
            row.participants,
            row.participations,
            _percent(row.participants, totals.participants) if adds_up else None,
        )
        for row in rows
    ]
    note = (
        ""
        if adds_up
        else _(
            "A person counts once per value, so participants may not add up to the total: "
            "someone in two of them is a participant of each, and one participant overall."
        )
    )
    return Breakdown(
        slug, title, heading, lines, totals.participants, totals.participations, adds_up, note
    )


@dataclass
class Cross:
    """The gender × agency type table of one count: agency types down, every gender across."""

    columns: list[str]
    rows: list[tuple[str, list[int], int]]
    totals: list[int]
    total: int


def _cross(rows: list[stats.CrossRow], genders: list[stats.Row], count: str) -> Cross:
    """Lay the combinations out as the agency types that occur by every gender."""
    types = list(dict.fromkeys(row.agency_type_label for row in rows))
    cells = {(row.agency_type_label, row.gender): getattr(row, count) for row in rows}
    table = []
    for type_ in types:
        values = [cells.get((type_, gender.key), 0) for gender in genders]
        table.append((type_, values, sum(values)))
    return Cross(
        [gender.label for gender in genders],
        table,
        [getattr(gender, count) for gender in genders],
        sum(getattr(gender, count) for gender in genders),
    )


def _results(
    assessed: list[stats.AssessmentFigures],
    attended: list[stats.AttendanceFigures],
    labels: dict[str, str],
) -> list[dict]:
    """Join the pre/post figures and the attendance of each course or session by key."""
    by_key = {row.key: row for row in assessed}
    return [
        {
            "key": row.key,
            "label": labels.get(row.key, row.label),
            "attendance": row,
            "attendance_percent": _percent(row.rate, 1),
            "assessment": by_key.get(row.key),
            "improved_percent": _percent(
                by_key[row.key].improved_share if row.key in by_key else None, 1
            ),
        }
        for row in attended
    ]


def _cache_key(filters: stats.Filters) -> tuple:
    """What the page's figures depend on: the filters (by id) and the language of the labels."""
    return (
        "statistics-page",
        get_language(),
        filters.course,
        filters.date_from,
        filters.date_to,
        *(
            getattr(getattr(filters, name), "pk", None)
            for name in ("region", "agency_type", "gender", "programme")
        ),
    )


# How many sessions the per-session tables show: the most recent ones (the downloads have all).
SESSIONS_SHOWN = 50


class StatisticsView(RoleRequiredMixin, TemplateView):
    """Show every figure of the statistics under the filters of the query string."""

    roles = READERS
    template_name = "reports/statistics.html"

    def get_context_data(self, **kwargs):
        form = StatisticsFilterForm(self.request.GET or None)
        # An invalid value is shown on its field; the page counts with the valid filters only.
        if form.is_bound:
            form.is_valid()
        else:
            form.cleaned_data = {}
        filters = form.filters()
        key = _cache_key(filters)
        version = cache.fragment_key(key)  # None when the cache is off
        return super().get_context_data(
            form=form,
            described=form.described(),
            query=self._query(form),
            **cache.remember(key, lambda: self._figures(filters), version=version),
            # The rendered figures are kept too, under the same data version.
            figures_version=version,
            figures_seconds=settings.BILIM_STATS_CACHE_SECONDS,
            **kwargs,
        )

    def _query(self, form: StatisticsFilterForm) -> list[tuple[str, str]]:
        """The valid filters as (name, value) for the downloads' hidden inputs."""
        kept = []
        for name in form.fields:
            if name in form.cleaned_data and self.request.GET.get(name) not in (None, ""):
                kept.append((name, self.request.GET[name]))
        return kept

    def _figures(self, filters: stats.Filters) -> dict:
        # Each figure queried once; the participant breakdowns share one grouped query.
        figures = stats.Figures()
        totals = figures.headline(filters)
        genders = figures.by_gender(filters)
        women = next((row.participants for row in genders if row.key == FEMALE), 0)
        attendance = figures.attendance(filters)
        assessment = figures.assessment(filters)
        courses = figures.by_course(filters)
        sessions = figures.by_session(filters)
        quarters = figures.by_period(filters, "quarter")
        regions = [
            stats.Row(row.key, _("Region not recorded"), row.participants, row.participations)
            if row.key == stats.UNKNOWN
            else row
            for row in figures.by_region(filters)
        ]
        agency_types = figures.by_agency_type(filters)
        cross = figures.by_gender_and_agency_type(filters)

        breakdowns = [
            _breakdown("gender", _("By gender"), _("Gender"), genders, totals, adds_up=True),
            _breakdown(
                "agency-type",
                _("By agency type"),
                _("Agency type"),
                agency_types,
                totals,
                adds_up=True,
            ),
            _breakdown(
                "region",
                _("By participant's region"),
                _("Region"),
                regions,
                totals,
                adds_up=True,
            ),
            _breakdown("course", _("By course"), _("Course"), courses, totals, adds_up=False),
            _breakdown("session", _("By session"), _("Session"), sessions, totals, adds_up=False),
            _breakdown("quarter", _("By quarter"), _("Quarter"), quarters, totals, adds_up=False),
        ]
        for breakdown in breakdowns[1:3]:
            # Each person has one agency type and one region, so their participants add up.
            breakdown.note = _(
                "Each person has one value here, so the participants add up to the total."
            )
        by_slug = {b.slug: b for b in breakdowns}
        shown_sessions = self._cap_sessions(by_slug["session"], len(sessions))
        per_course = _results(
            figures.assessment(filters, group_by="course"),
            figures.attendance(filters, group_by="course"),
            {row.key: row.label for row in courses},
        )
        per_session = _results(
            figures.assessment(filters, group_by="session"),
            figures.attendance(filters, group_by="session"),
            {row.key: row.label for row in sessions},
        )
        prepost_chart = self._charts(by_slug, per_course)
        achievements = [
            {
                "row": row,
                # <progress> cannot show more than full: above the target the text says how much.
                "meter": None if row.ratio is None else min(max(row.ratio, 0.0), 1.0),
                "percent": _percent(row.ratio, 1),
                "target_percent": _percent(row.target, 1),
                "achieved_percent": _percent(row.achieved, 1),
            }
            for row in targets.achievements(filters)
        ]
        return {
            "totals": totals,
            "women": women,
            "women_percent": _percent(women, totals.participants),
            "attendance": attendance,
            "attendance_percent": _percent(attendance.rate, 1),
            "assessment": assessment,
            "improved_percent": _percent(assessment.improved_share, 1),
            "certificates": figures.certificates(filters),
            "breakdowns": breakdowns,
            "cross_tables": [
                {
                    "slug": "participants",
                    "title": _("Participants (different people)"),
                    "data": _cross(cross, genders, "participants"),
                },
                {
                    "slug": "participations",
                    "title": _("Participations (enrolments)"),
                    "data": _cross(cross, genders, "participations"),
                },
            ],
            "prepost_chart": prepost_chart,
            "per_course": per_course,
            "per_session": [row for row in per_session if row["key"] in shown_sessions],
            "achievements": achievements,
            "programme": filters.programme,
        }

    def _cap_sessions(self, breakdown: Breakdown, count: int) -> set[str]:
        """Keep the most recent sessions on the page; return the keys of those shown.

        Thousands of sessions would make a page of megabytes that nobody reads; the workbook
        and the CSV keep every session, and the totals row still counts them all.
        """
        if count > SESSIONS_SHOWN:
            breakdown.lines = breakdown.lines[-SESSIONS_SHOWN:]
            breakdown.note = _(
                "The %(shown)s most recent of %(count)s sessions are shown; the workbook and the "
                "CSV list every one. The total counts them all."
            ) % {"shown": SESSIONS_SHOWN, "count": count}
        return {line.key for line in breakdown.lines}

    def _charts(self, by_slug: dict[str, Breakdown], per_course: list[dict]) -> str:
        """Draw each breakdown's chart into it; return the chart of pre/post per course."""
        gender = by_slug["gender"]
        gender.chart = charts.horizontal_bars(
            [
                charts.Bar(
                    f"{line.label} ({number_format(round(line.percent or 0, 1), 1)} %)",
                    line.participants,
                )
                for line in gender.lines
            ],
            title=_("Participants by gender"),
            summary=", ".join(f"{line.label} {line.participants}" for line in gender.lines)
            or _("no participants"),
        )
        for slug, title in (
            ("agency-type", _("Participants by agency type")),
            ("region", _("Participants by region")),
        ):
            breakdown = by_slug[slug]
            breakdown.chart = charts.horizontal_bars(
                [charts.Bar(line.label, line.participants) for line in breakdown.lines],
                title=title,
                summary=", ".join(f"{line.label} {line.participants}" for line in breakdown.lines)
                or _("no participants"),
            )
        quarter = by_slug["quarter"]
        quarter.chart = charts.columns(
            [charts.Bar(line.label, line.participants) for line in quarter.lines],
            title=_("Participants per quarter"),
            summary=", ".join(f"{line.label} {line.participants}" for line in quarter.lines)
            or _("no participants"),
        )
        assessed = [row for row in per_course if row["assessment"] is not None]
        return (
            charts.paired_bars(
                [
                    charts.Pair(
                        row["label"], row["assessment"].pre_mean, row["assessment"].post_mean
                    )
                    for row in assessed
                ],
                title=_("Pre-test and post-test mean score per course"),
                summary=", ".join(
                    f"{row['label']} {number_format(round(row['assessment'].pre_mean, 1), 1)} % → "
                    f"{number_format(round(row['assessment'].post_mean, 1), 1)} %"
                    for row in assessed
                ),
                pre_label=_("Pre-test mean"),
                post_label=_("Post-test mean"),
            )
            if assessed
            else ""
        )


statistics = StatisticsView.as_view()

urlpatterns = [
    path("reports/", statistics, name="statistics"),
]
