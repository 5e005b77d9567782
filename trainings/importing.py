"""The shared machinery of every spreadsheet import (automation.md, "Files that come in").

A file is read into a ``tablib.Dataset`` (the structure django-import-export works on, so the
admin's import buttons and the commands share one path), its headers are matched
case-insensitively, and a resource validates every row before it writes anything: an import is
all or nothing, and each problem is reported as ``row N: column: message`` with N the row number
a person sees in the spreadsheet (the header is row 1).

Resources subclass :class:`BilimResource` and implement ``plan`` (validate and decide, touching
nothing) and ``apply`` (write the plan in bulk). django-import-export's own per-row saving does
about four queries a row; the plan/apply split keeps the number of queries independent of the
number of rows.
"""

import codecs
import csv
import datetime as dt
import io
import re
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, BinaryIO, ClassVar

import tablib
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from import_export import resources
from import_export.results import InvalidRow, Result, RowResult

from participants.normalize import clean_text, fold


class ImportFileError(Exception):
    """The file as a whole cannot be read: wrong type, corrupt, too large, wrong encoding."""


@dataclass(frozen=True)
class FormulaCell:
    """An .xlsx cell that holds a formula, with its cached result: the import refuses it."""

    formula: str
    value: Any

    def __str__(self) -> str:
        return f"={self.formula}" if self.formula else str(self.value or "")


@dataclass(frozen=True, order=True)
class ImportProblem:
    """One thing wrong with one cell (or one row, or the header) of a file."""

    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}: {self.column}: {self.message}"


class Problems:
    """The problems found so far, in the order the rows come."""

    def __init__(self) -> None:
        self.items: list[ImportProblem] = []

    def add(self, row: int, column: str, message: str) -> None:
        self.items.append(ImportProblem(row, column, message))

    def __bool__(self) -> bool:
        return bool(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def sorted(self) -> list[ImportProblem]:
        return sorted(self.items, key=lambda p: p.row)


# --- reading files -----------------------------------------------------------------------------


def header_key(value: object) -> str:
    """Return the canonical form of a header cell: folded, with spaces and hyphens as '_'.

    A header that is a real spreadsheet date becomes its ``YYYY-MM-DD`` text, so the results
    sheet's day columns may be typed as dates or as text.
    """
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.isoformat()
    key = fold(value)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", key):
        return key
    return re.sub(r"[\s\-]+", "_", key)


def load_dataset(source: str | Path | BinaryIO, filename: str | None = None) -> tablib.Dataset:
    """Read an .xlsx or .csv file into a Dataset whose row i is spreadsheet row i + 2.

    Blank rows are kept (as rows of blanks) so that row numbers stay those a person sees;
    trailing blank rows are dropped. Raises ImportFileError with a message a person can act on.
    """
    limit = settings.BILIM_IMPORT_MAX_BYTES
    # Never more than the limit (and one byte to know it is passed) is read into memory.
    if isinstance(source, str | Path):
        path = Path(source)
        filename = filename or path.name
        try:
            with path.open("rb") as stream:
                data = stream.read(limit + 1)
        except OSError as exc:
            raise ImportFileError(f"cannot read {path}: {exc.strerror or exc}") from exc
    else:
        data = source.read(limit + 1)
        filename = filename or getattr(source, "name", "") or ""
    if len(data) > limit:
        from django.template.defaultfilters import filesizeformat

        raise ImportFileError(
            f"the file is larger than {filesizeformat(limit)}, the limit: split it into smaller "
            "files"
        )
    suffix = Path(filename).suffix.lower()
    if not data:
        raise ImportFileError("the file is empty (0 bytes): the first row must name the columns")
    if suffix == ".xlsx":
        rows = _read_xlsx(data)
    elif suffix == ".csv":
        rows = _read_csv(data)
    else:
        raise ImportFileError(
            f"{filename or 'the file'}: only .xlsx and .csv files can be imported"
        )
    return _to_dataset(rows)


def _read_xlsx(data: bytes) -> Iterator[Sequence[Any]]:
    import zipfile

    from openpyxl import load_workbook

    if not data.startswith(b"PK"):
        kind = _sniff(data)
        advice = _ADVICE.get(kind, "was it renamed?")
        raise ImportFileError(
            f"the file is not a real .xlsx workbook: it is {kind}; {advice}"
            if kind
            else f"the file is not a real .xlsx workbook ({advice})"
        )
    _refuse_zip_bomb(data)
    try:
        # Read-only: openpyxl reads the workbook's parts (shared strings, date styles, the
        # sheet's declared size) and leaves the sheet itself to be streamed.
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
    except Exception as exc:  # a damaged file fails in many ways; none may become a 500
        raise ImportFileError(f"the .xlsx file cannot be opened: it looks damaged ({exc})") from exc
    merged: list[str] = []
    try:
        yield from sheet_values(sheet, formulas=True, merged=merged)
    except ImportFileError:
        raise
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, EOFError, zlib.error) as exc:
        raise ImportFileError(f"the .xlsx file cannot be read: it looks damaged ({exc})") from exc
    finally:
        workbook.close()
    if merged:
        where = "the header row has" if any(_first_row(r) == 1 for r in merged) else "the sheet has"
        raise ImportFileError(
            f"{where} merged cells ({', '.join(merged[:5])}): unmerge them, give each column "
            "its own name in row 1 and fill in every cell, then import again"
        )


