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
# # The forecast call
#
# What the reps and managers called for the quarter, rolled up through the hierarchy with
# the managers' adjustments kept apart; how the company's call moved week by week; how each
# forecaster's calls compared with what happened in past quarters (the **bias factor**,
# call / actual, with its 90% interval and the probability that the bias is more than 5%:
# "sandbagging, or bad luck?"); and how far the team's call landed from actual bookings.

# %% tags=["parameters"]
source = "data/salesops.duckdb"  # DuckDB store, relative to the project root
as_of = ""  # as-of date: YYYY-MM-DD or relative, e.g. last monday; empty: the data's last day
period = ""  # the quarter called, e.g. 2026-Q3 or current quarter; empty: quarter of as_of
reference = ""  # base date for relative dates: empty for today, or data_end
category = "Most Likely"  # the category measured and rolled up
seed = 0  # random seed of the bias model
top_n = 20  # rows in the forecaster tables

# %%
# %matplotlib inline
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import HTML, Markdown, display

from salesops_models.calls import ForecasterBiasModel, read_calls
from salesops_models.calls.bridge import bridge
from salesops_models.calls.rollup import call_errors, company_call, rollup, rollup_series
from salesops_models.display import kpi_tiles_html, money, money_axis
from salesops_models.exports import styled
from salesops_models.pipeline.metrics import forecast_target
from salesops_models.reports import context

ctx = context(source, as_of=as_of, period=period, reference=reference)
crm, when, p = ctx.crm, ctx.as_of, ctx.period
calls = read_calls(ctx.source)
has_calls = calls is not None and (calls["period"] == p.label).any()
plt.rcParams["figure.dpi"] = 90
display(Markdown(f"**{ctx.describe()}**; category {category}."))
if not has_calls:
    display(
        Markdown(
            f"**This store has no forecast calls for {p.label}.** The call is what reps and "
            "managers submit each week (Commit, Most Likely, Best Case); a CRM export does not "
            "carry it. Load the team's calls with `salesops calls load FILE --db "
            f"{ctx.source}` (a CSV or Excel file with submitted_at, forecaster_id, period, "
            "category and amount; see the data dictionary). Until then, the workbench's own "
            "forecast of the quarter is in the bookings forecast report."
        )
    )

# %% [markdown]
# ## The call this week

# %%
if has_calls:
    table = rollup(crm, calls, p.label, when, category=category)
    o = crm.opportunities
    won = o[o["is_won"] & o["close_date"].between(p.start, min(when, p.end))]
    target, target_source = forecast_target(crm, p)
    calling = int(table["own"].notna().sum())
    display(
        HTML(
            kpi_tiles_html(
                [
                    (f"company call ({category})", money(company_call(table))),
                    ("closed won so far", money(won["amount"].sum())),
                    ("target", money(target) if target else "n/a", "", target_source),
                    ("forecasters calling", f"{calling:,}"),
                ]
            )
        )
    )
    managers = table[table["reports"] > 0]
    cols = ["name", "role", "reports", "reports_called", "adjustments", "rollup", "own", "forecast"]
    money_cols = [c for c in cols[3:]]
    display(
        Markdown(
            "Managers, top down: what their reports called, their adjustments, their own number:"
        )
    )
    display(
        styled(managers[cols]).format({c: money for c in money_cols}, na_rep="").hide(axis="index")
    )

# %% [markdown]
# ## Since the last call
#
# What moved in each forecaster's pipeline for the quarter since the call a week earlier
# (won, lost, pushed out, pulled in, created, amount changes), how much of the change of
# their call that explains at the share of the pipeline they called, and the **judgment**
# left: a change of mind the pipeline does not show.

