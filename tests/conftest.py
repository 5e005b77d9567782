"""Shared fixtures: factories and a writer for the spreadsheets the imports read."""

import csv
from importlib import import_module
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


def reference_lists_ensure() -> None:
    """Put back the reference lists and role groups the migrations seed (idempotent).

    A transactional test (the browser tests, the concurrency tests) ends with a flush that
    empties every table, the migrations' seed data included.
    """
    from django.apps import apps

    from trainings.roles import roles_sync

    seed = import_module("participants.migrations.0002_seed_reference_lists").seed
    seed(apps, None)
    roles_sync()


_flushed = []  # set once a transactional test (which ends with a flush) has run


@pytest.fixture
def reference_lists(transactional_db):
    """A transactional test's database with the seeded reference lists and role groups.

    Every test that asks for ``transaction=True`` should use it: the flush that ends such a
    test empties every table, the migrations' seed data included.
    """
    _flushed.append(True)
    reference_lists_ensure()


@pytest.fixture(scope="session", autouse=True)
def _reference_lists_after_the_run(django_db_setup, django_db_blocker):
    """Leave a reused test database (--reuse-db) as the migrations left it, flushes or not."""
    yield
    if _flushed:
        with django_db_blocker.unblock():
            reference_lists_ensure()


@pytest.fixture(autouse=True)
def _empty_cache():
    """Start every test with an empty cache: the sign-in and verification limits count there,
    and every test comes from the same address."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture
def clock(monkeypatch):
    """A settable time.time: ``clock.now += 60`` moves on every reader of time.time (the cache's
    expiry, the sign-in windows, the TOTP check)."""
    import time

    class Clock:
        now = time.time()

        def __call__(self) -> float:
            return self.now

    fake = Clock()
    monkeypatch.setattr(time, "time", fake)
    return fake