# A part that unpacks to more than this, at more than RATIO times its packed size, is refused:
# openpyxl holds the shared strings in memory, and real sheets pack 5 to 20 times.
_BOMB_SIZE = 32 * 1024 * 1024
_BOMB_RATIO = 200


def _refuse_zip_bomb(data: bytes) -> None:
    """Refuse an archive whose parts claim to unpack to far more than a workbook ever does."""
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # load_workbook says it is damaged
    for member in members:
        if member.file_size > _BOMB_SIZE and member.file_size > _BOMB_RATIO * max(
            member.compress_size, 1
        ):
            raise ImportFileError(
                f"the .xlsx file cannot be opened: its part {member.filename[:60]} unpacks to "
                f"{member.file_size // 1_048_576} MB from {member.compress_size // 1024} KB, "
                "which no workbook does (a zip bomb?)"
            )


def _first_row(reference: str) -> int | None:
    digits = reference.split(":")[0].lstrip("$ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
    return int(digits) if digits.isdigit() else None


_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an Excel 97-2003 workbook (.xls)"),
    (b"PK\x03\x04", "an .xlsx workbook or another zip archive"),
    (b"{\\rtf", "an RTF document"),
)
_ADVICE = {
    "an Excel 97-2003 workbook (.xls)": "open it and save it as an .xlsx workbook",
    "an .xlsx workbook or another zip archive": "give an .xlsx workbook the .xlsx name",
    "a text file (a CSV file?)": "give a CSV file the .csv name",
}


def _sniff(data: bytes) -> str | None:
    """Say what kind of file the first bytes show, or None if they show nothing known."""
    for signature, kind in _SIGNATURES:
        if data.startswith(signature):
            return kind
    head = data[:4096]
    if b"\x00" not in head:
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as exc:
            if exc.start < len(head) - 4:  # not just a character cut by the 4096 bytes
                return None
        return "a text file (a CSV file?)"
    return None


_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main "
_ROW, _C, _V, _IS, _T, _R, _RPH, _F, _MERGE = (
    f"{_MAIN_NS}{tag}" for tag in ("row", "c", "v", "is", "t", "r", "rPh", "f", "mergeCell")
)
_DIGITS = "0123456789"
_CHUNK = 1 << 16


