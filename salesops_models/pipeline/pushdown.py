"""As-of snapshots and pipeline coverage computed by the database (DuckDB or PostgreSQL; the
same SQL), so that a large history is not pulled into pandas to answer one question.

The SQL is :meth:`CRM.as_of <salesops_models.crm.CRM.as_of>` written with window functions:

- the state of a deal at ``when`` is its last history row changed before the cut-off (the
  end of that day for a bare date; :func:`~salesops_models.crm.as_of_cutoff`), rows of one
  deal ordered by ``changed_at`` and then by the order they were written (DuckDB's ``rowid``;
  the ``_row`` column of a store written by :func:`~salesops_models.warehouse.save_sql`);
- ``stage_entered_at`` is the first change of the last run of equal stages (the latest
  change that started a run: the rows are in time order);
- ``push_count`` counts the rows whose close date is later than the previous row's;
- only deals created before the cut-off that have a visible history row are returned.

The results equal the pandas ones (tested on the sample org at period ends and mid-quarter
dates, on DuckDB and on PostgreSQL). Only literals this module writes itself (a timestamp, the
closed stages, a whitelisted column name) enter the SQL text.

Examples
--------
>>> import tempfile, pathlib
>>> from salesops_models.synthetic import generate_org
>>> from salesops_models.store import save_duckdb
>>> crm = generate_org(n_reps=8, years=1, seed=1).crm
>>> db = save_duckdb(crm, pathlib.Path(tempfile.mkdtemp()) / "org.duckdb")
>>> snap = snapshot(db, "2026-06-30")
>>> len(snap) == len(crm.as_of("2026-06-30"))
True
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..crm import STATIC_OPPORTUNITY_COLUMNS, as_of_cutoff
from ..periods import FiscalCalendar, resolve_period
from ..schema import CLOSED_STAGES, WON_STAGE, conform
from ..sql_store import ROW_ORDER, engine, is_database_url, redact, sqlalchemy

#: Columns ``coverage(by=...)`` may group on (the deal's owner's, or the deal's segment).
GROUP_COLUMNS = ("team", "region", "segment", "role", "rep_name", "owner_rep_id")

_STATE = ("stage", "amount", "close_date", "forecast_category")


class _Source:
    """One query runner over a DuckDB file or a database URL."""

    def __init__(self, source):
        self.url = str(source) if is_database_url(source) else None
        self.path = None if self.url else Path(source)
        if self.path is not None and not self.path.exists():
            raise FileNotFoundError(f"no store at {self.path}")

    @property
    def label(self) -> str:
        return redact(self.url) if self.url else str(self.path)

    def columns(self, table: str) -> list[str]:
        if self.url:
            sa = sqlalchemy()

            return [c["name"] for c in sa.inspect(engine(self.url)).get_columns(table)]
        return list(self.query(f'SELECT * FROM "{table}" LIMIT 0').columns)

    def query(self, sql: str, types: dict | None = None) -> pd.DataFrame:
        """Rows of ``sql``; on PostgreSQL with ``types`` (column -> Arrow type) the rows come
        back through ``COPY`` (the bulk path), with a larger sort memory for the session."""
        if self.url:
            sa = sqlalchemy()

            with engine(self.url).connect() as conn:
                if conn.dialect.name == "postgresql":
                    conn.execute(sa.text("SET work_mem = '256MB'"))
                    if types is not None:
                        from ..sql_store import copy_query

                        return copy_query(conn, sql, types)
                result = conn.execute(sa.text(sql))
                return pd.DataFrame(result.fetchall(), columns=list(result.keys()))
        import duckdb

        con = duckdb.connect(str(self.path), read_only=True)
        try:
            con.execute("SET enable_progress_bar = false")
            return con.sql(sql).to_arrow_table().to_pandas()
        finally:
            con.close()

    def order_column(self, table: str) -> str | None:
        """The column giving the written order of ``table``'s rows, if there is one."""
        if ROW_ORDER in self.columns(table):
            return ROW_ORDER
        return None if self.url else "rowid"

    def fiscal_year_start_month(self) -> int:
        from .. import config

        if "_meta" not in self.tables():
            return config.FISCAL_YEAR_START_MONTH
        meta = self.query("SELECT key, value FROM _meta WHERE key = 'fiscal_year_start_month'")
        return int(meta["value"].iloc[0]) if len(meta) else config.FISCAL_YEAR_START_MONTH

    def tables(self) -> list[str]:
        if self.url:
            from ..sql_store import list_sql_tables

            return list_sql_tables(self.url)
        return list(self.query("SHOW TABLES")["name"])


