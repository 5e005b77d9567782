"""Measure the M&E workbook export against a bare openpyxl write-only workbook of the same rows.

    python bench/workbook.py [--size 100000] [--runs 1] [--out DIR] [--keep]

Like bench/imports_and_stats.py (whose database helpers and data generator it uses) it builds
its own database and never touches the developer's: a fresh SQLite file, ``workbook.sqlite3`` in
``--out`` (default ``bench/out/``), or, when DATABASE_URL names a PostgreSQL database, a
database called ``<that name>_bench`` that it creates and drops. It generates ``--size``
enrolments, then runs each measurement in a fresh child process (so that each one's peak memory,
the child's maximum resident set size, is its own) and prints one line per figure,
``name: value unit``, on standard output; progress goes to standard error.

- ``workbook_export_seconds`` / ``workbook_export_peak_mb``: ``reports.workbook.write_workbook``
  as ``manage.py export_workbook`` runs it: the six statistics sheets (every figure a grouped
  query), their charts, and ``Data``: one query streamed in chunks, every cell typed and styled;
- ``workbook_bare_seconds`` / ``workbook_bare_peak_mb``: the baseline: the same ``Data`` rows
  (the same query, the same values) appended to a single sheet of a bare
  ``Workbook(write_only=True)``, no styles, no other sheet;
- ``workbook_query_seconds``: the Data query alone, its rows iterated and dropped;
- ``workbook_idle_mb``: a child that only sets Django up: the floor under both peaks;
- ``workbook_export_cpu_seconds`` / ``workbook_bare_cpu_seconds``: the same runs' CPU time in
  the child (``time.process_time``): steadier than wall time on a busy machine; it leaves out
  what a PostgreSQL server spends, the same query's for both;
- ratios: export / bare, in wall time, in CPU time and in peak memory.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from imports_and_stats import (  # noqa: E402
    ROOT,
    emit,
    note,
    open_database,
    ratio,
    seconds,
    setup_django,
)

MODES = ("idle", "query", "bare", "export")


def peak_mb() -> float:
    """This process's peak resident set size, in MiB.

    On Linux, VmHWM of /proc/self/status: ``ru_maxrss`` would not do, as it survives ``exec`` and
    so starts from the parent's peak (the generator's). Elsewhere, ``ru_maxrss``.
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kib / 1024 if sys.platform != "darwin" else kib / 1024 / 1024


# --- the child ---------------------------------------------------------------------------------


def child(mode: str, target: Path) -> None:
    """Do one measurement and print it as JSON: seconds, peak MiB, rows, file size."""
    setup_django(migrate=False)
    from openpyxl import Workbook

    from reports.stats import Filters
    from reports.workbook import DataExport, write_workbook

    filters = Filters()
    start = time.perf_counter()
    cpu_start = time.process_time()
    rows = 0
    if mode == "export":
        rows = write_workbook(target, filters)
    elif mode == "bare":
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("Data")
        export = DataExport(filters)
        sheet.append([column.header for column in export.columns()])
        for row in export.rows():
            sheet.append(row)
            rows += 1
        workbook.save(target)
    elif mode == "query":
        for _ in DataExport(filters).rows():
            rows += 1
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu_start
    size = target.stat().st_size if target.exists() else 0
    print(
        json.dumps(
            {"seconds": elapsed, "cpu": cpu, "peak_mb": peak_mb(), "rows": rows, "bytes": size}
        )
    )


def measure(mode: str, target: Path) -> dict:
    """Run one measurement in a fresh interpreter; return what it printed."""
    result = subprocess.run(
        [sys.executable, __file__, "--child", mode, "--target", str(target)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=os.environ.copy(),
    )
    if result.returncode != 0:
        raise SystemExit(f"the {mode} measurement failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


# --- the run -----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000, help="enrolments to generate")
    parser.add_argument(
        "--runs", type=int, default=1, help="runs of each measurement; the best one counts"
    )
    parser.add_argument(
        "--out", type=Path, default=ROOT / "bench" / "out", help="where the files go"
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the database and the workbooks afterwards"
    )
    parser.add_argument("--child", choices=MODES, help=argparse.SUPPRESS)
    parser.add_argument("--target", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.target)
        return
    if args.size < 100 or args.runs < 1:
        parser.error("--size must be at least 100, --runs at least 1")
    args.out.mkdir(parents=True, exist_ok=True)

    vendor, drop = open_database(args.out, args.keep, "workbook.sqlite3")
    files = [args.out / "workbook-export.xlsx", args.out / "workbook-bare.xlsx"]
    try:
        setup_django(migrate=True)
        from imports_and_stats import analyze, generate

        print(f"database: {vendor}", flush=True)
        note(f"generating {args.size} enrolments")
        start = time.perf_counter()
        world = generate(args.size)
        analyze()
        emit("participations", world.enrolments, "rows")
        emit("generate_seconds", seconds(time.perf_counter() - start), "s")
        from django.db import connections

        connections.close_all()  # the children open their own

        note("measuring (each in a fresh process)")
        idle = measure("idle", args.out / "none")
        best: dict[str, dict] = {}
        for _ in range(args.runs):
            for mode, target in (
                ("query", args.out / "none"),
                ("bare", files[1]),
                ("export", files[0]),
            ):
                figures = measure(mode, target)
                if mode not in best or figures["seconds"] < best[mode]["seconds"]:
                    best[mode] = figures
        export, bare, query = best["export"], best["bare"], best["query"]
        if not export["rows"] == bare["rows"] == query["rows"]:
            raise SystemExit(f"the measurements wrote different rows: {best}")
        emit("workbook_data_rows", export["rows"], "rows")
        emit("workbook_export_seconds", seconds(export["seconds"]), "s")
        emit("workbook_export_peak_mb", f"{export['peak_mb']:.1f}", "MiB")
        emit("workbook_export_file_mb", f"{export['bytes'] / 2**20:.1f}", "MiB")
        emit("workbook_bare_seconds", seconds(bare["seconds"]), "s")
        emit("workbook_bare_peak_mb", f"{bare['peak_mb']:.1f}", "MiB")
        emit("workbook_bare_file_mb", f"{bare['bytes'] / 2**20:.1f}", "MiB")
        emit("workbook_query_seconds", seconds(query["seconds"]), "s")
        emit("workbook_idle_mb", f"{idle['peak_mb']:.1f}", "MiB")
        emit("workbook_export_cpu_seconds", seconds(export["cpu"]), "s")
        emit("workbook_bare_cpu_seconds", seconds(bare["cpu"]), "s")
        emit("workbook_export_ratio", ratio(export["seconds"], bare["seconds"]), "x")
        emit("workbook_export_cpu_ratio", ratio(export["cpu"], bare["cpu"]), "x")
        emit("workbook_memory_ratio", ratio(export["peak_mb"], bare["peak_mb"]), "x")
    finally:
        if not args.keep:
            for path in files:
                path.unlink(missing_ok=True)
        drop()


if __name__ == "__main__":
    main()