def sheet_values(
    sheet: Any, *, formulas: bool = False, merged: list[str] | None = None
) -> Iterator[Sequence[Any]]:
    """Yield a read-only openpyxl sheet's rows of values, as ``iter_rows(values_only=True)`` does.

    With ``formulas``, a cell holding a formula is a FormulaCell instead of its cached result;
    ``merged`` collects the ranges of merged cells read (the sheet lists them after its rows).

    The same values, row for row: missing rows as rows of blanks, rows cut or padded to the
    sheet's declared size, numbers as int or float, dates and times by the cell's number
    format, booleans, errors as their text (#N/A), formulas as their cached result (the file
    is read with data_only). About four times faster: the sheet's XML is streamed through
    expat with a handful of callbacks per cell, where openpyxl builds a dictionary and
    several objects per cell. The workbook's shared strings, date formats and epoch are
    openpyxl's own. tests/trainings/test_importing_xlsx.py holds the two readers to the same
    output.
    """
    import warnings
    from xml.parsers import expat

    from openpyxl.utils.datetime import from_excel, from_ISO8601

    workbook = sheet.parent
    strings = sheet._shared_strings
    epoch = workbook.epoch
    date_formats = workbook._date_formats
    timedelta_formats = workbook._timedelta_formats
    max_col = sheet.max_column
    max_row = sheet.max_row

    columns: dict[str, int] = {}
    done: list[tuple[int, list[tuple[int, Any]]]] = []
    cells: list[tuple[int, Any]] = []
    text: list[str] = []
    row_number = column = 0
    kind = "n"
    reference = style = value_text = formula = None
    inline: list[str] | None = None
    runs: list[str] = []
    collecting = in_inline = in_run = in_phonetic = in_formula = False

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal row_number, column, kind, reference, style, value_text, inline, runs
        nonlocal collecting, in_inline, in_run, in_phonetic, formula, in_formula
        if name == _C:
            kind = attrs.get("t", "n")
            reference = attrs.get("r")
            if reference:
                letters = reference.rstrip(_DIGITS)
                index = columns.get(letters)
                if index is None:
                    index = 0
                    for letter in letters.upper():
                        index = index * 26 + ord(letter) - 64
                    columns[letters] = index
                column = index
            else:
                column += 1
            style = attrs.get("s")
            value_text = inline = formula = None
        elif name == _F:
            if formulas:
                text.clear()
                formula = ""
                collecting = in_formula = True
        elif name == _MERGE:
            if merged is not None:
                merged.append(attrs.get("ref", "?"))
        elif name == _V:
            text.clear()
            collecting = True
        elif name == _T:
            if in_inline and not in_phonetic:
                text.clear()
                collecting = True
        elif name == _IS:
            inline, runs, in_inline = [], [], True
        elif name == _R:
            in_run = True
        elif name == _RPH:
            in_phonetic = True
        elif name == _ROW:
            number = attrs.get("r")
            if number is None:
                row_number += 1
            else:
                try:
                    row_number = int(number)
                except ValueError:
                    as_float = float(number)
                    if not as_float.is_integer():
                        raise ValueError(f"{number} is not a valid row number") from None
                    row_number = int(as_float)
            column = 0
            cells.clear()

    def end(name: str) -> None:
        nonlocal value_text, collecting, in_inline, in_run, in_phonetic, formula, in_formula
        if name == _C:
            if kind == "inlineStr":
                # As openpyxl's Text.content: the plain text, then the rich text runs.
                value = None if inline is None else "".join(inline[-1:] + runs)
            else:
                value = value_text or None
                if value is not None:
                    if kind == "n":
                        value = (
                            float(value)
                            if "." in value or "E" in value or "e" in value
                            else int(value)
                        )
                        if style and int(style) in date_formats:
                            try:
                                value = from_excel(
                                    value, epoch, timedelta=int(style) in timedelta_formats
                                )
                            except (OverflowError, ValueError):
                                warnings.warn(
                                    f"Cell {reference} is marked as a date but the serial "
                                    f"value {value} is outside the limits for dates. The cell "
                                    "will be treated as an error.",
                                    stacklevel=1,
                                )
                                value = "#VALUE!"
                    elif kind == "s":
                        value = strings[int(value)]
                    elif kind == "b":
                        value = bool(int(value))
                    elif kind == "d":
                        value = from_ISO8601(value)
            if formula is not None:
                value = FormulaCell(formula, value)
            cells.append((column, value))
        elif name == _V:
            if collecting:
                value_text = "".join(text)
                collecting = False
        elif name == _F:
            if in_formula:
                formula = "".join(text)
                collecting = in_formula = False
        elif name == _T:
            if collecting:
                (runs if in_run else inline).append("".join(text))
                collecting = False
        elif name == _ROW:
            done.append((row_number, cells.copy() if cells else []))
        elif name == _IS:
            in_inline = False
        elif name == _R:
            in_run = False
        elif name == _RPH:
            in_phonetic = False

    def characters(data: str) -> None:
        if collecting:
            text.append(data)

    def refuse(*args: Any) -> None:
        raise ValueError("the sheet declares XML entities, which a workbook never needs")

    parser = expat.ParserCreate(namespace_separator=" ")
    parser.buffer_text = True
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = characters
    parser.EntityDeclHandler = refuse

    # An empty list, not tuple, when the size is not declared: as openpyxl.
    empty_row: Sequence[Any] = (None,) * max_col if max_col is not None else []
    counter = 1
    number = 1
    with sheet._get_source() as source:
        finished = False
        while not finished:
            chunk = source.read(_CHUNK)
            try:
                parser.Parse(chunk, not chunk)
            except expat.ExpatError as exc:
                raise ValueError(f"the sheet's XML is broken: {exc}") from exc
            finished = not chunk
            for number, row_cells in done:
                if max_row is not None and number > max_row:
                    finished = True
                    break
                for _ in range(counter, number):
                    counter += 1
                    yield empty_row
                if counter <= number:
                    counter += 1
                    # The one blank tuple for an empty <row>, as for a missing one: the reader
                    # of a million formatted, empty rows knows them by identity, cheaply.
                    yield (
                        empty_row
                        if not row_cells and max_col is not None
                        else _row_tuple(row_cells, max_col)
                    )
            done.clear()
    if max_row is not None and max_row < number:
        for _ in range(counter, max_row + 1):
            yield empty_row


