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
# # Sales-ops health scorecard
#
# Every headline number of the sales-ops function, computed from the CRM as of the report
# date and graded against its benchmark band (`health_bands.yml`, which an organization can
# edit): **healthy**, **watch** or **act**, with the interval where the number is estimated,
# the three biggest contributors and a one-line action. The tiles come first; a section per
# metric follows. The scores are also written as JSON (`health.json`) for other tools.

# %% tags=["parameters"]
source = "data/salesops.duckdb"  # DuckDB store, relative to the project root
as_of = ""  # as-of date: YYYY-MM-DD or relative, e.g. end of last month; empty: the data's last day
reference = ""  # base date for relative dates: empty for today, or data_end
bands = "health_bands.yml"  # benchmark band file, relative to the project root
plan = "plans/ae_standard.yml"  # comp plan for the comp-cost metric; empty: not graded
backtest_csv = ""  # forecast backtest scores; empty: reports/forecast/backtest_STORE.csv
ledger = "reports/forecast_ledger.jsonl"  # forecast ledger, relative to the project root
json_out = "health.json"  # machine-readable scores, written beside the report
seed = 0  # seed of the bootstrap intervals

# %%
# %matplotlib inline
import html

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import HTML, Markdown, display

from salesops_models import config
from salesops_models.calls import read_calls
from salesops_models.display import money
from salesops_models.exports import styled
from salesops_models.health import health_scorecard, load_bands
from salesops_models.health import plots as hp
from salesops_models.reports import context

ctx = context(source, as_of=as_of, reference=reference)
crm, when = ctx.crm, ctx.as_of
bt_path = (
    config.PROJECT_ROOT / backtest_csv
    if backtest_csv
    else config.backtest_scores("forecast", ctx.source)
)
cfg = load_bands(config.PROJECT_ROOT / bands)
card = health_scorecard(
    crm,
    when,
    bands=config.PROJECT_ROOT / bands,
    plan=(config.PROJECT_ROOT / plan) if plan else None,
    comp_inputs=ctx.comp_inputs() if plan else None,
    ledger_path=config.PROJECT_ROOT / ledger,
    ledger_source=ctx.source.name,
    backtest_csv=bt_path,
    calls=read_calls(ctx.source),
    seed=seed,
)
card.to_json(json_out)
plt.rcParams["figure.dpi"] = 90
pd.set_option("display.max_colwidth", None)
display(
    Markdown(
        f"**{html.escape(ctx.source.name)}** ({html.escape(str(crm.meta.get('source', 'CRM')))}), as of **{when.date()}**; "
        f"bands from `{bands}`; comp plan `{plan or 'none'}`."
    )
)

# %% [markdown]
# ## At a glance

# %%
display(HTML(hp.tiles_html(card)))
display(
    Markdown(
        f"Scores for other tools: [{json_out}]({json_out}) (schema version 1: value, interval, "
        "band, status, contributors, action and trend per metric)."
    )
)

# %%
card.to_frame()

# %% [markdown]
# ## Forecast accuracy

# %%
m = card["forecast_accuracy"]
display(HTML(hp.metric_header_html(m)))
if m.table is not None:
    hp.plot_trend(m)
    plt.show()
    display(styled(m.table).format({"error": "{:+.1%}", "covered_80": "{:.0%}"}, na_rep=""))

# %% [markdown]
# ## Pipeline coverage

# %%
m = card["pipeline_coverage"]
display(HTML(hp.metric_header_html(m)))
if m.status not in ("n/a", "error"):
    hp.plot_trend(m)
    plt.show()
    display(
        styled(
            m.table[["group", "target", "open_pipeline", "remaining_coverage", "status"]]
        ).format(
            {"target": money, "open_pipeline": money, "remaining_coverage": "{:.2f}x"},
            na_rep="",
        )
    )

# %% [markdown]
# ## Pipeline hygiene

