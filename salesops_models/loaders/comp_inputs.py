"""Compensation inputs from CSV or Excel: splits, cancellations and other adjustments, deal
attributes and leaves, with the importers' quarantine rules.

Each file becomes one optional table of the store (``comp_splits``, ``comp_adjustments``,
``comp_deal_attributes``, ``comp_leaves``; columns in the data dictionary) and replaces the
table it loads. Rows that cannot be used are rejects with the file, row, column, value and
reason (unparseable dates or numbers, unknown deals or reps, a split whose percentages do not
add to 100, an event before the deal closed, a leave ending before it starts...); per file
rows read = accepted + rejected. Column names are the canonical ones unless ``columns`` maps
them (canonical -> file column).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..crm import CRM
from ..schema import COMP_TABLES, conform
from .common import LoadError, ParseStats, TableBuilder, load_summary, reject_orphans
from .reading import read_raw, require_columns

#: Input name (CLI option) -> store table.
COMP_INPUTS = {
    "splits": "comp_splits",
    "adjustments": "comp_adjustments",
    "deal_attributes": "comp_deal_attributes",
    "leaves": "comp_leaves",
}


@dataclass
class CompLoadResult:
    """Accepted tables, the rejects and the per-file summary of a comp-inputs load."""

    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    rejects: pd.DataFrame | None = None
    summary: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        s = self.summary
        return bool((s["rows_read"] == s["rows_accepted"] + s["rows_rejected"]).all())

    def save(self, path) -> Path:
        """Write the tables (and ``comp_load_rejects``) into an existing store, atomically."""
        from ..store import save_tables

        extra = dict(self.tables)
        extra["comp_load_rejects"] = self.rejects
        return save_tables(path, extra)


def _won_ids(crm: CRM) -> pd.Series:
    o = crm.opportunities
    return o.loc[o["is_won"], "id"]


def _check(table: str, b: TableBuilder, df: pd.DataFrame, crm: CRM) -> None:
    src = b.colmap.get
    if "opportunity_id" in df:
        reject_orphans(b, df, "opportunity_id", _won_ids(crm), "the store's won opportunities")
    if "rep_id" in df:
        reject_orphans(b, df, "rep_id", crm.reps["id"], "the store's reps")
    if table == "comp_splits":
        pct = pd.to_numeric(df["percent"], errors="coerce").to_numpy(dtype=float)
        b.reject(~np.isnan(pct) & ((pct <= 0) | (pct > 100)), src("percent"), df["percent"],
                 f"percent in {src('percent')} must be > 0 and <= 100")  # fmt: skip
        kind = df["kind"].fillna("split")
        key = df["opportunity_id"].astype(str) + "\x1f" + df["rep_id"].astype(str) + "\x1f" + kind
        b.reject(key.duplicated().to_numpy(), src("rep_id"), df["rep_id"],
                 "the same rep appears twice on the deal")  # fmt: skip
        ok = ~b.rejected & (kind == "split").to_numpy()
        sums = pd.Series(pct[ok]).groupby(df["opportunity_id"].to_numpy()[ok]).sum()
        bad = sums[(sums - 100).abs() > 1e-9]
        mask = ok & df["opportunity_id"].isin(bad.index).to_numpy()
        reasons = np.array(
            [f"split percentages of opportunity {o} add to {bad.get(o, 0):g}, not 100"
             for o in df["opportunity_id"]], dtype=object,
        )  # fmt: skip
        b.reject(mask, src("percent"), df["percent"], reasons)
    elif table == "comp_adjustments":
        close = df["opportunity_id"].map(crm.opportunities.set_index("id")["close_date"])
        when = pd.to_datetime(df["date"])
        b.reject((when < close).to_numpy(dtype=bool), src("date"), df["date"],
                 "event dated before the deal closed")  # fmt: skip
    elif table == "comp_deal_attributes":
        b.reject_duplicates(df, "opportunity_id")
        for col, lo, hi in (("term_months", 0, 600), ("margin", 0, 1), ("discount", 0, 1)):
            v = pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=float)
            bad = ~np.isnan(v) & ((v <= lo if col == "term_months" else v < lo) | (v > hi))
            b.reject(bad, src(col), df[col], f"{col} out of range in {src(col)}")
    elif table == "comp_leaves":
        b.reject((pd.to_datetime(df["end"]) < pd.to_datetime(df["start"])).to_numpy(dtype=bool),
                 src("end"), df["end"], "leave ends before it starts")  # fmt: skip


def load_comp_inputs(
    crm: CRM,
    files: dict[str, str | Path],
    *,
    columns: dict[str, dict[str, str]] | None = None,
    dayfirst: bool | None = None,
    date_format: str | None = None,
) -> CompLoadResult:
    """Read comp-input files (``{"adjustments": "cancellations.csv", ...}``) against ``crm``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from salesops_models.synthetic import generate_org
    >>> crm = generate_org(n_reps=8, years=1, seed=1).crm
    >>> won = crm.opportunities[crm.opportunities["is_won"]].iloc[0]
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "cancellations.csv"
    >>> _ = f.write_text(f"opportunity_id,event,date\\n{won['id']},cancelled,2030-01-05\\n"
    ...                  "no-such-deal,cancelled,2030-01-05\\n")
    >>> res = load_comp_inputs(crm, {"adjustments": f})
    >>> res.summary[["rows_read", "rows_accepted", "rows_rejected"]].iloc[0].tolist()
    [2, 1, 1]
    """
    columns = columns or {}
    out = CompLoadResult()
    builders, rejects = [], []
    for name, path in files.items():
        if name not in COMP_INPUTS:
            raise ValueError(f"unknown comp input {name!r}; known: {', '.join(COMP_INPUTS)}")
        table = COMP_INPUTS[name]
        raw, notes = read_raw(path)
        out.notes += notes
        specs = COMP_TABLES[table]
        given = columns.get(name, {})
        colmap = {c.name: given.get(c.name, c.name) for c in specs}
        require_columns(raw, path, [colmap[c.name] for c in specs if c.required and not c.nullable])
        b = TableBuilder(
            table, path, raw, colmap, ParseStats(), date_format=date_format, dayfirst=dayfirst
        )
        b.parse_all()
        df = b.frame()
        for c in specs:
            if c.name not in df:
                df[c.name] = None
        _check(table, b, df, crm)
        out.tables[table] = conform(table, b.accepted(df))
        builders.append(b)
        rejects.append(b.rejects_frame())
    if not builders:
        raise LoadError("(no file)", "give at least one comp input file")
    out.rejects = pd.concat(rejects, ignore_index=True)
    out.summary = load_summary(builders)
    return out