def _row_tuple(cells: list[tuple[int, Any]], max_col: int | None) -> tuple[Any, ...]:
    """Place a row's cells by column, as openpyxl's read-only sheet does."""
    if not cells and not max_col:
        return ()
    width = max_col or cells[-1][0]
    values: list[Any] = [None] * width
    for index, value in cells:
        if 1 <= index <= width:
            values[index - 1] = value
    return tuple(values)


def _decode_csv(data: bytes) -> str:
    """Return a CSV file's text: UTF-8 with or without BOM, or UTF-16 with its BOM.

    Anything else is refused with the row of the first byte that is not UTF-8 and a guess at
    the encoding: read as UTF-8, Windows-1251 Cyrillic would be mangled, never imported.
    """
    kind = next((k for signature, k in _SIGNATURES if data.startswith(signature)), None)
    if kind is not None:
        advice = (
            "give it the .xlsx name"
            if kind.startswith("an .xlsx")
            else _ADVICE.get(kind, "was it renamed?")
        )
        raise ImportFileError(f"the file is {kind}, not a CSV file: {advice}")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16").removeprefix("\ufeff")
        except UnicodeDecodeError as exc:
            raise ImportFileError(
                "the CSV file starts as UTF-16 but is damaged: save it again as 'CSV UTF-8'"
            ) from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        row = data[: exc.start].count(b"\n") + 1
        if data[:4096].count(b"\x00") > len(data[:4096]) // 4:
            guess = " (it looks like UTF-16 without a byte-order mark)"
        elif re.search(r"[А-Яа-яЁё]{2}", data.decode("cp1251", errors="replace")):
            guess = " (it looks like Windows-1251 Cyrillic)"
        else:
            guess = ""
        raise ImportFileError(
            f"row {row}: the CSV file is not in UTF-8{guess}: save it again as 'CSV UTF-8' and "
            "import that"
        ) from exc


