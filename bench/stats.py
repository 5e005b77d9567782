"""Measure ``stats --json`` against one hand-written SQL query per figure of the JSON.

    python bench/stats.py [--size 100000] [--runs 3] [--out DIR] [--keep] [--reuse]

Like bench/imports_and_stats.py (whose database helpers and data generator it uses) it builds its
own database and never touches the developer's: a fresh SQLite file, ``stats.sqlite3`` in
``--out`` (default ``bench/out/``), or, when DATABASE_URL names a PostgreSQL database, a database
called ``<that name>_bench`` that it creates and drops. ``--keep`` keeps it; ``--reuse`` measures
a kept one again without generating (for profiling). It prints one line per figure,
``name: value unit``, on standard output; progress goes to standard error.

The baseline is what the JSON would cost written by hand: one ``GROUP BY`` (or one aggregate)
per breakdown or figure, in SQL that runs unchanged on SQLite and PostgreSQL. Its numbers must
equal ``summary()``'s, or the run fails.
"""

import argparse
import json
import math
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from imports_and_stats import (  # noqa: E402
    ROOT,
    emit,
    note,
    ratio,
    seconds,
    setup_django,
)
from imports_and_stats import (  # noqa: E402
    open_database as open_database_of_its_own,
)


def open_database(out: Path, keep: bool, reuse: bool) -> tuple[str, Callable[[], None]]:
    """Point Django at a database of the benchmark's own; return its vendor and a clean-up."""
    url = os.environ.get("DATABASE_URL", "")
    postgres = url.startswith(("postgres://", "postgresql://", "pgsql://"))
    if reuse:
        if postgres:
            from urllib.parse import urlsplit

            name = urlsplit(url).path.lstrip("/")
            os.environ["DATABASE_URL"] = urlsplit(url)._replace(path=f"/{name}_bench").geturl()
        else:
            os.environ["DATABASE_URL"] = f"sqlite:///{out / 'stats.sqlite3'}"
        return ("postgresql" if postgres else "sqlite"), lambda: None
    return open_database_of_its_own(out, keep, "stats.sqlite3")


# --- the hand-written baseline -----------------------------------------------------------------


def tables() -> dict[str, str]:
    from certificates.models import Certificate
    from participants.models import Agency, AgencyType, Gender, Participant, Region
    from trainings.models import Attendance, Course, Enrolment, Session, TrainingDay

    models = {
        "enrolment": Enrolment,
        "session": Session,
        "participant": Participant,
        "gender": Gender,
        "agency": Agency,
        "agency_type": AgencyType,
        "region": Region,
        "course": Course,
        "day": TrainingDay,
        "attendance": Attendance,
        "certificate": Certificate,
    }
    return {name: model._meta.db_table for name, model in models.items()}


# The scope of every figure: counted statuses, in sessions not cancelled.
SCOPE = "e.status IN (%(registered)s, %(confirmed)s) AND s.status <> %(cancelled)s"
IN_SCOPE = "{enrolment} e JOIN {session} s ON s.id = e.session_id"


