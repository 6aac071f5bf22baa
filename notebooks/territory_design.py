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
# # Territory design
#
# The current territories, a balanced and compact redesign (HiGHS LP with its lower bound), a
# minimal-disruption rebalancing with the list of moves, and "territory wars": the attainment
# the same strong rep would see in each territory, current vs proposed.

# %% tags=["parameters"]
source = "data/salesops.duckdb"  # DuckDB store, relative to the project root
segment = "Mid-Market"  # design the territories of one segment; empty: all accounts
k = 0  # number of territories; 0: as many as current owners
tolerance = 0.05  # potential of every territory within +/- this share of the mean
scenarios = 1000  # Monte Carlo scenarios of the territory simulation
skill = 1.3  # odds multiplier of the strong rep placed in each territory
seed = 7  # random seed of the simulation
exact_seconds = 3.0  # time limit of each exact (MIP) solve, seconds
frontier_points = 3  # designs on the distance-vs-disruption frontier

# %%
# %matplotlib inline
import html

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import HTML, Markdown, display

from salesops_models import territory as tt
from salesops_models.display import kpi_tiles_html
from salesops_models.exports import styled
from salesops_models.reports import context
from salesops_models.territory import plots

crm = context(source).crm
accounts, notes = tt.territory_accounts(crm, segment or None)
n_terr = k or accounts["current"].nunique()
display(
    Markdown(
        f"**{len(accounts):,} accounts** of segment {segment or 'all'} into **{n_terr} territories**, balance +/-{tolerance:.0%}."
        + "".join(f"\n- {html.escape(n)}" for n in notes)
    )
)
if n_terr == 1:
    display(
        Markdown(
            "**One territory:** the accounts have one current owner. Give the number of "
            "territories (`k`), or design over every account (`segment` empty)."
        )
    )
design = tt.design_territories(accounts, n_terr, tolerance=tolerance)
proposed = tt.match_labels(design.accounts)  # named after the territory it overlaps most
weights = tt.move_weights(crm, accounts)
rebalanced = tt.rebalance(
    accounts,
    "current",
    tolerance=tolerance,
    move_weight=weights,
    exact=True,
    time_limit=exact_seconds,
)
balance = {
    "current": tt.balance_metrics(accounts, "current"),
    "proposed": tt.balance_metrics(proposed, "territory", before="current"),
    "rebalanced": tt.balance_metrics(rebalanced.accounts, "territory", before="current"),
}
display(
    HTML(
        kpi_tiles_html(
            [
                (
                    "largest deviation today",
                    f"{balance['current']['max_deviation']:.0%}",
                    "",
                    f"of the mean potential; band +/-{tolerance:.0%}",
                ),
                (
                    "rebalanced: accounts moved",
                    f"{len(rebalanced.moves):,}",
                    "",
                    f"{balance['rebalanced']['disruption_potential']:.1%} of potential; "
                    f"largest deviation {balance['rebalanced']['max_deviation']:.1%}",
                ),
                (
                    "proposed: compactness",
                    f"{balance['proposed']['compactness_km']:,.0f} km",
                    "",
                    f"today {balance['current']['compactness_km']:,.0f} km; "
                    f"{balance['proposed']['disruption_accounts']:.0%} of accounts move",
                ),
                (
                    "proposed: gap to the bound",
                    f"{design.gap:.2%}",
                    "",
                    "LP lower bound for its centers",
                ),
            ]
        )
    )
)

# %% [markdown]
# ## Current territories

# %%
plots.plot_map(accounts, "current", "Current territories (size = potential)")
plt.show()
before = tt.territory_table(accounts, "current")
display(styled(tt.readable_balance({"current": balance["current"]})))

# %% [markdown]
# ## Proposed design (balanced and compact)

# %%
ptot = accounts["potential"].sum()
display(
    Markdown(
        f"Compactness {design.compactness / ptot:,.1f} km (potential-weighted mean distance to the center); "
        f"LP lower bound for these centers {design.lower_bound / ptot:,.1f} km: gap **{design.gap:.2%}**."
    )
)
plots.plot_map(proposed, "territory", "Proposed territories", design.centers)
plt.show()
display(styled(tt.readable_balance({k: balance[k] for k in ("current", "proposed")})))