def _read_csv(data: bytes) -> Iterator[list[str]]:
    text = _decode_csv(data)
    if "\x00" in text:
        # A text file never holds NUL; PostgreSQL refuses to store it.
        row = text[: text.index("\x00")].count("\n") + 1
        if text.count("\x00") > len(text) // 4:
            raise ImportFileError(
                "the CSV file is not in UTF-8 (it looks like UTF-16 without a byte-order mark): "
                "save it again as 'CSV UTF-8' and import that"
            )
        raise ImportFileError(
            f"row {row}: the file holds a NUL character, which no CSV file has: is it really a "
            "CSV file?"
        )
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        yield from reader
    except csv.Error as exc:
        raise ImportFileError(f"row {reader.line_num}: the CSV file cannot be read: {exc}") from exc


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _to_dataset(rows: Iterable[Iterable[Any]]) -> tablib.Dataset:
    iterator = iter(rows)
    try:
        header = list(next(iterator))
    except StopIteration:
        raise ImportFileError("the file is empty: the first row must name the columns") from None
    while header and _is_blank(header[-1]):
        header.pop()
    if not header:
        raise ImportFileError("the first row is blank: it must name the columns")
    for index, h in enumerate(header):
        if isinstance(h, FormulaCell):
            raise ImportFileError(
                f"row 1: column {index + 1}: the column's name is a formula ({h}): type the "
                "name itself"
            )
    width = len(header)
    headers = [h if not _is_blank(h) else f"(column {i + 1})" for i, h in enumerate(header)]
    body: list[Sequence[Any]] = []
    blank_row: tuple[Any, ...] = (None,) * width
    # Blank rows are counted, and kept only when a filled row follows, so that a sheet with a
    # million formatted but empty rows is read as what it holds, in little memory.
    pending_blank = 0
    known_blank: Any = None
    max_rows = settings.BILIM_IMPORT_MAX_ROWS
    for raw in iterator:
        if raw is known_blank:
            pending_blank += 1
            continue
        values = list(raw)[:width]
        values += [None] * (width - len(values))
        if all(_is_blank(v) for v in values):
            pending_blank += 1
            if isinstance(raw, tuple):
                known_blank = raw
            continue
        if len(body) + pending_blank + 1 > max_rows:
            raise ImportFileError(
                f"the file has more than {max_rows} rows: split it into smaller files"
            )
        body.extend([blank_row] * pending_blank)
        pending_blank = 0
        body.append(values)
    if not body:
        raise ImportFileError("the file has only the header row: there are no rows to import")
    dataset = tablib.Dataset()
    # openpyxl reads a date header as a datetime, whose isoformat() would carry a time.
    dataset.headers = [header_key(h) if isinstance(h, dt.date) else str(h) for h in headers]
    for values in body:
        dataset.append(values)
    return dataset


# --- reading values ----------------------------------------------------------------------------


class CellError(ValueError):
    """A cell's value is not acceptable; the message says why and what is expected."""


