"""The call sheet: an Excel workbook a manager fills in for the weekly call, and its reading.

:func:`write_call_sheet` writes, for one manager and period, the sheet ``Call`` (one row per
forecaster of the team, the manager included: their last Commit, Most Likely and Best Case,
won so far, the open pipeline weighted by stage probability, and empty cells for this
week's Commit, Most Likely, Best Case and note), the sheet ``Open deals`` (the team's open
deals expected in the period) and the sheet ``About`` (what the sheet is for). Every text
cell is neutralized like every export (a CRM name never becomes a formula).

:func:`read_call_sheet` reads filled sheets back as calls submitted when the file was saved
(its modification time), one call per filled cell, with the importers' rules: rows read =
accepted + rejected, a reject names the file, sheet row, column, value and reason: text in
an amount cell, a forecaster who is not on the sheet, a period that is not the sheet's, a
formula in any cell (a sheet cell never runs).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..crm import CRM, rep_scopes
from ..exports import restore, write_excel
from ..schema import DEFAULT_STAGE_PROBABILITY
from .data import calls_as_of

MARKER = "salesops call sheet v1"
INPUTS = {"this week: Commit": "Commit", "this week: Most Likely": "Most Likely",
          "this week: Best Case": "Best Case"}  # fmt: skip
NOTE = "this week: note"


def write_call_sheet(
    crm: CRM, calls: pd.DataFrame | None, manager_id: str, period: str, path, as_of=None
) -> Path:
    """Write the call sheet of ``manager_id`` for ``period`` as of ``as_of`` (default the
    data's last day) to ``path`` (see the module docstring)."""
    reps = crm.reps.set_index("id")
    if manager_id not in reps.index:
        raise ValueError(f"no rep {manager_id!r} in the store")
    as_of = pd.Timestamp(as_of if as_of is not None else crm.data_end)
    p = crm.period(period)
    team = [manager_id] + list(reps.index[reps["manager_id"] == manager_id])
    scope = rep_scopes(crm.reps)
    snap = crm.as_of(as_of)
    in_p = snap["close_date"].between(p.start, p.end)
    standing = calls_as_of(calls, as_of, p.label) if calls is not None else None
    rows = []
    for f in team:
        mine = snap[snap["owner_rep_id"].isin(scope.get(f, [f])) & in_p]
        won = mine.loc[mine["is_won"], "amount"].sum()
        open_ = mine[~mine["is_closed"]]
        prob = open_["stage"].map(DEFAULT_STAGE_PROBABILITY).astype(float)
        weighted = (open_["amount"].astype(float) * prob).sum()
        row = {"forecaster_id": f, "name": reps["name"].get(f, f), "period": p.label,
               "won so far": float(won), "open pipeline x stage probability": float(weighted)}  # fmt: skip
        for cat in ("Commit", "Most Likely", "Best Case"):
            last = np.nan
            if standing is not None:
                hit = standing[(standing["forecaster_id"] == f) & (standing["kind"] == "own")
                               & (standing["category"] == cat)]  # fmt: skip
                last = float(hit["amount"].iloc[-1]) if len(hit) else np.nan
            row[f"last {cat}"] = last
        rows.append(row | {k: None for k in INPUTS} | {NOTE: None})
    deals = snap[in_p & ~snap["is_closed"] & snap["owner_rep_id"].isin(scope.get(manager_id, []))]
    deals = deals[
        ["id", "name", "owner_rep_id", "stage", "amount", "close_date", "forecast_category"]
    ]
    about = pd.DataFrame(
        {
            "key": ["sheet", "manager_id", "manager", "period", "as_of", "forecasters"],
            "value": [
                MARKER,
                manager_id,
                reps["name"].get(manager_id, manager_id),
                p.label,
                str(as_of.date()),
                ",".join(team),
            ],
        }  # fmt: skip
    )
    return write_excel(
        {"Call": pd.DataFrame(rows), "Open deals": deals.reset_index(drop=True), "About": about},
        path,
    )


def is_call_sheet(path) -> bool:
    """Whether ``path`` is a workbook written by :func:`write_call_sheet`."""
    if Path(path).suffix.lower() not in (".xlsx", ".xlsm"):
        return False
    import zipfile

    try:
        about = pd.read_excel(path, sheet_name="About", dtype=str)
    except (ValueError, KeyError, OSError, zipfile.BadZipFile):
        return False
    return MARKER in set(about.get("value", pd.Series(dtype=str)).map(restore))


def sheet_to_rows(path) -> tuple[pd.DataFrame, dict]:
    """The filled cells of a call sheet as raw call rows (one per filled amount cell, with
    its sheet row) and the sheet's About values; formula cells are marked as problems."""
    from openpyxl import load_workbook

    from ..loaders.reading import LINE_COLUMN, PROBLEM_COLUMN, PROBLEM_SOURCE, ROW_COLUMN

    wb = load_workbook(path, data_only=False)
    about = {
        restore(ws_row[0].value): restore(ws_row[1].value)
        for ws_row in wb["About"].iter_rows(min_row=2)
        if ws_row[0].value is not None
    }
    ws = wb["Call"]
    header = [restore(c.value) for c in next(ws.iter_rows(min_row=1, max_row=1))]
    col = {h: i for i, h in enumerate(header)}
    missing = [h for h in ("forecaster_id", "period", NOTE, *INPUTS) if h not in col]
    if missing:
        from ..errors import LoadError

        raise LoadError(path, f"the Call sheet lost its column(s) {', '.join(missing)}")
    out = []
    for cells in ws.iter_rows(min_row=2):
        formula = next((c for c in cells if c.data_type == "f"), None)
        for label, cat in INPUTS.items():
            cell = cells[col[label]]
            if cell.value is None or (isinstance(cell.value, str) and not cell.value.strip()):
                continue
            out.append(
                {
                    "forecaster_id": restore(cells[col["forecaster_id"]].value),
                    "period": restore(cells[col["period"]].value),
                    "category": cat,
                    "amount": "" if cell.data_type == "f" else str(restore(cell.value)),
                    "note": restore(cells[col[NOTE]].value) if cells[col[NOTE]].value else None,
                    ROW_COLUMN: cell.row,
                    LINE_COLUMN: pd.NA,
                    PROBLEM_COLUMN: (
                        f"a formula in cell {formula.coordinate} ({formula.value!r}): a call "
                        "sheet holds numbers, never formulas"
                        if formula is not None
                        else None
                    ),
                    PROBLEM_SOURCE: label if formula is not None else None,
                }
            )
    return pd.DataFrame(out), about


def read_call_sheet(crm: CRM, path):
    """The calls of a filled call sheet (see the module docstring), as a
    :class:`~salesops_models.loaders.calls.CallsLoadResult`."""
    from ..loaders.calls import TABLE, CallsLoadResult
    from ..loaders.common import ParseStats, TableBuilder, load_summary
    from ..schema import CALL_TABLES, conform

    path = Path(path)
    raw, about = sheet_to_rows(path)
    when = pd.Timestamp(path.stat().st_mtime, unit="s").floor("s")
    colmap = {c: c for c in ("forecaster_id", "period", "category", "amount", "note")}
    if raw.empty:
        raw = pd.DataFrame(columns=list(colmap))
    b = TableBuilder(TABLE, path, raw, colmap, ParseStats())
    b.parse_all()
    df = b.frame()
    on_sheet = set(str(about.get("forecasters", "")).split(","))
    b.reject(~df["forecaster_id"].isin(on_sheet).to_numpy() & df["forecaster_id"].notna().to_numpy(),
             "forecaster_id", df["forecaster_id"], "a forecaster who is not on the sheet")  # fmt: skip
    b.reject((df["period"] != about.get("period")).to_numpy() & df["period"].notna().to_numpy(),
             "period", df["period"], f"not the sheet's period ({about.get('period')})")  # fmt: skip
    b.reject(~b.rejected & ~df["forecaster_id"].isin(crm.reps["id"]).to_numpy(),
             "forecaster_id", df["forecaster_id"], "forecaster_id not found in the store's reps")  # fmt: skip
    for c in CALL_TABLES[TABLE]:
        if c.name not in df:
            df[c.name] = None
    df["submitted_at"], df["kind"], df["source"] = when, "own", f"call sheet {path.name}"
    calls = conform(TABLE, b.accepted(df))
    return CallsLoadResult(calls, b.rejects_frame(), load_summary([b]), [])
