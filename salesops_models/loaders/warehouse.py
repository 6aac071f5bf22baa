"""Import a warehouse's CRM tables through the file importers' row checks.

``salesops data pull --url postgresql://...`` reads the tables named like the canonical ones
(``opportunities``, ``opportunity_history``, ``reps``, ``accounts``, ``quotas``, optional
``activities``; columns under their canonical names), or, with ``--mapping queries.yml``, the
SQL queries of a YAML mapping (the file mapping's format, ``query:`` in place of ``file:``)::

    name: warehouse-crm
    fiscal_year_start_month: 2
    stage_map: {Won: Closed Won, Lost: Closed Lost}
    tables:
      opportunities:
        query: SELECT * FROM crm.deals WHERE NOT is_deleted
        columns: {id: deal_id, account_id: customer_id, owner_rep_id: owner,
                  created_date: created, close_date: close, amount: value, stage: stage}
      opportunity_history:
        query: SELECT deal_id, changed, stage, value, close FROM crm.deal_changes
        columns: {opportunity_id: deal_id, changed_at: changed, stage: stage,
                  amount: value, close_date: close}

Every value goes through the same parsing and checks as a CSV cell (types, allowed values,
duplicates, foreign keys, history consistency): a bad row is rejected with its table, query
row, column and reason, never coerced, and rows read = rows accepted + rows rejected for
every table. Values are handed over as text the parsers read exactly: timestamps in ISO
8601 with microseconds, numbers in their shortest exact decimal form.
"""

from __future__ import annotations

import datetime as dt
import decimal

import numpy as np
import pandas as pd

from .. import config
from ..schema import CRM_TABLE_NAMES, TABLES
from ..sql_store import copy_csv, engine, list_sql_tables, read_sql_meta, redact, sqlalchemy
from .common import LoadError, LoadResult
from .pipeline import SourceTable, assemble


def _text(v) -> str:
    """One database value as the text a CSV export would hold (missing: empty)."""
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NaT:
        return ""
    if isinstance(v, bool | np.bool_):
        return "true" if v else "false"
    if isinstance(v, dt.datetime):
        return v.strftime("%Y-%m-%dT%H:%M:%S.%f")
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, float | np.floating):
        return np.format_float_positional(float(v), unique=True, trim="-")
    if isinstance(v, decimal.Decimal):
        return format(v, "f")
    return str(v)


def query_frame(url: str, sql: str) -> pd.DataFrame:
    """Run ``sql`` and return its rows as text (one string per cell, as a CSV reader gives)."""
    sa = sqlalchemy()

    errors: tuple = (sa.exc.SQLAlchemyError,)
    try:
        import psycopg

        errors += (psycopg.Error,)
    except ImportError:  # pragma: no cover - another database's driver
        pass
    try:
        with engine(url).connect() as conn:
            if conn.dialect.name == "postgresql":
                return _copy_text(conn, sql)
            result = conn.execute(sa.text(sql))
            rows = result.fetchall()
            columns = [str(c) for c in result.keys()]
    except errors as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise LoadError(redact(url), f"query failed: {first} (query: {sql.strip()[:200]})") from exc
    data = {c: [_text(r[i]) for r in rows] for i, c in enumerate(columns)}
    return pd.DataFrame(data, columns=columns, dtype=object)


def _copy_text(conn, sql: str) -> pd.DataFrame:
    """PostgreSQL: the query's rows as the server prints them (:func:`.sql_store.copy_csv`):
    timestamps ``2026-06-30 14:05:00``, numbers in their shortest exact form, booleans
    ``t``/``f``; NULL and empty text both read as empty, as in a CSV export."""
    import csv
    import io

    import pyarrow as pa
    import pyarrow.csv as pcsv

    buf = copy_csv(conn, sql)
    columns = next(csv.reader(io.TextIOWrapper(io.BytesIO(buf.readline()), encoding="utf-8")))
    buf.seek(0)

    table = pcsv.read_csv(
        buf,
        parse_options=pcsv.ParseOptions(newlines_in_values=True),
        convert_options=pcsv.ConvertOptions(
            column_types={c: pa.string() for c in columns}, strings_can_be_null=False
        ),
    )
    return table.to_pandas().astype(object)


def pull(url: str, *, fiscal_year_start_month: int | None = None) -> LoadResult:
    """Import the canonically named tables of the database at ``url`` (see the module
    docstring); tables it lacks are derived or left empty as the file importers do, and the
    notes say so."""
    have = set(list_sql_tables(url))
    if "opportunities" not in have:
        raise LoadError(
            redact(url),
            "no opportunities table: name the tables as the data model does, or describe your "
            "queries in a mapping file (salesops data pull --mapping queries.yml)",
        )
    meta = read_sql_meta(url) if "_meta" in have else {}
    fy = fiscal_year_start_month or int(
        meta.get("fiscal_year_start_month", config.FISCAL_YEAR_START_MONTH)
    )
    sources = {}
    for table in CRM_TABLE_NAMES:
        if table not in have:
            continue
        raw = query_frame(url, f'SELECT * FROM "{table}"')
        raw = raw.drop(columns=["_row"], errors="ignore")
        known = {c.name for c in TABLES[table]}
        colmap = {c: c for c in raw.columns if c in known}
        sources[table] = SourceTable(table, f"{redact(url)}#{table}", raw, colmap)
    notes = [f"read from {redact(url)}: {', '.join(sources)}"]
    return assemble(sources, source_name=redact(url), notes=notes, fiscal_year_start_month=fy)
