"""``stats --json``, the statistics page and the workbook give the same figures, to the last digit.

One data set (:func:`world`), counted three ways with no filter and with a programme and a gender:

- ``manage.py stats --json`` (the contract's JSON);
- the statistics page /reports/ as an M&E officer: the figures in its context and in its HTML;
- ``manage.py export_workbook``: the Summary, By gender, By agency type, By region, By course and
  Assessments sheets.

sessions  course  start       days  max  programme  status
S1        UPR     2025-03-10  3     100  ROL        completed
S2        TORT    2025-04-14  2     20   ROL        completed
S3        UPR     2025-06-02  3     100  -          completed
SX        TORT    2025-05-05  3     100  ROL        cancelled (nothing of it counts)

person  gender       region        agency type  participations (present days, pre, post)
A       female       Chui          Ministry     S1 (3, 40, 80) cert; S2 (2, 10, 16) cert
B       female       Osh           Police       S1 (2, 55, 70) cert; S3 (3, 65, 90) cert
C       male         Chui          Ministry     S1 (3, 60, 60); S2 (2, 12, 15) cert
D       male         -             Police       S1 (1, 30, -); S3 waitlisted
E       female       Bishkek city  Court        S1 (3, 70, 85) revoked cert; SX (3, 10, 90) cert
F       male         Osh           Court        S2 (1, 14, 12); S3 (2, 50, 55)
G       other        Chui          Ministry     S1 (3, 45, 75) cert
H       undisclosed  Naryn         Police       S2 (2, -, -)
I       female       Chui          Court        S2 (0, 8, 18); S3 (3, 35, 70) cert
J       male         Talas         Ministry     S2 withdrawn (2, 5, 20) cert; S3 (2, 20, 40)

No filter: 3 sessions, 15 participations, 10 participants, 7 valid certificates in scope.
Programme ROL and female: 2 sessions, 5 participations (A twice, B, E, I), 4 participants,
3 certificates (A@S1, A@S2, B@S1).
"""

import datetime as dt
import html
import io
import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.template.defaultfilters import floatformat
from django.utils import translation
from openpyxl import load_workbook

from participants.models import Gender
from reports import stats
from reports.models import Programme, Target
from tests.factories import (
    AgencyFactory,
    CertificateFactory,
    CourseFactory,
    EnrolmentFactory,
    ParticipantFactory,
    SessionFactory,
    UserFactory,
    agency_type,
    attend,
    gender,
    region,
)
from trainings import roles
from trainings.models import Enrolment, Session

pytestmark = pytest.mark.django_db


def person(sex: str, region_name: str | None, type_name: str):
    return ParticipantFactory(
        gender=gender(sex),
        region=region(region_name) if region_name else None,
        agency=AgencyFactory(type=agency_type(type_name)),
    )


def enrol(session, participant, present, pre=None, post=None, certificate=False, **kwargs):
    enrolment = EnrolmentFactory(
        session=session,
        participant=participant,
        pre_score=None if pre is None else Decimal(pre),
        post_score=None if post is None else Decimal(post),
        **kwargs,
    )
    attend(enrolment, present)
    if certificate:
        CertificateFactory(enrolment=enrolment)
    return enrolment