# %%
m = card["pipeline_hygiene"]
display(HTML(hp.metric_header_html(m)))
if m.status not in ("n/a", "error"):
    fig, axes = plt.subplots(1, 2, figsize=(12, 2.8))
    hp.plot_trend(m, ax=axes[0])
    hp.plot_groups(
        m.table,
        "bad_share",
        "stale or past-due share of open pipeline (%)",
        m.band.healthy[1],
        axes[1],
    )
    plt.tight_layout()
    plt.show()
    display(HTML(hp.details_html(m)))

# %% [markdown]
# ## Quota attainment

# %%
m = card["quota_attainment"]
display(HTML(hp.metric_header_html(m)))
if m.status not in ("n/a", "error"):
    fig, axes = plt.subplots(1, 2, figsize=(12, 2.8))
    hp.plot_trend(m, ax=axes[0])
    hp.plot_attainment(m.table, ax=axes[1])
    plt.tight_layout()
    plt.show()

# %% [markdown]
# ## Territory balance

# %%
m = card["territory_balance"]
display(HTML(hp.metric_header_html(m)))
if m.status not in ("n/a", "error"):
    hp.plot_territory_spread(m.table)
    plt.show()

# %% [markdown]
# ## CRM data quality

# %%
m = card["data_quality"]
display(HTML(hp.metric_header_html(m)))
if m.status not in ("n/a", "error"):
    hp.plot_trend(m)
    plt.show()
    display(styled(m.table).format({"completeness": "{:.1%}"}))

# %% [markdown]
# ## New-rep ramp
#
# Months until a hire cohort reaches full productivity, from won deals by tenure month
# through the sales cycle (exact grid posterior; `salesops_models.health.ramp`).

# %%
m = card["new_rep_ramp"]
display(HTML(hp.metric_header_html(m)))
if m.table is not None and len(m.table):
    hp.plot_ramp(m.table, m.band.healthy[1], m.band.watch[1])
    plt.show()
    display(
        styled(m.table.drop(columns=["graded", "p_over_6", "p_over_9"])).format(
            {c: "{:.1f}" for c in ("median", "mean", "p05", "p95")}
            | {c: "{:.0%}" for c in ("p_over_healthy", "p_over_watch")}
        )
    )

# %% [markdown]
# ## Sales cycle, velocity and win rate

# %%
for key in ("sales_cycle", "velocity", "win_rate"):
    m = card[key]
    display(Markdown(f"### {m.title}"))
    display(HTML(hp.metric_header_html(m)))
    if m.status not in ("n/a", "error"):
        display(HTML(hp.details_html(m)))
        hp.plot_trend(m)
        plt.show()

# %% [markdown]
# ## Compensation cost

# %%
m = card["comp_cost"]
display(HTML(hp.metric_header_html(m)))
if m.status not in ("n/a", "error"):
    hp.plot_trend(m)
    plt.show()
    display(HTML(hp.details_html(m)))

# %% [markdown]
# ## Selling time, process compliance and tool adoption
#
# From the activity log (calls, emails, meetings, tasks); not graded when the CRM logs none.
# The rep-productivity report has the detail.

# %%
m = card["selling_time"]
display(Markdown(f"### {m.title}"))
display(HTML(hp.metric_header_html(m)))
if m.status not in ("n/a", "error"):
    fig, axes = plt.subplots(1, 2, figsize=(12, 2.8))
    hp.plot_trend(m, ax=axes[0])
    hp.plot_groups(
        m.table, "selling_share", "selling time, % of working hours", m.band.healthy[0], axes[1]
    )
    plt.tight_layout()
    plt.show()
    display(HTML(hp.details_html(m)))
for key in ("process_compliance", "tool_adoption"):
    m = card[key]
    display(Markdown(f"### {m.title}"))
    display(HTML(hp.metric_header_html(m)))
    if m.status not in ("n/a", "error"):
        display(HTML(hp.details_html(m)))
        hp.plot_trend(m)
        plt.show()

# %% [markdown]
# ## Bands used
#
# From the band file; edit it to change what counts as healthy.

# %%
pd.DataFrame(
    [
        {
            "metric": c["title"],
            "healthy": c["band"].text(),
            "watch": c["band"].text("watch"),
            "second measure": c["also"]["name"] if "also" in c else "",
            "source": c.get("source", ""),
        }
        for c in cfg.values()
    ]
)
