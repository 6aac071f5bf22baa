"""CRM data quality: completeness, duplicates, stale and past-due deals, stage skips, pushes.

Conventions (common sales-ops hygiene rules):

- **completeness** of a key field = share of rows where it is filled; healthy is 95%+
  (:data:`~salesops_models.config.COMPLETENESS_GOAL`). Key opportunity fields are evaluated
  on deals open as of the date (what a forecast call relies on); account fields on all accounts;
- **stale**: an open deal with no recorded change in ``stale_days`` (default 30) days;
- **past due**: an open deal whose close date is before the as-of date;
- **duplicate**: another opportunity on the same account with the same normalized name and
  the same amount *as first entered* (from history: one copy is usually updated later while
  the other goes stale), created within ``window_days`` (default 7) days; the later one is
  flagged;
- **stage skip**: a forward move of more than one open stage in one change (e.g.
  Prospecting -> Proposal), counted in history up to the as-of date;
- **pushes**: times the close date was moved later (from history, as of the date).

The chart is in :mod:`salesops_models.quality.plots`.
"""

from . import plots
from .checks import (
    KEY_ACCOUNT_FIELDS,
    KEY_OPPORTUNITY_FIELDS,
    completeness,
    deal_flags,
    duplicate_opportunities,
    hygiene_scorecard,
    quality_by,
    stage_moves,
)

__all__ = [
    "KEY_ACCOUNT_FIELDS",
    "KEY_OPPORTUNITY_FIELDS",
    "completeness",
    "deal_flags",
    "duplicate_opportunities",
    "plots",
    "quality_by",
    "hygiene_scorecard",
    "stage_moves",
]
