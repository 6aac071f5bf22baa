"""Data quality: completeness of key fields and duplicate opportunities."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ... import quality
from ...crm import CRM
from ..bands import fmt
from .base import (
    Metric,
    _metric,
    _na,
    _trend,
    same_point_dates,
)


# --- data quality -------------------------------------------------------------------------------
def data_quality(crm: CRM, as_of, cfg: dict, **_) -> Metric:
    key = "data_quality"
    as_of = pd.Timestamp(as_of)
    comp = quality.completeness(crm, as_of)
    comp = comp[(comp["rows"] > 0) & comp["in_source"]]  # fields the export never had: not graded
    if comp.empty:
        return _na(key, cfg, "no open opportunities or accounts")
    worst = comp.sort_values("completeness")
    value = float(worst["completeness"].iloc[0])
    dups = quality.duplicate_opportunities(crm)
    o = crm.opportunities
    recent = o["created_date"].between(as_of - pd.Timedelta(days=365), as_of)
    n_recent = int(recent.sum())
    dup_recent = dups[dups["created_date"].between(as_of - pd.Timedelta(days=365), as_of)]
    dup_share = len(dup_recent) / n_recent if n_recent else np.nan
    contributors = [
        {
            "name": f"{r.table}.{r.field}",
            "value": fmt(r.completeness, "percent"),
            "detail": f"{r.rows - r.filled:,} of {r.rows:,} empty",
        }
        for r in worst.head(3).itertuples(index=False)
    ]
    trend = []
    for label, d in same_point_dates(crm, as_of, 8):
        c = quality.completeness(crm, d)
        trend.append((label, float(c.loc[c["rows"] > 0, "completeness"].min())))
    m = _metric(
        key,
        cfg,
        value,
        also={"name": cfg["also"]["name"], "value": dup_share},
        contributors=contributors,
        trend=_trend(trend),
        details={
            "mean_completeness": float(comp["completeness"].mean()),
            "fields_below_goal": float((comp["completeness"] < cfg["band"].healthy[0]).sum()),
            "duplicates_last_12m": float(len(dup_recent)),
            "duplicates_all_time": float(len(dups)),
        },
        table=comp,
    )
    c0 = contributors[0]
    if m.status == "healthy":
        m.action = f"Every key field is {value:.0%}+ complete and duplicates are {dup_share:.1%}; keep the validation rules."
    else:
        parts = []
        if cfg["band"].status(value) != "healthy":
            parts.append(f"make {c0['name']} required ({c0['value']} filled)")
        if m.also["status"] != "healthy":
            parts.append(f"merge the {len(dup_recent)} duplicates of the last 12 months")
        m.action = "Data quality: " + " and ".join(parts) + "."
    return m