@pytest.fixture
def world() -> Programme:
    """Create the data set of the module's docstring; return the programme."""
    upr = CourseFactory(code="UPR", title="UN human rights mechanisms")
    tort = CourseFactory(code="TORT", title="Prevention of torture")
    s1 = SessionFactory(code="S1", course=upr, start_date=dt.date(2025, 3, 10))
    s2 = SessionFactory(
        code="S2",
        course=tort,
        start_date=dt.date(2025, 4, 14),
        end_date=dt.date(2025, 4, 15),
        max_score=Decimal(20),
    )
    s3 = SessionFactory(code="S3", course=upr, start_date=dt.date(2025, 6, 2))
    sx = SessionFactory(
        code="SX", course=tort, start_date=dt.date(2025, 5, 5), status=Session.Status.CANCELLED
    )
    programme = Programme.objects.create(
        code="ROL",
        name="Rule of law",
        donors="EU; Norway",
        start_date=dt.date(2025, 1, 1),
        end_date=dt.date(2025, 12, 31),
    )
    programme.sessions.set([s1, s2, sx])
    for indicator, value in [
        ("participants", "8"),
        ("women_share", "0.5"),
        ("improved_share", "0.7"),
        ("certificates", "5"),
    ]:
        Target.objects.create(programme=programme, indicator=indicator, value=Decimal(value))

    a = person("female", "Chui", "Ministry")
    b = person("female", "Osh", "Police")
    c = person("male", "Chui", "Ministry")
    d = person("male", None, "Police")
    e = person("female", "Bishkek city", "Court")
    f = person("male", "Osh", "Court")
    g = person("other", "Chui", "Ministry")
    h = person("undisclosed", "Naryn", "Police")
    i = person("female", "Chui", "Court")
    j = person("male", "Talas", "Ministry")

    enrol(s1, a, 3, 40, 80, certificate=True)
    enrol(s1, b, 2, 55, 70, certificate=True)
    enrol(s1, c, 3, 60, 60)
    enrol(s1, d, 1, 30)
    revoked = enrol(s1, e, 3, 70, 85)
    CertificateFactory(enrolment=revoked, revoked=True, revoked_on=dt.date(2025, 4, 1))
    enrol(s1, g, 3, 45, 75, certificate=True)
    enrol(s2, a, 2, 10, 16, certificate=True)
    enrol(s2, c, 2, 12, 15, certificate=True)
    enrol(s2, f, 1, 14, 12)
    enrol(s2, h, 2)
    enrol(s2, i, 0, 8, 18)
    enrol(s2, j, 2, 5, 20, certificate=True, status=Enrolment.Status.WITHDRAWN)
    enrol(s3, b, 3, 65, 90, certificate=True)
    enrol(s3, f, 2, 50, 55)
    enrol(s3, i, 3, 35, 70, certificate=True)
    enrol(s3, j, 2, 20, 40)
    EnrolmentFactory(session=s3, participant=d, status=Enrolment.Status.WAITLISTED)
    enrol(sx, e, 3, 10, 90, certificate=True)
    return programme


# The two scopes: (stats/export_workbook arguments, the page's query string).
SCOPES = {
    "everything": ([], {}),
    "programme and gender": (
        ["--programme", "rol", "--gender", "F"],
        {"programme": "ROL", "gender": "female"},
    ),
}
HAND_COUNTED = {
    "everything": {"sessions": 3, "participations": 15, "participants": 10, "certificates": 7},
    "programme and gender": {
        "sessions": 2,
        "participations": 5,
        "participants": 4,
        "certificates": 3,
    },
}


def stats_json(args: list[str]) -> dict:
    out = io.StringIO()
    call_command("stats", "--json", *args, stdout=out)
    return json.loads(out.getvalue())


def filters_of(args: list[str]) -> stats.Filters:
    names = {args[n].lstrip("-").replace("-", "_"): args[n + 1] for n in range(0, len(args), 2)}
    return stats.filters_from_names(**names)


def pairs(rows) -> dict[str, dict[str, int]]:
    """{key: {participants, participations}} of rows with ``key`` (page lines, stats rows)."""
    return {
        row.key: {"participants": row.participants, "participations": row.participations}
        for row in rows
    }


@pytest.fixture
def officer_client(client):
    user = UserFactory(username="mne-agreement")
    user.groups.add(Group.objects.get(name=roles.ME_OFFICER))
    client.force_login(user)
    return client


# --- the JSON against the statistics functions and the hand count -------------------------------


@pytest.mark.parametrize("scope", SCOPES)
def test_the_json_is_the_statistics_and_the_hand_count(world, scope):
    args, _ = SCOPES[scope]

    figures = stats_json(args)

    assert figures == json.loads(json.dumps(stats.summary(filters_of(args))))
    assert {key: figures[key] for key in HAND_COUNTED[scope]} == HAND_COUNTED[scope]
    assert list(figures["by_gender"]) == ["female", "male", "other", "undisclosed"]


