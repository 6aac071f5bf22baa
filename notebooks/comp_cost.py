# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.7
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Compensation plan cost
#
# Two plans evaluated on the same simulated year of attainment (from the quota and capacity
# engine): cost distribution against budget, cost of sales, payout curves, sensitivity and
# the reps who drive the cost. Statements to the cent come from `salesops comp statements`.

# %% tags=["parameters"]
source = "data/salesops.duckdb"  # DuckDB store, relative to the project root
plan_a = "plans/ae_standard.yml"  # plan A, relative to the project root
plan_b = "plans/ae_accelerated.yml"  # plan B
plan_start = ""  # first month of the simulated plan year, YYYY-MM; empty: the month after the data's last day
growth = 0.10  # target growth over the bookings of the 12 months before the plan
buffer = 0.15  # quota over-assignment
budget = 0.0  # variable comp budget for the year; 0: plan A median x 1.05
scenarios = 2000  # Monte Carlo scenarios
draws = 1000  # posterior draws per chain of the productivity model
seed = 11  # random seed
h2_multiplier = 0.85  # stress test: every rep's bookings x this in the plan year's second half
backtest_csv = ""  # plan backtest scores; "": reports/plan/backtest_<store>.csv

# %%
# %matplotlib inline
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import HTML, Markdown, display

from salesops_models import capacity as cap
from salesops_models import comp
from salesops_models.comp import plots
from salesops_models.config import PROJECT_ROOT
from salesops_models.display import kpi_tiles_html, money, readable_summary
from salesops_models.exports import styled, write_excel
from salesops_models.reports import context, default_plan_start

ctx = context(source)
crm = ctx.crm
plan_start = plan_start or default_plan_start(crm)
comp_inputs = ctx.comp_inputs()  # cancellations etc. from the store (salesops comp load)
plans = {"A": comp.load_plan(PROJECT_ROOT / plan_a), "B": comp.load_plan(PROJECT_ROOT / plan_b)}
display(
    styled(
        pd.DataFrame(
            [
                {
                    "plan": k,
                    "name": p.name,
                    "version": p.version,
                    "period": p.period,
                    "measures": ", ".join(
                        f"{m.name} {m.weight:.0%} ({m.rates.method})" for m in p.measures
                    ),
                    "spiffs": len(p.spiffs),
                    "draw": bool(p.draw),
                    "true-up": p.annual_true_up,
                }
                for k, p in plans.items()
            ]
        )
    ).hide(axis="index")
)

# %% [markdown]
# ## Payout curves

# %%
plots.plot_payout_curves({f"{k}: {p.name}": p for k, p in plans.items()})
plt.show()
display(
    comp.payout_curve(plans["A"], [0.5, 0.75, 1.0, 1.25, 1.5, 2.0])
    .merge(
        comp.payout_curve(plans["B"], [0.5, 0.75, 1.0, 1.25, 1.5, 2.0]),
        on="attainment",
        suffixes=(" A", " B"),
    )
    .style.format("{:.0%}")
    .hide(axis="index")
)

# %% [markdown]
# ## Simulated attainment (quota and capacity engine)

# %%
model = cap.ProductivityModel(sampler_config={"draws": draws, "tune": draws})
model.fit(crm, seed=seed)
display(Markdown(f"Productivity model convergence: {model.diagnostics().summary()}"))
start = pd.Period(plan_start, freq="M")
target = crm.trailing_bookings(start.start_time, months=12) * (1 + growth)
result = cap.capacity(
    crm, model, cap.CapacityPlan(plan_start, 12), target, draws=scenarios, seed=seed
)
quotas = cap.allocate_quotas(crm, result, model.rep_productivity(), target, buffer=buffer)
# won deals of the last 12 months: deal size, SPIFF-qualifying shares, cancel rates
mix = comp.DealMix.from_crm(
    crm, list(plans.values()), start.start_time - pd.Timedelta(days=1),
    adjustments=comp_inputs.adjustments,
)  # fmt: skip
inputs = comp.capacity_inputs(plans["A"], result, quotas, deals=mix, seed=seed)
quarter_quota, bookings = inputs.quotas, inputs.bookings
display(
    Markdown(
        f"{scenarios:,} scenarios x {len(quotas)} seats x {quarter_quota.shape[1]} quarters; target {money(target)}, quotas "
        f"{money(quotas.annual_quota.sum())}. The renewals measure uses the bookings attainment as its proxy. "
        f"Deals simulated behind the bookings: mean won deal {money(mix.mean_value)} "
        f"({mix.n_deals:,} deals), cancel rates "
        + (", ".join(f"{k}: {v:.1%}" for k, v in mix.cancel_rates.items()) or "none")
        + "."
    )
)

# %% [markdown]
# ## Cost against budget, plan A vs plan B

# %%
plan_inputs = {
    k: comp.capacity_inputs(p, result, quotas, deals=mix, seed=seed) for k, p in plans.items()
}  # same seed: both plans see the same simulated deals
costs = {k: plan_inputs[k].evaluate(p) for k, p in plans.items()}
att, ti = inputs.attainment | plan_inputs["B"].attainment, inputs.target_incentive
same = {"bookings": bookings, "quota": inputs.quotas, "deals": inputs.deals,
        "months_since_hire": inputs.months_since_hire}  # fmt: skip
