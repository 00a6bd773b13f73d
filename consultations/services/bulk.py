"""Bulk writes for the importers (comments, votes): PostgreSQL's COPY where it is available (several
times faster than INSERTs, or than bulk_update's CASE per row, at 100,000 rows), else the ORM in
batches (SQLite, the default runtime).

Nothing here reads ids back or checks anything: callers check their rows first and call these inside
their own transaction (the all-or-nothing unit). On PostgreSQL the rows are not built into model
instances where the caller gives plain tuples (insert_rows, update_rows), so the ORM fills in no
defaults there: such rows must name every NOT NULL column. The temporary tables of update_rows and
of insert_objects(ignore_conflicts=True) live inside a savepoint and are dropped before it ends."""
from __future__ import annotations

from typing import Iterable, Sequence

from django.db import connection, models, transaction

BATCH = 2000


def _copy(cursor, table: str, columns: Sequence[str], rows: Iterable[Sequence]) -> None:
    qn = connection.ops.quote_name
    with cursor.cursor.copy(f"COPY {qn(table)} ({', '.join(qn(c) for c in columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _temp_table(cursor, model: type[models.Model], fields: Sequence[models.Field], *, with_pk: bool = False) -> str:
    """A temporary table with ``fields``' columns (and the primary key first), no constraints; the
    caller drops it before its transaction ends."""
    qn = connection.ops.quote_name
    name = f"bulk_{model._meta.db_table}"
    columns = [f"{qn(f.column)} {f.db_type(connection)}" for f in fields]
    if with_pk:
        pk = model._meta.pk
        columns.insert(0, f"{qn(pk.column)} {pk.rel_db_type(connection)} PRIMARY KEY")
    cursor.execute(f"CREATE TEMPORARY TABLE {qn(name)} ({', '.join(columns)})")
    return name


def insert_objects(model: type[models.Model], objs: list[models.Model], *, ignore_conflicts: bool = False,
                   batch_size: int = BATCH) -> None:
    """Store new instances of ``model`` (their ids are not set). ``ignore_conflicts``: skip the ones
    a unique constraint finds stored already (e.g. by another import at the same moment); on
    PostgreSQL they go through a temporary table and INSERT ... ON CONFLICT DO NOTHING."""
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objs, batch_size=batch_size, ignore_conflicts=ignore_conflicts)
        return
    qn = connection.ops.quote_name
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    columns = [f.column for f in fields]
    rows = ([f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields] for obj in objs)
    if not ignore_conflicts:
        with connection.cursor() as cursor:
            _copy(cursor, model._meta.db_table, columns, rows)
        return
    listing = ", ".join(qn(c) for c in columns)
    with transaction.atomic(), connection.cursor() as cursor:  # the temporary table lives until the end
        temp = _temp_table(cursor, model, fields)
        _copy(cursor, temp, columns, rows)
        cursor.execute(f"INSERT INTO {qn(model._meta.db_table)} ({listing}) SELECT {listing} FROM {qn(temp)} "
                       "ON CONFLICT DO NOTHING")
        cursor.execute(f"DROP TABLE {qn(temp)}")


def insert_rows(model: type[models.Model], fields: Sequence[str], rows: Iterable[Sequence], *,
                batch_size: int = BATCH) -> None:
    """Store new rows of ``model`` given as tuples of plain values (ints, text, datetimes, None) for
    ``fields`` (attribute names, e.g. ``voter_id``), without building a model instance per row on
    PostgreSQL (so no Python defaults or auto_now: give every NOT NULL column)."""
    if connection.vendor != "postgresql":
        model.objects.bulk_create([model(**dict(zip(fields, row))) for row in rows], batch_size=batch_size)
        return
    columns = [model._meta.get_field(name).column for name in fields]
    with connection.cursor() as cursor:
        _copy(cursor, model._meta.db_table, columns, rows)


def update_rows(model: type[models.Model], fields: Sequence[str], rows: Sequence[Sequence], *,
                also: dict | None = None, batch_size: int = BATCH) -> None:
    """Update existing rows of ``model``: each row is ``(pk, *values of fields)``; ``also`` sets
    further fields to one value on every row (e.g. ``updated_at``). PostgreSQL: COPY into a temporary
    table and one ``UPDATE ... FROM`` it; elsewhere bulk_update in batches."""
    if not rows:
        return
    also = also or {}
    meta = model._meta
    if connection.vendor != "postgresql":
        objs = [model(pk=row[0], **dict(zip(fields, row[1:])), **also) for row in rows]
        model.objects.bulk_update(objs, [*fields, *also], batch_size=batch_size)
        return
    qn = connection.ops.quote_name
    targets = [meta.get_field(name) for name in fields]
    extra = [meta.get_field(name) for name in also]
    key = meta.pk.column
    assignments = [f"{qn(f.column)} = s.{qn(f.column)}" for f in targets] + [f"{qn(f.column)} = %s" for f in extra]
    with transaction.atomic(), connection.cursor() as cursor:  # the temporary table lives until the end
        temp = _temp_table(cursor, model, targets, with_pk=True)
        _copy(cursor, temp, [key, *(f.column for f in targets)], rows)
        cursor.execute(f"ANALYZE {qn(temp)}")  # so that a few rows are joined by the primary key, not a scan
        cursor.execute(f"UPDATE {qn(meta.db_table)} AS t SET {', '.join(assignments)} FROM {qn(temp)} AS s "
                       f"WHERE t.{qn(key)} = s.{qn(key)}",
                       [f.get_db_prep_save(also[name], connection) for name, f in zip(also, extra)])
        cursor.execute(f"DROP TABLE {qn(temp)}")