def _grouped(select: str, key: str | None, rest: str) -> str:
    """``select`` with ``grp`` and ``is_total`` columns: the total and, with ``key``, one row
    per value of ``key`` (GROUPING SETS, shared by DuckDB and PostgreSQL)."""
    if key is None:
        return f"SELECT NULL AS grp, 1 AS is_total, {select} {rest}"
    return (
        f"SELECT {key} AS grp, GROUPING({key}) AS is_total, {select} {rest} "
        f"GROUP BY GROUPING SETS ((), ({key}))"
    )


def _ts(value) -> str:
    return f"TIMESTAMP '{pd.Timestamp(value).strftime('%Y-%m-%d %H:%M:%S.%f')}'"


def _in_list(values) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def snapshot_sql(src: _Source, when, *, include_closed: bool = True) -> str:
    """The SQL of :func:`snapshot` for this source (see the module docstring)."""
    cutoff = _ts(as_of_cutoff(when))
    h_order, o_order = src.order_column("opportunity_history"), src.order_column("opportunities")
    tie = f", {h_order}" if h_order else ""
    static = ", ".join(f"o.{c}" for c in STATIC_OPPORTUNITY_COLUMNS)
    state = ", ".join(f"s.{c}" for c in _STATE)
    open_only = "" if include_closed else f" AND s.stage NOT IN ({_in_list(CLOSED_STAGES)})"
    part = "PARTITION BY opportunity_id"
    w = f"({part} ORDER BY changed_at{tie})"
    return f"""
WITH h AS (
  SELECT opportunity_id, changed_at, stage, amount, close_date, forecast_category,
    ROW_NUMBER() OVER {w} AS rn,
    COUNT(*) OVER ({part}) AS n,
    CASE WHEN close_date > LAG(close_date) OVER {w} THEN 1 ELSE 0 END AS pushed,
    CASE WHEN LAG(stage) OVER {w} IS NULL OR stage <> LAG(stage) OVER {w} THEN 1 ELSE 0 END
      AS new_run
  FROM opportunity_history
  WHERE changed_at < {cutoff}
), s AS (
  SELECT *,
    SUM(pushed) OVER ({part}) AS push_count,
    MAX(CASE WHEN new_run = 1 THEN changed_at END) OVER ({part}) AS stage_entered_at
  FROM h
)
SELECT {static}, {state},
  s.changed_at AS last_changed_at, s.stage_entered_at, s.push_count,
  s.stage IN ({_in_list(CLOSED_STAGES)}) AS is_closed, s.stage = {_in_list([WON_STAGE])} AS is_won
FROM s JOIN opportunities o ON o.id = s.opportunity_id
WHERE s.rn = s.n AND o.created_date < {cutoff}{open_only}
ORDER BY {"o." + o_order if o_order else "o.id"}"""


