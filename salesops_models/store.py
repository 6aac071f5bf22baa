"""Storage: the embedded DuckDB store (default), a database given by URL
(:mod:`salesops_models.warehouse`) and folders of Parquet or CSV files.

Every function that takes a store path also takes a database URL
(``postgresql://user@host/db``): :func:`load_store` and :func:`save_store` are the entry
points the commands and reports use.

The DuckDB file holds the five canonical tables (and ``activities`` when the CRM has them), ``_meta`` (key/value provenance as JSON) and
any extra tables a producer adds: ``load_rejects`` and ``load_summary`` from importers,
``truth_*`` from the synthetic generator. Writes are atomic: the database is built in a
temporary file beside the target and renamed over it, so a failed write never leaves a
half-written store and readers never see one.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pandas as pd

from . import config
from .crm import CRM
from .runtime import pid_alive
from .schema import CRM_TABLE_NAMES, OPTIONAL_TABLE_NAMES, TABLE_NAMES
from .sql_store import is_database_url


def resolve_store(source: str | Path):
    """A DuckDB path (relative paths from the current directory) or a :class:`DatabaseURL`."""
    if is_database_url(source):
        from .sql_store import DatabaseURL

        return DatabaseURL(str(source))
    return Path(source)


def load_store(source: str | Path = config.DEFAULT_DB) -> CRM:
    """Read a :class:`CRM` from a DuckDB file or a database URL."""
    if is_database_url(source):
        from .sql_store import load_sql

        return load_sql(str(source))
    return load_duckdb(source)


def save_store(
    crm: CRM, target: str | Path = config.DEFAULT_DB, extra: dict[str, pd.DataFrame] | None = None
):
    """Write ``crm`` (and ``extra`` tables) to a DuckDB file or a database URL, atomically."""
    if is_database_url(target):
        from .sql_store import save_sql

        return save_sql(crm, str(target), extra)
    return save_duckdb(crm, target, extra)


def copy_store(source: str | Path, target: str) -> tuple[CRM, dict[str, pd.DataFrame]]:
    """Copy a store, the CRM and every other table (comp inputs, rejects, truth), to
    ``target`` (``salesops data push``: a database URL), in one transaction. Returns the CRM
    and the other tables by name."""
    crm = load_store(source)
    skip = set(crm.tables) | {"_meta"}
    extra = {t: read_table(t, source) for t in list_tables(source) if t not in skip}
    save_store(crm, target, extra)
    return crm, extra


@contextmanager
def _replacing(path: Path, *, copy: bool):
    """A DuckDB connection on a temporary file beside ``path`` (a copy of it with ``copy``)
    that is renamed over ``path`` when the block ends without an error; a failed write
    leaves ``path`` as it was."""
    fd, tmp = tempfile.mkstemp(
        prefix=f"{path.stem}.{os.getpid()}.", suffix=".tmp.duckdb", dir=path.parent
    )
    os.close(fd)
    if copy:
        shutil.copyfile(path, tmp)
    else:
        os.unlink(tmp)  # duckdb wants to create the file itself
    try:
        con = duckdb.connect(tmp)
        try:
            yield con
        finally:
            con.close()
        os.replace(tmp, path)
    finally:
        for leftover in (tmp, tmp + ".wal"):
            if os.path.exists(leftover):
                os.unlink(leftover)


def save_duckdb(
    crm: CRM, path: str | Path = config.DEFAULT_DB, extra: dict[str, pd.DataFrame] | None = None
) -> Path:
    """Write ``crm`` (and ``extra`` tables) to a DuckDB file, replacing it atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    clean_stale_temporaries(path.parent)
    with _replacing(path, copy=False) as con:
        tables = dict(crm.tables)
        tables.update(extra or {})
        for name, df in tables.items():
            con.register("_df", df)
            con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM _df')
            con.unregister("_df")
        meta = {"fiscal_year_start_month": crm.fiscal_year_start_month, **crm.meta}
        meta["fingerprint"] = crm.fingerprint()  # the content, whatever the file's bytes
        con.execute("CREATE TABLE _meta (key VARCHAR, value VARCHAR)")
        con.executemany(
            "INSERT INTO _meta VALUES (?, ?)",
            [(k, json.dumps(v, default=str)) for k, v in meta.items()],
        )
    return path


def save_tables(path: str | Path, tables: dict[str, pd.DataFrame]) -> Path:
    """Add or replace ``tables`` in an existing store, atomically (a copy of the file is
    changed and renamed over it); the CRM tables and every other table stay as they were."""
    for name in tables:
        if name in CRM_TABLE_NAMES:
            raise ValueError(f"save_tables does not replace the CRM table {name!r}")
    if is_database_url(path):
        from .sql_store import save_sql_tables

        return save_sql_tables(str(path), tables)
    path = Path(path)
    _require(path)
    with _replacing(path, copy=True) as con:
        for name, df in tables.items():
            con.register("_df", df)
            con.execute(f'CREATE OR REPLACE TABLE "{name}" AS SELECT * FROM _df')
            con.unregister("_df")
    return path


