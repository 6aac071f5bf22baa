"""Pipeline health: coverage, stage conversion, win rates, velocity, cycle length, waterfall
and at-risk deals, each computed from as-of snapshots so a past date sees only what was
known then.

Conventions (standard sales-ops definitions):

- **Coverage** = open pipeline expected to close in the period / target. *Gross* coverage
  uses the whole target; *remaining* coverage uses the target left after closed-won to date
  (the ratio a mid-quarter forecast call watches). Healthy: 3-4x (below 3x: at risk; above
  4x: often inflated or unqualified pipeline).
- **Stage conversion**: among deals closed in a window, the share of those that reached stage
  k which went on to reach stage k+1 (a deal that skipped a stage counts as having passed it);
  from Negotiation, the share won.
- **Win rate** = won / (won + lost) over deals closed in the window, with a Jeffreys interval
  (Beta(w + 1/2, l + 1/2) quantiles), the usual choice for small counts.
- **Sales velocity** = (open opportunities x win rate x average won deal) / average cycle
  length in days: expected bookings per day flowing from the current pipeline.
- **Waterfall** between two as-of dates for one period: starting pipeline + new + pulled in
  + reopened - pushed out - won - lost +/- amount changes = ending pipeline, exactly.

Charts are in :mod:`salesops_models.pipeline.plots`.
"""

from . import plots
from .metrics import (
    COVERAGE_BAND,
    WATERFALL_BUCKETS,
    at_risk_deals,
    closed_deals,
    coverage,
    default_target,
    enrich,
    forecast_target,
    jeffreys_interval,
    max_stage_reached,
    quota_target,
    stage_conversion,
    stage_durations,
    velocity,
    velocity_trend,
    waterfall,
    win_rates,
)

__all__ = [
    "COVERAGE_BAND",
    "WATERFALL_BUCKETS",
    "at_risk_deals",
    "closed_deals",
    "coverage",
    "default_target",
    "forecast_target",
    "enrich",
    "jeffreys_interval",
    "max_stage_reached",
    "plots",
    "quota_target",
    "stage_conversion",
    "stage_durations",
    "velocity",
    "velocity_trend",
    "waterfall",
    "win_rates",
]
