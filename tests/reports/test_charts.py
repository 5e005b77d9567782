"""The statistics page's SVG charts: valid XML, one bar per value, labels escaped, accessible."""

import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse

from reports import charts

SVG = "{http://www.w3.org/2000/svg}"
EVIL = '<script>alert("x")</script> & Co'


def parse(markup: str) -> ET.Element:
    root = ET.fromstring(markup)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("width") == "100%"
    assert root.get("viewBox", "").startswith("0 0 ")
    assert root.get("aria-label")
    assert root.find(f"{SVG}title") is not None
    assert "style" not in markup  # a strict CSP refuses inline styles
    return root


def bars_of(root: ET.Element, colour: str) -> list[ET.Element]:
    return [rect for rect in root.iter(f"{SVG}rect") if rect.get("fill") == colour]


def texts(root: ET.Element) -> list[str]:
    return ["".join(text.itertext()) for text in root.iter(f"{SVG}text")]


def test_horizontal_bars_draw_one_bar_per_value_with_its_label_and_number():
    markup = charts.horizontal_bars(
        [charts.Bar("Police", 12), charts.Bar("Court", 3), charts.Bar("Ministry", 0)],
        title="Participants by agency type",
        summary="Police 12, Court 3, Ministry 0",
    )
    root = parse(markup)
    bars = bars_of(root, charts.BRAND)
    assert len(bars) == 3
    widths = [float(bar.get("width")) for bar in bars]
    assert widths[0] > widths[1] > widths[2] == 0
    assert texts(root) == ["Police", "12", "Court", "3", "Ministry", "0"]
    assert root.get("aria-label") == "Participants by agency type: Police 12, Court 3, Ministry 0"


def test_labels_are_escaped_and_long_ones_cut_with_the_full_text_in_a_title():
    long = "International organisation of a very long and descriptive kind, as some are"
    root = parse(
        charts.horizontal_bars(
            [charts.Bar(EVIL, 2), charts.Bar(long, 1)], title=f"By {EVIL}", summary=EVIL
        )
    )
    assert texts(root)[0] == EVIL  # escaped in the markup, so the parsed text is the name itself
    assert "<script>" not in charts.horizontal_bars([charts.Bar(EVIL, 1)], title="t", summary="s")
    shown = texts(root)[2]
    assert shown.endswith("…") and len(shown) <= charts.LABEL_CHARS
    titles = ["".join(t.itertext()) for t in root.iter(f"{SVG}title")]
    assert any(title.startswith(long) for title in titles)


def test_paired_bars_show_pre_and_post_for_each_course_on_a_percent_scale():
    root = parse(
        charts.paired_bars(
            [
                charts.Pair("PT", 40.0, 70.0),
                charts.Pair("UPR", 50.0, None),
                charts.Pair(EVIL, 1, 2),
            ],
            title="Pre and post",
            summary="PT 40 → 70",
            pre_label="Pre-test mean",
            post_label="Post-test mean",
        )
    )
    pre, post = bars_of(root, charts.PRE), bars_of(root, charts.BRAND)
    assert len(pre) == 4 and len(post) == 4  # the key's two squares, then one per course
    track = float(pre[1].get("width")) / 0.4
    assert float(post[1].get("width")) == pytest.approx(track * 0.7, abs=0.1)
    assert float(post[2].get("width")) == 0  # no post mean: no bar, a dash
    shown = texts(root)
    assert "40.0 %" in shown and "70.0 %" in shown and "–" in shown and EVIL in shown


def test_columns_draw_one_column_per_quarter():
    root = parse(
        charts.columns(
            [charts.Bar("2025-Q4", 1), charts.Bar("2026-Q1", 3), charts.Bar("2026-Q2", 0)],
            title="Participants per quarter",
            summary="2025-Q4 1, 2026-Q1 3, 2026-Q2 0",
        )
    )
    columns = bars_of(root, charts.BRAND)
    assert len(columns) == 3
    assert [float(c.get("height")) for c in columns][1] > float(columns[0].get("height")) > 0
    assert texts(root) == ["1", "2025-Q4", "3", "2026-Q1", "0", "2026-Q2"]


def test_empty_charts_are_still_valid():
    parse(charts.horizontal_bars([], title="t", summary="none"))
    parse(charts.columns([], title="t", summary="none"))
    parse(charts.paired_bars([], title="t", summary="none", pre_label="a", post_label="b"))


@pytest.mark.django_db
def test_the_page_draws_its_charts_with_the_data(client, django_user_model):
    import datetime as dt
    from decimal import Decimal

    from django.contrib.auth.models import Group

    from participants.models import Region
    from tests.factories import EnrolmentFactory, ParticipantFactory, SessionFactory, gender

    evil = Region.objects.create(name=EVIL)
    session = SessionFactory(start_date=dt.date(2026, 2, 2))
    later = SessionFactory(course=session.course, start_date=dt.date(2026, 8, 3))
    for n, region in enumerate([evil, None, evil]):
        EnrolmentFactory(
            session=session if n < 2 else later,
            participant=ParticipantFactory(region=region, gender=gender(("female", "male")[n % 2])),
            pre_score=Decimal(40),
            post_score=Decimal(60),
        )
    user = django_user_model.objects.create_user("mne", password="x")
    user.groups.add(Group.objects.get(name="M&E officer"))
    client.force_login(user)
    html = client.get(reverse("reports:statistics")).content.decode()
    assert "<script>alert" not in html
    svgs = [html[i : html.index("</svg>", i) + 6] for i in _starts(html, "<svg")]
    assert len(svgs) == 5  # gender, agency type, region, quarter, pre/post per course
    roots = [parse(svg) for svg in svgs]
    gender_, agency, region_, quarter, prepost = roots
    assert len(bars_of(gender_, charts.BRAND)) == 4  # every gender, zeros included
    assert len(bars_of(region_, charts.BRAND)) == 2  # the escaped region and "not recorded"
    assert EVIL in texts(region_) and "Region not recorded" in texts(region_)
    assert len(bars_of(quarter, charts.BRAND)) == 2
    assert len(bars_of(agency, charts.BRAND)) == 1
    assert len(bars_of(prepost, charts.PRE)) == 1 + 1


def _starts(text: str, needle: str) -> list[int]:
    found, at = [], text.find(needle)
    while at != -1:
        found.append(at)
        at = text.find(needle, at + 1)
    return found
