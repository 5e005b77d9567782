"""A programme's indicator targets against what it achieved, counted by reports.stats.

Each target counts over the programme's scope (the filters, with the programme's sessions)
restricted to the target's period: its own dates, or the programme's where the target leaves one
open; a period open on both sides counts everything. The filters' own dates narrow it further
(both ends included, by the session's start date, as every statistic). A period that the filters'
dates do not overlap achieves nothing: 0 for a count, ``None`` for a share.

How each indicator is achieved:

- participants: distinct persons (:func:`reports.stats.headline`);
- women_share: female participants over participants, distinct persons (:func:`by_gender`);
- improved_share: the statistics' ``improved_share``, over the pre/post pairs, i.e. over
  participations with both scores, so a person tested in two sessions counts twice
  (:func:`reports.stats.assessment`);
- certificates: certificates not revoked (:func:`reports.stats.certificates`).

Targets are grouped by their effective period and each figure is computed once per period, so
the number of queries grows with the number of distinct periods, never with the data.
"""

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any

from django.utils.translation import gettext_lazy as _

from reports import stats
from reports.models import Programme, Target

FEMALE = "female"  # the Gender code whose share women_share measures

Indicator = Target.Indicator

# The labels people read; the improved share says what it is counted over.
LABELS: dict[str, Any] = {
    Indicator.PARTICIPANTS: Indicator.PARTICIPANTS.label,
    Indicator.WOMEN_SHARE: Indicator.WOMEN_SHARE.label,
    Indicator.IMPROVED_SHARE: _("Share of pre/post test pairs whose post score improved"),
    Indicator.CERTIFICATES: Indicator.CERTIFICATES.label,
}

NOTES: dict[str, Any] = {
    Indicator.PARTICIPANTS: _("Distinct persons: someone in two sessions counts once."),
    Indicator.WOMEN_SHARE: _("Female participants over all participants, distinct persons."),
    Indicator.IMPROVED_SHARE: _(
        "Over participations with both a pre- and a post-test score: a person tested in two "
        "sessions counts twice."
    ),
    Indicator.CERTIFICATES: _("Certificates issued and not revoked."),
}

_ORDER = {indicator: n for n, indicator in enumerate(Indicator.values)}


@dataclass(frozen=True)
class Achievement:
    """One target and what was achieved over its period.

    ``target`` and ``achieved`` are counts, or fractions (0..1) when ``is_share``; ``achieved``
    is ``None`` for a share with nothing to divide by; ``ratio`` is achieved / target, ``None``
    when the target is 0 or nothing was achieved to compare. ``period_start``/``period_end`` are
    the target's period (its own dates, or the programme's), before the filters narrow it.
    ``note`` says what the figure is counted over.
    """

    indicator: str
    label: str
    period_start: dt.date | None
    period_end: dt.date | None
    target: float
    achieved: float | None
    ratio: float | None
    is_share: bool
    note: str = ""


def _period(target: Target, programme: Programme) -> tuple[dt.date | None, dt.date | None]:
    """The target's dates, each open end taken from the programme's."""
    return (
        target.period_start if target.period_start is not None else programme.start_date,
        target.period_end if target.period_end is not None else programme.end_date,
    )


def _narrowed(
    filters: stats.Filters, start: dt.date | None, end: dt.date | None
) -> stats.Filters | None:
    """The filters restricted to a period, or ``None`` when the two do not overlap."""
    starts = [d for d in (filters.date_from, start) if d is not None]
    ends = [d for d in (filters.date_to, end) if d is not None]
    date_from = max(starts) if starts else None
    date_to = min(ends) if ends else None
    if date_from is not None and date_to is not None and date_from > date_to:
        return None
    return replace(filters, date_from=date_from, date_to=date_to)


class _Figures:
    """The figures of one period, each computed on first use."""

    def __init__(self, filters: stats.Filters | None) -> None:
        self.filters = filters
        self._cache: dict[str, float | None] = {}

    def get(self, indicator: str) -> float | None:
        if indicator not in self._cache:
            self._cache[indicator] = self._compute(indicator)
        return self._cache[indicator]

    def _participants(self) -> int:
        if "_participants" not in self._cache:
            assert self.filters is not None
            self._cache["_participants"] = stats.headline(self.filters).participants
        return int(self._cache["_participants"] or 0)

    def _compute(self, indicator: str) -> float | None:
        share = indicator in Target.SHARES
        if self.filters is None:
            return None if share else 0.0
        if indicator == Indicator.PARTICIPANTS:
            return float(self._participants())
        if indicator == Indicator.WOMEN_SHARE:
            participants = self._participants()
            if not participants:
                return None
            women = sum(
                row.participants for row in stats.by_gender(self.filters) if row.key == FEMALE
            )
            return women / participants
        if indicator == Indicator.IMPROVED_SHARE:
            return stats.assessment(self.filters).improved_share
        if indicator == Indicator.CERTIFICATES:
            return float(stats.certificates(self.filters))
        raise ValueError(f"unknown indicator {indicator!r}")


def achievements(filters: stats.Filters) -> list[Achievement]:
    """Return the filters' programme's targets and their achievement; none without a programme.

    Ordered by indicator (participants, women, improved, certificates), then by period start.
    """
    programme = filters.programme
    if programme is None:
        return []
    targets = sorted(
        Target.objects.filter(programme=programme),
        key=lambda t: (
            _ORDER.get(t.indicator, len(_ORDER)),
            _period(t, programme)[0] or dt.date.min,
            _period(t, programme)[1] or dt.date.max,
        ),
    )
    periods: dict[tuple[dt.date | None, dt.date | None], _Figures] = {}
    result = []
    for target in targets:
        period = _period(target, programme)
        if period not in periods:
            periods[period] = _Figures(_narrowed(filters, *period))
        achieved = periods[period].get(target.indicator)
        value = float(target.value)
        result.append(
            Achievement(
                indicator=target.indicator,
                label=str(LABELS.get(target.indicator, target.get_indicator_display())),
                period_start=period[0],
                period_end=period[1],
                target=value,
                achieved=achieved,
                ratio=None if achieved is None or value == 0 else achieved / value,
                is_share=target.indicator in Target.SHARES,
                note=str(NOTES.get(target.indicator, "")),
            )
        )
    return result
