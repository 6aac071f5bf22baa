"""Salesforce Collaborative Forecasts, from dated snapshots, into ``forecast_calls``.

Salesforce keeps only the current forecast, so teams export it on a schedule: a folder
``forecasts/`` of snapshots ``YYYY-MM-DD/`` (the day read, each call's ``submitted_at``),
each holding ``ForecastingItem.csv`` and optionally ``ForecastingAdjustment.csv`` and
``ForecastingOwnerAdjustment.csv``, with ``Period.csv`` in ``forecasts/`` or the export's
root (the public object reference's fields):

- ``ForecastingItem`` (Id, OwnerId, PeriodId, ForecastCategoryName, ForecastAmount,
  AmountWithoutAdjustments, AmountWithoutManagerAdjustment, AmountWithoutOwnerAdjustment,
  OwnerOnlyAmount, ParentForecastingItemId, HasAdjustment, HasOwnerAdjustment): a user's
  forecast for a period and category;
- ``ForecastingOwnerAdjustment`` (ForecastingItemId, ForecastOwnerId, AdjustedAmount,
  AdjustmentNote): a user's adjustment of their own forecast;
- ``ForecastingAdjustment`` (ForecastingItemId, OwnerId, AdjustedAmount, AdjustmentNote): a
  manager's adjustment of a subordinate's forecast (the item's owner).

What becomes a call: every item is its owner's **own** number, ``AmountWithoutManagerAdjustment``
(the owner's forecast with their owner adjustment, before their manager adjusts it; for a
manager who did not adjust their own, it is their team's roll-up); every manager's adjustment
is an ``adjustment`` call of the item's owner; an owner adjustment gives its item's call its
note (``AdjustmentNote``). The workbench's roll-up of each manager's reports then equals the
manager's ``AmountWithoutManagerAdjustment`` wherever the manager did not adjust their own
number (tested on a fixture written from the field reference). A manager's own
opportunities (``OwnerOnlyAmount``) are not part of the workbench's roll-up: noted.

Categories are Salesforce's API names or labels (``BestCase``, ``Best Case``, ``MostLikely``,
...); ``Omitted`` is not a forecast (a reject). Whether the org rolls up cumulatively
(Commit includes Closed) is the ``--single`` option of ``salesops calls rollup``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..crm import CRM
from ..errors import LoadError
from ..schema import conform
from .calls import CallsLoadResult
from .common import ParseStats, TableBuilder, load_summary, reject_orphans
from .reading import read_raw, require_columns

#: Salesforce's forecast category names (API and label) -> the workbench's
SF_CATEGORIES = {
    "Pipeline": "Pipeline",
    "BestCase": "Best Case",
    "Best Case": "Best Case",
    "Commit": "Commit",
    "Closed": "Closed",
    "MostLikely": "Most Likely",
    "Most Likely": "Most Likely",
}
ITEM_REQUIRED = [
    "Id", "OwnerId", "PeriodId", "ForecastCategoryName", "AmountWithoutManagerAdjustment",
]  # fmt: skip
ADJUSTMENT_REQUIRED = ["ForecastingItemId", "AdjustedAmount"]


def _periods(path: Path, crm: CRM) -> dict[str, str]:
    """Period.csv: Salesforce period id -> the workbench's label (quarter or month)."""
    raw, _ = read_raw(path)
    require_columns(raw, path, ["Id", "StartDate"])
    out = {}
    for pid, start, kind in zip(
        raw["Id"],
        raw["StartDate"],
        raw.get("Type", pd.Series("Quarter", index=raw.index)),
        strict=True,
    ):
        day = pd.to_datetime(start, errors="coerce")
        if pd.isna(day):
            continue
        label = crm.quarter(day).label if str(kind).lower() != "month" else day.strftime("%Y-%m")
        out[str(pid).strip()] = label
    return out


def _snapshot_day(folder: Path) -> pd.Timestamp:
    try:
        return pd.Timestamp(pd.to_datetime(folder.name, format="%Y-%m-%d"))
    except ValueError as exc:
        raise LoadError(
            folder, "a snapshot folder's name must be the day it was read (YYYY-MM-DD)"
        ) from exc


def _builder(path: Path, raw: pd.DataFrame, colmap: dict, day) -> tuple[TableBuilder, pd.DataFrame]:
    b = TableBuilder("forecast_calls", path, raw, colmap, ParseStats())
    b.parse_all({"category": SF_CATEGORIES})
    df = b.frame()
    df["submitted_at"] = day
    return b, df


def _snapshot(snap: Path, crm: CRM, periods: dict, notes: list[str]):
    """The builders and accepted calls of one snapshot folder."""
    day = _snapshot_day(snap)
    item_path = snap / "ForecastingItem.csv"
    items, n = read_raw(item_path)
    notes += n
    require_columns(items, item_path, ITEM_REQUIRED)
    ids = items["Id"].astype(str).str.strip()
    items["_period"] = items["PeriodId"].astype(str).str.strip().map(periods)
    items["_kind"] = "own"
    parents = set(items.get("ParentForecastingItemId", pd.Series(dtype=str)).dropna().str.strip())
    own_deals = pd.to_numeric(items.get("OwnerOnlyAmount", pd.Series(dtype=str)), errors="coerce")
    if (ids.isin(parents) & (own_deals.reindex(ids.index).fillna(0) > 0)).any():
        notes.append(
            f"{item_path}: managers' own opportunities (OwnerOnlyAmount) are not in the "
            "workbench's roll-up of their teams"
        )
    cols = {"forecaster_id": "OwnerId", "period": "_period", "category": "ForecastCategoryName",
            "amount": "AmountWithoutManagerAdjustment", "kind": "_kind"}  # fmt: skip
    b_items, calls = _builder(item_path, items, cols, day)
    calls["source"] = f"salesforce {snap.name}/{item_path.name}"
    _check(b_items, calls, crm)
    out = [(b_items, calls)]
    owner_of = dict(zip(ids, items["OwnerId"].astype(str).str.strip(), strict=True))
    row_of = {k: i for i, k in enumerate(ids)}
    for name, kind, who in (
        ("ForecastingOwnerAdjustment.csv", "own", "ForecastOwnerId"),
        ("ForecastingAdjustment.csv", "adjustment", "OwnerId"),
    ):
        path = snap / name
        if not path.exists():
            continue
        raw, n = read_raw(path)
        notes += n
        require_columns(raw, path, ADJUSTMENT_REQUIRED + [who])
        item = raw["ForecastingItemId"].astype(str).str.strip()
        at = item.map(row_of)
        raw = raw.assign(
            _period=at.map(lambda r: items["_period"].iloc[int(r)] if pd.notna(r) else None),
            _category=at.map(lambda r: items["ForecastCategoryName"].iloc[int(r)] if pd.notna(r) else None),
            _adjusted=item.map(owner_of) if kind == "adjustment" else None,
            _kind=kind,
        )  # fmt: skip
        cols = {"forecaster_id": who, "period": "_period", "category": "_category",
                "amount": "AdjustedAmount", "kind": "_kind"}  # fmt: skip
        if kind == "adjustment":
            cols["adjusted_id"] = "_adjusted"
        if "AdjustmentNote" in raw:
            cols["note"] = "AdjustmentNote"
        b, df = _builder(path, raw, cols, day)
        df["source"] = f"salesforce {snap.name}/{name}"
        b.reject(at.isna().to_numpy(), "ForecastingItemId", raw["ForecastingItemId"],
                 "ForecastingItemId not found in the snapshot's ForecastingItem.csv")  # fmt: skip
        _check(b, df, crm)
        if kind == "own":  # an owner adjustment: its note goes on its item's call
            ok = ~b.rejected
            for r, note in zip(
                at[ok], df.loc[ok, "note"] if "note" in df else [None] * ok.sum(), strict=True
            ):
                calls.loc[int(r), "note"] = note
            out.append((b, df.iloc[0:0]))
        else:
            out.append((b, df))
    return out


def load_collaborative_forecasts(crm: CRM, folder: str | Path) -> CallsLoadResult:
    """Read the snapshots of ``folder`` (see the module docstring) against ``crm`` (its reps
    are the Salesforce users): rows read = accepted + rejected per file."""
    folder = Path(folder)
    period_file = next(
        (p for p in (folder / "Period.csv", folder.parent / "Period.csv") if p.exists()), None
    )
    if period_file is None:
        raise LoadError(folder, "Period.csv is needed beside the snapshots (or in the export)")
    periods = _periods(period_file, crm)
    snaps = sorted(p for p in folder.iterdir() if p.is_dir())
    if not snaps:
        raise LoadError(folder, "no snapshot folders (forecasts/YYYY-MM-DD/)")
    notes: list[str] = []
    builders, frames, rejects = [], [], []
    for snap in snaps:
        for b, df in _snapshot(snap, crm, periods, notes):
            builders.append(b)
            frames.append(b.accepted(df) if len(df) else df)
            rejects.append(b.rejects_frame())
    calls = conform("forecast_calls", pd.concat(frames, ignore_index=True))
    return CallsLoadResult(
        calls.sort_values("submitted_at", kind="stable").reset_index(drop=True),
        pd.concat(rejects, ignore_index=True),
        load_summary(builders),
        notes,
    )


def _check(b: TableBuilder, df: pd.DataFrame, crm: CRM) -> None:
    reject_orphans(b, df, "forecaster_id", crm.reps["id"], "the export's users")
    b.reject(
        df["period"].isna().to_numpy(),
        "PeriodId",
        df["period"],
        "PeriodId not found in Period.csv",
    )
    if "adjusted_id" in df:
        adjusted = df["adjusted_id"]
        manager = adjusted.map(crm.reps.set_index("id")["manager_id"])
        bad = adjusted.notna().to_numpy() & (manager != df["forecaster_id"]).to_numpy()
        b.reject(
            bad, "OwnerId", df["forecaster_id"],
            "the adjusted user does not report to the adjusting manager",
        )  # fmt: skip
