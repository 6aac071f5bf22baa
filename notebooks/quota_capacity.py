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
# # Quota and capacity plan
#
# A Bayesian model of ramped rep productivity (partially pooled by segment, with seasonality
# and a shared quarter effect), a Monte Carlo of bookings capacity with ramp, attrition,
# backfills, hiring and good and bad quarters shared by every rep, quotas allocated from the
# target, the share of reps who would reach them, and the plan's track record on past
# quarters.

# %% tags=["parameters"]
source = "data/salesops.duckdb"  # DuckDB store, relative to the project root
plan_start = ""  # first month of the plan, YYYY-MM; empty: the month after the data's last day
months = 12  # plan horizon in months
growth = 0.10  # target growth over the bookings of the 12 months before the plan
target = 0.0  # explicit target for the horizon; 0: use growth
buffer = 0.15  # over-assignment: quotas add up to the target plus this share
method = "blend"  # quota allocation: potential, performance or blend
weight = 0.5  # blend weight on territory potential
attrition_monthly = 0.015  # monthly attrition hazard of an AE
ramp_months = 4  # months for a new hire to reach full productivity
backfill_gap = 2  # months a seat stays empty after a departure
hire_segment = "Mid-Market"  # segment of the planned hires
hires_per_quarter = 2  # planned hires at the start of each quarter
p_target = 0.8  # probability of reaching the target the hiring plan should give
scenarios = 4000  # Monte Carlo scenarios
draws = 1000  # posterior draws per chain
seed = 7  # random seed: same seed, same numbers
h2_multiplier = 0.85  # stress test: every rep's bookings x this in the plan's second half
backtest_csv = ""  # plan backtest scores; "": reports/plan/backtest_<store>.csv

# %%
# %matplotlib inline
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import HTML, Markdown, display

from salesops_models import capacity as cap
from salesops_models.capacity import plots
from salesops_models.capacity.quota import monthly_seasonality
from salesops_models.display import kpi_tiles_html, money, readable_summary
from salesops_models.exports import styled
from salesops_models.reports import context, default_plan_start

ctx = context(source)
crm = ctx.crm
plan_start = plan_start or default_plan_start(crm)
start = pd.Period(plan_start, freq="M")
last_year = crm.trailing_bookings(start.start_time, months=12)
plan_target = target or last_year * (1 + growth)
season = monthly_seasonality(crm)
hiring = pd.DataFrame(
    [
        {"month": str(start + q), "segment": hire_segment, "hires": hires_per_quarter}
        for q in range(0, months, 3)
        if hires_per_quarter > 0
    ],
    columns=["month", "segment", "hires"],
)
plan = cap.CapacityPlan(
    plan_start, months, hiring, attrition_monthly, cap.linear_ramp(ramp_months), backfill_gap
)
display(
    Markdown(
        f"**Plan {start} + {months} months.** Bookings of the 12 months before: {money(last_year)}; "
        f"target {money(plan_target)} ({'given' if target else f'+{growth:.0%}'})."
    )
)

# %% [markdown]
# ## Productivity model
# Prior predictive check, then the fit with its convergence diagnostics.

# %%
model = cap.ProductivityModel(sampler_config={"draws": draws, "tune": draws})
prior = model.prior_predictive(crm, seed=seed)
plots.plot_prior_predictive(prior, model.data.reps["mean_log"].dropna().to_numpy())
plt.show()
idata = model.fit(crm, seed=seed)
diag = model.diagnostics()
display(
    Markdown(
        f"**Convergence ({idata.attrs['backend']}):** {diag.summary()}. Learned from "
        f"{model.data.months[0]} to {model.data.months[-1]} ({len(model.stats)} reps; the "
        "CRM's first months are left out as warm-up, at most the last "
        f"{model.model_config['history_months']} months are used)."
    )
)
display(model.segment_productivity())
plots.plot_rep_productivity(model.rep_productivity())
plt.show()
effects = model.period_effects()
plots.plot_period_effects(effects)
plt.show()
sd = effects.attrs["sd_period"]
kappa = effects.attrs.get("booked_loading")
display(
    Markdown(
        f"A good or bad quarter moves every rep at once: the shared quarter effect has a scale "
        f"of **{sd['mean']:.2f}** on log bookings (80% interval {sd['p10']:.2f}-{sd['p90']:.2f}), "
        f"so a one-in-ten bad quarter is about {np.exp(-1.2816 * sd['mean']) - 1:+.0%} for "
        "every booked month"
        + (
            f", and it also moves how many reps book at all: the odds of a month with "
            f"bookings change by **{kappa['mean']:.1f}x** the effect (80% interval "
            f"{kappa['p10']:.1f}-{kappa['p90']:.1f}), which matters most where reps book in "
            "about half their months (Enterprise)"
            if kappa
            else ""
        )
        + ". The Monte Carlo draws one such path of quarters per scenario."
    )
)