def parse_date(value: Any) -> dt.date:
    """Read a real spreadsheet date, ``YYYY-MM-DD`` or ``DD.MM.YYYY``."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = clean_text(value)
    if text.endswith(" 00:00:00"):
        text = text[: -len(" 00:00:00")]
    for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()  # noqa: DTZ007 (a date, not a time)
        except ValueError:
            continue
    raise CellError(f"'{text}' is not a date: write YYYY-MM-DD or DD.MM.YYYY")


def parse_int(value: Any, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """Read a whole number, also when a spreadsheet stored it as 1985.0."""
    if isinstance(value, bool):
        raise CellError(f"'{value}' is not a whole number")
    if isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    else:
        text = clean_text(value)
        if re.fullmatch(r"[+-]?\d+(\.0+)?", text):
            number = int(text.split(".")[0])
        else:
            raise CellError(f"'{text}' is not a whole number")
    if minimum is not None and number < minimum:
        raise CellError(f"{number} is below the minimum {minimum}")
    if maximum is not None and number > maximum:
        raise CellError(f"{number} is above the maximum {maximum}")
    return number


def parse_decimal(
    value: Any, *, minimum: Decimal | None = None, maximum: Decimal | None = None
) -> Decimal:
    """Read a number; a decimal comma (7,5) is read as a decimal point."""
    if isinstance(value, bool):
        raise CellError(f"'{value}' is not a number")
    if isinstance(value, int | float | Decimal):
        number = Decimal(str(value))
    else:
        text = clean_text(value).replace(",", ".")
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise CellError(f"'{clean_text(value)}' is not a number") from None
        if not number.is_finite():
            raise CellError(f"'{clean_text(value)}' is not a number")
    if minimum is not None and number < minimum:
        raise CellError(f"{_plain(number)} is below the minimum {_plain(minimum)}")
    if maximum is not None and number > maximum:
        raise CellError(f"{_plain(number)} is above the maximum {_plain(maximum)}")
    try:
        rounded = number.quantize(Decimal("0.01"))
    except InvalidOperation:
        # More digits than a decimal holds (1E30 with two decimals): no score or size is that.
        raise CellError(f"'{clean_text(value)}' is too large a number") from None
    return rounded if number == rounded else number


def _plain(number: Decimal) -> str:
    if not -20 < number.adjusted() < 20:
        return str(number)  # 1E+999999, not a million digits
    text = format(number, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


GENDER_SPELLINGS: dict[str, str] = {
    **dict.fromkeys(
        ["female", "f", "woman", "w", "ж", "жен", "женский", "женщина", "аял"], "female"
    ),
    **dict.fromkeys(["male", "m", "man", "м", "муж", "мужской", "мужчина", "эркек"], "male"),
    **dict.fromkeys(["other", "другое"], "other"),
    **dict.fromkeys(["", "undisclosed", "prefer not to say", "не указано", "-"], "undisclosed"),
}


def parse_gender(value: Any) -> str:
    """Return the gender code for one of the contract's spellings, in any case."""
    key = fold(value)
    try:
        return GENDER_SPELLINGS[key]
    except KeyError:
        raise CellError(
            f"'{clean_text(value)}' is not a gender: write female, male, other or undisclosed "
            "(or f, m, ж, м, ...)"
        ) from None


def parse_disability(value: Any) -> str:
    """Read yes / no / blank (not stated)."""
    key = fold(value)
    if key in {"yes", "y", "да", "ооба", "1", "true"}:
        return "yes"
    if key in {"no", "n", "нет", "жок", "0", "false"}:
        return "no"
    if key in {"", "-", "not stated", "не указано"}:
        return ""
    raise CellError(f"'{clean_text(value)}' is not yes, no or blank")


PRESENT = {"1", "yes", "y", "present", "+", "x", "да"}
ABSENT = {"0", "no", "n", "absent", "-", "нет", ""}


