"""The forecast call from a CSV or Excel file, with the importers' quarantine rules.

A calls file has one row per submitted number: when, who, the period, the category, the
amount and, for a manager's adjustment of a report's number, whose number it adjusts
(columns in the data dictionary, ``forecast_calls``; ``columns`` maps canonical names to the
file's, ``categories`` maps the org's own category names onto the canonical ones, which are
always accepted as they are). A load adds to the store's ``forecast_calls`` (``--replace``
replaces them).

Rejects (file, sheet row, line, column, value, reason; rows read = accepted + rejected):
unparseable time or amount, a negative or absurd amount, a forecaster not in the store's
reps, a period that is not a fiscal period, a category with no mapping (naming the known
ones), a kind other than own or adjustment, an adjustment without the report it adjusts or
of someone who does not report to the forecaster, control characters in text; and of two
calls with the same forecaster, period, category, kind, report and time, the earlier row
(the later wins; the notes count them). Notes stay text: they are escaped in HTML and
neutralized in exports like every CRM text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..crm import CRM
from ..errors import PeriodError
from ..schema import CALL_CATEGORIES, CALL_TABLES, conform
from .common import ParseStats, TableBuilder, load_summary, reject_orphans
from .reading import read_raw, require_columns

TABLE = "forecast_calls"


@dataclass
class CallsLoadResult:
    """The accepted calls, the rejects and the per-file summary of a calls load."""

    calls: pd.DataFrame
    rejects: pd.DataFrame
    summary: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        s = self.summary
        return bool((s["rows_read"] == s["rows_accepted"] + s["rows_rejected"]).all())

    def save(self, path, *, replace: bool = False) -> Path:
        """Write the calls and ``calls_load_rejects`` into a store: added to the calls it
        holds (a call already there, same forecaster, period, category, kind, report and
        time, is kept once), or replacing them with ``replace``."""
        from ..store import list_tables, read_table, save_tables

        calls = self.calls
        if not replace and TABLE in list_tables(path):
            key = ["forecaster_id", "period", "category", "kind", "adjusted_id", "submitted_at"]
            both = pd.concat([conform(TABLE, read_table(TABLE, path)), calls], ignore_index=True)
            calls = both.drop_duplicates(key, keep="last").reset_index(drop=True)
        return save_tables(path, {TABLE: calls, "calls_load_rejects": self.rejects})

    @classmethod
    def combine(cls, results: list[CallsLoadResult]) -> CallsLoadResult:
        """One result of several loads (files of different kinds)."""
        return cls(
            pd.concat([r.calls for r in results], ignore_index=True),
            pd.concat([r.rejects for r in results], ignore_index=True),
            pd.concat([r.summary for r in results], ignore_index=True),
            [n for r in results for n in r.notes],
        )


def _check(b: TableBuilder, df: pd.DataFrame, crm: CRM, notes: list[str]) -> None:
    src = b.colmap.get
    reject_orphans(b, df, "forecaster_id", crm.reps["id"], "the store's reps")

    def fiscal(label) -> str | None:
        try:
            return crm.period(str(label)).label
        except (PeriodError, ValueError):
            return None

    labels = df["period"].map(lambda v: fiscal(v) if isinstance(v, str) and v else None)
    b.reject(
        labels.isna().to_numpy() & df["period"].notna().to_numpy(),
        src("period"),
        df["period"],
        f"not a fiscal period in {src('period')} (like 2026-Q3 or 2026-07)",
    )
    df["period"] = labels.where(labels.notna(), df["period"])
    kind = df["kind"].fillna("own")
    df["kind"] = kind
    adjusting = (kind == "adjustment").to_numpy()
    b.reject(
        adjusting & df["adjusted_id"].isna().to_numpy(),
        src("adjusted_id") or src("kind"),
        df["kind"],
        "an adjustment names no report it adjusts (adjusted_id)",
    )
    manager = df["adjusted_id"].map(crm.reps.set_index("id")["manager_id"])
    b.reject(
        adjusting
        & df["adjusted_id"].notna().to_numpy()
        & (manager != df["forecaster_id"]).to_numpy(),
        src("adjusted_id"),
        df["adjusted_id"],
        "the adjusted rep does not report to the forecaster",
    )
    b.reject(
        (~adjusting) & df["adjusted_id"].notna().to_numpy(),
        src("adjusted_id"),
        df["adjusted_id"],
        "an own number names an adjusted rep (set kind to adjustment)",
    )
    key = ["forecaster_id", "period", "category", "kind", "adjusted_id", "submitted_at"]
    live = ~b.rejected
    dup = np.zeros(len(df), dtype=bool)
    dup[live] = df[live].duplicated(key, keep="last").to_numpy()
    if dup.any():
        notes.append(
            f"{Path(b.file).name}: {int(dup.sum())} call(s) replaced by a later row with the same "
            "forecaster, period, category and time"
        )
    b.reject(
        dup, src("submitted_at"), df["submitted_at"], "replaced by a later row at the same time"
    )


def load_calls(
    crm: CRM,
    files,
    *,
    columns: dict[str, str] | None = None,
    categories: dict[str, str] | None = None,
    dayfirst: bool | None = None,
    date_format: str | None = None,
    source: str | None = None,
) -> CallsLoadResult:
    """Read calls files (one path or several) against ``crm`` (see the module docstring).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from salesops_models.synthetic import generate_org
    >>> crm = generate_org(n_reps=8, years=1, seed=1).crm
    >>> rep = crm.reps.loc[crm.reps["role"] == "AE", "id"].iloc[0]
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "calls.csv"
    >>> _ = f.write_text("submitted_at,forecaster_id,period,category,amount\\n"
    ...                  f"2026-07-06,{rep},2026-Q3,Upside,120000\\n"
    ...                  f"2026-07-06,{rep},2026-Q3,Commit,-5\\n")
    >>> res = load_calls(crm, f, categories={"Upside": "Best Case"})
    >>> res.summary[["rows_read", "rows_accepted", "rows_rejected"]].iloc[0].tolist()
    [2, 1, 1]
    """
    files = [files] if isinstance(files, str | Path) else list(files)
    specs = CALL_TABLES[TABLE]
    given = dict(columns or {})
    unknown = sorted(set(given) - {c.name for c in specs})
    if unknown:
        raise ValueError(
            f"columns: unknown {', '.join(unknown)}; known: {', '.join(c.name for c in specs)}"
        )
    vmap = {c: c for c in CALL_CATEGORIES} | {str(k): v for k, v in (categories or {}).items()}
    bad = sorted({v for v in vmap.values() if v not in CALL_CATEGORIES})
    if bad:
        raise ValueError(
            f"categories map onto {bad}: the categories are {', '.join(CALL_CATEGORIES)}"
        )
    notes: list[str] = []
    builders, frames, rejects = [], [], []
    for path in files:
        raw, n = read_raw(path)
        notes += n
        colmap = {c.name: given.get(c.name, c.name) for c in specs}
        colmap = {k: v for k, v in colmap.items() if v in raw.columns or k in given}
        require_columns(
            raw,
            path,
            [colmap.get(c.name, c.name) for c in specs if not c.nullable and c.name != "kind"],
        )
        b = TableBuilder(
            TABLE, path, raw, colmap, ParseStats(), date_format=date_format, dayfirst=dayfirst
        )
        b.parse_all({"category": vmap})
        df = b.frame()
        for c in specs:
            if c.name not in df:
                df[c.name] = None
        df["source"] = df["source"].fillna(source or Path(path).name)
        _check(b, df, crm, notes)
        frames.append(b.accepted(df))
        builders.append(b)
        rejects.append(b.rejects_frame())
    calls = conform(TABLE, pd.concat(frames, ignore_index=True))
    return CallsLoadResult(
        calls.sort_values("submitted_at", kind="stable").reset_index(drop=True),
        pd.concat(rejects, ignore_index=True),
        load_summary(builders),
        notes,
    )