def state_sql(src: _Source, when) -> str:
    """The lighter query behind :func:`coverage`: each deal's last state before the cut-off
    (one window pass: stage, amount, close date, whether closed or won), without the
    staleness and push counts the full snapshot derives."""
    cutoff = _ts(as_of_cutoff(when))
    h_order = src.order_column("opportunity_history")
    tie = f", {h_order} DESC" if h_order else ""
    return f"""
SELECT o.id, o.account_id, o.owner_rep_id, s.amount, s.close_date,
  s.stage IN ({_in_list(CLOSED_STAGES)}) AS is_closed, s.stage = {_in_list([WON_STAGE])} AS is_won
FROM (
  SELECT opportunity_id, stage, amount, close_date,
         ROW_NUMBER() OVER (PARTITION BY opportunity_id ORDER BY changed_at DESC{tie}) AS back
  FROM opportunity_history
  WHERE changed_at < {cutoff}
) s JOIN opportunities o ON o.id = s.opportunity_id
WHERE s.back = 1 AND o.created_date < {cutoff}"""


def _snapshot_types() -> dict:
    """Arrow types of the snapshot query's columns (for the bulk path)."""
    import pyarrow as pa

    from ..schema import TABLES

    kinds = {c.name: c.kind for c in TABLES["opportunities"]}
    arrow = {"date": pa.timestamp("us"), "datetime": pa.timestamp("us"), "money": pa.float64()}
    out = {c: arrow.get(kinds[c], pa.string()) for c in (*STATIC_OPPORTUNITY_COLUMNS, *_STATE)}
    out |= {"last_changed_at": pa.timestamp("us"), "stage_entered_at": pa.timestamp("us")}
    return out | {"push_count": pa.int64(), "is_closed": pa.bool_(), "is_won": pa.bool_()}


def _typed(df: pd.DataFrame) -> pd.DataFrame:
    """The snapshot's columns in the dtypes of :meth:`CRM.as_of`."""
    opp = conform("opportunities", df.reindex(columns=[*STATIC_OPPORTUNITY_COLUMNS, *_STATE]))
    out = opp[[*STATIC_OPPORTUNITY_COLUMNS, *_STATE]].copy()
    out["last_changed_at"] = pd.to_datetime(df["last_changed_at"]).astype("datetime64[ns]")
    out["stage_entered_at"] = pd.to_datetime(df["stage_entered_at"]).astype("datetime64[ns]")
    out["push_count"] = df["push_count"].astype("int64").to_numpy()
    out["is_closed"] = df["is_closed"].astype(bool).to_numpy()
    out["is_won"] = df["is_won"].astype(bool).to_numpy()
    return out


def snapshot(source, when, *, include_closed: bool = True) -> pd.DataFrame:
    """:meth:`CRM.as_of <salesops_models.crm.CRM.as_of>` computed in the database holding the
    CRM (a DuckDB file or a database URL), same rows, columns and values."""
    src = _Source(source)
    sql = snapshot_sql(src, when, include_closed=include_closed)
    out = _typed(src.query(sql, _snapshot_types()))
    out["as_of"] = pd.Timestamp(when)
    return out.reset_index(drop=True)


