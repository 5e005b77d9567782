"""The fast .xlsx reader gives what openpyxl's own read-only reader gives, value for value."""

import datetime as dt
import io
import zipfile

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont

from trainings.importing import (
    FormulaCell,
    ImportFileError,
    _to_dataset,
    load_dataset,
    sheet_values,
)


def openpyxl_rows(data: bytes) -> list[tuple]:
    """The rows as the reader before this one read them: openpyxl's iter_rows."""
    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        return list(workbook.worksheets[0].iter_rows(values_only=True))
    finally:
        workbook.close()


def fast_rows(data: bytes) -> list[tuple]:
    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        return list(sheet_values(workbook.worksheets[0]))
    finally:
        workbook.close()


def assert_same(data: bytes, *, merged: bool = False) -> list[tuple]:
    expected = openpyxl_rows(data)
    found = fast_rows(data)
    assert found == expected
    # Types too: 1986 must stay an int, 7.5 a float, a date a datetime.
    assert [[type(v) for v in row] for row in found] == [[type(v) for v in row] for row in expected]
    # And the dataset an import works on is the one the old reader gave.
    old = _to_dataset(iter(expected))
    if merged:  # the import refuses merged cells (they leave cells silently blank)
        with pytest.raises(ImportFileError, match="merged cells"):
            load_dataset(io.BytesIO(data), filename="roster.xlsx")
        return found
    new = load_dataset(io.BytesIO(data), filename="roster.xlsx")
    assert new.headers == old.headers
    # A formula cell is marked (the import refuses it) and holds the cached result.
    unmarked = [tuple(v.value if isinstance(v, FormulaCell) else v for v in r) for r in new]
    assert unmarked == list(old)
    return found


def saved(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_a_varied_workbook_written_by_openpyxl():
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["session", "last_name", "first_name", "birth_year", "score", "day", "note"])
    sheet.append(["UPR-01", "Өмүрбеков", "Нурлан", 1986, 7.5, dt.date(2025, 3, 4), "  padded  "])
    sheet.append(["UPR-01", "Ковалёва", "Анна", 1990.0, 0.25, dt.datetime(2025, 3, 4, 9, 30), True])
    sheet.append([])  # a blank row, kept: it has rows after it
    sheet.append([None, None, None, None, None, None, "only the last column"])
    sheet.cell(row=7, column=2, value="after a gap of one row")
    formula_text = sheet.cell(row=8, column=1, value='=HYPERLINK("x")')
    formula_text.data_type = "s"  # a formula typed as text: read as text, not run
    sheet.cell(row=8, column=2, value="=1+1")  # a real formula: no cached value in the file
    sheet.cell(row=8, column=3, value="#N/A")  # an error value
    sheet.cell(row=8, column=4, value=dt.time(13, 45))
    sheet.cell(row=8, column=5, value=dt.timedelta(hours=30))
    sheet.cell(row=8, column=6, value=-12)
    sheet.cell(row=8, column=7, value=1e-7)
    sheet.cell(
        row=9, column=1, value=CellRichText(["plain ", TextBlock(InlineFont(b=True), "bold")])
    )
    sheet.cell(row=9, column=2, value="")
    sheet.cell(row=9, column=3, value=False)
    sheet.cell(row=9, column=4, value="Нарын\nобласть")
    sheet.cell(row=10, column=1, value="merged")
    sheet.merge_cells("A10:C11")
    sheet.cell(row=12, column=3, value="=SUM(A1:A2)").data_type = "s"
    percent = sheet.cell(row=12, column=4, value=0.5)
    percent.number_format = "0%"
    sheet.cell(row=14, column=1, value=None)  # trailing empty rows
    rows = assert_same(saved(workbook), merged=True)
    assert rows[1] == (
        "UPR-01",
        "Өмүрбеков",
        "Нурлан",
        1986,
        7.5,
        dt.datetime(2025, 3, 4),
        "  padded  ",
    )
    assert rows[7][0] == '=HYPERLINK("x")'
    assert rows[8][0] == "plain bold"


def test_the_bench_roster_shape(tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["session", "last_name", "first_name", "gender", "birth_year", "email"])
    for number in range(300):
        sheet.append(
            [f"S-{number % 7}", f"Фамилия{number}", "Айгүл", "ж", 1960 + number % 40, ""]
            if number % 5
            else [f"S-{number % 7}", f"Name{number}", "Elena", "F", None, f"e{number}@mail.kg"]
        )
    assert_same(saved(workbook))


# --- a workbook as Excel writes it: shared strings, styles, cells without references -----------

CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml"
 ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>
<Override PartName="/xl/worksheets/sheet1.xml"
 ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>
<Override PartName="/xl/styles.xml"
 ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>
<Override PartName="/xl/sharedStrings.xml"
 ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>
