"""Measure Bilim's busiest pages under load: gunicorn with 2 workers, wrk with 16 connections.

    python bench/load.py [--size N] [--duration 15] [--connections 16] [--threads 2]
                         [--workers 2] [--runs 5] [--out DIR] [--keep]

Like bench/imports_and_stats.py (whose data generator and database helpers it uses), the
benchmark builds its own database and never touches the developer's: a fresh SQLite file
``--out/load.sqlite3``, or, when DATABASE_URL names a PostgreSQL database, ``<that name>_bench``,
created and dropped. It fills it with N participations, signs an organiser in (a session row and
its cookie), starts ``gunicorn config.wsgi -w 2`` on a free port of 127.0.0.1 with
bench/load_settings.py (DEBUG off), and drives each page with wrk for ``--duration`` seconds after
a warm-up. wrk's Lua hook (bench/load.lua) prints the 95th percentile, which ``--latency`` leaves
out.

For each page it prints ``load_<page>_p95_ms`` (under load), ``load_<page>_requests_per_s``,
``load_<page>_non2xx`` (must be 0) and, beside them, ``plain_<page>_ms``: the best of ``--runs``
single requests to the same page in Django's test client, in this process, one at a time, with no
HTTP server and no concurrency. The ratio ``load_<page>_p95_to_plain`` thus shows what serving 16
connections with 2 workers on this machine adds to the page's own time (queueing mostly: with 16
connections and 2 workers, each request waits for up to 7 others).

Without wrk (Debian: ``apt-get install wrk``) the load figures are skipped with a message and only
the plain figures are printed.
"""

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from imports_and_stats import (
    ROOT,
    emit,
    generate,
    note,
    open_database,
    ratio,
    setup_django,
)

BENCH = ROOT / "bench"
PAGES = ("sessions", "directory", "session_page", "statistics")


def sign_in() -> tuple[object, str]:
    """Create an organiser (a reader of every page measured); return it and its session cookie."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.test import Client

    from trainings import roles

    user = get_user_model().objects.create_user("bench-organiser", password="not-used-bench")
    user.groups.add(Group.objects.get(name=roles.ORGANISER))
    client = Client()
    client.force_login(user)
    return user, client.cookies["sessionid"].value


def page_urls() -> dict[str, str]:
    """The pages measured; the session page is the one of the session with most enrolments."""
    from django.db.models import Count
    from django.urls import reverse

    from trainings.models import Session

    biggest = (
        Session.objects.annotate(n=Count("enrolments")).order_by("-n", "code").values("code")[0]
    )
    return {
        "sessions": reverse("trainings:session_list"),
        "directory": reverse("participants:participant_list"),
        "session_page": reverse("trainings:session_detail", args=[biggest["code"]]),
        "statistics": reverse("reports:statistics"),
    }


def plain(user: object, urls: dict[str, str], runs: int) -> dict[str, float]:
    """Time one request to each page in Django's test client (best of ``runs``), in seconds."""
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    times = {}
    for page, url in urls.items():
        best = float("inf")
        for _ in range(runs):
            start = time.perf_counter()
            response = client.get(url)
            best = min(best, time.perf_counter() - start)
            if response.status_code != 200:
                raise SystemExit(f"{url} answered {response.status_code} in the test client")
        times[page] = best
        note(f"plain {page} {url}: {best * 1000:.1f} ms, {len(response.content)} bytes")
    if "statistics" in urls:
        # The figures above come from the cache after the first request; these are computed.
        from django.test import override_settings

        best = float("inf")
        with override_settings(BILIM_STATS_CACHE_SECONDS=0):
            for _ in range(runs):
                start = time.perf_counter()
                client.get(urls["statistics"])
                best = min(best, time.perf_counter() - start)
        times["statistics_uncached"] = best
        note(f"plain statistics, cache off: {best * 1000:.1f} ms")
    return times


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_env() -> dict[str, str]:
    """The environment of gunicorn and its helpers: bench/load_settings.py on the bench data."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "load_settings",
        # The project first: bench/certificates.py must not shadow the certificates app.
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(BENCH)]),
    }


def create_cache_table() -> None:
    """Create the database cache's table that bench/load_settings.py uses, as production does."""
    subprocess.run(
        [sys.executable, "manage.py", "createcachetable"], env=server_env(), cwd=ROOT, check=True
    )


