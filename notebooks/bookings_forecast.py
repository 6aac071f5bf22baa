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
# # Bookings forecast
#
# A Bayesian forecast of the period's bookings **as of** the report date: closed-won so far,
# plus the open pipeline that will be won and close inside the period, plus deals not yet
# created that will. Deal outcomes and timing come from hierarchical stage hazards (segment,
# team and rep effects, deal covariates, a shared quarter effect), fitted with PyMC on
# sufficient statistics of the history as it stood that day. See
# `salesops_models.forecast.model` for the model and `salesops forecast backtest` for its
# track record.

# %% tags=["parameters"]
source = "data/salesops.duckdb"  # DuckDB store, relative to the project root
as_of = ""  # as-of date: YYYY-MM-DD or relative, e.g. last friday; empty: the data's last day
period = ""  # period to forecast, e.g. 2026-Q3; empty: the quarter of as_of
reference = ""  # base date for relative dates: empty for today, or data_end
target = 0.0  # period target; 0: the sum of the period's quotas (none without quotas)
draws = 2000  # posterior draws per chain (two chains)
tune = 300  # tuning steps per chain (doubled on a retry)
seed = 0  # random seed: the same seed gives the same numbers
record_ledger = False  # append this forecast to the forecast ledger
backtest_csv = ""  # backtest scores to show; empty: reports/forecast/backtest_STORE.csv
calibration_csv = ""  # synthetic orgs' backtest; empty: reports/forecast/calibration_synthetic.csv
top_n = 20  # rows in the deal tables

# %%
# %matplotlib inline

import arviz as az
import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import HTML, Markdown, display

from salesops_models import config
from salesops_models import pipeline as pl
from salesops_models.display import kpi_tiles_html, money, rep_names, with_rep_names
from salesops_models.exports import styled
from salesops_models.forecast import BookingsForecastModel, ledger
from salesops_models.forecast import plots as fplots
from salesops_models.forecast.backtest import (
    baselines,
    calibration,
    coinciding,
    goals,
    styled_calibration,
)
from salesops_models.forecast.data import observed_summary
from salesops_models.forecast.prior_check import implied_summary
from salesops_models.forecast.settings import COMPILED_MODEL_WORDS
from salesops_models.forecast.synthetic_backtest import coverage_by_org, pooled_calibration
from salesops_models.reports import context
from salesops_models.scoring import Backtest, convergence, model_rows

ctx = context(source, as_of=as_of, period=period, reference=reference)
crm, when, p = ctx.crm, ctx.as_of, ctx.period
goal, goal_source = pl.forecast_target(crm, p, target)
plt.rcParams["figure.dpi"] = 90
display(
    Markdown(
        f"**{ctx.describe()}**; "
        + (f"target {money(goal)} ({goal_source})." if goal else f"no target: {goal_source}.")
    )
)

# %% [markdown]
# ## Fit and convergence
# Every fit is checked: rank-normalized r_hat at most 1.01, bulk effective sample size at
# least 400 over the chains, no divergent transitions (Vehtari et al. 2021). A fit that fails
# the check samples again with twice the tuning; one that still fails is shown here in bold,
# with the parameter the chains disagree about, not hidden.

# %%
model = BookingsForecastModel(sampler_config={"draws": draws, "tune": tune})
idata = model.fit(crm, when, seed=seed)
diag = model.diagnostics()
fc = model.forecast(p, seed=seed)
retried = len(model.sampling_attempts) > 1
display(
    Markdown(
        (diag.plain() if diag.ok else f"**{diag.plain()}**")
        + (" (after a retry with more tuning)" if retried else "")
        + f"\n\n{diag.summary()}; backend {idata.attrs['backend']}, "
        f"{idata.attrs['n_cells']:,} sufficient-statistic cells from "
        f"{idata.attrs['n_pieces']:,} exposure pieces, fit in {model.fit_seconds:.0f} s "
        f"(model {COMPILED_MODEL_WORDS[model.compile_info['compiled_model']]} in "
        f"{model.compile_info['compile_seconds']:.0f} s)."
    )
)
az.plot_forest(
    idata, var_names=["sd_segment", "sd_team", "sd_rep", "sd_period"], combined=True, figsize=(7, 3)
)
plt.title("Pooling scales (log-hazard sd): segment, team, rep, quarter")
plt.show()

# %% [markdown]
# ## Forecast against target

