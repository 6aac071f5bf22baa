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
# # Rep productivity
#
# Where the sales team's time goes, from the CRM's activity log (calls, emails, meetings,
# tasks): **selling time** (customer-facing hours / working hours; healthy 60%+), the
# **activity mix**, **process compliance** (did deals meet the entry criteria of the stages
# they entered, `stage_criteria.yml`) and **tool adoption** (do reps log their work), by team
# and rep, with trends. Everything is computed as of the report date from what was logged by
# then.

# %% tags=["parameters"]
source = "data/salesops.duckdb"  # DuckDB store, relative to the project root
as_of = ""  # as-of date: YYYY-MM-DD or relative, e.g. end of last month; empty: the data's last day
reference = ""  # base date for relative dates: empty for today, or data_end
weeks = 13  # window of selling time, mix and adoption, in weeks up to the as-of date
months = 12  # months of selling-time trend
group_by = "team"  # team, region or segment
criteria = "stage_criteria.yml"  # stage entry criteria, relative to the project root
top_n = 20  # rows in the deal and rep tables

# %%
# %matplotlib inline
import html

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import HTML, Markdown, display

from salesops_models import activities as act
from salesops_models import config
from salesops_models.activities import plots as ap
from salesops_models.display import kpi_tiles_html, money
from salesops_models.exports import styled
from salesops_models.reports import context

ctx = context(source, as_of=as_of, reference=reference)
crm, when = ctx.crm, ctx.as_of
start = when - pd.Timedelta(weeks=weeks) + pd.Timedelta(days=1)
trend_start = (when - pd.DateOffset(months=months - 1)).to_period("M").start_time
plt.rcParams["figure.dpi"] = 90
has_log = crm.has_activities
display(
    Markdown(
        f"**{html.escape(ctx.source.name)}** ({html.escape(str(crm.meta.get('source', 'CRM')))}), "
        f"as of **{when.date()}**; the last {weeks} weeks ({start.date()} to {when.date()}); "
        + (
            f"{len(crm.activities_as_of(when)):,} activities logged by then."
            if has_log
            else "**this CRM logs no activities**: load Salesforce Task/Event or HubSpot "
            "activity exports with the CRM to fill this report."
        )
    )
)

# %% [markdown]
# ## Headline

# %%
if has_log:
    org = act.selling_time(crm, start, when, by=[], as_of=when)
    per_rep = act.selling_time(crm, start, when, by="rep_id", as_of=when)
    adoption = act.adoption_summary(crm, when, weeks)
    crit = act.load_criteria(config.PROJECT_ROOT / criteria)
    evaluated = act.evaluate_compliance(crm, when, criteria=crit, since=start)
    by_stage = act.compliance_summary(evaluated, "stage") if len(evaluated) else None
    o = org.iloc[0]
    healthy = act.HEALTHY_SELLING_SHARE
    tiles = [
        (
            "selling time",
            f"{o.selling_share:.1%}",
            "healthy" if o.selling_share >= healthy else "act",
            f"90%: {o.p05:.1%} to {o.p95:.1%}; healthy 60%+",
        ),
        (
            "AEs at 60%+",
            f"{int((per_rep['selling_share'] >= healthy).sum())} of {len(per_rep)}",
        ),
        (
            "customer-facing hours",
            f"{o.customer_facing_hours:,.0f}",
            "",
            f"of {o.working_hours:,.0f} working",
        ),
        (
            "AE-weeks logged",
            f"{adoption['weekly_logging_share']:.1%}",
            "healthy" if adoption["weekly_logging_share"] >= 0.9 else "watch",
            "healthy 90%+",
        ),
        (
            "activities per open deal",
            f"{adoption['activity_per_open_deal']:.1f}",
            "",
            "last 30 days",
        ),
        (
            "open deals untouched 30 days",
            f"{adoption['open_deals_without_activity_30d']:.0%}",
            "",
            f"of {adoption['open_deals']:,}",
        ),
    ]
    if by_stage is not None:
        for r in by_stage.itertuples(index=False):
            tiles.append(
                (
                    f"{r.stage} entries meeting criteria",
                    f"{r.share:.0%}",
                    "healthy" if r.share >= 0.9 else ("watch" if r.share >= 0.75 else "act"),
                    f"of {r.entries:,}",
                )
            )
    display(HTML(kpi_tiles_html(tiles)))

# %% [markdown]
# ## Selling time
#
# Customer-facing hours (calls, emails and external meetings logged, with durations that were
# not logged imputed by the type's mean) over working hours (`weekly_hours` of each rep, 40
# when empty, Monday-Friday while employed). Weeks in which a rep logged nothing are left
# out: they are gaps in logging, not weeks without selling (see tool adoption). Intervals are
# 90% (ratio estimator over rep-weeks, plus the imputation's uncertainty).

# %%
if has_log:
    by_group = act.selling_time(crm, start, when, by=group_by, as_of=when)
    fig, axes = plt.subplots(1, 2, figsize=(14, max(3, 0.3 * len(by_group) + 1)))
    ap.plot_selling_time(by_group, group_by, ax=axes[0])
    monthly = act.selling_time(crm, trend_start, when, by="month", as_of=when)
    ap.plot_selling_trend(monthly, ax=axes[1])
    axes[0].set_title(f"by {group_by}, last {weeks} weeks")
    axes[1].set_title("whole team, by month")
    plt.tight_layout()
    plt.show()
    pct = {c: "{:.1%}" for c in ("selling_share", "p05", "p95")}
    hours = {c: "{:,.0f}" for c in ("working_hours", "customer_facing_hours", "imputed_hours")}
    display(styled(by_group).format(pct | hours).hide(axis="index"))