# %% [markdown]
# ## Capacity vs target

# %%
result = cap.capacity(crm, model, plan, plan_target, draws=scenarios, seed=seed, seasonality=season)
summary = result.summary()
display(
    HTML(
        kpi_tiles_html(
            [
                ("target", money(summary["target"])),
                (
                    "bookings P50",
                    money(summary["p50"]),
                    "",
                    f"P10 {money(summary['p10'])} · P90 {money(summary['p90'])}",
                ),
                ("P(reach target)", f"{summary['p_reach_target']:.0%}"),
                ("expected shortfall", money(summary["expected_shortfall"])),
            ]
        )
    )
)
plots.plot_fan(result.fan())
plt.show()
if summary.get("carried_from_leavers"):
    display(
        Markdown(
            f"Of the bookings, about **{money(summary['carried_from_leavers'])}** are deals "
            "already in flight with AEs who left before the plan starts: a leaver's pipeline "
            "still closes for a sales cycle (the share of won value with a longer cycle, "
            "month by month), and a rep who leaves during the plan carries theirs the same way."
        )
    )

# %% [markdown]
# ## Hiring scenarios

# %%
no_hires = cap.CapacityPlan(
    plan_start,
    months,
    hiring.iloc[0:0],
    attrition_monthly,
    cap.linear_ramp(ramp_months),
    backfill_gap,
)
needed = cap.hires_needed(
    crm,
    model,
    plan,
    plan_target,
    hire_segment,
    p_target=p_target,
    draws=min(scenarios, 1000),
    seed=seed,
)
extra = needed.attrs.get("answer")
scen = {
    "no hires": cap.capacity(
        crm, model, no_hires, plan_target, draws=scenarios, seed=seed, seasonality=season
    ),
    "plan": result,
}
if extra:
    more = pd.concat(
        [hiring, pd.DataFrame([{"month": plan_start, "segment": hire_segment, "hires": extra}])]
    )
    scen[f"plan + {extra} {hire_segment} now"] = cap.capacity(
        crm,
        model,
        cap.CapacityPlan(
            plan_start, months, more, attrition_monthly, cap.linear_ramp(ramp_months), backfill_gap
        ),
        plan_target,
        draws=scenarios,
        seed=seed,
        seasonality=season,
    )
table = pd.DataFrame({k: v.summary() for k, v in scen.items()}).T
display(styled(readable_summary(table)))
plots.plot_scenarios({k: v.total() for k, v in scen.items()}, plan_target)
plt.show()
display(
    Markdown(
        f"Extra {hire_segment} hires at {plan_start} for P(target) >= {p_target:.0%}: **{extra if extra else 'not reachable within the search limit'}**."
    )
)
display(needed)

# %% [markdown]
# ## Quotas

# %%
quotas = cap.allocate_quotas(
    crm, result, model.rep_productivity(), plan_target, method=method, weight=weight, buffer=buffer
)
path = cap.quota.export_quotas(
    quotas,
    "quotas.xlsx",
    {
        "plan start": plan_start,
        "months": months,
        "target": round(plan_target, 2),
        "buffer": buffer,
        "method": method,
        "weight on potential": weight,
        "attrition (monthly)": attrition_monthly,
        "ramp months": ramp_months,
        "seed": seed,
        "data": ctx.source.name,
    },
)
display(
    HTML(
        f'<p>Quota table for the CRM load: <a href="{path}">{path}</a> (sheets Quotas and Assumptions)</p>'
    )
)
quota_cols = ["seat", "name", "segment", "ramp_share", "annual_quota", "Q1", "Q2", "Q3", "Q4"]
display(
    styled(quotas[quota_cols + ["quota_to_ote", "ote_check"]])
    .format(
        {c: "${:,.0f}" for c in quota_cols[4:]}
        | {"ramp_share": "{:.0%}", "quota_to_ote": "{:.1f}x"},
        na_rep="",
    )
    .hide(axis="index")
)
display(quotas["ote_check"].value_counts().rename("quota-to-OTE check (typical 4-6x)").to_frame())

# %% [markdown]
# ## Attainment (healthy: 60-85% of reps at quota)

