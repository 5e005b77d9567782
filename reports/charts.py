"""Charts of the statistics page as inline SVG, drawn on the server (no script, no internet).

Each function returns SVG markup (a safe string) with ``role="img"``, a ``<title>`` and an
``aria-label`` that say what it shows, a label and a number beside every bar, and a ``viewBox``
with ``width="100%"`` so that it shrinks with the screen. Every label is escaped; a long label is
cut with an ellipsis and its full text kept in the bar's own ``<title>``. Colours are the house
colours of ``static/css/bilim.css``, given as presentation attributes (no ``style=``, for CSP).
The same numbers are in the page's tables: a chart is a complement, never the only record.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.formats import number_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

BRAND = "#1f4f8f"
BRAND_DARK = "#163a6a"
PRE = "#8a94a3"  # the fields' edge colour: 3:1 against white, lighter than the post bars
INK = "#1b2330"
MUTED = "#535d6b"
LINE = "#d5dbe3"
TRACK = "#eef1f5"

WIDTH = 400  # viewBox units; shown at up to the CSS max width, so text stays about 14 px
FONT = 'font-family="inherit" font-size="15"'
LABEL_CHARS = 48  # a label longer than this is cut (the full text is in the bar's title)


@dataclass(frozen=True)
class Bar:
    """One bar: its label and its value (a count, or a percentage when ``percent`` is set)."""

    label: str
    value: float


@dataclass(frozen=True)
class Pair:
    """Two bars under one label: before (pre) and after (post), in percent."""

    label: str
    pre: float | None
    post: float | None


def _cut(label: str, limit: int = LABEL_CHARS) -> str:
    label = " ".join(str(label).split())
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


def _number(value: float, percent: bool) -> str:
    if percent:
        # number_format cuts a float's digits; round first so the chart agrees with the tables.
        return f"{number_format(round(value, 1), 1)} %"
    return number_format(int(value), 0, force_grouping=True)


def _svg(height: float, title: str, summary: str, body: list[str]) -> SafeString:
    title_, summary_ = escape(title), escape(summary)
    return mark_safe(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart__svg" role="img" width="100%" '
        f'viewBox="0 0 {WIDTH} {height:g}" preserveAspectRatio="xMinYMin meet" '
        f'aria-label="{title_}: {summary_}"><title>{title_}: {summary_}</title>'
        + "".join(body)
        + "</svg>"
    )


def horizontal_bars(
    bars: Sequence[Bar], *, title: str, summary: str, percent: bool = False
) -> SafeString:
    """Draw one horizontal bar per value, its label above it and its number at its end."""
    top = max((bar.value for bar in bars), default=0) or 1
    room = WIDTH - 70  # space kept at the right of the longest bar for its number
    body, y = [], 4.0
    for bar in bars:
        full, width = escape(bar.label), room * bar.value / top
        number = _number(bar.value, percent)
        body.append(
            f'<g class="chart__bar"><title>{full}: {escape(number)}</title>'
            f'<text x="0" y="{y + 14:g}" fill="{INK}" {FONT}>{escape(_cut(bar.label))}</text>'
            f'<rect x="0" y="{y + 20:g}" width="{room:g}" height="16" fill="{TRACK}"/>'
            f'<rect x="0" y="{y + 20:g}" width="{width:.1f}" height="16" fill="{BRAND}"/>'
            f'<text x="{width + 6:.1f}" y="{y + 33:g}" fill="{INK}" {FONT} '
            f'font-weight="bold">{escape(number)}</text></g>'
        )
        y += 46
    return _svg(max(y, 10), title, summary, body)


def paired_bars(
    pairs: Sequence[Pair], *, title: str, summary: str, pre_label: str, post_label: str
) -> SafeString:
    """Draw a pre and a post bar (percent, on a 0 to 100 scale) under each label, with a key."""
    room = WIDTH - 70
    body = [
        f'<rect x="0" y="4" width="14" height="14" fill="{PRE}"/>'
        f'<text x="20" y="16" fill="{INK}" {FONT}>{escape(pre_label)}</text>'
        f'<rect x="{WIDTH / 2:g}" y="4" width="14" height="14" fill="{BRAND}"/>'
        f'<text x="{WIDTH / 2 + 20:g}" y="16" fill="{INK}" {FONT}>{escape(post_label)}</text>'
    ]
    y = 30.0
    for pair in pairs:
        full = escape(pair.label)
        parts = [f'<g class="chart__pair"><title>{full}</title>']
        parts.append(
            f'<text x="0" y="{y + 14:g}" fill="{INK}" {FONT}>{escape(_cut(pair.label))}</text>'
        )
        for offset, value, colour, name in (
            (20, pair.pre, PRE, pre_label),
            (38, pair.post, BRAND, post_label),
        ):
            shown = "–" if value is None else _number(value, True)
            width = 0.0 if value is None else room * max(0.0, min(value, 100.0)) / 100
            parts.append(
                f'<rect x="0" y="{y + offset:g}" width="{room:g}" height="14" fill="{TRACK}"/>'
                f'<rect x="0" y="{y + offset:g}" width="{width:.1f}" height="14" fill="{colour}">'
                f"<title>{escape(name)}: {escape(shown)}</title></rect>"
                f'<text x="{width + 6:.1f}" y="{y + offset + 12:g}" fill="{INK}" {FONT}>'
                f"{escape(shown)}</text>"
            )
        parts.append("</g>")
        body.append("".join(parts))
        y += 62
    return _svg(y, title, summary, body)


def columns(bars: Sequence[Bar], *, title: str, summary: str) -> SafeString:
    """Draw vertical bars (e.g. per quarter), the number above each and its label below."""
    height, base, top_room = 220, 180, 24
    top = max((bar.value for bar in bars), default=0) or 1
    count = max(len(bars), 1)
    slot = WIDTH / count
    width = min(56.0, slot * 0.7)
    small = 'font-family="inherit" font-size="12"' if count > 6 else FONT
    body = [f'<line x1="0" y1="{base}" x2="{WIDTH}" y2="{base}" stroke="{LINE}"/>']
    for i, bar in enumerate(bars):
        centre = slot * i + slot / 2
        h = (base - top_room) * bar.value / top
        number = _number(bar.value, False)
        # Quarter labels are short; anything longer is cut to what fits under its column.
        label = _cut(bar.label, max(4, int(slot / 8)))
        body.append(
            f'<g class="chart__column"><title>{escape(bar.label)}: {escape(number)}</title>'
            f'<rect x="{centre - width / 2:.1f}" y="{base - h:.1f}" width="{width:.1f}" '
            f'height="{h:.1f}" fill="{BRAND}"/>'
            f'<text x="{centre:.1f}" y="{base - h - 6:.1f}" text-anchor="middle" fill="{INK}" '
            f'{small} font-weight="bold">{escape(number)}</text>'
            f'<text x="{centre:.1f}" y="{base + 20}" text-anchor="middle" fill="{MUTED}" '
            f"{small}>{escape(label)}</text></g>"
        )
    return _svg(height, title, summary, body)