def test_the_json_matches_the_hand_counted_details(world):
    figures = stats_json([])

    assert figures["by_gender"] == {
        "female": {"participants": 4, "participations": 7},  # A 2, B 2, E 1, I 2
        "male": {"participants": 4, "participations": 6},  # C 2, D 1, F 2, J 1 (S3)
        "other": {"participants": 1, "participations": 1},
        "undisclosed": {"participants": 1, "participations": 1},
    }
    assert figures["by_agency_type"] == {
        "Ministry": {"participants": 4, "participations": 6},  # A 2, C 2, G, J
        "Court": {"participants": 3, "participations": 5},  # E, F 2, I 2
        "Police": {"participants": 3, "participations": 4},  # B 2, D, H
    }
    assert figures["by_course"] == {
        "TORT": {"participants": 5, "participations": 5},
        "UPR": {"participants": 9, "participations": 10},  # S1's six and S3's B F I J
    }
    assert figures["by_region"]["unknown"] == {"participants": 1, "participations": 1}  # D
    # Present of scheduled person-days: S1 15 of 18, S2 7 of 10, S3 10 of 12.
    # Pairs: S1 A 40->80, B 55->70, C 60->60, E 70->85, G 45->75 (D has no post score);
    # S2 in percent of 20: A 50->80, C 60->75, F 70->60, I 40->90 (H took no test);
    # S3: B 65->90, F 50->55, I 35->70, J 20->40. 13 pairs, 11 improved; pre 660, post 930.
    assert figures["attendance_rate"] == 32 / 40
    assert figures["assessment"]["pairs"] == 13
    assert figures["assessment"]["improved_share"] == 11 / 13
    assert figures["assessment"]["pre_mean"] == pytest.approx(660 / 13)
    assert figures["assessment"]["post_mean"] == pytest.approx(930 / 13)


# --- the statistics page -------------------------------------------------------------------------


