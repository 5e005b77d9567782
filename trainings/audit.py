"""The audit trail's writing side: every change names who made it, bulk writes included.

django-simple-history records one row per ``save()`` and ``delete()`` through signals, naming
the signed-in user of the request (HistoryRequestMiddleware). Bulk writes send no signals and
commands have no request, so the services take ``actor`` (a user, or a short text naming the
command or the public form, e.g. "manage.py enrol") and:

- ``history_stamp`` an instance before its ``save()``/``delete()``, so its row names the actor;
- ``history_record`` the state of many rows after a ``bulk_create``/``bulk_update``/``update()``
  (one INSERT per batch, never one query per row);
- run code ``with history_acting(actor)`` where rows are saved or deleted that the service does
  not hold itself (a delete's cascade): their rows name the actor too.

Without an actor (``None``) the request's user is named, as simple-history does itself.
"""

import contextlib
import contextvars
from collections.abc import Iterable, Iterator
from typing import Any

from django.conf import settings
from django.db import connections, models, router
from django.utils import timezone
from simple_history.models import HistoricalRecords
from simple_history.signals import pre_create_historical_record

CREATED, CHANGED, DELETED = "+", "~", "-"
# history_change_reason is a CharField(max_length=100).
_REASON_LENGTH = 100


def actor_user(actor: Any) -> Any:
    """Return the signed-in user an actor is, or None (a command, the public form, nobody)."""
    if actor is not None and not isinstance(actor, str):
        return actor if getattr(actor, "is_authenticated", False) else None
    return None


def actor_reason(actor: Any) -> str | None:
    """Return the text an actor that is no user stands for ("manage.py enrol"), or None."""
    if isinstance(actor, str) and actor.strip():
        return actor.strip()[:_REASON_LENGTH]
    return None


# The actor of the code running inside ``history_acting``.
_acting: contextvars.ContextVar[Any] = contextvars.ContextVar("history_actor", default=None)


def _request_user() -> Any:
    request = getattr(HistoricalRecords.context, "request", None)
    user = getattr(request, "user", None)
    return user if getattr(user, "is_authenticated", False) else None


@contextlib.contextmanager
def history_acting(actor: Any) -> Iterator[None]:
    """Name the actor on every history row made inside the block by save() or delete()."""
    token = _acting.set(actor)
    try:
        yield
    finally:
        _acting.reset(token)


def _name_acting_actor(sender: Any, instance: Any, history_instance: Any, **kwargs: Any) -> None:
    """Give a row made inside ``history_acting`` its actor, unless the instance names one."""
    actor = _acting.get()
    if actor is None or hasattr(instance, "_history_user"):
        return
    history_instance.history_user = actor_user(actor)
    if not history_instance.history_change_reason:
        history_instance.history_change_reason = actor_reason(actor)


pre_create_historical_record.connect(_name_acting_actor, dispatch_uid="trainings.audit.acting")


def history_stamp(instance: models.Model, actor: Any) -> models.Model:
    """Make the history row of the instance's next save() or delete() name the actor.

    Without an actor the request's user stays named (the middleware's default).
    """
    if actor is None:
        return instance
    instance._history_user = actor_user(actor)
    reason = actor_reason(actor)
    if reason:
        instance._change_reason = reason
    elif hasattr(instance, "_change_reason"):
        del instance._change_reason
    return instance


def history_record(
    objs: Iterable[models.Model],
    *,
    actor: Any,
    kind: str = CHANGED,
    model: type[models.Model] | None = None,
    when: Any = None,
) -> int:
    """Record the current state of rows written in bulk: one history row each; return how many.

    Call it after the bulk write, inside the same transaction: the rows are copied as the
    database now holds them (so objects loaded with deferred fields are recorded whole).
    """
    objs = list(objs)
    if not objs:
        return 0
    return history_record_ids(
        model or type(objs[0]), [obj.pk for obj in objs], actor=actor, kind=kind, when=when
    )


def history_record_ids(
    model: type[models.Model],
    ids: Iterable[int],
    *,
    actor: Any,
    kind: str = CHANGED,
    when: Any = None,
) -> int:
    """Record the current state of the rows with these ids (after a bulk write or ``update()``)."""
    ids = sorted(set(ids))
    if not ids or not getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
        return 0
    actor = actor if actor is not None else _acting.get()
    user = actor_user(actor) if actor is not None else _request_user()
    head = {
        "history_date": when or timezone.now(),
        "history_type": kind,
        "history_user_id": user.pk if user is not None else None,
        "history_change_reason": actor_reason(actor),
    }
    _copy(model, head, ids)
    return len(ids)


# Ids per INSERT ... SELECT: well under SQLite's limit on parameters in one statement.
COPY_BATCH = 500


def _copy(model: type[models.Model], head: dict[str, Any], ids: list[int]) -> None:
    """Copy the rows into the history table with INSERT ... SELECT, a few hundred per statement.

    The database copies the rows itself: building a history object per row in Python and
    compiling its values was most of a 10,000-row roster import's extra time.
    """
    history = model.history.model
    connection = connections[router.db_for_write(history)]
    quote = connection.ops.quote_name
    fixed_fields = [history._meta.get_field(name) for name in head]
    fixed = [f.get_db_prep_save(head[f.attname], connection) for f in fixed_fields]
    if connection.vendor == "postgresql":
        # A bare parameter in a SELECT list has no type there (NULL would be taken for text).
        marks = [f"CAST(%s AS {f.cast_db_type(connection)})" for f in fixed_fields]
    else:
        marks = ["%s"] * len(fixed_fields)
    tracked = history.tracked_fields
    columns = [quote(f.column) for f in fixed_fields] + [
        quote(history._meta.get_field(f.name).column) for f in tracked
    ]
    sources = [*marks, *(quote(f.column) for f in tracked)]
    pk = quote(model._meta.pk.column)
    for start in range(0, len(ids), COPY_BATCH):
        batch = ids[start : start + COPY_BATCH]
        sql = (
            f"INSERT INTO {quote(history._meta.db_table)} ({', '.join(columns)}) "
            f"SELECT {', '.join(sources)} FROM {quote(model._meta.db_table)} "
            f"WHERE {pk} IN ({', '.join(['%s'] * len(batch))}) ORDER BY {pk}"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [*fixed, *batch])


def import_actor(options: dict[str, Any]) -> Any:
    """Return the actor an import was given: ``actor=``, or the admin's ``user=``."""
    actor = options.get("actor")
    return actor if actor is not None else options.get("user")
