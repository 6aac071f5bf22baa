"""The forecast call as data: the calls known on a day, who covers what, and what happened.

- :func:`read_calls`: the ``forecast_calls`` table of a store (``None`` when it has none);
- :func:`calls_as_of`: the call known on day ``D`` is the latest submission at or before
  ``D`` of each forecaster, period, category, kind and adjusted subordinate (as-of
  semantics, like the rest of the CRM);
- :func:`scope_actuals`: a forecaster's scope (:func:`~salesops_models.crm.rep_scopes`) is its own deals (an AE) or
  every AE under it (a manager, through ``reps.manager_id``), and the scope's actual is its
  won bookings in the period;
- :func:`week_of_period`: the week of the period a call was made in (1 = its first 7 days).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..crm import CRM, rep_scopes
from ..schema import conform

#: what identifies one standing call (a later submission replaces an earlier one)
CALL_KEY = ["forecaster_id", "period", "category", "kind", "adjusted_id"]


def read_calls(store: str | Path) -> pd.DataFrame | None:
    """The store's ``forecast_calls`` table, or ``None`` when the store has none."""
    from ..store import list_tables, read_table

    if "forecast_calls" not in list_tables(store):
        return None
    return conform("forecast_calls", read_table("forecast_calls", store))


def calls_as_of(calls: pd.DataFrame, when, period: str | None = None) -> pd.DataFrame:
    """The calls standing on day ``when`` (submitted at or before its end): the latest of
    each forecaster, period, category, kind and adjusted subordinate.

    Examples
    --------
    >>> c = pd.DataFrame({"submitted_at": pd.to_datetime(["2026-07-06", "2026-07-13"]),
    ...                   "forecaster_id": "R1", "period": "2026-Q3", "category": "Commit",
    ...                   "amount": [100.0, 120.0], "kind": "own", "adjusted_id": None})
    >>> calls_as_of(c, "2026-07-10")["amount"].tolist(), calls_as_of(c, "2026-07-13")["amount"].tolist()
    ([100.0], [120.0])
    """
    end = pd.Timestamp(when).normalize() + pd.Timedelta(days=1)
    known = calls[calls["submitted_at"] < end]
    if period is not None:
        known = known[known["period"] == period]
    latest = known.sort_values("submitted_at", kind="stable")
    # (drop_duplicates counts missing adjusted_id values as equal, as one key)
    return latest.drop_duplicates(CALL_KEY, keep="last").reset_index(drop=True)


def scope_actuals(crm: CRM, forecasters, periods) -> pd.DataFrame:
    """Won bookings of each forecaster's scope in each period: forecaster_id, period,
    actual (periods not over yet are partial: callers use ended periods)."""
    scope = rep_scopes(crm.reps)
    o = crm.opportunities
    won = o[o["is_won"] & o["close_date"].notna()]
    rows = []
    for label in periods:
        p = crm.period(label)
        in_p = won[won["close_date"].between(p.start, p.end)]
        by_rep = in_p.groupby("owner_rep_id")["amount"].sum()
        for f in forecasters:
            rows.append((f, p.label, float(by_rep.reindex(scope.get(f, [])).fillna(0).sum())))
    return pd.DataFrame(rows, columns=["forecaster_id", "period", "actual"])


def week_of_period(crm: CRM, submitted: pd.Series, periods: pd.Series) -> np.ndarray:
    """The week of its period each call was made in: 1 for the first 7 days, ..., clipped
    to 1-13 (a call before the period counts as week 1, after its end as week 13)."""
    starts = periods.map(lambda p: crm.period(p).start)
    days = (pd.to_datetime(submitted).dt.normalize() - pd.to_datetime(starts)).dt.days
    return np.clip(days.to_numpy() // 7 + 1, 1, 13).astype(np.int64)
