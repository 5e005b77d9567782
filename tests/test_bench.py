"""The benchmark runs end to end at a tiny size and prints every figure as ``name: value unit``.

It runs in a child process, as ``make bench`` does, on the vendor DATABASE_URL names: its own
SQLite file in a temporary folder, or its own ``<name>_bench`` PostgreSQL database.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIGURE = re.compile(r"(?P<name>[a-z_]+): (?P<value>\d+(?:\.\d+)?) (?P<unit>\S+)")
UNITS = {
    "participations": "rows",
    "participants": "rows",
    "sessions": "rows",
    "attendance": "rows",
    "certificates": "rows",
    "roster_rows": "rows",
    "generate_seconds": "s",
    "stats_participations": "rows",
    "stats_json_seconds": "s",
    "stats_json_queries": "queries",
    "stats_gender_sql_seconds": "s",
    "stats_json_ratio": "x",
    "stats_gender_agrees": "bool",
    "roster_read_seconds": "s",
    "roster_read_openpyxl_seconds": "s",
    "roster_read_ratio": "x",
    "roster_import_seconds": "s",
    "roster_import_rows_per_second": "rows/s",
    "roster_bulk_create_seconds": "s",
    "roster_import_ratio": "x",
}


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess, Path]:
    out = tmp_path_factory.mktemp("bench")
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "imports_and_stats.py"),
            *("--size", "300", "--roster-rows", "50", "--out", str(out)),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        env=os.environ.copy(),
    )
    return result, out


def figures(stdout: str) -> dict[str, tuple[float, str]]:
    found = {}
    for line in stdout.splitlines()[1:]:
        match = FIGURE.fullmatch(line)
        assert match, f"not 'name: value unit': {line!r}"
        found[match["name"]] = (float(match["value"]), match["unit"])
    return found


def test_benchmark_prints_the_database_then_every_figure_with_its_unit(run):
    result, _ = run
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    expected_vendor = (
        "postgresql" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "sqlite"
    )
    assert lines[0] == f"database: {expected_vendor}"
    printed = figures(result.stdout)
    assert {name: unit for name, (_, unit) in printed.items()} == UNITS


def test_benchmark_generates_the_sizes_asked_and_checks_the_statistics(run):
    result, _ = run
    printed = figures(result.stdout)
    assert printed["participations"] == (300, "rows")
    assert printed["participants"] == (120, "rows")
    assert printed["roster_rows"] == (50, "rows")
    assert 0 < printed["stats_participations"][0] < 300  # withdrawn, waitlisted, cancelled out
    assert printed["stats_gender_agrees"] == (1, "bool")
    assert printed["stats_json_queries"][0] >= 1


def test_benchmark_leaves_nothing_behind(run):
    result, out = run
    assert result.returncode == 0, result.stderr
    assert list(out.iterdir()) == []
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        import dj_database_url
        import psycopg

        config = dj_database_url.parse(url)
        # The database the URL names may not exist: pytest-django only creates test_<name>.
        with psycopg.connect(
            dbname="postgres",
            user=config["USER"] or None,
            host=config["HOST"] or None,
            port=config["PORT"] or None,
            password=config["PASSWORD"] or None,
        ) as connection:
            names = connection.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", [f"{config['NAME']}_bench"]
            ).fetchall()
        assert names == []


# --- bench/workbook.py ---------------------------------------------------------------------

WORKBOOK_UNITS = {
    "participations": "rows",
    "generate_seconds": "s",
    "workbook_data_rows": "rows",
    "workbook_export_seconds": "s",
    "workbook_export_peak_mb": "MiB",
    "workbook_export_file_mb": "MiB",
    "workbook_bare_seconds": "s",
    "workbook_bare_peak_mb": "MiB",
    "workbook_bare_file_mb": "MiB",
    "workbook_query_seconds": "s",
    "workbook_idle_mb": "MiB",
    "workbook_export_cpu_seconds": "s",
    "workbook_bare_cpu_seconds": "s",
    "workbook_export_ratio": "x",
    "workbook_export_cpu_ratio": "x",
    "workbook_memory_ratio": "x",
}


def test_workbook_benchmark_prints_every_figure_and_leaves_nothing(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "workbook.py"),
            "--size",
            "300",
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        env=os.environ.copy(),
    )
    assert result.returncode == 0, result.stderr
    printed = figures(result.stdout)
    assert {name: unit for name, (_, unit) in printed.items()} == WORKBOOK_UNITS
    assert printed["participations"] == (300, "rows")
    assert 0 < printed["workbook_data_rows"][0] < 300
    assert list(tmp_path.iterdir()) == []


# --- bench/stats.py ------------------------------------------------------------------------

STATS_FIGURES = ("headline", "by_gender", "by_agency_type", "by_region", "by_course")
STATS_UNITS = {
    "participations": "rows",
    "generate_seconds": "s",
    "stats_participations": "rows",
    **{
        f"stats_sql_{name}_seconds": "s"
        for name in (*STATS_FIGURES, "attendance_rate", "assessment", "certificates")
    },
    "stats_json_seconds": "s",
    "stats_sql_seconds": "s",
    "stats_json_ratio": "x",
    "stats_json_queries": "queries",
    "stats_sql_queries": "queries",
    "stats_agrees": "bool",
}


def test_stats_benchmark_checks_every_figure_against_hand_written_sql(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "stats.py"),
            *("--size", "300", "--runs", "1", "--out", str(tmp_path)),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        env=os.environ.copy(),
    )
    assert result.returncode == 0, result.stderr
    printed = figures(result.stdout)
    assert {name: unit for name, (_, unit) in printed.items()} == STATS_UNITS
    assert printed["participations"] == (300, "rows")
    assert 0 < printed["stats_participations"][0] < 300
    assert printed["stats_agrees"] == (1, "bool")
    assert printed["stats_sql_queries"] == (8, "queries")
    # The baseline's total is the sum of its queries' times (each printed rounded).
    parts = sum(value for name, (value, _) in printed.items() if name.startswith("stats_sql_"))
    parts -= printed["stats_sql_seconds"][0] + printed["stats_sql_queries"][0]
    assert parts == pytest.approx(printed["stats_sql_seconds"][0], abs=0.01)
    assert list(tmp_path.iterdir()) == []


def test_stats_benchmark_fails_when_summary_disagrees_with_the_sql():
    sys.path.insert(0, str(ROOT / "bench"))
    from stats import disagreements

    sql = {"participants": 3, "by_gender": {"female": {"participants": 2, "participations": 3}}}
    agreeing = {
        "participants": 3,
        "by_gender": {
            "female": {"participants": 2, "participations": 3},
            "male": {"participants": 0, "participations": 0},  # zero rows: not in the SQL's
        },
    }
    assert disagreements(agreeing, sql) == []
    off = {"participants": 4, "by_gender": {"female": {"participants": 1, "participations": 3}}}
    assert [line.split(":")[0] for line in disagreements(off, sql)] == [
        "participants",
        "by_gender",
    ]
