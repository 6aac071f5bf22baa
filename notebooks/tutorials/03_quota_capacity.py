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
# # 3. Quota and capacity: can this team make next year's number?
#
# A productivity model learns each rep's monthly bookings (hierarchical rep effect,
# seasonality, a shared period effect that moves everyone at once); a Monte Carlo then plays
# the plan year thousands of times with ramp (new hires reach full productivity in 3-6
# months), attrition and backfills, and allocates quotas. About a minute.

# %%
# %matplotlib inline
import matplotlib.pyplot as plt
import pandas as pd

import salesops_models as so
from salesops_models import capacity as cap
from salesops_models.capacity import plots

crm = so.load_duckdb()
start = "2026-10"
target = crm.trailing_bookings(pd.Period(start, freq="M").start_time) * 1.10  # last year +10%

# %%
model = cap.ProductivityModel()  # the defaults: 4 chains x 1,000 draws
idata = model.fit(crm, seed=2)
model.diagnostics().summary()

# %%
model.segment_productivity()

# %% [markdown]
# ## The plan year
# Two Mid-Market hires a quarter, 1.5% monthly attrition, a 4-month linear ramp.

# %%
hiring = pd.DataFrame(
    {"month": ["2026-10", "2027-01", "2027-04"], "segment": "Mid-Market", "hires": 2}
)
plan = cap.CapacityPlan(start, 12, hiring, 0.015, cap.linear_ramp(4))
result = cap.capacity(crm, model, plan, target, draws=2000, seed=2)
result  # a card: target, P10/P50/P90 bookings, P(reach target)

# %%
plots.plot_fan(result.fan())
plt.show()

# %% [markdown]
# ## Quotas
# Allocate the target to seats by each rep's productivity and territory, with a buffer;
# healthy plans put 60-85% of reps at quota.

# %%
quotas = cap.allocate_quotas(crm, result, model.rep_productivity(), target, buffer=0.1)
quotas[["seat", "name", "segment", "annual_quota", "quota_to_ote"]].head(10)

# %% [markdown]
# The `quota_capacity` report adds hiring scenarios, fairness and the plan's backtest.
# Next: `04_territories`.