def queries() -> dict[str, str]:
    """One hand-written query per figure of the JSON, keyed by the JSON's name for it."""
    scope = IN_SCOPE + " WHERE " + SCOPE
    by_person = IN_SCOPE + " JOIN {participant} p ON p.id = e.participant_id"
    texts = {
        "headline": (
            "SELECT COUNT(DISTINCT e.session_id), COUNT(*), COUNT(DISTINCT e.participant_id) "
            "FROM " + scope
        ),
        "by_gender": (
            "SELECT g.code, COUNT(DISTINCT e.participant_id), COUNT(*) FROM " + by_person + " "
            "JOIN {gender} g ON g.id = p.gender_id WHERE " + SCOPE + " GROUP BY g.code"
        ),
        "by_agency_type": (
            "SELECT t.name, COUNT(DISTINCT e.participant_id), COUNT(*) FROM " + by_person + " "
            "JOIN {agency} a ON a.id = p.agency_id JOIN {agency_type} t ON t.id = a.type_id "
            "WHERE " + SCOPE + " GROUP BY t.name"
        ),
        "by_region": (
            "SELECT r.name, COUNT(DISTINCT e.participant_id), COUNT(*) FROM " + by_person + " "
            "LEFT JOIN {region} r ON r.id = p.region_id WHERE " + SCOPE + " GROUP BY r.name"
        ),
        "by_course": (
            "SELECT c.code, COUNT(DISTINCT e.participant_id), COUNT(*) FROM " + IN_SCOPE + " "
            "JOIN {course} c ON c.id = s.course_id WHERE " + SCOPE + " GROUP BY c.code"
        ),
        "attendance_rate": (
            "SELECT (SELECT COUNT(*) FROM " + IN_SCOPE + " JOIN {day} d ON d.session_id = s.id "
            "WHERE " + SCOPE + "), (SELECT COUNT(*) FROM {attendance} x "
            "JOIN {enrolment} e ON e.id = x.enrolment_id JOIN {session} s ON s.id = e.session_id "
            "WHERE x.present = %(true)s AND " + SCOPE + ")"
        ),
        "assessment": (
            "SELECT COUNT(*), "
            "AVG(CAST(e.pre_score AS FLOAT) * 100.0 / CAST(s.max_score AS FLOAT)), "
            "AVG(CAST(e.post_score AS FLOAT) * 100.0 / CAST(s.max_score AS FLOAT)), "
            "COUNT(CASE WHEN e.post_score > e.pre_score THEN 1 END) FROM " + scope + " "
            "AND e.pre_score IS NOT NULL AND e.post_score IS NOT NULL"
        ),
        "certificates": (
            "SELECT COUNT(*) FROM {certificate} c JOIN {enrolment} e ON e.id = c.enrolment_id "
            "JOIN {session} s ON s.id = e.session_id WHERE c.revoked = %(false)s AND " + SCOPE
        ),
    }
    names = tables()
    return {name: text.format(**names) for name, text in texts.items()}


def parameters() -> dict[str, Any]:
    from trainings.models import Enrolment, Session

    return {
        "registered": Enrolment.Status.REGISTERED.value,
        "confirmed": Enrolment.Status.CONFIRMED.value,
        "cancelled": Session.Status.CANCELLED.value,
        "true": True,
        "false": False,
    }


def run_sql() -> tuple[dict[str, float], dict[str, Any]]:
    """Run each hand-written query once; return each one's seconds and the figures they give."""
    from django.db import connection

    times: dict[str, float] = {}
    rows: dict[str, list[tuple]] = {}
    params = parameters()
    with connection.cursor() as cursor:
        for name, query in queries().items():
            start = time.perf_counter()
            cursor.execute(query, params)
            rows[name] = cursor.fetchall()
            times[name] = time.perf_counter() - start
    return times, as_json(rows)


def as_json(rows: dict[str, list[tuple]]) -> dict[str, Any]:
    """Shape the baseline's rows like the JSON (breakdowns without their zero rows)."""
    sessions, participations, participants = rows["headline"][0]
    scheduled, present = rows["attendance_rate"][0]
    pairs, pre, post, improved = rows["assessment"][0]
    gain = None if not pairs else post - pre
    return {
        "sessions": sessions,
        "participations": participations,
        "participants": participants,
        **{
            name: {
                "unknown" if key is None else key: {"participants": n, "participations": m}
                for key, n, m in rows[name]
            }
            for name in ("by_gender", "by_agency_type", "by_region", "by_course")
        },
        "attendance_rate": present / scheduled if scheduled else None,
        "assessment": {
            "pairs": pairs,
            "pre_mean": pre if pairs else None,
            "post_mean": post if pairs else None,
            "mean_gain": gain,
            "improved_share": improved / pairs if pairs else None,
            # Full marks before the course leave no room to gain (stats.py's tolerance).
            "normalized_gain": (None if not pairs or pre >= 100.0 - 1e-9 else gain / (100.0 - pre)),
        },
        "certificates": rows["certificates"][0][0],
    }