def coverage(source, as_of, period=None, *, target: float | None = None, by: str | None = "team"):
    """:func:`salesops_models.pipeline.coverage` with the sums computed in the database: the
    snapshot, the owners' columns and the quota targets never leave it; only one row per group
    comes back. The target is the quotas of the period (or ``target``); a CRM without quotas
    for the period needs ``target`` here (the pandas version falls back to bookings).
    """
    from .metrics import coverage_table

    if by is not None and by not in GROUP_COLUMNS:
        raise ValueError(f"by must be one of {', '.join(GROUP_COLUMNS)}, got {by!r}")
    src = _Source(source)
    cal = FiscalCalendar(src.fiscal_year_start_month())
    p = cal.period(period) if period else cal.quarter(as_of)
    start, end = _ts(p.start), _ts(p.end)
    key = {"segment": "COALESCE(a.segment, r.segment)", "rep_name": "r.name"}.get(
        by, f"r.{by}" if by != "owner_rep_id" else "e.owner_rep_id"
    )
    in_p = f"e.close_date BETWEEN {start} AND {end}"
    sums = src.query(
        f"WITH e AS ({state_sql(src, as_of)}) "
        + _grouped(
            f"""
  SUM(CASE WHEN e.is_won AND {in_p} THEN e.amount END) AS won_to_date,
  SUM(CASE WHEN e.is_won AND {in_p} THEN 1 ELSE 0 END) AS won_deals,
  SUM(CASE WHEN NOT e.is_closed AND {in_p} THEN e.amount END) AS open_pipeline,
  SUM(CASE WHEN NOT e.is_closed AND {in_p} THEN 1 ELSE 0 END) AS open_deals,
  SUM(CASE WHEN NOT e.is_closed AND e.close_date IS NULL THEN e.amount END)
    AS open_without_close_date""",
            key if by else None,
            "FROM e LEFT JOIN reps r ON r.id = e.owner_rep_id "
            "LEFT JOIN accounts a ON a.id = e.account_id",
        )
    )
    numeric = ["won_to_date", "won_deals", "open_pipeline", "open_deals", "open_without_close_date"]
    sums[numeric] = sums[numeric].astype(float)
    total_row = sums[sums["is_total"].astype(int) == 1]
    total = total_row[numeric].iloc[0] if len(total_row) else pd.Series(0.0, index=numeric)
    quota_key = {"segment": "r.segment", "rep_name": "r.name", "owner_rep_id": "q.rep_id"}.get(
        by, f"r.{by}"
    )
    quotas = src.query(
        _grouped(
            "SUM(q.amount) AS target",
            quota_key if by else None,
            "FROM quotas q LEFT JOIN reps r ON r.id = q.rep_id "
            f"WHERE q.period_start >= {start} AND q.period_end <= {end}",
        )
    )
    quotas["target"] = quotas["target"].astype(float)
    q_total = quotas.loc[quotas["is_total"].astype(int) == 1, "target"].fillna(0.0)
    quota_sum = float(q_total.iloc[0]) if len(q_total) else 0.0
    if target is not None and target > 0:
        total_target, target_source = float(target), "given"
    elif quota_sum > 0:
        total_target, target_source = quota_sum, "sum of quotas"
    else:
        raise ValueError(f"{src.label} has no quotas for {p.label}: give the target (target=...)")
    groups = group_targets = None
    if by:
        per = sums[sums["is_total"].astype(int) == 0]
        groups = per.set_index("grp")[numeric]
        groups = groups[groups.index.notna()]
        q = quotas[(quotas["is_total"].astype(int) == 0) & quotas["grp"].notna()]
        group_targets = (
            q.set_index("grp")["target"] if target_source == "sum of quotas" else pd.Series()
        )
    out = coverage_table(total, total_target, groups, group_targets)
    out.attrs.update(
        period=p.label, as_of=str(pd.Timestamp(as_of).date()), target_source=target_source
    )
    return out


def pipeline(source, when, period=None) -> pd.DataFrame:
    """:meth:`CRM.pipeline <salesops_models.crm.CRM.pipeline>` (open deals as of ``when``;
    with ``period``, those expected to close in it; a relative period such as ``current
    quarter`` is taken at ``when``) computed in the database."""
    src = _Source(source)
    snap = _typed(src.query(snapshot_sql(src, when, include_closed=False), _snapshot_types()))
    snap["as_of"] = pd.Timestamp(when)
    if period is not None:
        p = resolve_period(period, when, FiscalCalendar(src.fiscal_year_start_month()))
        snap = snap[p.contains(snap["close_date"]) & snap["close_date"].notna()]
    return snap.reset_index(drop=True)


def pipeline_by_stage(source, when, period=None) -> pd.DataFrame:
    """:func:`pipeline` summed by stage in the funnel's order: stage, deals, amount."""
    from ..schema import STAGE_ORDER

    pipe = pipeline(source, when, period)
    out = pipe.groupby("stage").agg(deals=("id", "size"), amount=("amount", "sum")).reset_index()
    return out.sort_values("stage", key=lambda s: s.map(STAGE_ORDER)).reset_index(drop=True)