# %%
q = fc.quantiles((0.1, 0.5, 0.9))
p_goal = fc.p_reach(goal) if goal else float("nan")
display(
    HTML(
        kpi_tiles_html(
            [
                (
                    "target",
                    money(goal) if goal else "none",
                    "",
                    goal_source if goal else "set the parameter target",
                ),
                ("closed won to date", money(fc.closed)),
                (
                    "forecast P50",
                    money(q["p50"]),
                    "",
                    f"P10 {money(q['p10'])} · P90 {money(q['p90'])}",
                ),
                ("P(reach target)", f"{p_goal:.0%}" if goal else "n/a (no target)"),
                ("from open pipeline", money(fc.from_open.mean()), "", "expected"),
                ("from deals not yet created", money(fc.from_new.mean()), "", "expected"),
                ("slip into next period", money(fc.slip.mean()), "", "expected"),
            ]
        )
    )
)
undated = int(fc.deals["close_date"].isna().sum())
display(
    Markdown(
        f"Close timing: {undated:,} of {len(fc.deals):,} open deals carry no close date in the "
        "CRM. The model never takes timing from CRM close dates: every deal's time to close "
        "comes from the time-in-stage hazards learned from past deals (close dates enter "
        "only as pushes, a risk signal)."
    )
)
later = crm.opportunities
later = later[later["is_won"] & later["close_date"].between(p.start, min(p.end, crm.data_end))]
actual_to_date = (
    later.groupby("close_date")["amount"]
    .sum()
    .reindex(pd.date_range(p.start, p.end))
    .fillna(0)
    .cumsum()
)
actual_to_date = actual_to_date[actual_to_date.index <= crm.data_end]
fig, axes = plt.subplots(1, 2, figsize=(15, 4.5), gridspec_kw={"width_ratios": [3, 2]})
fplots.plot_fan(fc, goal, actual_to_date if crm.data_end > when else None, ax=axes[0])
fplots.plot_bridge(fc, goal, ax=axes[1])
plt.tight_layout()
plt.show()
fplots.plot_distribution(fc, goal)
plt.show()

# %% [markdown]
# ## By region, manager and rep
# Every roll-up sums the same draws, so the parts add up to the total in every scenario.

# %%
names = rep_names(crm)
for by in ("region", "team", "manager", "rep"):
    roll = fc.rollup(by)
    if by != "rep" and list(roll.index) == ["(none)"]:
        continue  # the store has no such field: one "(none)" row says nothing
    if by in ("manager", "rep"):
        roll.index = roll.index.map(lambda v: names.get(v, v))
    display(styled(roll.head(top_n) if by == "rep" else roll).format(money))

# %% [markdown]
# ## Deal risk
# Open deals the CRM dates inside the period, largest first, with the model's probability of
# winning them *this* period and the two terms that move their odds most (log odds of
# advancing versus being lost, against a typical deal).

# %%
cols = ["id", "rep_id", "segment", "stage", "amount", "close_date", "push_count"]
cols += ["p_win_period", "p_slip", "expected_value", "drivers"]
dated = fc.deals[fc.deals["crm_says_in_period"]].sort_values("amount", ascending=False)
display(
    styled(with_rep_names(dated[cols].head(top_n), crm))
    .format(
        {
            "amount": money,
            "expected_value": money,
            "p_win_period": "{:.0%}",
            "p_slip": "{:.0%}",
        }
    )
    .hide(axis="index")
)
crm_view = dated["amount"].fillna(0).sum()
display(
    Markdown(
        f"The CRM dates {len(dated):,} open deals worth {money(crm_view)} in {p.label}; the model "
        f"expects {money(dated['expected_value'].sum())} of them to be won in the period."
    )
)

# %% [markdown]
# ## Slip list
# Deals most likely to be won, but only after the period ends (expected amount slipping).

# %%
slip = fc.deals.sort_values("expected_slip", ascending=False)
display(
    styled(
        with_rep_names(
            slip[
                [
                    "id",
                    "rep_id",
                    "stage",
                    "amount",
                    "close_date",
                    "expected_close",
                    "p_win_period",
                    "p_slip",
                    "expected_slip",
                ]
            ].head(top_n),
            crm,
        )
    )
    .format(
        {
            "amount": money,
            "expected_slip": money,
            "p_win_period": "{:.0%}",
            "p_slip": "{:.0%}",
        }
    )
    .hide(axis="index")
)

# %% [markdown]
# ## Accuracy history
# The backtest replays past quarters using only the data as of each point; the ledger scores
# every earlier scheduled forecast whose period has ended. Baselines: the CRM's stage-weighted
# pipeline, historical stage conversion and the rep commit roll-up; and the naive forecasts a
# sales leader would make without the pipeline: last quarter's bookings, the trailing
# four-quarter mean, the same quarter last year x growth, and the pipeline creation run rate x
# its historical yield. A baseline without the history it needs makes no forecast.