budget_value = budget or float(np.median(costs["A"].total)) * 1.05
plots.plot_cost_distribution(costs, budget_value)
plt.show()
summary = pd.DataFrame({k: c.summary(budget_value) for k, c in costs.items()}).T
tiles = []
for k, row in summary.iterrows():
    tiles += [
        (
            f"plan {k}: cost P50",
            money(row["p50"]),
            "",
            f"P10 {money(row['p10'])} · P90 {money(row['p90'])}",
        ),
        (
            f"plan {k}: P(over budget)",
            f"{row['p_over_budget']:.0%}",
            "",
            f"budget {money(budget_value)}",
        ),
    ]
display(HTML(kpi_tiles_html(tiles)))
display(styled(readable_summary(summary)))
for k, c in costs.items():
    for note in c.notes:
        display(Markdown(f"Plan {k}: {note}"))

# %% [markdown]
# ## Good year, bad year: cost, bookings and attainment on the same scenarios
# Every scenario carries one path of shared quarter effects (a market that moves every rep at
# once), so a good year is good for bookings, attainment and cost together. The **bad year**
# is the tenth of scenarios with the lowest shared effect, the **good year** the tenth with
# the highest; the **shock** row reruns the year with every rep's bookings changed by the
# given share in its second half (same quotas, same random numbers).

# %%
share_at_quota = cap.share_at_quota(cap.attainment(result, quotas))
stress = cap.stress_table(
    result,
    {
        "cost_A": costs["A"].total,
        "cost_B": costs["B"].total,
        "bookings": result.total(),
        "share_at_quota": share_at_quota,
    },
)
second_half = {str(start + k): h2_multiplier - 1 for k in range(6, 12)}
shocked = cap.capacity(
    crm, model, cap.CapacityPlan(plan_start, 12, shock=second_half), target,
    draws=scenarios, seed=seed,
)  # fmt: skip
shocked_costs = {
    k: comp.capacity_inputs(p, shocked, quotas, deals=mix, seed=seed).evaluate(p)
    for k, p in plans.items()
}
stress.loc[f"shock {h2_multiplier - 1:+.0%} in H2"] = cap.stress_row(
    shocked,
    {
        "cost_A": shocked_costs["A"].total,
        "cost_B": shocked_costs["B"].total,
        "bookings": shocked.total(),
        "share_at_quota": cap.share_at_quota(cap.attainment(shocked, quotas)),
    },
)
display(cap.styled_stress(stress))
display(Markdown(stress.attrs["definition"] + "."))

# %% [markdown]
# ## Track record: predicted vs actual comp cost on past quarters
# From the plan backtest (`salesops plan backtest`): each past quarter predicted from the
# history before it, the cost of the plan in force on the simulated attainment of the reps
# with a quota, against the same plan on what they actually booked, beside the cost at each
# rep's trailing-year average attainment.

# %%
from salesops_models.capacity import plots as cap_plots
from salesops_models.capacity.backtest import read_backtest, summary_table

bt_path, plan_bt = read_backtest(source, backtest_csv)
if plan_bt is not None:
    display(summary_table(plan_bt))
    cap_plots.plot_track_record(plan_bt, targets=("comp cost", "team bookings"))
    plt.show()
    display(
        Markdown(
            f"Source: `{bt_path.name}` (written "
            f"{pd.Timestamp(bt_path.stat().st_mtime, unit='s'):%Y-%m-%d} by `make backtest`)."
        )
    )
else:
    display(
        Markdown(
            f"No plan backtest for this store yet: run `make backtest` or `salesops plan backtest --db {source}`."
        )
    )

# %% [markdown]
# ## Cash timing: draws, recoveries and clawbacks by quarter (median)

# %%
cash = pd.DataFrame({k: c.cash_by_period()["p50"] for k, c in costs.items()})
display(styled(cash).format(money))

# %% [markdown]
# ## Sensitivity (plan A): quota level and accelerator rates

# %%
sens = comp.sensitivity(plans["A"], att, ti, **same)
display(styled(sens).format({"mean_cost": money, "vs_plan": "{:+.1%}"}))

# %% [markdown]
# ## Top cost drivers (plan A)

# %%
per_rep = pd.DataFrame(
    {
        "seat": quotas["seat"],
        "name": quotas["name"],
        "segment": quotas["segment"],
        "mean_cost": costs["A"].per_rep.mean(axis=0),
        "p90_cost": np.quantile(costs["A"].per_rep, 0.9, axis=0),
        "mean_attainment": (bookings.sum(axis=2) / quarter_quota.sum(axis=1)[None, :]).mean(axis=0),
    }
)
display(
    styled(per_rep.sort_values("mean_cost", ascending=False).head(15))
    .format({"mean_cost": money, "p90_cost": money, "mean_attainment": "{:.0%}"})
    .hide(axis="index")
)
by_segment = per_rep.groupby("segment")[["mean_cost"]].sum()
display(
    styled(by_segment.assign(share=by_segment.mean_cost / by_segment.mean_cost.sum())).format(
        {"mean_cost": money, "share": "{:.1%}"}
    )
)

# %% [markdown]
# ## Export

# %%
write_excel(
    {
        "Summary": summary.reset_index(),
        "Sensitivity": sens,
        "Cash": cash.reset_index(names="period"),
        "PerRep": per_rep,
        "Scenarios": pd.DataFrame({k: c.total for k, c in costs.items()})
        .rename_axis("draw")
        .reset_index(),
    },
    "comp_cost.xlsx",
)
display(
    HTML(
        '<p>Scenario summary for finance: <a href="comp_cost.xlsx">comp_cost.xlsx</a> (Summary, Sensitivity, Cash, PerRep, Scenarios)</p>'
    )
)