def read_comp_tables(path: str | Path = config.DEFAULT_DB) -> dict[str, pd.DataFrame]:
    """The compensation tables a store holds (``comp_splits``, ``comp_adjustments``,
    ``comp_deal_attributes``, ``comp_leaves``; the ones it lacks are left out), conformed to
    the data model. :func:`salesops_models.comp.read_comp_inputs` wraps them for the engine."""
    from .schema import COMP_TABLE_NAMES, conform

    if is_database_url(path):
        have = set(list_tables(path))
        return {t: conform(t, read_table(t, path)) for t in COMP_TABLE_NAMES if t in have}
    path = Path(path)
    _require(path)
    con = duckdb.connect(str(path), read_only=True)
    try:
        have = {r[0] for r in con.execute("SHOW TABLES").fetchall()}
        return {
            t: conform(t, con.execute(f'SELECT * FROM "{t}"').df())
            for t in COMP_TABLE_NAMES
            if t in have
        }
    finally:
        con.close()


def _require(path: Path) -> None:
    if not path.exists():
        raise FileNotFoundError(
            f"no store at {path}: run `salesops data generate` (sample org) or "
            "`salesops data load ...` first"
        )


def _read(con, table: str) -> pd.DataFrame:
    """One table through Arrow: text stays in Arrow buffers (pandas' ``str`` dtype) instead
    of one Python string per cell; 4x faster than ``.df()`` on the sample org's activities."""
    return con.sql(f'SELECT * FROM "{table}"').to_arrow_table().to_pandas()


def load_duckdb(path: str | Path = config.DEFAULT_DB) -> CRM:
    """Read a :class:`CRM` from a DuckDB store.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from salesops_models.synthetic import generate_org
    >>> crm = generate_org(n_reps=8, years=1, seed=1).crm
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "org.duckdb"
    >>> _ = save_duckdb(crm, path)
    >>> load_duckdb(path).fingerprint() == crm.fingerprint()
    True
    """
    path = Path(path)
    _require(path)
    con = duckdb.connect(str(path), read_only=True)
    try:
        have = {r[0] for r in con.execute("SHOW TABLES").fetchall()}
        names = [t for t in CRM_TABLE_NAMES if t in TABLE_NAMES or t in have]
        tables = {t: _read(con, t) for t in names}
        meta = {k: json.loads(v) for k, v in con.execute("SELECT key, value FROM _meta").fetchall()}
    finally:
        con.close()
    fy = int(meta.pop("fiscal_year_start_month", config.FISCAL_YEAR_START_MONTH))
    meta.pop("fingerprint", None)  # describes the file; the CRM computes its own
    return CRM(**tables, fiscal_year_start_month=fy, meta=meta)


def store_fingerprint(path: str | Path) -> str:
    """The content fingerprint of a store (:meth:`CRM.fingerprint`, recorded when it was
    written), read without loading the tables; a store written before that was recorded
    falls back to a hash of the file's bytes; "" when there is no such file."""
    import hashlib

    if is_database_url(path):
        from .sql_store import sql_fingerprint

        return sql_fingerprint(str(path))
    path = Path(path)
    if not path.is_file():
        return ""
    try:
        con = duckdb.connect(str(path), read_only=True)
        try:
            row = con.execute("SELECT value FROM _meta WHERE key = 'fingerprint'").fetchone()
        finally:
            con.close()
        if row:
            return str(json.loads(row[0]))
    except duckdb.Error:
        pass
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()[:16]


def count_rows(path: str | Path, table: str) -> int:
    """Rows of one table of a store (0 when the file or the table is missing or unreadable)."""
    if is_database_url(path):
        from .sql_store import sql_count_rows

        return sql_count_rows(str(path), table)
    path = Path(path)
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error:
        return 0
    try:
        return int(con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0])
    except duckdb.Error:
        return 0
    finally:
        con.close()


def clean_stale_temporaries(folder: str | Path) -> list[Path]:
    """Remove the ``*.tmp.duckdb`` (and ``.wal``) files that killed writes left in ``folder``.

    A temporary store is named ``<stem>.<pid>.<random>.tmp.duckdb`` by :func:`save_duckdb`;
    it is stale when that process no longer runs (a writer still at work keeps its file).
    Files of an older naming without a pid are stale after an hour.
    """
    import time

    removed = []
    folder = Path(folder)
    if not folder.is_dir():
        return removed
    for p in sorted(folder.glob("*.tmp.duckdb*")):
        base = p.name.split(".tmp.duckdb")[0]
        parts = base.rsplit(".", 2)
        pid = int(parts[1]) if len(parts) == 3 and parts[1].isdigit() else None
        try:
            stale = (not pid_alive(pid)) if pid else time.time() - p.stat().st_mtime > 3600
            if stale:
                p.unlink()
                removed.append(p)
        except FileNotFoundError:
            pass
    return removed


