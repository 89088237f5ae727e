"""Copying a project's rows from one database to another, whatever the backends, and
telling whether two databases hold the same rows.

Generic over the models' metadata: every table in dependency order, each table's rows in
primary-key order and in batches, as they are (the audit log's too: its triggers refuse
UPDATE and DELETE, not INSERT). The stored files' tables are left out: files are copied
by the caller, file by file. A JSON column's SQL NULL and JSON ``null`` are kept apart.
Triggers that clear a score sheet's cached totals when its scores are inserted would
leave the copy without them: those columns are copied again after all rows.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    ColumnElement,
    Connection,
    Table,
    bindparam,
    column,
    func,
    insert,
    select,
    table,
    update,
)
from sqlalchemy.sql.expression import TableClause

from review_desk.storage import models as m

BATCH = 500
FILE_TABLES = ("stored_file", "stored_file_chunk")
# Columns that triggers change when other rows are inserted: copied again at the end.
_SET_BY_TRIGGERS = {"score_sheet": ("stage_totals", "uncounted_scores")}
_NULL = "__sql_null_"


def project_tables() -> list[Table]:
    """The tables whose rows make a project, parents before children."""
    return [t for t in m.Base.metadata.sorted_tables if t.name not in FILE_TABLES]


def _json_columns(source: Table) -> list[Column[Any]]:
    return [c for c in source.columns if isinstance(c.type, JSON)]


def _query(source: Table) -> Any:
    flags = [c.is_(None).label(_NULL + c.name) for c in _json_columns(source)]
    return select(source, *flags).order_by(*source.primary_key.columns)


def _rows(connection: Connection, source: Table) -> Iterator[Sequence[dict[str, Any]]]:
    """The table's rows in batches, each as values to insert: a JSON column's SQL NULL
    as None, its JSON ``null`` as :attr:`JSON.NULL`."""
    json_names = [c.name for c in _json_columns(source)]
    result = connection.execution_options(yield_per=BATCH).execute(_query(source))
    for partition in result.mappings().partitions():
        batch = []
        for row in partition:
            values = {c.name: row[c.name] for c in source.columns}
            for name in json_names:
                if values[name] is None and not row[_NULL + name]:
                    values[name] = JSON.NULL
            batch.append(values)
        yield batch


def _writable(source: Table) -> TableClause:
    """The table as inserts see it: its JSON columns store None as SQL NULL."""
    return table(
        source.name,
        *(
            column(c.name, JSON(none_as_null=True) if isinstance(c.type, JSON) else c.type)
            for c in source.columns
        ),
    )


def _copy_in(source: Connection, target: Connection, source_table: Table) -> int:
    """Into PostgreSQL: the table's rows by ``COPY … FROM STDIN`` (each value as the
    column's type binds it), with the table's own triggers off meanwhile, so that
    nothing clears what is copied; return how many rows."""
    into = _writable(source_table)
    names = [c.name for c in source_table.columns]
    binds = [c.type._cached_bind_processor(target.dialect) for c in into.columns]
    columns = ", ".join(f'"{name}"' for name in names)
    raw = target.connection.driver_connection
    assert raw is not None
    copied = 0
    with raw.cursor() as cursor:
        # The caller's transaction: the target is empty and nobody else sees it yet.
        cursor.execute(f'ALTER TABLE "{source_table.name}" DISABLE TRIGGER USER')
        with cursor.copy(f'COPY "{source_table.name}" ({columns}) FROM STDIN') as copy:
            for batch in _rows(source, source_table):
                for values in batch:
                    copy.write_row(
                        [
                            bind(values[name]) if bind is not None else values[name]
                            for name, bind in zip(names, binds, strict=True)
                        ]
                    )
                copied += len(batch)
        cursor.execute(f'ALTER TABLE "{source_table.name}" ENABLE TRIGGER USER')
    return copied


def copy_rows(
    source: Connection, target: Connection, progress: Callable[[str, int], None] | None = None
) -> dict[str, int]:
    """Copy every project table's rows from ``source`` into the (empty) tables of
    ``target``, in the caller's transactions; return the number of rows per table.
    Into PostgreSQL by ``COPY`` (a national round's millions of scores in a minute or
    two, not the better part of an hour of batched inserts)."""
    counts: dict[str, int] = {}
    bulk = target.dialect.name == "postgresql"
    for source_table in project_tables():
        if bulk:
            copied = _copy_in(source, target, source_table)
        else:
            into = _writable(source_table)
            copied = 0
            for batch in _rows(source, source_table):
                target.execute(insert(into), list(batch))
                copied += len(batch)
        counts[source_table.name] = copied
        if progress:
            progress(source_table.name, copied)
    if not bulk:  # COPY left the triggers off: the columns they clear are as copied
        for name, columns in _SET_BY_TRIGGERS.items():
            _copy_again(source, target, m.Base.metadata.tables[name], columns)
    return counts


def _copy_again(source: Connection, target: Connection, of: Table, names: Sequence[str]) -> None:
    (key,) = of.primary_key.columns
    wanted = [of.c[name] for name in names]
    statement = (
        update(of)
        .where(key == bindparam("_key"))
        .values({name: bindparam("_" + name) for name in names})
    )
    result = source.execution_options(yield_per=BATCH).execute(select(key, *wanted).order_by(key))
    for partition in result.partitions():
        params = [
            {"_key": row[0], **{"_" + name: row[i + 1] for i, name in enumerate(names)}}
            for row in partition
        ]
        target.execute(statement, params)


def count_rows(connection: Connection) -> dict[str, int]:
    """The number of rows of each project table."""
    return {
        t.name: int(connection.execute(select(func.count()).select_from(t)).scalar_one())
        for t in project_tables()
    }


def table_digests(connection: Connection) -> dict[str, str]:
    """A digest of each project table's rows as the models read them (in primary-key
    order), equal on two databases that hold the same rows, whatever their backends."""
    digests = {}
    for source_table in project_tables():
        digest = hashlib.sha256()
        result = connection.execution_options(yield_per=BATCH).execute(_query(source_table))
        for row in result:
            digest.update(repr(tuple(row)).encode())
            digest.update(b"\n")
        digests[source_table.name] = digest.hexdigest()
    return digests


def set_sequences(connection: Connection) -> None:
    """On PostgreSQL, move each integer key's sequence past the rows copied in, so that
    the next row inserted gets the next number."""
    if connection.dialect.name != "postgresql":
        return
    for t in project_tables():
        keys = list(t.primary_key.columns)
        if len(keys) != 1:
            continue
        key: ColumnElement[Any] = keys[0]
        sequence = connection.execute(
            select(func.pg_get_serial_sequence(t.name, keys[0].name))
        ).scalar()
        if sequence is None:
            continue
        highest = connection.execute(select(func.max(key))).scalar()
        connection.execute(select(func.setval(sequence, highest or 1, highest is not None)))