def disagreements(data: dict[str, Any], sql: dict[str, Any]) -> list[str]:
    """Where ``summary()`` and the baseline differ (zero rows of the JSON left aside)."""
    found = []

    def same(a: Any, b: Any) -> bool:
        if isinstance(a, float) or isinstance(b, float):
            return a is not None and b is not None and math.isclose(a, b, rel_tol=1e-9)
        return a == b

    for name, expected in sql.items():
        got = data[name]
        if isinstance(expected, dict) and name != "assessment":
            got = {k: dict(v) for k, v in got.items() if v["participations"]}
        if isinstance(expected, dict):
            keys = set(got) | set(expected)
            if any(not same(got.get(k), expected.get(k)) for k in keys) or set(got) != set(
                expected
            ):
                found.append(f"{name}: summary {got} != SQL {expected}")
        elif not same(got, expected):
            found.append(f"{name}: summary {got!r} != SQL {expected!r}")
    return found


# --- measuring ---------------------------------------------------------------------------------


def stats_json() -> tuple[dict, str]:
    from reports.stats import Filters, summary

    data = summary(Filters())
    return data, json.dumps(data, ensure_ascii=False, indent=2)  # as ``stats --json`` prints it


def measure(runs: int) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    best_sql: dict[str, float] = {}
    best_json = float("inf")
    sql: dict[str, Any] = {}
    data: dict[str, Any] = {}
    with CaptureQueriesContext(connection) as captured:
        stats_json()
    for _ in range(runs):  # alternately, so that both see the same machine
        times, sql = run_sql()
        for name, value in times.items():
            best_sql[name] = min(best_sql.get(name, float("inf")), value)
        start = time.perf_counter()
        data, _ = stats_json()
        best_json = min(best_json, time.perf_counter() - start)
    found = disagreements(data, sql)
    if found:
        raise SystemExit("summary() disagrees with the hand-written SQL:\n  " + "\n  ".join(found))
    sql_seconds = sum(best_sql.values())
    emit("stats_participations", data["participations"], "rows")
    for name, value in best_sql.items():
        emit(f"stats_sql_{name}_seconds", seconds(value), "s")
    emit("stats_json_seconds", seconds(best_json), "s")
    emit("stats_sql_seconds", seconds(sql_seconds), "s")
    emit("stats_json_ratio", ratio(best_json, sql_seconds), "x")
    emit("stats_json_queries", len(captured), "queries")
    emit("stats_sql_queries", len(best_sql), "queries")
    emit("stats_agrees", 1, "bool")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000, help="enrolments to generate")
    parser.add_argument(
        "--runs", type=int, default=3, help="runs of each measurement; the best one counts"
    )
    parser.add_argument(
        "--out", type=Path, default=ROOT / "bench" / "out", help="where the database goes"
    )
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--reuse", action="store_true", help="measure a kept database again, without generating"
    )
    args = parser.parse_args(argv)
    if args.size < 100 or args.runs < 1:
        parser.error("--size must be at least 100, --runs at least 1")
    args.out.mkdir(parents=True, exist_ok=True)

    vendor, drop = open_database(args.out, args.keep, args.reuse)
    try:
        setup_django(migrate=True)
        print(f"database: {vendor}", flush=True)
        if not args.reuse:
            from imports_and_stats import analyze, generate

            note(f"generating {args.size} enrolments")
            start = time.perf_counter()
            world = generate(args.size)
            analyze()
            emit("participations", world.enrolments, "rows")
            emit("generate_seconds", seconds(time.perf_counter() - start), "s")
        note("statistics")
        measure(args.runs)
    finally:
        drop()


if __name__ == "__main__":
    main()
