"""Deal inspection for the call: where the team's judgment and the model disagree.

From a bookings forecast of the period (:meth:`BookingsForecastModel.forecast
<salesops_models.forecast.model.BookingsForecastModel.forecast>`: each open deal's
probability of being won in the period and the model's reasons, such as stage age, pushes
and inactivity) and the deals' forecast categories as of the call:

- **committed but unlikely**: deals in Commit whose probability of closing in the period is
  below ``low`` (default 30%): the call counts on them, the model does not;
- **likely but not called**: deals in Best Case or Pipeline whose probability is above
  ``high`` (default 70%): the model expects them, the call leaves them out.
"""

from __future__ import annotations

import pandas as pd

from ..crm import CRM

COLUMNS = ["id", "name", "rep_id", "stage", "forecast_category", "amount", "close_date",
           "p_win_period", "drivers"]  # fmt: skip


def inspect_deals(
    crm: CRM, forecast, *, low: float = 0.3, high: float = 0.7, owners=None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(committed_but_unlikely, likely_but_not_called)`` of ``forecast`` (see the module
    docstring), largest amounts first; ``owners`` limits them to some reps' deals."""
    deals = forecast.deals
    snap = crm.as_of(forecast.as_of).set_index("id")
    d = deals.assign(
        forecast_category=deals["id"].map(snap["forecast_category"]),
        name=deals["id"].map(snap["name"]) if "name" in snap else deals["id"],
    )
    if owners is not None:
        d = d[d["rep_id"].isin(list(owners))]
    in_p = d["crm_says_in_period"].astype(bool)
    cols = [c for c in COLUMNS if c in d]
    committed = d[in_p & (d["forecast_category"] == "Commit") & (d["p_win_period"] < low)]
    uncalled = d[
        d["forecast_category"].isin(["Best Case", "Pipeline"]) & (d["p_win_period"] > high)
    ]
    by = "amount" if "amount" in d else "expected_value"
    return (
        committed.sort_values(by, ascending=False)[cols].reset_index(drop=True),
        uncalled.sort_values(by, ascending=False)[cols].reset_index(drop=True),
    )