</Types>"""
ROOT_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Target="xl/workbook.xml"
 Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"/>
</Relationships>"""
WORKBOOK = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"
 xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">
<sheets><sheet name="Roster" sheetId="1" r:id="rId1"/></sheets></workbook>"""
WORKBOOK_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Target="worksheets/sheet1.xml"
 Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"/>
<Relationship Id="rId2" Target="styles.xml"
 Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles"/>
<Relationship Id="rId3" Target="sharedStrings.xml"
 Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"/>
</Relationships>"""
STYLES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<numFmts count="2"><numFmt numFmtId="164" formatCode="dd.mm.yyyy"/>
<numFmt numFmtId="165" formatCode="[h]:mm"/></numFmts>
<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>
<fills count="1"><fill><patternFill patternType="none"/></fill></fills>
<borders count="1"><border/></borders>
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>
<cellXfs count="5">
<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>
<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
<xf numFmtId="10" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>
</cellXfs></styleSheet>"""
SHARED_STRINGS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="7" uniqueCount="7">
<si><t>session</t></si>
<si><t>last_name</t></si>
<si><t xml:space="preserve"> Жумабаева </t></si>
<si><r><t>Ай</t></r><r><rPr><b/></rPr><t>гүл</t></r></si>
<si><t>日本</t><rPh sb="0" eb="2"><t>にほん</t></rPh></si>
<si><t>=CMD|' /C calc'!A0</t></si>
<si><t>a_x005F_x000D_b</t></si>
</sst>"""
SHEET = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
{dimension}<sheetData>
<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="inlineStr">
<is><t>birth_year</t></is></c><c r="D1" t="s"><v>3</v></c><c r="E1" t="s"><v>4</v></c></row>
<row r="2" spans="1:5"><c r="A2" t="s"><v>5</v></c><c r="B2" t="s"><v>2</v></c>
<c r="C2"><v>1986</v></c><c r="D2" s="1"><v>45720</v></c><c r="E2" s="2"><v>45720.5</v></c></row>
<row r="4"><c t="s"><v>6</v></c><c><v>7.25</v></c><c s="3"><v>1.25</v></c>
<c t="b"><v>1</v></c><c t="e"><v>#DIV/0!</v></c></row>
<row><c r="A5" t="str"><f>A1&amp;"x"</f><v>sessionx</v></c><c r="C5" s="4"><v>0.125</v></c>
<c r="D5" t="d"><v>2025-03-04T10:00:00</v></c><c r="E5" t="inlineStr"><is><r><t>in</t></r>
<r><t>line</t></r></is></c></row>
<row r="7"><c r="B7"/><c r="C7" s="1"/><c r="E7" t="s"><v>3</v></c><c r="G7"><v>1E3</v></c></row>
<row r="9"><c r="A9" t="inlineStr"><is><t></t></is></c><c r="B9"><v></v></c></row>
</sheetData><mergeCells count="1"><mergeCell ref="B2:B3"/></mergeCells></worksheet>"""


def excel_like(dimension: str = '<dimension ref="A1:E9"/>', sheet: str | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        archive.writestr("xl/styles.xml", STYLES)
        archive.writestr("xl/sharedStrings.xml", SHARED_STRINGS)
        archive.writestr("xl/worksheets/sheet1.xml", sheet or SHEET.format(dimension=dimension))
    return buffer.getvalue()


def test_shared_strings_styles_and_cells_without_references():
    rows = assert_same(excel_like(), merged=True)
    assert rows[0] == ("session", "last_name", "birth_year", "Айгүл", "日本")
    assert rows[1] == (
        "=CMD|' /C calc'!A0",  # formula-looking text stays text
        " Жумабаева ",
        1986,
        dt.datetime(2025, 3, 4),
        dt.datetime(2025, 3, 4, 12),
    )
    assert rows[2] == (None,) * 5  # row 3 is missing from the file: still a row
    assert rows[3][1:] == (7.25, dt.timedelta(hours=30), True, "#DIV/0!")
    assert rows[4][0] == "sessionx"  # a formula: its cached result


@pytest.mark.parametrize(
    "dimension",
    ["", '<dimension ref="A1:C3"/>', '<dimension ref="A1:H12"/>', '<dimension ref="B2:D7"/>'],
    ids=["no dimension", "smaller than the data", "larger than the data", "offset"],
)
def test_the_declared_size_is_honoured_as_openpyxl_does(dimension):
    assert fast_rows(excel_like(dimension)) == openpyxl_rows(excel_like(dimension))


def test_entity_declarations_are_refused():
    sheet = SHEET.format(dimension="").replace(
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>',
        '<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "aaaaaaaaaa">]>',
    )
    with pytest.raises(ImportFileError):
        load_dataset(io.BytesIO(excel_like(sheet=sheet)), filename="roster.xlsx")
