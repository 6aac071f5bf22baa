"""A database (PostgreSQL; any SQLAlchemy URL for reading) as the workbench's store.

The layout is the DuckDB store's: the CRM tables under their canonical names, ``_meta``
(key/value provenance as JSON, with the content fingerprint) and any extra tables (load
rejects, truth tables). Each table written here carries a ``_row`` column (the row's position
in the CRM table) so that a read returns the rows in the order they were written: the CRM
read back has the same content fingerprint as the one written, hence the same as-of results.

A write is one transaction (PostgreSQL's DDL is transactional): readers see the old tables
until it commits, and a failed write leaves them as they were. Rows go through ``COPY`` (the
psycopg driver) when the database is PostgreSQL, ``INSERT`` batches otherwise.

Credentials belong in the URL's usual places (``~/.pgpass``, ``PGPASSWORD``, a secrets
manager), never in reports: every place that shows a source shows :func:`redact` of it.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache

import numpy as np
import pandas as pd

from . import config
from .crm import CRM
from .errors import WarehouseUnavailable
from .schema import CRM_TABLE_NAMES, TABLE_NAMES, conform

#: The column holding each row's position (read back in that order, then dropped).
ROW_ORDER = "_row"

_URL = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)


def is_database_url(source) -> bool:
    """True for a database URL (``postgresql://...``, ``postgresql+psycopg://...``), False for
    a file path (``data/salesops.duckdb``) or a ``file://`` URL.

    >>> is_database_url("postgresql://crm@db:5432/sales"), is_database_url("data/x.duckdb")
    (True, False)
    """
    text = str(source)
    return bool(_URL.match(text)) and not text.lower().startswith("file://")


def redact(url: str) -> str:
    """The URL without its password, for anything a person or a report sees.

    >>> redact("postgresql://ann:s3cret@db.example.com:5432/crm")
    'postgresql://ann:***@db.example.com:5432/crm'
    """
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", str(url))


class DatabaseURL(str):
    """A database URL where the workbench expects a store path: ``name`` is what people see
    (the password hidden) and ``stem`` a file-name-safe label (backtest and ledger files).

    >>> u = DatabaseURL("postgresql://ann:pw@db.example.com:5432/crm")
    >>> u.name, u.stem
    ('postgresql://ann:***@db.example.com:5432/crm', 'db.example.com-crm')
    """

    @property
    def name(self) -> str:
        return redact(self)

    @property
    def stem(self) -> str:
        return config.store_stem(self)


def sqlalchemy():
    """The ``sqlalchemy`` module, or an error saying which extra to install."""
    try:
        import sqlalchemy as sa
    except ImportError as exc:
        raise WarehouseUnavailable("a database URL") from exc
    return sa


@lru_cache(maxsize=8)
def engine(url: str):
    """One SQLAlchemy engine per URL; ``postgresql://`` uses the psycopg (3) driver."""
    sa = sqlalchemy()
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return sa.create_engine(url, pool_pre_ping=True)


def _quote(name: str) -> str:
    if '"' in name or "\x00" in name:
        raise ValueError(f"unusable table or column name {name!r}")
    return f'"{name}"'


def _sql_type(s: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(s):
        return "BOOLEAN"
    if pd.api.types.is_integer_dtype(s):
        return "BIGINT"
    if pd.api.types.is_float_dtype(s):
        return "DOUBLE PRECISION"
    if pd.api.types.is_datetime64_any_dtype(s):
        return "TIMESTAMP"
    return "TEXT"


def _prepared(s: pd.Series, table: str, column: str) -> pd.Series:
    """A column as it is written: text as ``str`` or missing (other objects as their text),
    after checking it holds no NUL character (PostgreSQL text cannot); other kinds as they
    are (NaN and NaT are written as NULL)."""
    if _sql_type(s) != "TEXT":
        return s
    t = s.astype(object)
    present = t.notna().to_numpy()
    if present.any():
        vals = t[present]
        if not pd.api.types.is_string_dtype(s):
            vals = vals.map(lambda v: v if isinstance(v, str) else str(v))
        bad = vals.str.contains("\x00", regex=False).to_numpy()
        if bad.any():
            row = int(np.flatnonzero(present)[np.argmax(bad)]) + 1
            raise ValueError(
                f"{table}.{column} row {row}: a NUL character, which PostgreSQL text cannot "
                "hold; clean the value (or keep this CRM in DuckDB)"
            )
        t[present] = vals
    return t.where(present, None)


def _write_table(conn, name: str, df: pd.DataFrame) -> None:
    sa = sqlalchemy()

    cols = [str(c) for c in df.columns if c != ROW_ORDER]
    kinds = [_sql_type(df[c]) for c in cols]
    ddl = ", ".join(f"{_quote(c)} {k}" for c, k in zip(cols, kinds, strict=True))
    conn.execute(sa.text(f"DROP TABLE IF EXISTS {_quote(name)}"))
    conn.execute(sa.text(f"CREATE TABLE {_quote(name)} ({ddl}, {ROW_ORDER} BIGINT NOT NULL)"))
    if df.empty:
        return
    columns = [_prepared(df[c], name, c) for c in cols]
    names = ", ".join([_quote(c) for c in cols] + [ROW_ORDER])
    if conn.dialect.name == "postgresql":
        _copy_in(conn, name, names, cols, kinds, columns)
        return
    marks = ", ".join(f":c{i}" for i in range(len(cols) + 1))
    stmt = sa.text(f"INSERT INTO {_quote(name)} ({names}) VALUES ({marks})")
    py = [c.astype(object).where(c.notna(), None).to_numpy() for c in columns]
    rows = zip(*py, range(len(df)), strict=True)
    batch = []
    for row in rows:
        batch.append({f"c{i}": v for i, v in enumerate(row)})
        if len(batch) == 10_000:
            conn.execute(stmt, batch)
            batch = []
    if batch:
        conn.execute(stmt, batch)


def _arrow_type(kind: str):
    import pyarrow as pa

    return {
        "BOOLEAN": pa.bool_(),
        "BIGINT": pa.int64(),
        "DOUBLE PRECISION": pa.float64(),
        "TIMESTAMP": pa.timestamp("us"),
    }.get(kind, pa.string())


def _copy_in(conn, name: str, names: str, cols, kinds, columns) -> None:
    """Rows in through ``COPY ... FROM STDIN (FORMAT csv)``, the CSV written by Arrow: every
    value quoted (so an empty text stays empty) and missing values unquoted (NULL)."""
    import io

    import pyarrow as pa
    import pyarrow.csv as pcsv

    fields = [pa.field(c, _arrow_type(k)) for c, k in zip(cols, kinds, strict=True)]
    arrays = [pa.Array.from_pandas(v, type=f.type) for v, f in zip(columns, fields, strict=True)]
    arrays.append(pa.array(np.arange(len(columns[0]), dtype=np.int64)))
    fields.append(pa.field(ROW_ORDER, pa.int64()))
    table = pa.Table.from_arrays(arrays, schema=pa.schema(fields))
    buf = io.BytesIO()
    pcsv.write_csv(table, buf, pcsv.WriteOptions(include_header=False, quoting_style="all_valid"))
    raw = conn.connection.driver_connection
    with raw.cursor() as cur:
        with cur.copy(f"COPY {_quote(name)} ({names}) FROM STDIN WITH (FORMAT csv)") as copy:
            view = buf.getbuffer()
            for start in range(0, len(view), 1 << 22):
                copy.write(view[start : start + (1 << 22)])


def save_sql(crm: CRM, url: str, extra: dict[str, pd.DataFrame] | None = None) -> str:
    """Write ``crm`` (and ``extra`` tables) to the database at ``url`` in one transaction,
    replacing the tables of the same names (other tables are left alone).

    A CRM without activities drops a previous ``activities`` table, as a DuckDB store written
    without one has none.
    """
    sa = sqlalchemy()

    tables = dict(crm.tables)
    tables.update(extra or {})
    meta = {"fiscal_year_start_month": crm.fiscal_year_start_month, **crm.meta}
    meta["fingerprint"] = crm.fingerprint()
    meta_df = pd.DataFrame(
        [(k, json.dumps(v, default=str)) for k, v in meta.items()], columns=["key", "value"]
    )
    with engine(url).begin() as conn:
        for name in CRM_TABLE_NAMES:
            if name not in tables:
                conn.execute(sa.text(f"DROP TABLE IF EXISTS {_quote(name)}"))
        for name, df in tables.items():
            _write_table(conn, name, df)
        _write_table(conn, "_meta", meta_df)
        for table, columns in _INDEXES.items():
            if table in tables:
                cols = ", ".join(_quote(c) for c in columns)
                conn.execute(sa.text(f"CREATE INDEX ON {_quote(table)} ({cols})"))
    return url


#: Indexes written with the CRM: the as-of window (history per deal in time and written
#: order) and the joins on ids.
_INDEXES = {
    "opportunity_history": ("opportunity_id", "changed_at", ROW_ORDER),
    "opportunities": ("id",),
    "reps": ("id",),
    "accounts": ("id",),
}


def list_sql_tables(url: str) -> list[str]:
    sa = sqlalchemy()

    return sorted(sa.inspect(engine(url)).get_table_names())


def _read(conn, name: str) -> pd.DataFrame:
    """One table in written order. PostgreSQL: ``COPY ... TO STDOUT (FORMAT csv)`` read by
    Arrow with the column types of the table (a quoted empty text stays empty, an unquoted
    empty field is NULL); other databases through the driver's rows."""
    sa = sqlalchemy()

    info = sa.inspect(conn).get_columns(name)
    have = [c["name"] for c in info]
    order = f" ORDER BY {ROW_ORDER}" if ROW_ORDER in have else ""
    sql = f"SELECT * FROM {_quote(name)}{order}"
    if conn.dialect.name == "postgresql":
        df = _copy_out(conn, sql, info)
    else:
        result = conn.execute(sa.text(sql))
        df = pd.DataFrame(result.fetchall(), columns=list(result.keys()))
    return df.drop(columns=[ROW_ORDER], errors="ignore")


def _copy_out(conn, sql: str, info: list[dict]) -> pd.DataFrame:
    import pyarrow as pa

    sa = sqlalchemy()

    def arrow(t):
        if isinstance(t, sa.Boolean):
            return pa.bool_()
        if isinstance(t, sa.Integer):
            return pa.int64()
        if isinstance(t, (sa.Float, sa.Numeric)):
            return pa.float64()
        if isinstance(t, sa.DateTime):
            return pa.timestamp("us")
        if isinstance(t, sa.Date):
            return pa.date32()
        return pa.string()

    return copy_query(conn, sql, {c["name"]: arrow(c["type"]) for c in info})


def copy_csv(conn, sql: str):
    """PostgreSQL: the rows of ``sql`` as the server writes them with ``COPY (...) TO STDOUT
    (FORMAT csv, HEADER)``, in a rewound in-memory buffer (a trailing ``;`` is dropped)."""
    import io

    buf = io.BytesIO()
    query = sql.strip().rstrip(";")
    with conn.connection.driver_connection.cursor() as cur:
        with cur.copy(f"COPY ({query}) TO STDOUT WITH (FORMAT csv, HEADER)") as copy:
            for chunk in copy:
                buf.write(chunk)
    buf.seek(0)
    return buf


def copy_query(conn, sql: str, types: dict) -> pd.DataFrame:
    """PostgreSQL: the rows of ``sql`` through :func:`copy_csv`, read by Arrow with ``types``
    (column -> Arrow type; booleans ``t``/``f``; a quoted empty text stays empty, an
    unquoted empty field is NULL)."""
    import pyarrow.csv as pcsv

    buf = copy_csv(conn, sql)
    table = pcsv.read_csv(
        buf,
        parse_options=pcsv.ParseOptions(newlines_in_values=True),
        convert_options=pcsv.ConvertOptions(
            column_types=types,
            strings_can_be_null=True,
            quoted_strings_can_be_null=False,
            true_values=["t"],
            false_values=["f"],
        ),
    )
    return table.to_pandas()


def read_sql_table(url: str, name: str) -> pd.DataFrame:
    """Any table of the database (``truth_reps``, ``load_rejects``, ...), in written order."""
    known = list_sql_tables(url)
    if name not in known:
        raise KeyError(f"{redact(url)} has no table {name!r}; it has: {', '.join(known)}")
    with engine(url).connect() as conn:
        return _read(conn, name)


def read_sql_meta(url: str) -> dict:
    if "_meta" not in list_sql_tables(url):
        return {}
    with engine(url).connect() as conn:
        rows = _read(conn, "_meta")
    return {k: json.loads(v) for k, v in zip(rows["key"], rows["value"], strict=True)}


def load_sql(url: str) -> CRM:
    """Read a :class:`CRM` from a database written by :func:`save_sql` (or holding the
    canonical tables under their names: ``salesops data pull`` checks such tables row by
    row instead, which is the way for a warehouse's own tables)."""
    have = set(list_sql_tables(url))
    missing = [t for t in TABLE_NAMES if t not in have]
    if missing:
        raise FileNotFoundError(
            f"{redact(url)} has no {', '.join(missing)} table: write one with "
            "`salesops data push --url ...`, or import a warehouse's tables with "
            "`salesops data pull --url ...`"
        )
    with engine(url).connect() as conn:
        tables = {
            t: conform(t, _read(conn, t)) for t in CRM_TABLE_NAMES if t in TABLE_NAMES or t in have
        }
    meta = read_sql_meta(url)
    fy = int(meta.pop("fiscal_year_start_month", config.FISCAL_YEAR_START_MONTH))
    meta.pop("fingerprint", None)
    return CRM(**tables, fiscal_year_start_month=fy, meta=meta)


def sql_fingerprint(url: str) -> str:
    """The content fingerprint recorded when the CRM was written ("" when there is none)."""
    sa = sqlalchemy()

    try:
        return str(read_sql_meta(url).get("fingerprint", ""))
    except sa.exc.SQLAlchemyError:  # unreachable: no fingerprint (the load will say why)
        return ""


def sql_count_rows(url: str, table: str) -> int:
    sa = sqlalchemy()

    try:
        with engine(url).connect() as conn:
            return int(conn.execute(sa.text(f"SELECT count(*) FROM {_quote(table)}")).scalar())
    except sa.exc.SQLAlchemyError:  # no such table: nothing to protect
        return 0


def save_sql_tables(url: str, tables: dict[str, pd.DataFrame]) -> str:
    """Add or replace non-CRM tables (comp inputs, rejects) in one transaction."""
    with engine(url).begin() as conn:
        for name, df in tables.items():
            _write_table(conn, name, df)
    return url