def list_tables(path: str | Path = config.DEFAULT_DB) -> list[str]:
    if is_database_url(path):
        from .sql_store import list_sql_tables

        return list_sql_tables(str(path))
    path = Path(path)
    _require(path)
    con = duckdb.connect(str(path), read_only=True)
    try:
        return sorted(r[0] for r in con.execute("SHOW TABLES").fetchall())
    finally:
        con.close()


def read_table(name: str, path: str | Path = config.DEFAULT_DB) -> pd.DataFrame:
    """Read any table (canonical or extra, e.g. ``truth_reps``, ``load_rejects``)."""
    if is_database_url(path):
        from .sql_store import read_sql_table

        return read_sql_table(str(path), name)
    path = Path(path)
    _require(path)
    con = duckdb.connect(str(path), read_only=True)
    try:
        known = {r[0] for r in con.execute("SHOW TABLES").fetchall()}
        if name not in known:
            raise KeyError(f"{path} has no table {name!r}; it has: {', '.join(sorted(known))}")
        return con.execute(f'SELECT * FROM "{name}"').df()
    finally:
        con.close()


def read_meta(path: str | Path = config.DEFAULT_DB) -> dict:
    if is_database_url(path):
        from .sql_store import read_sql_meta

        return read_sql_meta(str(path))
    return json.loads(read_table("_meta", path).set_index("key")["value"].to_json())


def save_folder(
    crm: CRM,
    folder: str | Path,
    fmt: str = "parquet",
    extra: dict[str, pd.DataFrame] | None = None,
) -> Path:
    """Write one file per table (``parquet`` or ``csv``) plus ``meta.json``."""
    if fmt not in ("parquet", "csv"):
        raise ValueError(f"format must be 'parquet' or 'csv', got {fmt!r}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tables = dict(crm.tables)
    tables.update(extra or {})
    for name, df in tables.items():
        target = folder / f"{name}.{fmt}"
        tmp = target.with_suffix(target.suffix + ".tmp")
        if fmt == "parquet":
            df.to_parquet(tmp, index=False)
        else:
            from .exports import neutralize_frame

            # text cells that could start a spreadsheet formula get the OWASP quote prefix;
            # load_folder removes it again, so the round trip is exact
            neutralize_frame(df).to_csv(tmp, index=False, date_format="%Y-%m-%dT%H:%M:%S.%f")
        os.replace(tmp, target)
    meta = {"fiscal_year_start_month": crm.fiscal_year_start_month, **crm.meta}
    (folder / "meta.json").write_text(json.dumps(meta, indent=2, default=str))
    return folder


def load_folder(folder: str | Path) -> CRM:
    """Read a folder written by :func:`save_folder` (Parquet preferred over CSV)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"no folder {folder}")
    tables = {}
    for name in CRM_TABLE_NAMES:
        pq, csv = folder / f"{name}.parquet", folder / f"{name}.csv"
        if pq.exists():
            tables[name] = pd.read_parquet(pq)
        elif csv.exists():
            tables[name] = _read_canonical_csv(csv, name)
        elif name in OPTIONAL_TABLE_NAMES:
            continue
        else:
            raise FileNotFoundError(f"{folder} has no {name}.parquet or {name}.csv")
    meta_file = folder / "meta.json"
    meta = json.loads(meta_file.read_text()) if meta_file.exists() else {}
    fy = int(meta.pop("fiscal_year_start_month", config.FISCAL_YEAR_START_MONTH))
    return CRM(**tables, fiscal_year_start_month=fy, meta=meta)


def _read_canonical_csv(path: Path, table: str) -> pd.DataFrame:
    from .schema import TABLES

    kinds = {c.name: c.kind for c in TABLES[table]}
    text_cols = {c for c, k in kinds.items() if k in ("id", "str")}
    from .exports import restore

    df = pd.read_csv(path, dtype={c: object for c in text_cols}, keep_default_na=True)
    for c in text_cols:
        if c in df:
            df[c] = df[c].map(restore)
    for c, k in kinds.items():
        if c in df and k in ("date", "datetime"):
            df[c] = pd.to_datetime(df[c], format="ISO8601")
        if c in df and k == "bool":
            df[c] = df[c].astype(str).str.lower().map({"true": True, "false": False})
    return df