def parse_presence(value: Any) -> bool:
    """Read a day's mark: present (1, yes, +, x, да, ...) or absent (0, no, -, нет, blank)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    key = fold(value)
    if key in PRESENT:
        return True
    if key in ABSENT:
        return False
    raise CellError(
        f"'{clean_text(value)}' is not a mark: write 1 / yes / + for present, "
        "0 / no / - or blank for absent"
    )


def parse_email(value: Any) -> str:
    """Read an email address, trimmed; blank stays blank."""
    text = clean_text(value)
    if text:
        try:
            validate_email(text)
        except ValidationError:
            raise CellError(f"'{text}' is not an email address") from None
    return text


# --- formulas ----------------------------------------------------------------------------------

_FORMULA_LEAD = frozenset("=+-@")
# Numbers, phone numbers and the contract's one-character marks (+, -) start with + or - too.
_NOT_A_FORMULA = re.compile(r"[+\-]?[\d\s().,/\-]*")


def formula_problem(value: Any) -> str | None:
    """Say why a cell is refused as a formula: a real one in an .xlsx, or text that starts as one.

    Spreadsheet programs run text starting with = + - or @ as a formula when a file is opened
    (CSV injection), so it is refused rather than stored and passed on.
    """
    if isinstance(value, FormulaCell):
        shown = str(value)
        shown = shown if len(shown) <= 40 else shown[:39] + "…"
        return (
            f"the cell holds a formula ({shown}): Bilim imports values, not formulas; replace "
            "it by its value (copy, then paste values only) and import again"
        )
    if type(value) is not str:
        return None
    text = value.strip()
    if text[:1] not in _FORMULA_LEAD or _NOT_A_FORMULA.fullmatch(text):
        return None
    shown = text if len(text) <= 40 else text[:39] + "…"
    return (
        f"'{shown}' starts with '{text[0]}', as a spreadsheet formula does: Bilim does not "
        f"import formulas; remove the '{text[0]}' or write the value itself"
    )


# --- rows and resources ------------------------------------------------------------------------


@dataclass
class Row:
    """One non-blank spreadsheet row, its values keyed by canonical column name."""

    number: int
    values: dict[str, Any]

    def raw(self, column: str) -> Any:
        return self.values.get(column)

    def text(self, column: str) -> str:
        """The cell as text, trimmed, inner spaces collapsed; '' when blank or absent."""
        value = self.values.get(column)
        if type(value) is str and "  " not in value and value.isprintable():
            # What clean_text would do, without its regular expression: a printable string
            # holds no whitespace but the plain space, so only the ends need trimming.
            return value.strip()
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return clean_text(value)

    def has(self, column: str) -> bool:
        return not _is_blank(self.values.get(column))


@dataclass
class Counts:
    """Created / updated / unchanged counts per kind of record, in the order first counted."""

    by_kind: dict[str, Counter] = field(default_factory=dict)

    def add(self, kind: str, outcome: str, n: int = 1) -> None:
        self.by_kind.setdefault(kind, Counter())[outcome] += n

    def get(self, kind: str, outcome: str) -> int:
        return self.by_kind.get(kind, Counter())[outcome]

    def line(self) -> str:
        parts = []
        for kind, counter in self.by_kind.items():
            outcomes = [
                "created",
                "updated",
                "unchanged",
                *sorted(set(counter) - {"created", "updated", "unchanged"}),
            ]
            parts.append(f"{kind}: " + ", ".join(f"{counter[o]} {o}" for o in outcomes))
        return "; ".join(parts)


class ImportResult(Result):
    """django-import-export's Result, plus the problems and counts Bilim reports."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.problems: list[ImportProblem] = []
        self.counts = Counts()
        self.dry_run = False

    @property
    def ok(self) -> bool:
        return not self.problems and not self.base_errors

    def has_validation_errors(self) -> bool:
        return bool(self.problems) or super().has_validation_errors()

    def summary_line(self) -> str:
        prefix = "dry run, nothing written: " if self.dry_run else ""
        return prefix + (self.counts.line() or "nothing to import")

    def record_problems(self, problems: Problems) -> None:
        """Keep the problems and show them in the admin as invalid rows."""
        self.problems = problems.sorted()
        by_row: dict[int, dict[str, list[str]]] = {}
        for p in self.problems:
            by_row.setdefault(p.row, {}).setdefault(p.column, []).append(p.message)
        for number, errors in by_row.items():
            # import-export numbers rows from 1 for the first data row; Bilim from the header.
            self.invalid_rows.append(
                InvalidRow(number=number, validation_error=ValidationError(errors), values=())
            )
            self.totals[RowResult.IMPORT_TYPE_INVALID] += 1

    def add_row(self, import_type: str, instance: Any = None, values: dict | None = None) -> None:
        """Record what happens to one row, for the admin's preview."""
        row_result = RowResult()
        row_result.import_type = import_type
        row_result.row_values = values or {}
        row_result.instance = instance
        row_result.add_instance_info(instance)
        self.append_row_result(row_result)
        self.increment_row_result_total(row_result)


