"""Writing many new rows at once: COPY on PostgreSQL, ``bulk_create`` elsewhere."""

from collections.abc import Iterable
from typing import Any

from django.db import connections, models, router
from django.db.models.expressions import DatabaseDefault, Value
from django.db.models.functions import Now
from django.utils import timezone


def bulk_insert(model: type[models.Model], objs: Iterable[models.Model]) -> list[models.Model]:
    """Insert new objects of one model and give them their primary keys, as bulk_create does.

    On PostgreSQL the rows go through COPY, with ids drawn from the table's sequence first:
    ``bulk_create`` there packs every column into an array for ``UNNEST``, which took longer
    in Python than the database took to write the rows (a 10,000-row roster's people and
    enrolments). Signals are not sent, as with bulk_create.
    """
    objs = list(objs)
    if not objs:
        return objs
    connection = connections[router.db_for_write(model)]
    if connection.vendor != "postgresql":
        return model._default_manager.bulk_create(objs)
    opts = model._meta
    fields = list(opts.concrete_fields)
    now = timezone.now()
    rows = []
    for obj in objs:
        # A related object saved since it was assigned (a new person's enrolment) gives its id.
        obj._prepare_related_fields_for_save(operation_name="bulk_insert")
        row = []
        for field in fields:
            if field.primary_key:
                row.append(None)  # drawn below
                continue
            value = field.pre_save(obj, add=True)
            if isinstance(value, DatabaseDefault):
                value = _default(field, now)
                if value is _UNKNOWN:
                    return model._default_manager.bulk_create(objs)
                setattr(obj, field.attname, value)
            row.append(field.get_db_prep_save(value, connection))
        rows.append(row)
    quote = connection.ops.quote_name
    pk_index = fields.index(opts.pk)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [opts.db_table, opts.pk.column, len(objs)],
        )
        ids = [pk for (pk,) in cursor.fetchall()]
        columns = ", ".join(quote(field.column) for field in fields)
        with cursor.cursor.copy(f"COPY {quote(opts.db_table)} ({columns}) FROM STDIN") as copy:
            for row, pk in zip(rows, ids, strict=True):
                row[pk_index] = pk
                copy.write_row(row)
    for obj, pk in zip(objs, ids, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = connection.alias
    from reports.cache import changed

    changed(connection)  # COPY does not pass the statistics cache's watch
    return objs


_UNKNOWN = object()


def _default(field: models.Field, now: Any) -> Any:
    """The value a database default gives, for the defaults Bilim's models use."""
    default = field.db_default
    if isinstance(default, Value):
        return default.value
    if isinstance(default, Now):
        return now
    if not hasattr(default, "resolve_expression"):
        return default
    return _UNKNOWN
