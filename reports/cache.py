"""Statistics kept in Django's cache until the data they count changes.

Computing every breakdown over 300,000 participations takes seconds; reading them back from the
cache takes a millisecond. The figures are kept under a *data version*, a random value in the
cache that changes whenever any row of Bilim's own tables is written: every INSERT, UPDATE or
DELETE on a ``participants_``, ``trainings_``, ``certificates_`` or ``reports_`` table, however it
was made (a page, a command, an import's bulk_create, a queryset update, the admin, a background
job), is seen at the database connection itself by an execute wrapper, so no write path can
forget to tell the cache. The version changes at once and again when the transaction commits,
so a page never shows figures older than the data committed before it was asked for.

Writes made outside Django (psql) are not seen: BILIM_STATS_CACHE_SECONDS bounds how long such
figures can stay (10 minutes unless set; 0 turns the cache off). With several processes (gunicorn
workers, app servers, the job worker) the cache must be shared between them, as production's
database or Redis cache is; with the per-process local-memory cache each process would keep its
own version and miss the others' writes.
"""

import hashlib
import re
import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db import connections, transaction
from django.db.backends.signals import connection_created

VERSION_KEY = "bilim:stats:version"
# INSERT INTO / UPDATE / DELETE FROM one of the counted apps' tables, quoted or not.
_WRITE = re.compile(
    r"\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+[\"`]?(?:participants|trainings|certificates|reports)_",
    re.IGNORECASE,
)


def data_version() -> str:
    """Return the current data version, starting a new one if the cache has none."""
    version = cache.get(VERSION_KEY)
    if version is None:
        # A fresh value, never a counter restarting at 0: entries stored under an old version
        # (before the cache lost this key) must not come back.
        cache.add(VERSION_KEY, uuid.uuid4().hex, timeout=None)
        version = cache.get(VERSION_KEY)
    return version


def bump() -> None:
    """Start a new data version: every figure kept so far is no longer read."""
    cache.set(VERSION_KEY, uuid.uuid4().hex, timeout=None)


def remember(key: tuple, compute: Callable[[], Any], *, version: str | None = None) -> Any:
    """Return what ``compute()`` gives, from the cache while the data has not changed.

    ``version`` is ``fragment_key(key)`` when the caller has it already (one cache read less).
    """
    version = version or fragment_key(key)
    if version is None:
        return compute()
    cache_key = f"bilim:stats:{version}"
    value = cache.get(cache_key)
    if value is None:
        value = compute()
        cache.set(cache_key, value, timeout=settings.BILIM_STATS_CACHE_SECONDS)
    return value


def fragment_key(key: tuple) -> str | None:
    """Name what ``key`` describes at the current data version; None when the cache is off.

    A template can keep what it rendered from such figures under this name too
    (``{% cache %}``): the statistics page keeps its whole figures section.
    """
    if settings.BILIM_STATS_CACHE_SECONDS <= 0:
        return None
    return f"{data_version()}:{hashlib.sha256(repr(key).encode()).hexdigest()}"


class CachedCountPaginator(Paginator):
    """A paginator whose total comes from the cache while the data has not changed.

    ``count_key`` names the list and its filters. Counting every participant again for each
    page of the directory was the dearest query of the page; the pages themselves are still
    read from the database each time.
    """

    def __init__(self, object_list: Any, per_page: int, *, count_key: tuple, **kwargs: Any):
        super().__init__(object_list, per_page, **kwargs)
        self.count_key = count_key

    @property
    def count(self) -> int:
        if not hasattr(self, "_kept_count"):
            self._kept_count = remember(self.count_key, lambda: Paginator.count.func(self))
        return self._kept_count


def is_write(sql: str) -> bool:
    """Tell whether a statement writes one of the tables the statistics count."""
    return _WRITE.match(sql) is not None


def _watch(execute, sql, params, many, context):
    result = execute(sql, params, many, context)
    if isinstance(sql, str) and is_write(sql):
        changed(context["connection"])
    return result


def changed(connection) -> None:
    """Start a new data version for a write on this connection (the watch calls it; so does a
    write the watch cannot see, such as psycopg's COPY)."""
    if not connection.in_atomic_block:
        bump()
        return
    # Once per transaction: at its first write, so that the transaction itself reads fresh
    # figures, and when it commits, so that nobody keeps figures computed in between from the
    # old rows. A rollback drops the callback, and the next write registers it again.
    if any(entry[1] is bump for entry in connection.run_on_commit):
        return
    bump()
    transaction.on_commit(bump, using=connection.alias)


def install(sender=None, connection=None, **kwargs: Any) -> None:
    """Watch a database connection's writes (connected to ``connection_created``)."""
    if connection is not None and _watch not in connection.execute_wrappers:
        connection.execute_wrappers.append(_watch)


def install_everywhere() -> None:
    """Watch every connection, those opened later included."""
    connection_created.connect(install, dispatch_uid="bilim-stats-cache")
    for connection in connections.all(initialized_only=True):
        install(connection=connection)
