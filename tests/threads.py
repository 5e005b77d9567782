"""Run work in threads released together, for the PostgreSQL concurrency tests."""

import threading

from django.db import connections


def run_at_once(work: list) -> tuple[list, list]:
    """Run each callable in its own thread, released together; return (results, errors)."""
    barrier = threading.Barrier(len(work))
    results, errors = [], []

    def run(job) -> None:
        try:
            barrier.wait()
            results.append(job())
        except Exception as exc:  # reported by the test
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(job,)) for job in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors
