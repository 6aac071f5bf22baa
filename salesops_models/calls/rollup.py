"""The call rolled up through the hierarchy at any as-of date.

Salesforce Collaborative Forecasts' arithmetic (cumulative roll-up: ``Commit`` includes
``Closed``, ``Best Case`` includes ``Commit``): a forecaster's **forecast** in a category is
its own submitted number when it submitted one (an owner adjustment, in Salesforce's words),
else the sum of its direct reports' forecasts as adjusted by it (a manager's adjustment of a
report replaces that report's number in the manager's roll-up only). The table keeps the
parts apart: what the reports called, what the manager's adjustments changed, and the
manager's own number against that roll-up.

With ``cumulative=False`` the calls are single-category amounts (``Commit`` = commit deals
only) and are summed up the category order first: Closed, Commit, Most Likely, Best Case,
Pipeline.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..crm import CRM
from ..schema import CALL_CATEGORIES


def _standing(calls: pd.DataFrame, keys: np.ndarray, n: int, snaps: np.ndarray) -> np.ndarray:
    """The amount standing at each snapshot for each key (the latest call submitted before
    the snapshot's end): ``(snapshots, n)``, NaN where there is none."""
    out = np.full((len(snaps), n), np.nan)
    if len(calls) == 0:
        return out
    t = calls["submitted_at"].to_numpy("datetime64[ns]").astype(np.int64).astype(float)
    t0 = min(t.min(), snaps.min())
    span = max(t.max(), snaps.max()) - t0 + 1.0
    order = np.lexsort((t, keys))
    k, comb = keys[order], keys[order] * span + (t[order] - t0)
    amount = calls["amount"].to_numpy(float)[order]
    query = np.arange(n)[None, :] * span + (snaps[:, None] - t0)
    pos = np.searchsorted(comb, query.ravel(), side="left").reshape(query.shape) - 1
    ok = (pos >= 0) & (k[np.clip(pos, 0, None)] == np.arange(n)[None, :])
    out[ok] = amount[pos[ok]]
    return out


def rollup_series(
    crm: CRM,
    calls: pd.DataFrame,
    period: str,
    dates,
    *,
    category: str = "Commit",
    cumulative: bool = True,
) -> pd.DataFrame:
    """:func:`rollup` at every date of ``dates`` at once (a weekly history of the call),
    vectorized over dates and forecasters: the hierarchy is walked once per level."""
    if category not in CALL_CATEGORIES:
        raise ValueError(f"unknown category {category!r}: one of {', '.join(CALL_CATEGORIES)}")
    label = crm.period(period).label
    dates = pd.DatetimeIndex(pd.to_datetime(list(dates))).normalize()
    snaps = (dates + pd.Timedelta(days=1)).to_numpy("datetime64[ns]").astype(np.int64).astype(float)
    reps = crm.reps.reset_index(drop=True)
    index = {r: i for i, r in enumerate(reps["id"])}
    n = len(reps)
    parent = reps["manager_id"].map(index).fillna(-1).to_numpy(np.int64)
    c = calls[calls["period"] == label]
    cats = (
        [category] if cumulative else list(CALL_CATEGORIES[: CALL_CATEGORIES.index(category) + 1])
    )
    own = np.full((len(snaps), n), np.nan)
    adj = np.full((len(snaps), n), np.nan)
    for cat in cats:
        cc = c[c["category"] == cat]
        mine = cc[(cc["kind"] == "own") & cc["forecaster_id"].isin(index)]
        part = _standing(mine, mine["forecaster_id"].map(index).to_numpy(np.int64), n, snaps)
        own = np.where(np.isnan(own), part, own + np.nan_to_num(part))
        a = cc[(cc["kind"] == "adjustment") & cc["adjusted_id"].isin(index)]
        rep = a["adjusted_id"].map(index).to_numpy(np.int64)
        a = a[parent[rep] == a["forecaster_id"].map(index).fillna(-2).to_numpy(np.int64)]
        part = _standing(a, a["adjusted_id"].map(index).to_numpy(np.int64), n, snaps)
        adj = np.where(np.isnan(adj), part, adj + np.nan_to_num(part))
    depth = _depths(parent)
    forecast = np.full_like(own, np.nan)
    called, after, have = (np.zeros_like(own) for _ in range(3))
    for d in range(int(depth.max(initial=0)), -1, -1):
        nodes = np.flatnonzero(depth == d)
        mine = own[:, nodes]
        rolled = np.where(have[:, nodes] > 0, after[:, nodes], np.nan)
        forecast[:, nodes] = np.where(np.isnan(mine), rolled, mine)
        up = nodes[parent[nodes] >= 0]
        if len(up):
            v, a = forecast[:, up], adj[:, up]
            cols = (slice(None), parent[up])
            np.add.at(called, cols, np.nan_to_num(v))
            np.add.at(after, cols, np.nan_to_num(np.where(np.isnan(a), v, a)))
            np.add.at(have, cols, (~(np.isnan(v) & np.isnan(a))).astype(float))
    n_reports = np.bincount(parent[parent >= 0], minlength=n)
    rolled = np.where(have > 0, after, np.nan)
    frames = []
    for s, day in enumerate(dates):
        keep = (n_reports > 0) | ~np.isnan(own[s])
        frames.append(
            pd.DataFrame(
                {
                    "forecaster_id": reps["id"].to_numpy()[keep],
                    "name": reps["name"].to_numpy()[keep],
                    "role": reps["role"].to_numpy()[keep],
                    "manager_id": reps["manager_id"].to_numpy()[keep],
                    "reports": n_reports[keep],
                    "reports_called": np.where(have[s] > 0, called[s], np.nan)[keep],
                    "adjustments": (rolled[s] - np.where(have[s] > 0, called[s], np.nan))[keep],
                    "rollup": rolled[s][keep],
                    "own": own[s][keep],
                    "forecast": forecast[s][keep],
                    "own_vs_rollup": np.where(n_reports > 0, own[s] - rolled[s], np.nan)[keep],
                    "level": depth[keep],
                    "as_of": day,
                }
            )
        )
    out = pd.concat(frames, ignore_index=True)
    out = out.sort_values(["as_of", "level", "forecaster_id"], kind="stable")
    return out.reset_index(drop=True).assign(period=label, category=category)


def rollup(
    crm: CRM,
    calls: pd.DataFrame,
    period: str,
    as_of=None,
    *,
    category: str = "Commit",
    cumulative: bool = True,
) -> pd.DataFrame:
    """Per forecaster (top down): its own number, what its direct reports called, its
    adjustments of them, the roll-up after adjustments, and its forecast (its own number if
    any, else the roll-up); one row per forecaster with a call or with reports. ``as_of``
    defaults to the data's last day."""
    if category not in CALL_CATEGORIES:
        raise ValueError(f"unknown category {category!r}: one of {', '.join(CALL_CATEGORIES)}")
    as_of = pd.Timestamp(as_of if as_of is not None else crm.data_end)
    return rollup_series(crm, calls, period, [as_of], category=category, cumulative=cumulative)


def _depths(parent: np.ndarray) -> np.ndarray:
    """0 for the top of the hierarchy, 1 below it, ... (``parent`` -1 at the top; a cycle
    in ``manager_id`` stops counting where it closes)."""
    depth = np.zeros(len(parent), dtype=np.int64)
    cur = parent.copy()
    seen = np.zeros(len(parent), dtype=bool)
    for _ in range(len(parent)):
        up = cur >= 0
        if not up.any():
            break
        depth[up] += 1
        nxt = np.where(up, parent[np.clip(cur, 0, None)], -1)
        seen |= nxt == np.arange(len(parent))  # back at itself: a cycle
        cur = np.where(seen, -1, nxt)
    return depth


def company_call(table: pd.DataFrame) -> float:
    """The company's number: the sum of the top-level forecasts of a :func:`rollup` table."""
    top = table[table["level"] == 0]
    return float(top["forecast"].sum()) if len(top) else np.nan


def call_errors(crm: CRM, calls: pd.DataFrame, as_of=None, *, day: int = 27, quarters: int = 8):
    """The team's call against actual bookings in the last ``quarters`` complete quarters:
    the company call (Most Likely, else Commit) standing ``day`` days into each quarter
    (27: week 4), the quarter's won bookings and the error ``(call - actual) / actual``.
    Returns ``(table, category)``; the table is empty when no ended quarter has calls."""
    from ..scoring import complete_quarters

    as_of = pd.Timestamp(as_of if as_of is not None else crm.data_end)
    cat = "Most Likely" if (calls["category"] == "Most Likely").any() else "Commit"
    o = crm.opportunities
    won = o[o["is_won"] & o["close_date"].notna()]
    rows = []
    for q in complete_quarters(crm, quarters, as_of):
        if not (calls["period"] == q.label).any():
            continue
        when = q.start + pd.Timedelta(days=day)
        call = company_call(rollup(crm, calls, q.label, when, category=cat))
        actual = float(won.loc[won["close_date"].between(q.start, q.end), "amount"].sum())
        if np.isfinite(call) and actual > 0:
            rows.append((q.label, str(when.date()), call, actual, (call - actual) / actual))
    cols = ["period", "as_of", "call", "actual", "error"]
    return pd.DataFrame(rows, columns=cols), cat