# %%
att = cap.attainment(result, quotas)
share = cap.share_at_quota(att)
display(
    Markdown(
        f"Share of reps at quota: **{share.mean():.0%}** (90% interval {np.quantile(share, 0.05):.0%}-{np.quantile(share, 0.95):.0%}); "
        f"mean attainment {np.nanmean(att):.0%}."
    )
)
plots.plot_share_at_quota(share)
plt.show()
plots.plot_attainment(att)
plt.show()

# %% [markdown]
# ## Calibration of the over-assignment

# %%
curve = cap.calibration_curve(result, quotas, buffer)
best = cap.recommend_buffer(curve)
plots.plot_calibration(curve, buffer)
plt.show()
display(
    Markdown(
        f"Buffer that puts the share at quota nearest the middle of 60-85%: **{best:+.0%}** (plan: {buffer:+.0%})."
    )
)
display(
    styled(curve).format(
        {
            "buffer": "{:+.0%}",
            "total_quota": money,
            "share_at_quota": "{:.1%}",
            "p10": "{:.1%}",
            "p90": "{:.1%}",
            "mean_attainment": "{:.1%}",
            "expected_bookings": money,
        }
    )
)

# %% [markdown]
# ## Good and bad years: stress scenarios
# The same scenarios sorted by their shared effect: the **bad year** is the tenth of scenarios
# where the shared quarter effects were lowest, the **good year** the tenth where they were
# highest. Bookings, the chance of reaching the target and the share of reps at quota are read
# on the same scenarios. The **shock** is a user-given change of every rep's bookings in the
# plan's second half, on top of the model's own uncertainty.

# %%
metrics = {
    "bookings": result.total(),
    "reach_target": (result.total() >= plan_target).astype(float),
    "share_at_quota": share,
}
stress = cap.stress_table(result, metrics)
second_half = {str(start + k): h2_multiplier - 1 for k in range(months // 2, months)}
shocked_plan = cap.CapacityPlan(
    plan_start, months, hiring, attrition_monthly, cap.linear_ramp(ramp_months), backfill_gap,
    shock=second_half,
)  # fmt: skip
shocked = cap.capacity(
    crm, model, shocked_plan, plan_target, draws=scenarios, seed=seed, seasonality=season
)
stress.loc[f"shock {h2_multiplier - 1:+.0%} in H2"] = cap.stress_row(
    shocked,
    {
        "bookings": shocked.total(),
        "reach_target": (shocked.total() >= plan_target).astype(float),
        "share_at_quota": cap.share_at_quota(cap.attainment(shocked, quotas)),
    },
)
display(cap.styled_stress(stress))
display(Markdown(stress.attrs["definition"] + "."))

# %% [markdown]
# ## Track record: the plan on past quarters
# Each past quarter (and each of the last two years) replayed with only the history before
# it: the productivity model fitted, the AEs in seat simulated for the period, and the
# predictions scored against what happened, beside naive baselines (team bookings: same
# quarter last year x growth; share at quota and comp cost: each rep's trailing-year average
# attainment). A calibrated 80% interval covers about 80% of quarters (70-90% is the goal).

# %%
from salesops_models.capacity.backtest import read_backtest, summary_table
from salesops_models.scoring import model_rows

bt_path, plan_bt = read_backtest(source, backtest_csv)
if plan_bt is not None:
    display(summary_table(plan_bt))
    plots.plot_track_record(plan_bt)
    plt.show()
    fits = model_rows(plan_bt).drop_duplicates("period")
    quarters = fits[fits["horizon"] == "quarter"]["period"]
    display(
        Markdown(
            f"Source: `{bt_path.name}` (written {pd.Timestamp(bt_path.stat().st_mtime, unit='s'):%Y-%m-%d} by `make backtest`; quarters {quarters.iloc[0]} to {quarters.iloc[-1]}, "
            f"and {int((fits['horizon'] == 'year').sum())} years). "
            f"{int(fits['converged'].sum())} of {len(fits)} productivity fits converged; "
            f"reps' own bookings in their 80% interval: {fits['rep_coverage_80'].mean():.0%}."
        )
    )
else:
    display(
        Markdown(
            f"No plan backtest for this store yet (`{bt_path}`): run "
            f"`make backtest` or `salesops plan backtest --db {source}`."
        )
    )

# %% [markdown]
# ## Fairness: where attainment differences come from

# %%
display(
    styled(cap.variance_decomposition(att, quotas["potential"].to_numpy())).format(
        {"variance": "{:.4f}", "share": "{:.1%}"}
    )
)
