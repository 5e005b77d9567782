"""Shared fixtures: factories and a writer for the spreadsheets the imports read."""

import csv
from pathlib import Path

import pytest
from openpyxl import Workbook


@pytest.fixture
def write_xlsx(tmp_path: Path):
    """Write rows (the first is the header) to an .xlsx file and return its path."""

    def write(rows: list[list], name: str = "file.xlsx") -> Path:
        workbook = Workbook()
        sheet = workbook.active
        for row in rows:
            sheet.append(row)
        path = tmp_path / name
        workbook.save(path)
        return path

    return write


@pytest.fixture
def write_csv(tmp_path: Path):
    """Write rows to a CSV file (UTF-8, optional BOM, comma or semicolon) and return its path."""

    def write(
        rows: list[list], name: str = "file.csv", delimiter: str = ",", bom: bool = False
    ) -> Path:
        path = tmp_path / name
        with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as f:
            csv.writer(f, delimiter=delimiter).writerows(rows)
        return path

    return write