def start_gunicorn(workers: int) -> tuple[subprocess.Popen, str]:
    """Start gunicorn on the bench database; return it and its base URL once it answers."""
    port = free_port()
    env = server_env()
    gunicorn = Path(sys.executable).with_name("gunicorn")
    command = [
        str(gunicorn) if gunicorn.exists() else "gunicorn",
        "config.wsgi",
        "-w",
        str(workers),
        "-b",
        f"127.0.0.1:{port}",
        "--chdir",
        str(ROOT),
        "--log-level",
        "warning",
    ]
    note(" ".join(command))
    server = subprocess.Popen(command, env=env, cwd=ROOT, start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn stopped with {server.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return server, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.2)
    stop(server)
    raise SystemExit("gunicorn did not answer within 30 s")


def stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def check(base: str, url: str, cookie: str) -> None:
    """wrk counts 4xx/5xx as errors but not a redirect to sign-in: make sure the page is a 200."""
    import urllib.error
    import urllib.request

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(base + url, headers={"Cookie": f"sessionid={cookie}"})
    try:
        status = opener.open(request, timeout=300).status
    except urllib.error.HTTPError as error:
        status = error.code
    if status != 200:
        raise SystemExit(f"{url} answered {status} through gunicorn")


def wrk(
    base: str, url: str, cookie: str, *, seconds: int, connections: int, threads: int
) -> dict[str, int]:
    """Run wrk on one URL; return what bench/load.lua printed."""
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "30s",
        "-H",
        f"Cookie: sessionid={cookie}",
        "-s",
        str(BENCH / "load.lua"),
        base + url,
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    figures = {}
    for line in output.split("--- bilim load ---", 1)[1].split("\n"):
        if line.strip():
            key, value = line.split()
            figures[key] = int(value)
    return figures


def measure(page: str, url: str, base: str, cookie: str, args, plain_seconds: float) -> None:
    """Warm the page up, put it under load with wrk, print its figures."""
    check(base, url, cookie)
    load = {"connections": args.connections, "threads": args.threads}
    note(f"warming up {page} ({args.warmup} s)")
    wrk(base, url, cookie, seconds=args.warmup, **load)
    note(f"load on {page} {url} ({args.duration} s, {args.connections} connections)")
    figures = wrk(base, url, cookie, seconds=args.duration, **load)
    if not figures["requests"]:
        # No answer came back within the run: wrk has no latency to report.
        over = f">{args.duration * 1000}"
        emit(f"load_{page}_p95_ms", over, "ms (no request finished within the run)")
        emit(f"load_{page}_requests_per_s", 0, "req/s")
        return
    p95 = figures["p95_us"] / 1000
    emit(f"load_{page}_p95_ms", f"{p95:.1f}", "ms")
    emit(f"load_{page}_p50_ms", f"{figures['p50_us'] / 1000:.1f}", "ms")
    per_second = figures["requests"] / (figures["duration_us"] / 1e6)
    emit(f"load_{page}_requests_per_s", f"{per_second:.1f}", "req/s")
    emit(f"load_{page}_non2xx", figures["non2xx"], "responses")
    emit(f"load_{page}_socket_errors", figures["socket_errors"], "errors")
    emit(f"load_{page}_p95_to_plain", ratio(p95 / 1000, plain_seconds), "x")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000, help="participations to generate")
    parser.add_argument("--duration", type=int, default=15, help="seconds of load per page")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of load before each")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--runs", type=int, default=5, help="single requests; the best counts")
    parser.add_argument("--pages", default=",".join(PAGES), help="comma-separated pages")
    parser.add_argument("--out", type=Path, default=BENCH / "out", help="where SQLite goes")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args(argv)
    if args.size < 100 or args.runs < 1 or args.duration < 1:
        parser.error("--size must be at least 100, --runs and --duration at least 1")
    pages = [p for p in args.pages.split(",") if p]
    if unknown := set(pages) - set(PAGES):
        parser.error(f"unknown pages: {', '.join(sorted(unknown))}")
    args.out.mkdir(parents=True, exist_ok=True)
    # WhiteNoise warns that staticfiles/ is missing: the bench asks for HTML pages only.
    warnings.filterwarnings("ignore", message="No directory at")

    # The same key in this process (which signs the session in) and in gunicorn (which reads it).
    os.environ["DJANGO_SECRET_KEY"] = "bench-load-only-never-deployed"
    vendor, drop = open_database(args.out, args.keep, "load.sqlite3")
    try:
        setup_django()
        print(f"database: {vendor}", flush=True)
        note(f"generating {args.size} participations")
        world = generate(args.size)
        emit("participations", world.enrolments, "rows")
        emit("sessions", world.sessions, "rows")
        # Other work on the machine lengthens every queue: say how busy it was.
        busy = f"{os.getloadavg()[0]:.1f}"
        emit("machine_load_average", busy, f"(1 min, {os.cpu_count()} cores)")
        user, cookie = sign_in()
        urls = {page: url for page, url in page_urls().items() if page in pages}
        times = plain(user, urls, args.runs)
        for page in times:
            emit(f"plain_{page}_ms", f"{times[page] * 1000:.1f}", "ms")

        if shutil.which("wrk") is None:
            print(
                "wrk is not installed (Debian: apt-get install wrk): load figures skipped",
                flush=True,
            )
            return
        from django.db import connections

        connections.close_all()
        create_cache_table()
        # A fresh gunicorn for each page: when wrk stops, the workers still owe the answers
        # queued on its 16 connections, which would otherwise land in the next page's figures.
        for page, url in urls.items():
            server, base = start_gunicorn(args.workers)
            try:
                measure(page, url, base, cookie, args, times[page])
            finally:
                stop(server)
    finally:
        drop()


if __name__ == "__main__":
    main()
