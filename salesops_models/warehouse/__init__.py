"""A warehouse as the CRM's source and store (SQLAlchemy; PostgreSQL tested here), in three
layers that each live with their kind:

- the store backend, :mod:`salesops_models.sql_store` (core, beside :mod:`~salesops_models.store`):
  :func:`save_sql` / :func:`load_sql` keep the workbench's store in a database, read back with
  the same content fingerprint (hence the same as-of results) as the DuckDB file it came from;
  every ``--db`` option takes a database URL as well as a DuckDB path;
- the importer, :mod:`salesops_models.loaders.warehouse` (``pull``): a warehouse's own tables
  (or SQL queries in a YAML mapping) imported through the file importers' row checks: rows
  read = accepted + rejected, with the reasons;
- the SQL analytics, :mod:`salesops_models.pipeline.pushdown`: as-of snapshots and pipeline
  coverage computed as SQL in the database (DuckDB and PostgreSQL share the SQL), so a large
  history is not pulled into pandas.

This package re-exports the backend's names and holds a throwaway local PostgreSQL server for
tests and benchmarks (:mod:`.local_server`).

Needs the ``warehouse`` extra (``sqlalchemy``, ``psycopg``); without it nothing changes for
the DuckDB user.
"""

from ..sql_store import (
    ROW_ORDER,
    WarehouseUnavailable,
    is_database_url,
    list_sql_tables,
    load_sql,
    read_sql_meta,
    read_sql_table,
    redact,
    save_sql,
    save_sql_tables,
    sql_fingerprint,
)

__all__ = [
    "ROW_ORDER",
    "WarehouseUnavailable",
    "is_database_url",
    "list_sql_tables",
    "load_sql",
    "read_sql_meta",
    "read_sql_table",
    "redact",
    "save_sql",
    "save_sql_tables",
    "sql_fingerprint",
]
