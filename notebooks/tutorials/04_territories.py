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
# # 4. Territories: balanced, compact, and changed as little as possible
#
# A territory design assigns accounts to territories so that potential is balanced (within a
# tolerance) and territories are compact (potential-weighted travel distance), solved as an
# exact mixed-integer program with HiGHS; rebalancing does the same while moving as little
# as possible. Under a minute.

# %%
# %matplotlib inline
import pandas as pd

import salesops_models as so
from salesops_models import territory as tt

crm = so.load_duckdb()
accounts, notes = tt.territory_accounts(crm, "Mid-Market")
print(len(accounts), "Mid-Market accounts;", "; ".join(notes) or "no notes")

# %%
pd.Series(tt.balance_metrics(accounts, "current")).to_frame("today").T.round(3)

# %% [markdown]
# ## A fresh design
# Same number of territories, potential within +-10% of the mean.

# %%
n_terr = accounts["current"].nunique()
design = tt.design_territories(accounts, n_terr, tolerance=0.10)
design  # a card: territories, balance, compactness, gap to the bound

# %% [markdown]
# ## Rebalancing with little disruption
# Keep today's territories, move only what is needed to get within +-10%.

# %%
weights = tt.move_weights(crm, accounts)
rebalanced = tt.rebalance(
    accounts, "current", tolerance=0.10, move_weight=weights, exact=True, time_limit=20
)
print(f"{len(rebalanced.moves)} accounts move")
pd.DataFrame(
    {
        "today": tt.balance_metrics(accounts, "current"),
        "rebalanced": tt.balance_metrics(rebalanced.accounts, "territory", before="current"),
    }
).T.round(3)

# %% [markdown]
# The `territory_design` report adds maps, the moves and "territory wars" simulations.
# Next: `05_comp_plans`.