# %% [markdown]
# ### By rep: the lowest and the highest

# %%
if has_log:
    names = crm.reps.set_index("id")[["name", group_by]]
    reps_t = per_rep.join(names, on="rep_id").sort_values("selling_share")
    cols = ["name", group_by, "selling_share", "p05", "p95", "logged_weeks", "unlogged_weeks"]
    half = max(1, top_n // 2)
    display(Markdown("Lowest:"))
    display(styled(reps_t[cols].head(half)).format(pct, na_rep="").hide(axis="index"))
    display(Markdown("Highest:"))
    display(styled(reps_t[cols].tail(half)[::-1]).format(pct, na_rep="").hide(axis="index"))

# %% [markdown]
# ## Activity mix
#
# Logged hours by type: customer-facing (calls, emails, meetings) and not (tasks, internal
# meetings), per AE and week of logged activity.

# %%
if has_log:
    acts = crm.activities_as_of(when)
    acts = acts[(acts["start"] >= start) & (acts["start"] < when + pd.Timedelta(days=1))]
    acts = acts[acts["rep_id"].isin(crm.reps.loc[crm.reps["role"] == "AE", "id"])]
    minutes, imputed = act.impute_durations(acts)
    hours = acts.assign(hours=minutes / 60.0, group=acts["rep_id"].map(names[group_by]))
    rep_weeks = by_group.set_index(group_by)["logged_weeks"]
    ap.plot_activity_mix(hours[["group", "type", "hours"]], "group", per=rep_weeks)
    plt.title(f"logged hours per AE per week, by {group_by}")
    plt.show()
    mix = act.time_by_type(crm, start, when)
    display(styled(mix).format({"hours": "{:,.0f}", "share_of_hours": "{:.1%}"}).hide(axis="index"))
    display(
        Markdown(
            "Durations imputed by type (mean of the logged ones): "
            + ", ".join(
                f"{t} {r.missing:,} of {r.activities:,} at {r.mean_minutes:.0f} min"
                for t, r in imputed.iterrows()
                if r.missing
            )
            + "."
        )
    )

# %% [markdown]
# ## Process compliance
#
# Each entry of a deal into a stage that has criteria (`stage_criteria.yml`), checked at the
# moment it entered: were the fields filled and the activities logged? A deal that skipped a
# stage is held to its criteria when it passes it.

# %%
if has_log and len(evaluated):
    display(
        styled(by_stage)
        .format({"share": "{:.1%}", "p05": "{:.1%}", "p95": "{:.1%}"})
        .hide(axis="index")
    )
    team_stage = act.compliance_summary(evaluated, [group_by, "stage"]).sort_values("share")
    display(
        styled(team_stage.head(top_n))
        .format({"share": "{:.1%}", "p05": "{:.1%}", "p95": "{:.1%}"})
        .hide(axis="index")
    )
    conv = act.conversion_by_compliance(
        act.evaluate_compliance(crm, when, criteria=crit, since=when - pd.DateOffset(years=1))
    )
    display(
        Markdown("Win rate of closed deals, criteria met or not (entries of the last 12 months):")
    )
    display(
        styled(conv)
        .format({"win_rate": "{:.1%}", "p05": "{:.1%}", "p95": "{:.1%}"})
        .hide(axis="index")
    )

# %% [markdown]
# ### Deals that advanced without their criteria (latest first)

# %%
if has_log and len(evaluated):
    bad = evaluated[~evaluated["compliant"]].sort_values("entered_at", ascending=False)
    bad = bad.assign(owner=bad["owner_rep_id"].map(crm.reps.set_index("id")["name"]))
    display(
        styled(
            bad[["opportunity_id", "owner", "stage", "entered_at", "missing", "outcome"]].head(
                top_n
            )
        ).hide(axis="index")
    )

# %% [markdown]
# ## Tool adoption
#
# Share of AEs employed the whole week who logged at least one activity, and the open deals
# nobody has worked lately (the stale rule of the pipeline-health report uses the same log:
# stale = no activity and no field change).

# %%
if has_log:
    weekly = act.weekly_logging(crm, when, weeks)
    ap.plot_weekly_logging(weekly)
    plt.title("AEs logging activity, by week")
    plt.show()
    low = (
        weekly.groupby("rep_id")
        .agg(weeks=("week", "size"), logged=("logged", "sum"), activities=("activities", "sum"))
        .assign(share=lambda d: d["logged"] / d["weeks"])
        .join(names, how="left")
        .sort_values(["share", "activities"])
    )
    display(Markdown("AEs who logged least:"))
    display(
        styled(
            low[low["share"] < 1].head(top_n)[
                ["name", group_by, "logged", "weeks", "share", "activities"]
            ]
        )
        .format({"share": "{:.0%}"})
        .hide(axis="index")
    )
    quiet = act.deal_activity(crm, when)
    quiet = quiet[quiet["activities_last_30d"] == 0].sort_values("amount", ascending=False)
    quiet = quiet.assign(owner=quiet["owner_rep_id"].map(crm.reps.set_index("id")["name"]))
    display(Markdown(f"Open deals without activity in 30 days ({len(quiet):,}), largest first:"))
    display(
        styled(
            quiet[
                [
                    "id",
                    "owner",
                    "stage",
                    "amount",
                    "close_date",
                    "last_activity_at",
                    "days_since_activity",
                ]
            ].head(top_n)
        )
        .format({"amount": money}, na_rep="none")
        .hide(axis="index")
    )
