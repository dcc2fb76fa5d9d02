"""Many new rows of one table in one go: COPY on PostgreSQL, a multi-row INSERT elsewhere."""
from sqlalchemy import Table, text
from sqlalchemy.engine import Connection


def insert_rows(connection: Connection, table: Table, rows: list[dict], *,
                returning_ids: bool = False) -> list[int] | None:
    """Insert `rows` (dicts by column key, all with the same keys) into `table`; with
    `returning_ids`, the new primary keys in the rows' order. Row triggers fire as for any
    insert."""
    if not rows:
        return [] if returning_ids else None
    if connection.dialect.name == "postgresql":
        return _copy(connection, table, rows, returning_ids)
    return _insert(connection, table, rows, returning_ids)


def _insert(connection: Connection, table: Table, rows: list[dict],
            returning_ids: bool) -> list[int] | None:
    if not returning_ids:
        connection.execute(table.insert(), rows)
        return None
    return list(connection.execute(table.insert().returning(
        *table.primary_key.columns, sort_by_parameter_order=True), rows).scalars())


def _copy(connection: Connection, table: Table, rows: list[dict],
          returning_ids: bool) -> list[int] | None:
    """COPY spares the driver parsing an INSERT of thousands of placeholders. The ids are
    taken from the table's sequence first, and each value goes through its column type's bind
    processing, so the values stored (JSON text included) are those the INSERT stores."""
    keys, ids = list(rows[0]), None
    if returning_ids:
        (key,) = table.primary_key.columns
        ids = sorted(connection.execute(text(
            "SELECT nextval(pg_get_serial_sequence(:table, :column)) FROM generate_series(1, :n)"),
            {"table": table.name, "column": key.name, "n": len(rows)}).scalars())
        rows = [{key.key: id_, **row} for id_, row in zip(ids, rows, strict=True)]
        keys = [key.key, *keys]
    # a type's bind processing handles None itself (a JSON column stores `null`, as INSERT does)
    processors = [(key, table.c[key].type.dialect_impl(connection.dialect).bind_processor(
                      connection.dialect))
                  for key in keys]
    quote = connection.dialect.identifier_preparer.quote
    names = ", ".join(quote(table.c[key].name) for key in keys)
    statement = f"COPY {quote(table.name)} ({names}) FROM STDIN"
    with connection.connection.driver_connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row([row[key] if process is None else process(row[key])
                            for key, process in processors])
    return ids