# %% [markdown]
# ## Rebalancing with minimal disruption
# Keep today's territories (their centers stay where they are) and move as little as balance
# requires: an exact model (HiGHS MIP) minimizes the move weight of the accounts that change
# territory, subject to the hard +/- tolerance band on every territory's potential, then the
# distance at that move weight. An account's move weight is 1 + its open pipeline relative
# to the mean + years of relationship. Each solve stops at `exact_seconds`; the gap to the
# proven bound is shown.

# %%
after = tt.territory_table(rebalanced.accounts, "territory")
display(
    Markdown(
        f"Exact model: **{rebalanced.status}** (gap to the {rebalanced.bound_kind} "
        f"{rebalanced.gap:.2%}); **{len(rebalanced.moves)} moves**, move weight "
        f"{rebalanced.moves['move_weight'].sum():,.1f}."
    )
)
plots.plot_before_after(
    rebalanced.accounts.assign(before=accounts["current"].to_numpy()),
    "before",
    "territory",
    rebalanced.centers,
    ("Current territories", "Rebalanced (moved accounts ringed)"),
)
plt.show()
plots.plot_balance(before, after, tolerance)
plt.show()
display(styled(tt.readable_balance({k: balance[k] for k in ("current", "rebalanced")})))
display(
    styled(rebalanced.moves.sort_values("potential", ascending=False))
    .format(precision=2, thousands=",")
    .hide(axis="index")
)

# %% [markdown]
# ## Distance vs disruption
# The trade-off between a compact design and a quiet one: each point is an exact optimum of
# a weighted mix of the two (supported Pareto points, same bands and centers), from the most
# compact design to the least disruptive; the star is today's assignment.

# %%
frontier = tt.pareto_frontier(
    rebalanced.solution.problem,
    levels=frontier_points,
    method="weighted",
    time_limit=exact_seconds,
    rel_gap=1e-4,
)
prob = rebalanced.solution.problem
ptot = accounts["potential"].sum()
now = prob.evaluate(prob.current)
shown = frontier.assign(distance=frontier["distance"] / ptot)
label = "today" + (" (outside the bands)" if prob.violations(prob.current) else "")
plots.plot_frontier(
    shown, (now["distance"] / ptot, 0.0), unit="km, potential-weighted mean", current_label=label
)
plt.show()
display(
    styled(
        shown[["distance", "disruption", "moves", "status"]].rename(
            columns={"distance": "mean km (potential-weighted)", "disruption": "move weight"}
        )
    ).format({"mean km (potential-weighted)": "{:,.1f}", "move weight": "{:,.1f}"})
)

# %% [markdown]
# ## Territory wars: the same strong rep in every territory

# %%
runs = {
    "current": accounts.assign(territory=accounts["current"]),
    "rebalanced": rebalanced.accounts,
    "proposed": proposed,
}
wars = {
    name: tt.territory_wars(tt.account_rates(crm, a), draws=scenarios, skill=skill, seed=seed)
    for name, a in runs.items()
}
summaries = {name: w.by_territory() for name, w in wars.items()}
plots.plot_attainment_spread(summaries["current"], summaries["proposed"])
plt.show()
wars_table = pd.DataFrame({name: w.summary() for name, w in wars.items()})
display(
    styled(
        wars_table.rename(
            index={
                "structural_share": "share of attainment variance from the territory",
                "p50_worst_territory": "median attainment, worst territory",
                "p50_best_territory": "median attainment, best territory",
                "territories_p_at_quota_under_40pct": "territories with under 40% odds of quota",
            }
        ).T
    )
    .format(
        "{:.0%}",
        subset=[
            c
            for c in (
                "share of attainment variance from the territory",
                "median attainment, worst territory",
                "median attainment, best territory",
            )
        ],
    )
    .format("{:,.0f}", subset=["territories", "territories with under 40% odds of quota"])
)
