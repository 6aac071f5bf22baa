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
# # 2. Forecast a quarter's bookings, with honest intervals
#
# The forecast is a Bayesian model of how deals move between stages and how much they book
# (`salesops_models.forecast.model`), fitted on the history as of a date and simulated to
# the end of the period. Every fit is checked for convergence (r_hat <= 1.01, bulk ESS >= 400,
# no divergences) and says so. About a minute and a half (the first fit on a machine also
# compiles the model, once).

# %%
# %matplotlib inline
import matplotlib.pyplot as plt

import salesops_models as so
from salesops_models.forecast import BookingsForecastModel

crm = so.load_duckdb()
as_of, period = "2026-08-14", "2026-Q3"  # six weeks into the quarter

# %%
model = BookingsForecastModel()
idata = model.fit(crm, as_of, seed=1)
model.diagnostics().summary()

# %% [markdown]
# ## The forecast
# P10 / P50 / P90 of the quarter's bookings: what is already closed, plus what the open
# pipeline and deals not yet created will book by the quarter's end.

# %%
fc = model.forecast(period, seed=1)
fc  # a card: percentiles, closed so far, from open and new deals, expected slip

# %%
print(f"P(reach 20M) = {fc.p_reach(20e6):.0%}")
fc.rollup("region")

# %% [markdown]
# ## What happened
# The sample org is synthetic, so the quarter's real outcome is known: compare it with the
# forecast made six weeks in.

# %%
actual = crm.bookings(period)
lo, hi = fc.interval(0.8)
print(f"actual {actual:,.0f}; 80% interval {lo:,.0f} to {hi:,.0f}")
plt.hist(fc.total / 1e6, bins=60, color="#90caf9")
plt.axvline(actual / 1e6, color="k", label="actual")
plt.xlabel("bookings, $M")
plt.legend()
plt.show()

# %% [markdown]
# ## What if
# Edit the open pipeline and re-simulate on the same fit (no refit): drop the largest deal
# in Negotiation dated in the quarter and see how the forecast moves.

# %%
pipe = crm.pipeline(as_of, period)
late = pipe[pipe["stage"] == "Negotiation"].sort_values("amount")
big = late.iloc[-1]
without = model.what_if(period, exclude=[big["id"]], seed=1)
p50, p50_without = fc.quantiles((0.5,)).iloc[0], without.quantiles((0.5,)).iloc[0]
print(f"{big['id']} ({big['amount']:,.0f} in Negotiation): P50 {p50:,.0f} -> {p50_without:,.0f}")
print(f"expected from open deals {fc.from_open.mean():,.0f} -> {without.from_open.mean():,.0f}")

# %% [markdown]
# The `bookings_forecast` report shows all of this plus the backtest track record
# (`make backtest`). Next: `03_quota_capacity`.