class BilimResource(resources.ModelResource):
    """A resource whose import validates the whole file, then writes it in bulk, or not at all.

    Subclasses declare ``columns`` (canonical name -> required) and implement ``plan`` and
    ``apply``. Export keeps django-import-export's ordinary behaviour.
    """

    columns: ClassVar[dict[str, bool]] = {}
    # Columns recognised by pattern rather than by name (e.g. day columns named by date).
    column_pattern: ClassVar[re.Pattern | None] = None

    def import_data(
        self,
        dataset: tablib.Dataset,
        dry_run: bool = False,
        raise_errors: bool = False,
        use_transactions: bool | None = None,
        collect_failed_rows: bool = False,
        rollback_on_validation_errors: bool = False,
        **kwargs: Any,
    ) -> ImportResult:
        """Validate every row; unless dry_run or a problem was found, write all of them."""
        result = ImportResult()
        result.dry_run = dry_run
        result.diff_headers = list(dataset.headers or [])
        result.total_rows = len(dataset)
        problems = Problems()
        rows = self.read_rows(dataset, problems)
        if not rows and not problems:
            problems.add(1, "file", "there are no filled rows below the header: nothing to import")
        plan = None
        if not problems:
            plan = self.plan(rows, problems, result=result, **kwargs)
        if problems:
            result.record_problems(problems)
            if raise_errors:
                raise ValidationError([str(p) for p in result.problems])
            return result
        if not dry_run:
            try:
                with transaction.atomic():
                    self.apply(plan, result=result, **kwargs)
            except IntegrityError as exc:
                # Another writer got in between validation and writing: nothing was kept.
                result.append_base_error(exc)
                result.problems = [
                    ImportProblem(
                        0,
                        "file",
                        f"the database refused the change: {exc}; nothing was written, try again",
                    )
                ]
                if raise_errors:
                    raise
        return result

    def read_rows(self, dataset: tablib.Dataset, problems: Problems) -> list[Row]:
        """Map headers to canonical columns and return the non-blank rows."""
        positions: dict[str, int] = {}
        for index, header in enumerate(dataset.headers or []):
            key = header_key(header)
            known = key in self.columns or (
                self.column_pattern is not None and self.column_pattern.fullmatch(key)
            )
            if not known:
                continue  # unknown columns are ignored
            if key in positions:
                problems.add(1, clean_text(header), "this column appears twice")
                continue
            positions[key] = index
        for column, required in self.columns.items():
            if required and column not in positions:
                problems.add(1, column, "required column is missing")
        if problems:
            return []
        rows = []
        for index, values in enumerate(dataset):
            if all(_is_blank(v) for v in values):
                continue
            row = Row(number=index + 2, values={c: values[i] for c, i in positions.items()})
            for column, value in row.values.items():
                if type(value) is not str or value[:1] in _FORMULA_LEAD or value[:1].isspace():
                    message = formula_problem(value)
                    if message:
                        problems.add(row.number, column, message)
            rows.append(row)
        if problems:
            return []
        return rows

    def plan(self, rows: list[Row], problems: Problems, *, result: ImportResult, **kwargs):
        """Validate the rows and decide what to write; report problems, write nothing."""
        raise NotImplementedError

    def apply(self, plan: Any, *, result: ImportResult, **kwargs) -> None:
        """Write what ``plan`` decided, in bulk."""
        raise NotImplementedError


class ImportCommand(BaseCommand):
    """A ``manage.py import_*`` command: read FILE, import it all or nothing, report."""

    resource_class: type[BilimResource]

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="an .xlsx or .csv file")
        parser.add_argument(
            "--dry-run", action="store_true", help="validate and report, write nothing"
        )

    def handle(self, *args: Any, file: str, dry_run: bool, **options: Any) -> None:
        try:
            dataset = load_dataset(file)
        except ImportFileError as exc:
            raise CommandError(f"{file}: {exc}; nothing was written", returncode=1) from exc
        # The audit trail names the command (there is no signed-in person).
        command = type(self).__module__.rsplit(".", 1)[-1]
        result = self.resource_class().import_data(
            dataset, dry_run=dry_run, actor=f"manage.py {command}"
        )
        if result.problems:
            for problem in result.problems:
                self.stderr.write(str(problem))
            raise CommandError(
                f"{len(result.problems)} problem(s) in {file}; nothing was written", returncode=1
            )
        self.stdout.write(result.summary_line())
