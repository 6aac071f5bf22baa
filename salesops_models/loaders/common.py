"""Shared import machinery: reading files, row-level parsing with a rejects table, and the
cross-table checks every importer runs before it hands over a :class:`~salesops_models.CRM`.

Contract of every importer
--------------------------
- A problem that makes the whole file unusable (missing file, empty file, a required column
  absent, undecodable bytes) raises :class:`LoadError` naming the file, and the column when
  there is one.
- A problem with one row (unparseable date or amount, negative or absurd amount, close before
  create, duplicate id, unknown stage, orphan foreign key, ...) sends the row to the rejects
  table with the file, the 1-based data row (the spreadsheet row is ``row + 1``), the column,
  the value and the reason.
- Per table and file: ``rows_read = rows_accepted + rows_rejected``, always shown.
- Representation changes (Excel serial dates, decimal commas, typo fixes, ...) are listed in
  the notes; nothing is coerced silently.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .. import config
from ..crm import CRM
from ..schema import (
    CLOSED_STAGES,
    DEFAULT_FORECAST_CATEGORY,
    FORECAST_CATEGORIES,
    STAGES,
    TABLES,
    WON_STAGE,
    conform,
    empty_table,
)
from .parsing import ParseStats, blank, parse_bool, parse_dates, parse_int, parse_money

REJECT_COLUMNS = ["table", "file", "row", "column", "value", "reason"]


class LoadError(ValueError):
    """A file cannot be imported at all; the message names the file (and column)."""

    def __init__(self, file, message: str, *, column: str | None = None, row: int | None = None):
        where = str(file)
        if row is not None:
            where += f", row {row}"
        if column is not None:
            where += f", column {column!r}"
        super().__init__(f"{where}: {message}")
        self.file, self.column, self.row = str(file), column, row


# --- reading -------------------------------------------------------------------------------
def read_raw(
    path: str | Path, *, sheet: str | int | None = None, encoding: str | None = None
) -> tuple[pd.DataFrame, list[str]]:
    """Read a CSV or Excel file as strings, every cell kept as written.

    CSV bytes are decoded as UTF-8 (with or without BOM); failing that, the encoding is
    detected with charset-normalizer and reported in the notes; undecodable bytes raise.
    """
    path = Path(path)
    notes: list[str] = []
    if not path.exists():
        raise LoadError(path, "file not found")
    if path.stat().st_size == 0:
        raise LoadError(path, "the file is empty (0 bytes)")
    if path.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
        try:
            df = pd.read_excel(path, sheet_name=sheet or 0, dtype=str, keep_default_na=False)
        except ValueError as exc:
            raise LoadError(path, f"cannot read the sheet: {exc}") from exc
        df = df.map(lambda v: v[:-9] if isinstance(v, str) and v.endswith(" 00:00:00") else v)
    else:
        data = path.read_bytes()
        if encoding:
            text = data.decode(encoding)
        else:
            try:
                text = data.decode("utf-8-sig")
            except UnicodeDecodeError as exc:
                from charset_normalizer import from_bytes

                best = from_bytes(data).best()
                if best is None:
                    raise LoadError(
                        path, f"cannot decode the bytes as text (not UTF-8 at byte {exc.start})"
                    ) from exc
                text = str(best)
                notes.append(f"{path.name}: not UTF-8; decoded as {best.encoding}")
        if not text.strip():
            raise LoadError(path, "the file is empty (no header row)")
        try:
            df = pd.read_csv(
                io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=False
            )
        except pd.errors.ParserError as exc:
            raise LoadError(path, f"not a well-formed CSV: {exc}") from exc
    df.columns = [str(c).strip() for c in df.columns]
    if df.shape[1] == 0:
        raise LoadError(path, "no columns found")
    return df.reset_index(drop=True), notes


def require_columns(df: pd.DataFrame, path, columns: list[str]) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise LoadError(
            path,
            f"required column(s) {', '.join(repr(m) for m in missing)} not found; "
            f"the file has: {', '.join(repr(c) for c in df.columns)}",
            column=missing[0],
        )


# --- one table -----------------------------------------------------------------------------
class TableBuilder:
    """Turns a raw (all-string) frame into a canonical table, collecting row rejects.

    ``colmap`` maps canonical column -> source column. Rows are numbered 1.. in file order.
    """

    def __init__(
        self,
        table: str,
        file: str | Path,
        raw: pd.DataFrame,
        colmap: dict[str, str],
        stats: ParseStats,
        *,
        date_format: str | None = None,
        dayfirst: bool | None = None,
    ):
        self.table, self.file, self.raw, self.colmap = table, str(file), raw, colmap
        self.stats = stats
        self.n = len(raw)
        self.rows = np.arange(1, self.n + 1)
        self.rejects: list[pd.DataFrame] = []
        self.rejected = np.zeros(self.n, dtype=bool)
        self.out: dict[str, object] = {}
        self.date_format, self.dayfirst = date_format, dayfirst

    def reject(self, mask: np.ndarray, column: str | None, values, reason) -> None:
        """Send the rows in ``mask`` to the rejects table (``reason`` may be per-row)."""
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return
        vals = np.asarray(values, dtype=object)[mask] if values is not None else None
        reasons = np.asarray(reason, dtype=object)[mask] if not isinstance(reason, str) else reason
        self.rejects.append(
            pd.DataFrame(
                {
                    "table": self.table,
                    "file": self.file,
                    "row": self.rows[mask],
                    "column": column,
                    "value": vals if vals is not None else None,
                    "reason": reasons,
                }
            )
        )
        self.rejected |= mask

    def source(self, col: str) -> pd.Series | None:
        src = self.colmap.get(col)
        if src is None or src not in self.raw.columns:
            return None
        return self.raw[src]

    def parse_all(self, value_maps: dict[str, dict[str, str]] | None = None) -> None:
        """Parse every mapped canonical column by its kind; unmapped optional columns stay empty."""
        value_maps = value_maps or {}
        for spec in TABLES[self.table]:
            raw = self.source(spec.name)
            if raw is None:
                continue
            src = self.colmap[spec.name]
            label = f"{Path(self.file).name}:{src}"
            kind = spec.kind
            missing = blank(raw)
            if kind in ("date", "datetime"):
                vals, bad = parse_dates(
                    raw, self.stats, label, date_format=self.date_format, dayfirst=self.dayfirst
                )
                self.reject(
                    bad,
                    src,
                    raw,
                    f"unparseable date (expected ISO YYYY-MM-DD, M/D/YYYY or an Excel serial) in {src}",
                )
                if kind == "date":
                    vals = vals.astype("datetime64[D]").astype("datetime64[ns]")
            elif kind == "money":
                vals, bad = parse_money(raw, self.stats, label)
                self.reject(bad, src, raw, f"unparseable amount in {src}")
                self.reject(~np.isnan(vals) & (vals < 0), src, raw, f"negative amount in {src}")
                if spec.name == "amount":  # deal and quota amounts; revenue may be large
                    self.reject(
                        ~np.isnan(vals) & (vals > config.MAX_DEAL_AMOUNT),
                        src,
                        raw,
                        f"absurd amount in {src} (above {config.MAX_DEAL_AMOUNT:,.0f})",
                    )
            elif kind in ("int", "float"):
                vals, bad = parse_int(raw) if kind == "int" else parse_money(raw)
                self.reject(bad, src, raw, f"not a number in {src}")
            elif kind == "bool":
                vals, bad = parse_bool(raw)
                self.reject(bad, src, raw, f"not a boolean (true/false) in {src}")
            else:
                text = raw.astype(object).where(raw.notna(), "").astype(str).str.strip()
                vmap = value_maps.get(spec.name)
                if vmap is not None:
                    low = {str(k).strip().lower(): v for k, v in vmap.items()}
                    mapped = text.str.lower().map(low)
                    unknown = mapped.isna().to_numpy() & ~missing
                    known = ", ".join(sorted(set(map(str, vmap))))[:300]
                    self.reject(
                        unknown, src, raw, f"unknown {spec.name} value in {src} (known: {known})"
                    )
                    text = mapped
                elif spec.allowed is not None:
                    canon = {a.lower(): a for a in spec.allowed}
                    mapped = text.str.lower().map(canon)
                    unknown = mapped.isna().to_numpy() & ~missing
                    self.reject(
                        unknown,
                        src,
                        raw,
                        f"unknown {spec.name} value in {src} (allowed: {', '.join(spec.allowed)})",
                    )
                    text = mapped
                vals = text.astype(object).where(~missing, None).to_numpy(dtype=object)
            if not spec.nullable:
                self.reject(missing, src, raw, f"required value missing in {src}")
            self.out[spec.name] = vals

    def set(self, col: str, values) -> None:
        self.out[col] = values

    def frame(self) -> pd.DataFrame:
        df = pd.DataFrame({k: v for k, v in self.out.items()}, index=range(self.n))
        df["_row"] = self.rows
        return df

    def reject_duplicates(self, df: pd.DataFrame, key: str = "id") -> None:
        src = self.colmap.get(key, key)
        ids = df[key]
        dup = ids.duplicated(keep="first").to_numpy() & ids.notna().to_numpy()
        if dup.any():
            first_row = df.groupby(key)["_row"].transform("min").to_numpy()
            reasons = np.array(
                [f"duplicate {key} (first seen at row {r})" for r in first_row], dtype=object
            )
            self.reject(dup, src, ids.to_numpy(dtype=object), reasons)

    def rejects_frame(self) -> pd.DataFrame:
        if not self.rejects:
            return pd.DataFrame(columns=REJECT_COLUMNS)
        return pd.concat(self.rejects, ignore_index=True)[REJECT_COLUMNS]

    def accepted(self, df: pd.DataFrame) -> pd.DataFrame:
        return df[~self.rejected].reset_index(drop=True)


# --- result --------------------------------------------------------------------------------
@dataclass
class LoadResult:
    """The imported CRM plus the full account of what happened to every row."""

    crm: CRM
    rejects: pd.DataFrame
    summary: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        s = self.summary
        return bool((s["rows_read"] == s["rows_accepted"] + s["rows_rejected"]).all())

    def save(self, path: str | Path = config.DEFAULT_DB) -> Path:
        from ..store import save_duckdb

        self.crm.meta["load_notes"] = list(self.notes)
        return save_duckdb(
            self.crm, path, extra={"load_rejects": self.rejects, "load_summary": self.summary}
        )

    def report(self) -> str:
        lines = ["Load summary (rows read = accepted + rejected):"]
        lines.append(self.summary.to_string(index=False))
        if len(self.rejects):
            lines.append("")
            lines.append(f"Rejected rows by reason ({len(self.rejects)} problems):")
            top = (
                self.rejects.groupby(["table", "reason"])
                .size()
                .sort_values(ascending=False)
                .head(15)
            )
            lines.append(top.to_string())
        if self.notes:
            lines.append("")
            lines.append("Notes:")
            lines += [f"- {n}" for n in self.notes]
        return "\n".join(lines)

    def __str__(self) -> str:  # pragma: no cover - cosmetic
        return self.report()


def summarize(builders: list[TableBuilder]) -> pd.DataFrame:
    rows = []
    for b in builders:
        rows.append(
            {
                "table": b.table,
                "file": Path(b.file).name,
                "rows_read": b.n,
                "rows_accepted": int((~b.rejected).sum()),
                "rows_rejected": int(b.rejected.sum()),
            }
        )
    return pd.DataFrame(
        rows, columns=["table", "file", "rows_read", "rows_accepted", "rows_rejected"]
    )


# --- cross-table ---------------------------------------------------------------------------
def check_opportunities(b: TableBuilder, df: pd.DataFrame) -> None:
    """Row rules of an opportunity: flags agree with the stage, no close before create."""
    stage = df["stage"]
    if "is_closed" in df and df["is_closed"].notna().any():
        flag = df["is_closed"]
        bad = (
            flag.notna().to_numpy()
            & stage.notna().to_numpy()
            & (flag.astype(object) != stage.isin(CLOSED_STAGES)).to_numpy()
        )
        b.reject(
            bad,
            b.colmap.get("is_closed"),
            flag.to_numpy(dtype=object),
            "IsClosed disagrees with the stage",
        )
    if "is_won" in df and df["is_won"].notna().any():
        flag = df["is_won"]
        bad = (
            flag.notna().to_numpy()
            & stage.notna().to_numpy()
            & (flag.astype(object) != (stage == WON_STAGE)).to_numpy()
        )
        b.reject(
            bad,
            b.colmap.get("is_won"),
            flag.to_numpy(dtype=object),
            "IsWon disagrees with the stage",
        )
    closed = stage.isin(CLOSED_STAGES).to_numpy()
    cd, cr = (
        df["close_date"].to_numpy("datetime64[ns]"),
        df["created_date"].to_numpy("datetime64[ns]"),
    )
    before = closed & ~np.isnat(cd) & ~np.isnat(cr) & (cd < cr)
    b.reject(
        before,
        b.colmap.get("close_date"),
        df["close_date"].astype(str).to_numpy(dtype=object),
        "closed before it was created (close_date < created_date)",
    )
    b.reject(
        closed & np.isnat(cd), b.colmap.get("close_date"), None, "closed deal without a close date"
    )


def reject_orphans(
    b: TableBuilder, df: pd.DataFrame, col: str, parent_ids: pd.Series, parent: str
) -> None:
    vals = df[col]
    bad = vals.notna().to_numpy() & ~vals.isin(parent_ids).to_numpy()
    b.reject(
        bad, b.colmap.get(col, col), vals.to_numpy(dtype=object), f"{col} not found in {parent}"
    )


def finish_opportunity_fields(df: pd.DataFrame) -> pd.DataFrame:
    """Derive is_closed/is_won from the stage and fill a missing forecast category from it."""
    df = df.copy()
    df["is_closed"] = df["stage"].isin(CLOSED_STAGES)
    df["is_won"] = df["stage"] == WON_STAGE
    fc = df.get("forecast_category")
    default = df["stage"].map(DEFAULT_FORECAST_CATEGORY)
    df["forecast_category"] = default if fc is None else fc.where(fc.notna(), default)
    return df


def history_from_current(opps: pd.DataFrame, when_col: str = "created_date") -> pd.DataFrame:
    """One history row per opportunity holding its *current* state at creation.

    Used when a source has no field history: as-of views before the extract then see each
    deal's latest stage/amount from its creation on (later edits leak; the importer says so).
    """
    h = pd.DataFrame(
        {
            "opportunity_id": opps["id"],
            "changed_at": opps[when_col],
            "stage": opps["stage"],
            "amount": opps["amount"],
            "close_date": opps["close_date"],
            "forecast_category": opps["forecast_category"],
        }
    )
    return h


def close_history(opps: pd.DataFrame, history: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Append a row where the last history state differs from the opportunity's current one.

    The row is stamped one second after the last history row (or at creation) so as-of views
    on and after the extract agree with the opportunity table. Returns (history, rows added).
    """
    if history.empty:
        return history_from_current(opps), len(opps)
    h = history.sort_values(["opportunity_id", "changed_at"], kind="stable")
    last = h.drop_duplicates("opportunity_id", keep="last").set_index("opportunity_id")
    o = opps.set_index("id")
    has = o.index.isin(last.index)
    L = last.reindex(o.index)
    differ = ~has.copy()
    for col in ("stage", "amount", "close_date"):
        a, bcol = o[col], L[col]
        differ |= ~((a == bcol) | (a.isna() & bcol.isna())).to_numpy()
    add = o[differ]
    if add.empty:
        return h.reset_index(drop=True), 0
    when = L.loc[differ, "changed_at"] + pd.Timedelta(seconds=1)
    when = when.where(when.notna(), add["created_date"])
    extra = pd.DataFrame(
        {
            "opportunity_id": add.index,
            "changed_at": when.to_numpy(),
            "stage": add["stage"].to_numpy(),
            "amount": add["amount"].to_numpy(),
            "close_date": add["close_date"].to_numpy(),
            "forecast_category": add["forecast_category"].to_numpy(),
        }
    )
    return pd.concat([h, extra], ignore_index=True), len(extra)


def make_crm(tables: dict[str, pd.DataFrame], meta: dict, fiscal_year_start_month: int) -> CRM:
    full = {}
    for name in TABLES:
        df = tables.get(name)
        full[name] = empty_table(name) if df is None else conform(name, df)
    return CRM(**full, fiscal_year_start_month=fiscal_year_start_month, meta=meta)


def slug(values: pd.Series, prefix: str) -> pd.Series:
    """Stable ids from names: lower-case words joined by '-' (``Anna Snelling`` -> ``rep:anna-snelling``)."""
    s = values.astype(object).where(values.notna(), None)
    out = (
        s.astype(str)
        .str.strip()
        .str.lower()
        .str.replace(r"[^a-z0-9]+", "-", regex=True)
        .str.strip("-")
    )
    return (prefix + out).where(s.notna(), None)


__all__ = [
    "FORECAST_CATEGORIES",
    "STAGES",
    "LoadError",
    "LoadResult",
    "ParseStats",
    "TableBuilder",
    "check_opportunities",
    "close_history",
    "finish_opportunity_fields",
    "history_from_current",
    "make_crm",
    "read_raw",
    "reject_orphans",
    "require_columns",
    "slug",
    "summarize",
]