# %%
bt_path, bt = Backtest.find(backtest_csv, config.backtest_scores("forecast", ctx.source))
if bt is not None:
    summary = bt.summary()
    display(
        Markdown(
            f"Backtest from `{bt_path.name}` (written "
            f"{pd.Timestamp(bt_path.stat().st_mtime, unit='s'):%Y-%m-%d %H:%M} UTC by `make "
            f"backtest`): {bt.n_periods} quarters. "
            + bt.convergence()
            + "".join(f" {c.capitalize()}." for c in coinciding(bt))
        )
    )
    display(styled(summary).format(precision=2).hide(axis="index"))
    for point in bt["point"].unique():
        display(Markdown(f"Goals at {point}"))
        display(styled(goals(summary, point)).hide(axis="index"))
    fplots.plot_backtest(bt, "week 4" if "week 4" in set(bt["point"]) else bt["point"].iloc[0])
    plt.show()
    if "pit" in bt:
        display(
            Markdown(
                "Calibration: how often the intervals covered the actual, beside the range a "
                "calibrated forecast shows with this many quarters (p-value: the chance of a "
                "count this far from nominal if the intervals are right)."
            )
        )
        display(styled_calibration(calibration(bt)))
        fplots.plot_calibration(bt)
        plt.show()
else:
    display(
        Markdown(
            f"No backtest at `{bt_path}` yet: run `salesops forecast backtest --db {source}` "
            "(about 4 minutes for 8 quarters on 2 cores; `make backtest` runs it for the sample org)."
        )
    )
# %% [markdown]
# One org's backtest has 8 quarters per point, too few to judge an interval: a calibrated
# 80% interval covers 5 to 8 of them in 90% of backtests. The calibration study backtests
# several synthetic orgs made by one known process (`salesops forecast calibrate`, or
# `make calibrate`) and pools their quarters.

# %%
cal_path, study = Backtest.find(calibration_csv, config.CALIBRATION_SCORES)
if study is not None:
    per_point = model_rows(study).groupby("point").size().max()
    display(
        Markdown(
            f"Calibration study from `{cal_path.name}` (written "
            f"{pd.Timestamp(cal_path.stat().st_mtime, unit='s'):%Y-%m-%d %H:%M} UTC): "
            f"{study['org'].nunique()} synthetic orgs, {per_point} org-quarters per point. "
            + convergence(study)
        )
    )
    display(styled(coverage_by_org(study)).hide(axis="index"))
    display(styled_calibration(pooled_calibration(study)))
    fplots.plot_calibration(study)
    plt.show()
else:
    display(
        Markdown(
            f"No calibration study at `{cal_path}` yet: run `make calibrate` (about 18 "
            "minutes on 2 cores) or `salesops forecast calibrate`."
        )
    )

# %%
display(Markdown("Baselines for this forecast (point forecasts, same as-of data):"))
display(
    styled(
        pd.DataFrame({"forecast": baselines(crm, when, p) | {"model p50": float(q["p50"])}})
    ).format(lambda v: money(v) if pd.notna(v) else "no forecast (no history)")
)
if record_ledger:
    ledger.record(fc, source=ctx.source.name)
history = ledger.scored(crm, source=ctx.source.name)
if len(history):
    display(Markdown("Scheduled forecasts scored against actuals (forecast ledger):"))
    display(styled(history).format(precision=1).hide(axis="index"))
else:
    display(Markdown("The forecast ledger has no scored forecasts for this source yet."))

# %% [markdown]
# ## Model checks
# Prior predictive: what the priors alone imply per segment (win rate from creation, median
# days to a win, weekly creations) must cover every plausible org. Posterior: what the fit
# implies, next to what the as-of data shows.

# %%
prior = model.implied_prior(crm, when, samples=100, seed=seed)
display(Markdown("Prior predictive (5% / 50% / 95%):"))
display(styled(prior).format(precision=2).hide(axis="index"))
post = implied_summary(
    idata.posterior.isel(draw=slice(None, None, max(1, draws // 100))), model.data, seed=seed
)
post = post.merge(observed_summary(crm, when), on="segment", how="left")
display(
    Markdown(
        "Posterior implied (5% / 50% / 95%), and what the data known on the as-of date shows "
        "(`_data`: win rate of deals closed in the last year, median days to a win, weekly "
        "creations):"
    )
)
display(styled(post).format(precision=2).hide(axis="index"))