# %%
if has_calls:
    since = when - pd.Timedelta(days=7)
    moved = bridge(crm, calls, p.label, since, when, category=category) if since > p.start else None
    if moved is None or moved.empty:
        display(Markdown("No call a week earlier in this quarter to bridge from."))
    else:
        cols = ["name", "call_then", "call_now", "won", "lost", "pushed_out", "pulled_in",
                "created", "amount_changes", "judgment"]  # fmt: skip
        top = moved.reindex(moved["judgment"].abs().sort_values(ascending=False).index)
        display(Markdown(f"From {since.date()} to {when.date()}, largest judgment first:"))
        display(
            styled(top[cols].head(top_n))
            .format({c: money for c in cols[1:]}, na_rep="")
            .hide(axis="index")
        )

# %% [markdown]
# ## The company's call, week by week

# %%
if has_calls:
    days = pd.date_range(p.start, min(when, p.end), freq="W-MON")  # each call's day
    hist = rollup_series(crm, calls, p.label, days, category=category)
    top = hist[hist["level"] == 0].groupby("as_of")["forecast"].sum(min_count=1).dropna()
    fig, ax = plt.subplots(figsize=(8, 3))
    ax.plot(top.index, top.to_numpy(), marker="o", label=f"company call ({category})")
    if target:
        ax.axhline(target, color="k", lw=0.8, ls="--", label="target")
    money_axis(ax)
    ax.legend(fontsize=8)
    ax.set_title(f"{p.label}: the call as it stood each week")
    fig.autofmt_xdate()
    plt.show()

# %% [markdown]
# ## Who sandbags, who over-calls
#
# Each forecaster's calls of ended quarters against the actual bookings of their scope (a
# manager's team), weighted to the late weeks of each quarter, where a call should be
# tight. A bias factor of 0.85 means calls 15% under what came in.

# %%
if has_calls:
    model = ForecasterBiasModel({"category": category})
    try:
        model.fit(crm, when, seed=seed, calls=calls)
    except ValueError as exc:
        model = None
        display(Markdown(f"No bias yet: {exc}"))
if has_calls and model is not None:
    diag = model.diagnostics()
    display(Markdown(f"Convergence: {diag.summary()}"))
    acc = model.accuracy().sort_values("p_biased", ascending=False)
    cols = ["name", "role", "quarters", "calls", "bias_p50", "p05", "p95", "p_biased", "direction"]
    display(
        styled(acc[cols].head(top_n))
        .format({"bias_p50": "{:.2f}", "p05": "{:.2f}", "p95": "{:.2f}", "p_biased": "{:.0%}"})
        .hide(axis="index")
    )
    counts = acc["direction"].value_counts()
    display(Markdown(", ".join(f"{k}: {v}" for k, v in counts.items())))
    shown = acc.head(top_n).iloc[::-1]
    fig, ax = plt.subplots(figsize=(8, 0.28 * len(shown) + 1.2))
    y = np.arange(len(shown))
    colors = (
        shown["direction"]
        .map({"sandbags": "#1565c0", "over-calls": "#c62828", "accurate": "#2e7d32"})
        .fillna("#78909c")
    )
    ax.hlines(y, shown["p05"], shown["p95"], color=colors, lw=3)
    ax.scatter(shown["bias_p50"], y, color=colors, zorder=3)
    ax.axvspan(0.95, 1.05, color="#2e7d32", alpha=0.1)
    ax.set_yticks(y, [str(n) for n in shown["name"]], fontsize=7)
    ax.set_xlabel("bias factor, call / actual (median and 90% interval; green: within 5%)")
    plt.show()
    for note in model.data.notes:
        display(Markdown(f"- {note}"))

# %% [markdown]
# ## The team's call against what happened

# %%
if has_calls:
    rows, cat = call_errors(crm, calls, when)
    if rows.empty:
        display(Markdown("No ended quarter with calls yet: nothing to grade."))
    else:
        mae = rows["error"].abs().mean()
        display(
            Markdown(
                f"The company's {cat} call at week 4 of the last {len(rows)} ended quarters: "
                f"mean absolute error {mae:.1%} (good sales-ops teams land within 5-10%)."
            )
        )
        display(
            styled(rows)
            .format({"call": money, "actual": money, "error": "{:+.1%}"})
            .hide(axis="index")
        )