def page(client, query: dict):
    response = client.get("/reports/", query, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return response


def section(text: str, element_id: str) -> str:
    """The HTML of the section with the id."""
    start = text.index(f'id="{element_id}"')
    return text[start : text.index("</section>", start)]


def cells(fragment: str) -> list[list[str]]:
    """The text of each cell of each table row of the fragment (tags stripped)."""
    rows = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", fragment, re.S):
        texts = [
            " ".join(html.unescape(re.sub(r"<[^>]+>", " ", cell)).split())
            for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        ]
        rows.append(texts)
    return rows


def stat(text: str, name: str) -> str:
    """The figure of one headline stat: its first <dd>."""
    start = text.index(f'id="stat-{name}"')
    block = text[start : text.index("</div>", start)]
    return " ".join(html.unescape(re.search(r"<dd>(.*?)</dd>", block, re.S)[1]).split())


def one_decimal(value: float | None) -> str:
    with translation.override("en"):
        return "–" if value is None else f"{floatformat(value, 1)} %"


@pytest.mark.parametrize("scope", SCOPES)
def test_the_page_shows_the_jsons_figures(world, officer_client, scope):
    args, query = SCOPES[scope]
    figures = stats_json(args)

    response = page(officer_client, query)

    context = response.context
    assert (
        context["totals"].sessions,
        context["totals"].participations,
        context["totals"].participants,
    ) == (figures["sessions"], figures["participations"], figures["participants"])
    breakdowns = {b.slug: b for b in context["breakdowns"]}
    for slug, name in [
        ("gender", "by_gender"),
        ("agency-type", "by_agency_type"),
        ("region", "by_region"),
        ("course", "by_course"),
    ]:
        assert pairs(breakdowns[slug].lines) == figures[name], slug
        assert list(pairs(breakdowns[slug].lines)) == list(figures[name]), slug  # same order
    assert context["attendance"].rate == figures["attendance_rate"]
    assert context["assessment"].as_dict() == figures["assessment"]
    assert context["certificates"] == figures["certificates"]
    women = figures["by_gender"]["female"]["participants"]
    assert context["women"] == women


@pytest.mark.parametrize("scope", SCOPES)
def test_the_pages_html_shows_the_jsons_figures(world, officer_client, scope):
    args, query = SCOPES[scope]
    figures = stats_json(args)

    text = page(officer_client, query).content.decode()

    assert stat(text, "sessions") == str(figures["sessions"])
    assert stat(text, "participations") == str(figures["participations"])
    assert stat(text, "participants") == str(figures["participants"])
    assert stat(text, "certificates") == str(figures["certificates"])
    assert stat(text, "attendance") == one_decimal(100 * figures["attendance_rate"])
    assessment = figures["assessment"]
    assert stat(text, "improved") == one_decimal(100 * assessment["improved_share"])
    with translation.override("en"):
        gain = floatformat(assessment["mean_gain"], 1)
        pre, post = (floatformat(assessment[mean], 1) for mean in ("pre_mean", "post_mean"))
    assert f"Scores went from {pre} % before to {post} % after" in " ".join(text.split())
    assert stat(text, "gain") == ("+" if assessment["mean_gain"] > 0 else "") + gain
    women = figures["by_gender"]["female"]["participants"]
    assert stat(text, "women") == one_decimal(100 * women / figures["participants"])

    labels = {g.code: g.name for g in Gender.objects.all()}
    rows = cells(section(text, "breakdown-gender"))
    assert rows[1:-1] == [
        [
            labels[code],
            str(n["participants"]),
            one_decimal(100 * n["participants"] / figures["participants"]),
            str(n["participations"]),
        ]
        for code, n in figures["by_gender"].items()
    ]
    assert rows[-1] == [
        "Total",
        str(figures["participants"]),
        "100.0 %",
        str(figures["participations"]),
    ]
    for slug, name in [("agency-type", "by_agency_type"), ("region", "by_region")]:
        shown = {
            row[0]: {"participants": int(row[1]), "participations": int(row[3])}
            for row in cells(section(text, f"breakdown-{slug}"))[1:-1]
        }
        expected = dict(figures[name])
        if "unknown" in expected:
            expected["Region not recorded"] = expected.pop("unknown")
        assert shown == expected, slug
    courses = {
        row[0].split()[0]: {"participants": int(row[1]), "participations": int(row[2])}
        for row in cells(section(text, "breakdown-course"))[1:-1]
    }
    assert courses == figures["by_course"]


# --- the workbook --------------------------------------------------------------------------------


def workbook(tmp_path: Path, args: list[str]):
    out = tmp_path / "statistics.xlsx"
    call_command("export_workbook", "--out", str(out), *args, stdout=io.StringIO())
    return load_workbook(out, read_only=True)


def sheet_rows(book, name: str) -> list[tuple]:
    return [tuple(row) for row in book[name].iter_rows(values_only=True)]


def tables_under(rows: list[tuple], *header: str) -> list[list[tuple]]:
    """The rows of each table whose header row starts with ``header``, in sheet order.

    A table ends at the first blank row; its totals row, if any, is its last.
    """
    tables = []
    for n, row in enumerate(rows):
        if row[: len(header)] == header:
            table = []
            for following in rows[n + 1 :]:
                if not following or all(value is None for value in following):
                    break
                table.append(following)
            tables.append(table)
    assert tables, f"no table with the header {header}"
    return tables


def table_under(rows: list[tuple], *header: str) -> list[tuple]:
    return tables_under(rows, *header)[0]


def summary_figures(book) -> dict[str, object]:
    return {row[0]: row[1] for row in table_under(sheet_rows(book, "Summary"), "Figure", "Value")}


def counts(rows: list[tuple], key=lambda label: label) -> dict[str, dict[str, int]]:
    return {
        key(row[0]): {"participants": row[1], "participations": row[2]}
        for row in rows
        if row[0] not in ("Total", "All courses")
    }


def stored(value):
    """A figure as an .xlsx file written by openpyxl holds it: 16 significant digits.

    openpyxl writes numbers with ``"%.16g"`` (Excel itself shows 15), so the last of the 17
    digits a float may need is rounded: 20.555555555555557 is stored as 20.55555555555556.
    Anything else (a figure rounded to 2 decimals, a different computation) still fails.
    """
    return float(f"{value:.16g}") if isinstance(value, float) else value


def percent_of(value: float | None) -> float | None:
    """A mean in percent as the workbook stores it: the fraction its percent format shows."""
    return None if value is None else stored(value / 100)


@pytest.mark.parametrize("scope", SCOPES)
def test_the_workbook_holds_the_jsons_figures(world, tmp_path, scope):
    args, _ = SCOPES[scope]
    figures = stats_json(args)

    book = workbook(tmp_path, args)

    summary = summary_figures(book)
    assert summary["Sessions"] == figures["sessions"]
    assert summary["Participations (a person once per session)"] == figures["participations"]
    assert summary["Participants (distinct persons)"] == figures["participants"]
    assert summary["Certificates issued (not revoked)"] == figures["certificates"]
    assert summary["Attendance rate (present / scheduled person-days)"] == stored(
        figures["attendance_rate"]
    )
    assessment = figures["assessment"]
    assert summary["Pre/post test pairs"] == assessment["pairs"]
    assert summary["Pre-test mean"] == percent_of(assessment["pre_mean"])
    assert summary["Post-test mean"] == percent_of(assessment["post_mean"])
    assert summary["Mean gain (percentage points)"] == stored(assessment["mean_gain"])
    assert summary["Share of pairs improved"] == stored(assessment["improved_share"])
    assert summary["Normalized gain"] == stored(assessment["normalized_gain"])
    women = figures["by_gender"]["female"]["participants"]
    assert summary["Share of women among participants"] == stored(women / figures["participants"])

    codes = {g.name: g.code for g in Gender.objects.all()}
    by_gender = table_under(sheet_rows(book, "By gender"), "Gender", "Participants")
    assert counts(by_gender, codes.get) == figures["by_gender"]
    assert [codes.get(row[0]) for row in by_gender[:-1]] == list(figures["by_gender"])
    assert by_gender[-1][:3] == ("Total", figures["participants"], figures["participations"])
    for sheet, header, name in [
        ("By agency type", "Agency type", "by_agency_type"),
        ("By region", "Participant's region", "by_region"),
    ]:
        rows = table_under(sheet_rows(book, sheet), header, "Participants")
        assert counts(rows) == figures[name], sheet
        assert rows[-1][:3] == ("Total", figures["participants"], figures["participations"])
    courses = table_under(sheet_rows(book, "By course"), "Code", "Title", "Participants")
    assert {
        row[0]: {"participants": row[2], "participations": row[3]}
        for row in courses
        if row[0] != "All courses"
    } == figures["by_course"]
    assert courses[-1][2:5] == (
        figures["participants"],
        figures["participations"],
        stored(figures["attendance_rate"]),
    )
    overall = table_under(sheet_rows(book, "Assessments"), "Code", "Course", "Pairs")[-1]
    assert overall == (
        "All courses",
        None,
        *assessed(stats.AssessmentFigures(**assessment)),
    )


# --- per course and per session, and the targets: the page against the workbook ---------------


def assessed(a: stats.AssessmentFigures) -> tuple:
    """The figures of an Assessments row after its code and title."""
    return (
        a.pairs,
        percent_of(a.pre_mean),
        percent_of(a.post_mean),
        stored(a.mean_gain),
        stored(a.improved_share),
        stored(a.normalized_gain),
    )


@pytest.mark.parametrize("scope", SCOPES)
def test_per_course_and_per_session_results_agree(world, officer_client, tmp_path, scope):
    args, query = SCOPES[scope]
    filters = filters_of(args)
    context = page(officer_client, query).context
    book = workbook(tmp_path, args)
    assessments = sheet_rows(book, "Assessments")
    course_rates, session_rates = (
        {row[0]: row[4] for row in table if row[0] != "All courses"}
        for table in tables_under(sheet_rows(book, "By course"), "Code", "Title", "Participants")
    )

    for group_by, rows, header, rates in [
        ("course", context["per_course"], ("Code", "Course", "Pairs"), course_rates),
        ("session", context["per_session"], ("Session", "Title", "Pairs"), session_rates),
    ]:
        expected = stats.assessment(filters, group_by=group_by)
        attendance = stats.attendance(filters, group_by=group_by)
        by_key = {a.key: a for a in expected}
        # The page: one row per course or session in scope, in the breakdown's order.
        assert [row["key"] for row in rows] == [a.key for a in attendance]
        assert [row["attendance"] for row in rows] == attendance
        assert [row["assessment"] for row in rows] == [by_key.get(a.key) for a in attendance]
        # The workbook: the same figures.
        sheet = table_under(assessments, *header)
        assert {row[0]: row[2:] for row in sheet if row[0] != "All courses"} == {
            a.key: assessed(a) for a in expected
        }, group_by
        assert rates == {a.key: stored(a.rate) for a in attendance}, group_by


def test_the_targets_agree_on_the_page_and_in_the_workbook(world, officer_client, tmp_path):
    context = page(officer_client, {"programme": "ROL"}).context
    book = workbook(tmp_path, ["--programme", "ROL"])

    shown = [
        (item["row"].indicator, item["row"].target, item["row"].achieved, item["row"].ratio)
        for item in context["achievements"]
    ]
    # ROL (S1, S2): A B C D E F G H I = 9 people, women A B E I = 4 of 9; pairs S1 5 + S2 4,
    # improved S1 A B E G, S2 A C I = 7 of 9; certificates A@S1 B@S1 G@S1 A@S2 C@S2 = 5.
    assert shown == [
        ("participants", 8.0, 9.0, 9 / 8),
        ("women_share", 0.5, 4 / 9, (4 / 9) / 0.5),
        ("improved_share", 0.7, 7 / 9, (7 / 9) / 0.7),
        ("certificates", 5.0, 5.0, 1.0),
    ]
    summary = sheet_rows(book, "Summary")
    targets = table_under(summary, "Indicator", "Period start", "Period end", "Target")
    assert [row[3:6] for row in targets] == [tuple(map(stored, row[1:])) for row in shown]
    assert [row[0] for row in targets] == [item["row"].label for item in context["achievements"]]
