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
# # 5. Comp plans: exact statements and what a plan costs
#
# A comp plan is a YAML file (measures, tiers, accelerators, caps, SPIFFs, draws,
# clawbacks, splits; `plans/`). Statements are computed to the cent, carrying paid-to-date,
# draws and clawbacks across periods and fiscal years; a Monte Carlo gives finance the cost
# distribution of a plan. About a minute.

# %%
# %matplotlib inline
import matplotlib.pyplot as plt
import numpy as np

import salesops_models as so
from salesops_models import comp
from salesops_models.comp import read_comp_inputs

crm = so.load_duckdb()
plan = comp.load_plan(so.config.PROJECT_ROOT / "plans" / "ae_standard.yml")
inputs, account = read_comp_inputs()
print("comp inputs in the store:", account)

# %% [markdown]
# ## The payout curve
# Pay at each attainment level: the tiers and accelerators in one picture.

# %%
comp.payout_curve(plan, [0.5, 0.75, 1.0, 1.25, 1.5, 2.0])

# %% [markdown]
# ## Exact statements for a quarter
# Integer cents; every line adds up to its rep's total.

# %%
res = comp.compute_statements(crm, plan, "2026-Q3", inputs)
q3 = res.for_period("2026-Q3")
q3.totals.head()

# %%
lines = q3.lines  # amounts are exact Decimals
by_rep = lines.groupby("rep_id")["amount"].sum()
assert (by_rep == q3.totals.set_index("rep_id")["total"]).all()  # lines add up to the cent
print(f"{len(lines):,} lines, total {sum(q3.totals['total']):,.2f}")

# %% [markdown]
# ## What the plan costs next year
# Simulate the year's attainment (the capacity Monte Carlo of tutorial 3) and apply the plan
# to every scenario: the cost distribution finance signs off on.

# %%
from salesops_models import capacity as cap

model = cap.ProductivityModel()  # the defaults: 4 chains x 1,000 draws
model.fit(crm, seed=5)
target = crm.trailing_bookings("2026-10-01") * 1.1
result = cap.capacity(crm, model, cap.CapacityPlan("2026-10", 12), target, draws=1000, seed=5)
quotas = cap.allocate_quotas(crm, result, model.rep_productivity(), target, buffer=0.1)
cost = comp.capacity_inputs(plan, result, quotas, seed=5).evaluate(plan)
cost  # a card: P10/P50/P90 of the total cost, cost of sales, shares by component

# %%
plt.hist(cost.total / 1e6, bins=50, color="#a5d6a7")
plt.axvline(np.median(cost.total) / 1e6, color="k", label="P50")
plt.xlabel("annual variable comp cost, $M")
plt.legend()
plt.show()

# %% [markdown]
# The `comp_cost` report compares two plans, stress scenarios and the plan's backtest;
# `salesops comp statements` writes the Excel workbook and payroll file.
