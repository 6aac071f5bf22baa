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
# # 1. Getting started: the CRM, as of any date
#
# The workbench reads a CRM into five tables (reps, accounts, opportunities, the field
# history of every opportunity, quotas) plus, when the CRM logs them, activities. Because
# every change is kept, the pipeline **as it stood on any past day** can be rebuilt exactly:
# that is what makes backtests and "what did we know then" questions honest.
#
# This tutorial uses the sample org (`make demo` or `salesops data generate` writes it to
# `data/salesops.duckdb`): a synthetic company of 60 AE seats over 3 years whose ground truth
# is known. About a minute to run.

# %%
# %matplotlib inline
import matplotlib.pyplot as plt

import salesops_models as so

crm = so.load_duckdb()  # data/salesops.duckdb
crm  # a card with the tables and the history's span

# %% [markdown]
# ## Periods and the as-of view
# Fiscal periods follow the org's fiscal-year start. `as_of` rebuilds every opportunity
# created by then in the state it had then (stage, amount, close date), with how long it had
# been untouched and how often its close date had been pushed.

# %%
q = crm.period("2026-Q3")
snap = crm.as_of("2026-06-30")
print(q, "|", len(snap), "opportunities existed on 2026-06-30")
snap[["id", "stage", "amount", "close_date", "push_count"]].head()

# %%
pipe = crm.pipeline("2026-06-30", q)  # open deals expected to close in Q3, as known on June 30
won = crm.bookings(q)  # what was actually booked in Q3
print(
    f"open pipeline dated in Q3 on June 30: {pipe['amount'].sum():,.0f}; booked in Q3: {won:,.0f}"
)

# %% [markdown]
# ## Pipeline coverage and hygiene
# Coverage is open pipeline over the target still to book (healthy: 3-4x). Hygiene counts
# stale deals (no change and no activity for 30 days) and past-due close dates.

# %%
cov = so.pipeline.coverage(crm, "2026-06-30", q, by="team")
so.pipeline.plots.plot_coverage(cov)
plt.show()
so.quality.hygiene_scorecard(crm, "2026-06-30")

# %% [markdown]
# ## Activities: where the time goes
# Selling time is customer-facing hours over working hours (healthy: 60%+), with an interval.

# %%
so.activities.selling_time(crm, "2026-04-01", "2026-06-30", by="team").head()

# %% [markdown]
# ## A fresh org, with its truth
# `generate_org` makes a new synthetic org in seconds; the same seed always gives the same
# tables. Its `truth` holds what generated it, so every model can be checked against it.

# %%
org = so.generate_org(n_reps=12, years=2, seed=3)
org.truth["opportunities"][["opportunity_id", "p_win", "will_win"]].head()

# %% [markdown]
# ## Your own Salesforce export
# A Data Loader export (User.csv, Account.csv, Opportunity.csv, OpportunityHistory.csv) loads
# with every row accounted for. Here the fresh org above is written as a real org's export
# looks (18-character ids, no coordinates, no quotas, no product field, role names instead of
# teams); the load's notes say what stood in for what and which columns nothing read.

# %%
import tempfile
from pathlib import Path

from salesops_models.loaders import load_salesforce
from salesops_models.synthetic.salesforce_export import write_salesforce_export

export = write_salesforce_export(org.crm, Path(tempfile.mkdtemp()) / "export")
loaded = load_salesforce(export)
print(loaded.summary.to_string(index=False))
for note in loaded.notes:
    print("-", note)

# %% [markdown]
# The notes name the fix for each gap: a column map (`--columns` on the command line,
# `columns=` here) for your own fields, `ote:` and `quota:` in a plan when the CRM has no pay
# data, `--target` for a forecast without quotas. Dates default to the export's last day:

# %%
mine = loaded.crm
print(mine.data_end.date(), mine.period("current quarter").label)
so.quality.completeness(mine)[["table", "field", "completeness", "in_source"]]

# %% [markdown]
# Next: `02_forecast` fits the Bayesian bookings forecast on this history.
