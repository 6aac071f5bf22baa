"""The metrics of the sales-ops health scorecard, one function each.

Every function takes the CRM, the as-of date and the metric's settings from the band file
(:mod:`.bands`) and returns a :class:`Metric`: value, interval where the value is estimated,
status against the benchmark band, the three biggest contributors, a one-line action built
from the numbers, and a quarterly trend (for the sparklines). Only data known on the as-of
date is used (``CRM.as_of``), except where noted (account ownership and quotas are not
historized).

Definitions (the conventions each follows are cited in ``health_bands.yml``):

- *complete quarters*: fiscal quarters ending on or before the as-of date; "the last 4
  quarters" are the last 4 complete ones;
- *forecast accuracy*: mean |P50 - actual| / actual over scored forecasts (the forecast
  ledger when it holds enough, else the backtest at its week-4 point), 90% bootstrap interval;
- *coverage*: open pipeline dated in the quarter of the day after the as-of date / (target -
  won to date), measured on the day before that quarter started (start-of-quarter coverage,
  what the 3-4x rule is for); target = sum of quotas (else bookings a year earlier);
- *hygiene*: open pipeline amount stale or past its close date / all open pipeline amount;
  stale = no recorded change (and no activity, when the CRM logs them) for longer than both ``stale_days`` and the 90th percentile of
  the time deals of its segment spend in its stage (:func:`stuck_thresholds`);
- *attainment*: per AE with a quota in each of the last 4 quarters, won bookings / quota;
  share at >= 100% (Jeffreys interval) and mean attainment;
- *territory balance*: coefficient of variation (sd / mean) of account potential across the
  active AEs' territories within a segment, for the least balanced segment; structural share =
  R^2 of log attainment (or of bookings relative to the segment) on log relative potential;
- *data quality*: completeness of the least-filled key field; duplicates among opportunities
  created in the last 12 months;
- *ramp*: :mod:`.ramp` (exact grid posterior); a cohort is flagged when the posterior
  probability of a ramp beyond the band reaches ``confidence`` (default 90%);
- *cycle, velocity, win rate*: last 4 quarters against the 4 before (velocity: as of the date
  against a year earlier, :func:`~salesops_models.pipeline.velocity`); bootstrap or Beta
  posterior intervals of the change;
- *comp cost*: exact statements of the configured plan over the last 4 quarters
  (:func:`~salesops_models.comp.compute_statements`); cost of sales = (AE base prorated + all
  statement pay) / AE bookings; accelerators = the premium paid above the base rate on credit above quota
  (``StatementResult.accelerators``);
- *selling time, process compliance, tool adoption*: from the activity log
  (:mod:`salesops_models.activities`; not graded without one): customer-facing hours /
  working hours of the AEs in the last complete quarter; share of entries into the least
  compliant stage that met its ``stage_criteria.yml`` criteria (last ``window_quarters``);
  mean share of AEs logging any activity per week (last ``weeks`` weeks).

Each family lives in its own module; :data:`METRIC_FUNCTIONS` maps the band file's keys to
them in scorecard order.
"""

from __future__ import annotations

from .activity_metrics import process_compliance, selling_time, tool_adoption
from .base import Metric, complete_quarters, grade_draws, same_point_dates
from .comp_cost import comp_cost
from .data_quality import data_quality
from .deal_flow import sales_cycle, velocity, win_rate
from .forecasting import forecast_accuracy
from .people import new_rep_ramp, quota_attainment, rep_attainment
from .pipeline_metrics import pipeline_coverage, pipeline_hygiene, stuck_thresholds
from .territory_metrics import territory_balance

METRIC_FUNCTIONS = {
    "forecast_accuracy": forecast_accuracy,
    "pipeline_coverage": pipeline_coverage,
    "pipeline_hygiene": pipeline_hygiene,
    "quota_attainment": quota_attainment,
    "territory_balance": territory_balance,
    "data_quality": data_quality,
    "new_rep_ramp": new_rep_ramp,
    "sales_cycle": sales_cycle,
    "velocity": velocity,
    "win_rate": win_rate,
    "comp_cost": comp_cost,
    "selling_time": selling_time,
    "process_compliance": process_compliance,
    "tool_adoption": tool_adoption,
}

__all__ = [
    "METRIC_FUNCTIONS",
    "Metric",
    "complete_quarters",
    "grade_draws",
    "rep_attainment",
    "same_point_dates",
    "stuck_thresholds",
]
