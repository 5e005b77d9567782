"""Builders of bad spreadsheet files for the import tests: each returns the file's bytes."""

import csv
import io
import random
import struct
import zipfile
import zlib
from functools import cache
from xml.sax.saxutils import escape

from openpyxl import Workbook


def xlsx(
    rows: list[list],
    *,
    merge: str = "",
    formula: tuple[int, int, str] | None = None,
    as_text: bool = False,
) -> bytes:
    """Return a workbook with ``rows`` (the first is the header), written by openpyxl.

    ``merge`` merges a range such as "A1:B1"; ``formula`` puts (row, column, "=...") in a cell
    as a real formula; ``as_text`` keeps text starting with '=' a text cell.
    """
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
        if as_text:
            for cell in sheet[sheet.max_row]:
                if isinstance(cell.value, str):
                    cell.data_type = "s"
    if merge:
        sheet.merge_cells(merge)
    if formula is not None:
        row, column, text = formula
        sheet.cell(row=row, column=column, value=text)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def csv_bytes(
    rows: list[list], *, encoding: str = "utf-8", bom: bool = False, delimiter: str = ","
) -> bytes:
    """Return rows as CSV text in the encoding given (utf-16 writes its own BOM)."""
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter).writerows(rows)
    # Letters the encoding lacks (Kyrgyz ү in Windows-1251) become '?', as a spreadsheet does.
    return (("\ufeff" if bom else "") + out.getvalue()).encode(encoding, errors="replace")


def truncated_xlsx(rows: list[list]) -> bytes:
    """A real workbook cut in the middle, as an interrupted download leaves it."""
    data = xlsx(rows)
    return data[: len(data) // 2]


def random_bytes(size: int = 4096, seed: int = 7) -> bytes:
    return random.Random(seed).randbytes(size)


def pdf_bytes() -> bytes:
    return (
        b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
        b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    )


def png_bytes() -> bytes:
    """A real 1x1 PNG image."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body))
            + kind
            + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\xff\xff"))
        + chunk(b"IEND", b"")
    )


def xls_bytes() -> bytes:
    """The start of an Excel 97-2003 workbook: an OLE compound file header."""
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 16 + b"\x3e\x00\x03\x00" + b"\x00" * 488


def docx_like_zip() -> bytes:
    """A zip archive that is no workbook (as a .docx renamed to .xlsx is)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    return out.getvalue()


_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    "</Relationships>"
)


def _column_letter(index: int) -> str:
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _cell(row: int, column: int, value: object) -> str:
    reference = f"{_column_letter(column)}{row}"
    if value is None or value == "":
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f'<c r="{reference}"><v>{value}</v></c>'
    return f'<c r="{reference}" t="inlineStr"><is><t>{escape(str(value))}</t></is></c>'


@cache
def million_blank_rows_xlsx(
    rows: tuple[tuple, ...],
    *,
    explicit: bool = True,
    last: int = 1_000_000,
    last_filled: bool = False,
) -> bytes:
    """A workbook whose sheet declares ``last`` rows (a million) but holds only ``rows``.

    With ``explicit``, the rows after the real ones up to ``last`` are written as empty,
    formatted <row> elements (as a spreadsheet program leaves a sheet whose rows were
    formatted); without, only the sheet's dimension claims them. With ``last_filled``, row
    ``last`` + 1 repeats the last real row.
    """
    width = max(len(r) for r in rows)
    parts = [
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<dimension ref="A1:{_column_letter(width)}{last + last_filled}"/><sheetData>'
    ]
    for number, row in enumerate(rows, start=1):
        cells = "".join(_cell(number, column, v) for column, v in enumerate(row, start=1))
        parts.append(f'<row r="{number}">{cells}</row>')
    if explicit:
        parts.extend(
            f'<row r="{n}" s="1" customFormat="1"/>' for n in range(len(rows) + 1, last + 1)
        )
    if last_filled:
        number = last + 1
        cells = "".join(_cell(number, column, v) for column, v in enumerate(rows[-1], start=1))
        parts.append(f'<row r="{number}">{cells}</row>')
    parts.append("</sheetData></worksheet>")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        archive.writestr("xl/worksheets/sheet1.xml", "".join(parts))
    return out.getvalue()


def zip_bomb_xlsx(rows: list[list], megabytes: int = 100) -> bytes:
    """A real workbook whose shared strings part unpacks to ``megabytes`` of one repeated letter."""
    source = zipfile.ZipFile(io.BytesIO(xlsx(rows)))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for member in source.infolist():
            archive.writestr(member, source.read(member.filename))
        text = '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>'
        archive.writestr(
            "xl/sharedStrings.xml",
            text.encode() + b"a" * (megabytes * 1024 * 1024) + b"</t></si></sst>",
        )
    return out.getvalue()
