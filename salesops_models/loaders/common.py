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

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .. import config
from ..crm import CRM
from ..errors import LoadError
from ..exports import CONTROL_CHARS, escape_controls
from ..schema import (
    CLOSED_STAGES,
    CRM_TABLE_NAMES,
    DEFAULT_FORECAST_CATEGORY,
    FORECAST_CATEGORIES,
    OPTIONAL_TABLE_NAMES,
    STAGES,
    TABLES,
    WON_STAGE,
    conform,
    empty_table,
)
from .parsing import ParseStats, blank, parse_bool, parse_dates, parse_int, parse_money
from .reading import LINE_COLUMN, PROBLEM_COLUMN, PROBLEM_SOURCE, ROW_COLUMN

#: A reject: its table and file, where it is (``sheet_row`` as a spreadsheet numbers it, the
#: header being row 1; ``line``, the file's line where it starts, empty for Excel and
#: databases: see :data:`~salesops_models.loaders.reading.ROW_COLUMN`), the column, the value
#: as read and the reason.
REJECT_COLUMNS = ["table", "file", "sheet_row", "line", "column", "value", "reason"]


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
        self.rows = (  # sheet rows
            raw[ROW_COLUMN].to_numpy(dtype=np.int64)
            if ROW_COLUMN in raw
            else np.arange(1, self.n + 1)
        )
        self.lines = (  # file lines (empty for Excel and databases)
            pd.array(raw[LINE_COLUMN], dtype="Int64")
            if LINE_COLUMN in raw
            else pd.array([pd.NA] * self.n, dtype="Int64")
        )
        self.rejects: list[pd.DataFrame] = []
        self.rejected = np.zeros(self.n, dtype=bool)
        self.quarantined = np.zeros(self.n, dtype=bool)
        if PROBLEM_COLUMN in raw:
            reasons = raw[PROBLEM_COLUMN].to_numpy(dtype=object)
            mask = np.array([isinstance(v, str) and v != "" for v in reasons], dtype=bool)
            # the source column named by each problem (None: the whole line could not be read)
            sources = (
                raw[PROBLEM_SOURCE].to_numpy(dtype=object)
                if PROBLEM_SOURCE in raw
                else np.full(self.n, None, dtype=object)
            )
            sources = np.array(
                [c if isinstance(c, str) and c in raw else None for c in sources], dtype=object
            )
            for col in {c for c in sources[mask]}:
                self.reject(
                    mask & (sources == col),
                    col,
                    raw[col].to_numpy(dtype=object) if col is not None else None,
                    reasons,
                )
            self.quarantined = mask
        self.out: dict[str, object] = {}
        self.date_format, self.dayfirst = date_format, dayfirst

    def reject(self, mask: np.ndarray, column: str | None, values, reason) -> None:
        """Send the rows in ``mask`` to the rejects table (``reason`` may be per-row)."""
        mask = np.asarray(mask, dtype=bool) & ~self.quarantined
        if not mask.any():
            return
        vals = np.asarray(values, dtype=object)[mask] if values is not None else None
        reasons = np.asarray(reason, dtype=object)[mask] if not isinstance(reason, str) else reason
        self.rejects.append(
            pd.DataFrame(
                {
                    "table": self.table,
                    "file": self.file,
                    "sheet_row": self.rows[mask],
                    "line": self.lines[mask],
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
                ctrl = text.str.contains(CONTROL_CHARS, regex=True).to_numpy(dtype=bool)
                self.reject(
                    ctrl,
                    src,
                    raw.map(lambda v: escape_controls(v) if isinstance(v, str) else v),
                    f"control character in {src} (invisible bytes that break exports)",
                )
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
                [f"duplicate {key} (first seen at sheet row {int(r)})" for r in first_row],
                dtype=object,
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
    #: tables beside the CRM the load also writes (``forecast_calls`` from snapshots)
    extra: dict[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        s = self.summary
        return bool((s["rows_read"] == s["rows_accepted"] + s["rows_rejected"]).all())

    def save(self, path: str | Path = config.DEFAULT_DB, *, allow_empty: bool = False) -> Path:
        """Write the CRM (and the rejects and summary) to a store (DuckDB file or database
        URL), atomically.

        A load with no accepted opportunity never replaces a store that has some (a
        header-only export would otherwise wipe the org): that raises :class:`LoadError`
        unless ``allow_empty``.
        """
        from ..store import count_rows, resolve_store, save_store

        path = resolve_store(path)
        if len(self.crm.opportunities) == 0 and not allow_empty:
            existing = count_rows(path, "opportunities")
            if existing:
                raise LoadError(
                    path,
                    f"the load accepted no opportunities and would replace a store holding "
                    f"{existing:,}; pass --allow-empty (allow_empty=True) to do that",
                )
        self.crm.meta["load_notes"] = list(self.notes)
        extra = {"load_rejects": self.rejects, "load_summary": self.summary} | self.extra
        return save_store(self.crm, path, extra=extra)

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


def load_summary(builders: list[TableBuilder]) -> pd.DataFrame:
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
    for name in CRM_TABLE_NAMES:
        df = tables.get(name)
        if df is None and name in OPTIONAL_TABLE_NAMES:
            continue  # the CRM holds it empty
        full[name] = empty_table(name) if df is None else conform(name, df)
    return CRM(**full, fiscal_year_start_month=fiscal_year_start_month, meta=meta)


def _slug_text(text: str) -> str:
    """Lower-case words of any script joined by '-' (NFKC, case-folded)."""
    t = unicodedata.normalize("NFKC", text).casefold()
    return re.sub(r"[\W_]+", "-", t).strip("-")


def _same_name(text: str) -> str:
    """The form under which two spellings name the same thing: NFKC, case-folded, single
    spaces (``Anna  Snelling`` and ``anna snelling`` are one rep)."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def slug(values: pd.Series, prefix: str) -> pd.Series:
    """Stable ids from names, in any script: lower-case words joined by '-'
    (``Anna Snelling`` -> ``rep:anna-snelling``, ``王伟`` -> ``rep:王伟``,
    ``Иван Петров`` -> ``rep:иван-петров``). Use :func:`slug_ids` to also learn which
    values collide."""
    return slug_ids(values, prefix)[0]


def slug_ids(values: pd.Series, prefix: str) -> tuple[pd.Series, pd.Series]:
    """Ids from names plus, per row, the reason the id cannot be used (else None).

    Distinct source names must give distinct ids, in every script. Two names that differ
    only in case, Unicode form or spacing are the same thing and share the id; two that
    differ otherwise but reduce to the same id (``A.B`` and ``A B``) collide: the first
    name seen keeps the id, rows of the others are rejected with the reason. A name with no
    letter or digit in any script (``!!!``) gives no id and is rejected.
    """
    raw = [None if v is None or (isinstance(v, float) and v != v) else str(v) for v in values]
    ids: list[str | None] = []
    reason: list[str | None] = []
    first_name: dict[str, str] = {}
    first_raw: dict[str, str] = {}
    for v in raw:
        if v is None or not v.strip():
            ids.append(None)
            reason.append(None)
            continue
        k, n = _slug_text(v), _same_name(v)
        if re.search(CONTROL_CHARS, v):
            ids.append(None)
            reason.append("control character in the name (invisible bytes that break exports)")
            continue
        if not k:
            ids.append(None)
            reason.append("the name has no letter or digit to build an id from")
            continue
        if k not in first_name:
            first_name[k], first_raw[k] = n, v
        elif first_name[k] != n:
            ids.append(None)
            reason.append(
                f"id {prefix + k!r} collides with {first_raw[k]!r} (a different name giving "
                "the same id); rename one of them in the source"
            )
            continue
        ids.append(prefix + k)
        reason.append(None)
    ids = pd.Series(ids, index=values.index, dtype=object)
    reason = pd.Series(reason, index=values.index, dtype=object)
    return ids, reason


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
    "reject_orphans",
    "slug",
    "slug_ids",
    "load_summary",
]
