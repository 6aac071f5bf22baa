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
# # Pipeline health
#
# Coverage against target, stage conversion, win rates, sales velocity, cycle length, the
# pipeline waterfall, deals at risk and CRM data quality, all rebuilt **as of** the report
# date from the opportunity history (nothing recorded later leaks in).

# %% tags=["parameters"]
source = "data/salesops.duckdb"  # DuckDB store, relative to the project root
as_of = ""  # as-of date: YYYY-MM-DD or relative, e.g. last friday; empty: the data's last day
period = ""  # period to cover, e.g. 2026-Q3 or current quarter; empty: quarter of as_of
compare_to = ""  # waterfall start date; empty: day before the period starts
reference = ""  # base date for relative dates: empty for today, or data_end
target = 0.0  # period target; 0: sum of quotas, else bookings a year earlier
lookback_days = 365  # window for win rates, cycle length and velocity
stale_days = 30  # days without change that make an open deal stale
top_n = 25  # rows in the deal tables

# %%
# %matplotlib inline
import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import HTML, Markdown, display

from salesops_models import pipeline as pl
from salesops_models import quality
from salesops_models.display import kpi_tiles_html, money, money_axis, with_rep_names
from salesops_models.reports import context

ctx = context(source, as_of=as_of, period=period, compare_to=compare_to, reference=reference)
crm, when, p = ctx.crm, ctx.as_of, ctx.period
window_start = when - pd.Timedelta(days=lookback_days)
plt.rcParams["figure.dpi"] = 90
display(
    Markdown(
        f"**{ctx.describe()}**; win rates, cycle and velocity over the {lookback_days} days to {when.date()}."
    )
)

# %% [markdown]
# ## Headline

# %%
cov = pl.coverage(crm, when, p, target=target or None, by="team")
vel = pl.velocity(crm, when, lookback_days)
risk = pl.at_risk_deals(crm, when, p, stale_days)
total = cov.iloc[0]
status = {"healthy": "healthy", "low": "act", "high": "watch"}.get(total.status, "")
display(
    HTML(
        kpi_tiles_html(
            [
                ("target", money(total.target), "", cov.attrs["target_source"]),
                ("closed won to date", money(total.won_to_date)),
                ("open pipeline in period", money(total.open_pipeline)),
                ("remaining coverage", f"{total.remaining_coverage:.2f}x", status, "healthy 3-4x"),
                ("win rate", f"{vel.win_rate.iloc[0]:.1%}", "", f"last {lookback_days} days"),
                ("sales velocity", money(vel.velocity_per_30d.iloc[0]), "", "per 30 days"),
                ("deals at risk", f"{len(risk):,}", "", money(risk.amount.sum())),
                ("without a close date", money(total.open_without_close_date), "", "open pipeline"),
            ]
        )
    )
)
if total.open_without_close_date > 0:
    display(
        Markdown(
            f"**Note:** {total.open_without_close_date:,.0f} of open pipeline has no close date, "
            "so it cannot count toward any period's coverage: fix the close dates in the CRM."
        )
    )

# %% [markdown]
# ## Coverage by team

# %%
pl.plots.plot_coverage(cov)
plt.show()
display(cov)
if len(cov) > 1 and not (cov["target"].iloc[1:] > 0).any():
    display(
        Markdown(
            "Groups have no target: a group's target is the sum of its reps' quotas, and this "
            "store has none for the period (load quotas; the parameter `target` sets the total)."
        )
    )

# %% [markdown]
# ## Stage funnel

# %%
conv = pl.stage_conversion(crm, window_start, when)
pl.plots.plot_funnel(conv)
plt.show()
display(conv[conv["group"] == "All"])

# %% [markdown]
# ## Win rates (90% intervals)

# %%
missing = []
for by in ("segment", "product", "rep_name"):
    wr = pl.win_rates(crm, window_start, when, by=by, min_closed=5)
    if len(wr) == 1 and str(wr[by].iloc[0]) == "(none)":
        missing.append(by)  # one "(none)" row: the store has no such field
    elif len(wr):
        pl.plots.plot_win_rates(wr.head(30), by)
        plt.show()
if missing:
    display(Markdown(f"Not shown: no {' or '.join(missing)} on this store's deals."))
if "segment" not in missing:
    display(pl.win_rates(crm, window_start, when, by="segment"))

# %% [markdown]
# ## Sales velocity
# (open opportunities x win rate x average won deal) / cycle length, by segment and over time.

# %%
display(pl.velocity(crm, when, lookback_days, by="segment"))
trend_dates = [
    crm.calendar.quarter(when - pd.DateOffset(months=3 * k)).start - pd.Timedelta(days=1)
    for k in range(6, 0, -1)
] + [when]
trend = pl.velocity_trend(crm, [d for d in trend_dates if d >= crm.data_start], lookback_days)
ax = trend.plot(
    x="as_of",
    y="velocity_per_30d",
    marker="o",
    legend=False,
    figsize=(8, 3),
    title="Sales velocity per 30 days",
)
ax.figure.autofmt_xdate()  # quarter-end dates readable, not overlapping
money_axis(ax)
plt.show()

# %% [markdown]
# ## Sales cycle

# %%
closed = pl.closed_deals(crm, window_start, when)
closed["segment"] = closed["segment"].astype(object).fillna("(no segment)")
pl.plots.plot_cycle_lengths(closed, "segment")
plt.show()
display(closed[closed["is_won"]].groupby("segment")["cycle_days"].describe())

# %% [markdown]
# ## Pipeline waterfall

# %%
buckets, moves = pl.waterfall(crm, ctx.compare_to, when, p)
pl.plots.plot_waterfall(buckets)
plt.show()
display(buckets)
display(
    with_rep_names(
        moves[moves["bucket"] != "amount_change"]
        .sort_values("value", key=abs, ascending=False)
        .head(top_n),
        crm,
    )
)

# %% [markdown]
# ## Deals at risk

# %%
display(with_rep_names(risk.head(top_n), crm))
display(risk["reasons"].str.split(", ").explode().value_counts().rename("deals").to_frame())

# %% [markdown]
# ## CRM data quality (goal: key fields 95%+ complete)

# %%
display(quality.hygiene_scorecard(crm, when, stale_days))
quality.plots.plot_quality(crm, when, stale_days)
plt.show()
