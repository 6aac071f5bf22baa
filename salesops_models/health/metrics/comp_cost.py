"""Comp cost: cost of sales and the accelerator share of exact statements."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ...crm import CRM
from ...display import money
from .base import (
    Metric,
    _metric,
    _na,
    _trend,
    complete_quarters,
)


# --- comp cost ------------------------------------------------------------------------------------------
def comp_cost(crm: CRM, as_of, cfg: dict, *, plan=None, comp_inputs=None, **_) -> Metric:
    from ...comp import compute_statements, load_plan

    key = "comp_cost"
    if plan is None or plan == "":
        return _na(key, cfg, "no compensation plan configured (pass plan=)")
    plan = load_plan(plan) if isinstance(plan, str | Path) else plan
    qs = complete_quarters(crm, 4, as_of)
    if len(qs) < 4 or crm.quotas.empty:
        return _na(key, cfg, "needs quotas for 4 complete quarters")
    labels = [p.label for p in qs]
    # one run from the plan's start through the last quarter: balances (draws, clawbacks of
    # earlier deals, year-to-date) carried across the fiscal years inside the window
    st = compute_statements(crm, plan, qs[-1], comp_inputs)
    lines = st.lines[st.lines["period"].isin(labels)].copy()
    above = st.accelerators[st.accelerators["period"].isin(labels)]
    lines["amount_f"] = lines["amount"].astype(float)
    variable = float(lines["amount_f"].sum())
    spiff = float(lines.loc[lines["kind"] == "spiff", "amount_f"].sum())
    acc = float(above["amount"].sum())
    reps = crm.reps[crm.reps["role"].isin(plan.roles)]
    start, end = qs[0].start, qs[-1].end
    hire = reps["hire_date"].fillna(start).clip(lower=start)
    term = reps["termination_date"].fillna(end).clip(upper=end)
    days = (term - hire).dt.days.clip(lower=0) + 1
    base = float((reps["base_salary"].fillna(0) * days / 365.25).sum())
    snap = crm.as_of(end)
    won = snap[
        snap["is_won"]
        & snap["close_date"].between(start, end)
        & snap["owner_rep_id"].isin(reps["id"])
    ]
    bookings = float(won["amount"].sum())
    if bookings <= 0:
        return _na(key, cfg, "no bookings in the last 4 quarters")
    value = (base + variable) / bookings
    lev = (acc + spiff) / variable if variable > 0 else np.nan
    per_rep = (
        pd.concat(
            [
                above.groupby("rep_id")["amount"].sum().rename("accelerators"),
                lines[lines["kind"] == "spiff"]
                .groupby("rep_id")["amount_f"]
                .sum()
                .rename("spiffs"),
                lines.groupby("rep_id")["amount_f"].sum().rename("variable"),
            ],
            axis=1,
        )
        .fillna(0.0)
        .assign(leverage=lambda d: d["accelerators"] + d["spiffs"])
        .sort_values("leverage", ascending=False)
    )
    names = crm.reps.set_index("id")["name"]
    contributors = [
        {
            "name": str(names.get(r, r)),
            "value": money(row.leverage),
            "detail": f"accelerators {money(row.accelerators)} + SPIFFs {money(row.spiffs)} of {money(row.variable)}",
        }
        for r, row in per_rep.head(3).iterrows()
    ]
    trend = []
    for p in qs:
        v = float(lines.loc[lines["period"] == p.label, "amount_f"].sum())
        b = float(won.loc[won["close_date"].between(p.start, p.end), "amount"].sum())
        h = reps["hire_date"].fillna(p.start).clip(lower=p.start)
        t = reps["termination_date"].fillna(p.end).clip(upper=p.end)
        bs = float(
            (reps["base_salary"].fillna(0) * ((t - h).dt.days.clip(lower=0) + 1) / 365.25).sum()
        )
        trend.append((p.label, (bs + v) / b if b > 0 else np.nan))
    m = _metric(
        key,
        cfg,
        value,
        also={"name": cfg["also"]["name"], "value": lev},
        contributors=contributors,
        trend=_trend(trend),
        details={
            "plan": plan.name,
            "window": f"{labels[0]}..{labels[-1]}",
            "bookings": bookings,
            "base_pay": base,
            "variable_pay": variable,
            "accelerator_pay": acc,
            "spiff_pay": spiff,
        },
        table=per_rep.reset_index().rename(columns={"index": "rep_id"}),
    )
    if m.status == "healthy":
        m.action = (
            f"Sales comp costs {value:.1%} of bookings ({labels[0]}..{labels[-1]}); accelerators "
            f"and SPIFFs are {lev:.0%} of variable pay: within plan."
        )
    elif cfg["band"].status(value) != "healthy":
        m.action = (
            f"Sales comp costs {value:.1%} of bookings: check quota-to-OTE (4-6x) and run "
            "`comp_cost` to price a leaner plan."
        )
    else:
        m.action = (
            f"{lev:.0%} of variable pay comes from accelerators and SPIFFs ({money(acc + spiff)}): "
            f"review accelerator rates and SPIFF rules; largest: {contributors[0]['name']}."
        )
    return m
