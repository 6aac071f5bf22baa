"""The bridge since the last call: what moved in each forecaster's pipeline, and how much of
the change of their call is judgment.

Between two calls (days ``t0`` and ``t1``) of a forecaster with scope ``S`` (their deals, or
their team's), for the deals of ``S`` expected in the period (close date in it, open or won):

- **won**: open and in the period at ``t0``, won in it by ``t1`` (amount when won);
- **lost**: lost in ``(t0, t1]``, in the period at ``t0`` (amount at ``t0``);
- **pushed out**: in the period and open at ``t0``, open with a close date outside it (or
  none) at ``t1``;
- **pulled in**: open outside the period at ``t0``, in it at ``t1`` (open or won);
- **created**: created in ``(t0, t1]``, in the period at ``t1``;
- **amount changes**: in the period at both days: amount at ``t1`` minus at ``t0``.

With ``r = call(t0) / pipeline(t0)`` (the share of the period's pipeline, open and won, the
forecaster called at ``t0``), a movement of the pipeline moves the call by ``r`` times its
amount, and a win by ``(1 - r)`` times its amount (a called deal becomes a sure one)::

    change = r (created + pulled_in - pushed_out - lost + amount_changes) + (1 - r) won
             + judgment

**judgment** is what is left: the forecaster's change of mind beyond what the pipeline did.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..crm import CRM, rep_scopes
from .data import calls_as_of

MOVES = ("won", "lost", "pushed_out", "pulled_in", "created", "amount_changes")


def _in_period(snap: pd.DataFrame, p) -> pd.Series:
    return snap["close_date"].between(p.start, p.end) & (~snap["is_closed"] | snap["is_won"])


def bridge(
    crm: CRM, calls: pd.DataFrame, period: str, since, until=None, *, category: str = "Most Likely"
) -> pd.DataFrame:
    """Per forecaster with an own call at both days: the calls, the pipeline's movements
    (see the module docstring), the part of the change they explain and the judgment left.
    ``until`` defaults to the data's last day."""
    p = crm.period(period)
    t0 = pd.Timestamp(since).normalize()
    t1 = pd.Timestamp(until if until is not None else crm.data_end).normalize()
    if t1 <= t0:
        raise ValueError(f"the bridge runs forward in time: {t0.date()} is not before {t1.date()}")

    def own(day) -> pd.Series:
        c = calls_as_of(calls, day, p.label)
        c = c[(c["kind"] == "own") & (c["category"] == category)]
        return c.set_index("forecaster_id")["amount"]

    c0, c1 = own(t0), own(t1)
    s0 = crm.as_of(t0).set_index("id")
    s1 = crm.as_of(t1).set_index("id")
    in0, in1 = _in_period(s0, p), _in_period(s1, p)
    ids = s1.index
    was = s0.reindex(ids)
    open0 = (was["is_closed"] == False).to_numpy() & was["is_closed"].notna().to_numpy()  # noqa: E712
    in0_al = in0.reindex(ids, fill_value=False).to_numpy()
    now_in, now_open = in1.to_numpy(), ~s1["is_closed"].to_numpy()
    moves = {
        "won": s1["is_won"].to_numpy() & open0 & in0_al & now_in,
        "lost": (s1["is_closed"] & ~s1["is_won"]).to_numpy() & open0 & in0_al,
        "pushed_out": open0 & in0_al & now_open & ~now_in,
        "pulled_in": open0 & ~in0_al & now_in,
        "created": (s1["created_date"] > t0).to_numpy() & ~ids.isin(s0.index) & now_in,
    }
    both = in0_al & now_in
    amt0 = was["amount"].fillna(0).to_numpy(float)
    amt1 = s1["amount"].fillna(0).to_numpy(float)
    value = {
        "won": amt1,
        "lost": amt0,
        "pushed_out": amt0,
        "pulled_in": amt1,
        "created": amt1,
    }
    owner = s1["owner_rep_id"].to_numpy()
    owner0 = s0["owner_rep_id"].to_numpy()
    total0 = s0.loc[in0, "amount"].fillna(0)
    scope = rep_scopes(crm.reps)
    rows = []
    for f in sorted(set(c0.index) & set(c1.index)):
        mine = np.isin(owner, scope.get(f, [f]))
        row = {"forecaster_id": f, "call_then": float(c0[f]), "call_now": float(c1[f])}
        for k in MOVES[:-1]:
            row[k] = float(value[k][mine & moves[k]].sum())
        row["amount_changes"] = float((amt1 - amt0)[mine & both].sum())
        pipe0 = float(total0[np.isin(owner0[in0.to_numpy()], scope.get(f, [f]))].sum())
        r = row["call_then"] / pipe0 if pipe0 > 0 else 0.0
        row["change"] = row["call_now"] - row["call_then"]
        row["called_share"] = r
        flow = row["created"] + row["pulled_in"] - row["pushed_out"] - row["lost"]
        row["explained"] = r * (flow + row["amount_changes"]) + (1 - r) * row["won"]
        row["judgment"] = row["change"] - row["explained"]
        rows.append(row)
    out = pd.DataFrame(rows)
    if len(out):
        out.insert(1, "name", out["forecaster_id"].map(crm.reps.set_index("id")["name"]))
    return out.assign(period=p.label, since=t0, until=t1)
