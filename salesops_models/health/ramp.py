"""New-rep ramp per hire cohort, estimated from bookings by tenure month.

Model (a linear ramp seen through the sales cycle, Poisson counts, exact Bayesian posterior):

- a rep hired in calendar month 0 generates deals at ``lam_r * rho_R(j)`` in tenure month j,
  ``rho_R(j) = min(1, (j + 1/2) / (R + 1))`` for j >= 1 (the standard linear ramp to full
  productivity after R months; the hire month counts half), so **R is the ramp time in months**;
- a deal created in month j is won in month j + k with the segment's lag distribution
  ``c(k)`` (months from creation to close of won deals, taken from the org's won deals), so
  expected wins in tenure month m are ``lam_r * s(month) * g_R(m)``, with
  ``g_R(m) = sum_k c(k) rho_R(m - k)`` and ``s`` the monthly seasonality of won deals;
- won deals per rep-month ``y_rm ~ Poisson(lam_r s_m g_R(m))``; the full-productivity rate
  ``lam_r ~ Gamma(a_seg, b_seg)`` with (a, b) fitted by the method of moments to reps with
  ``ramped_after`` months of tenure (empirical Bayes, Poisson noise removed);
- ``lam_r`` integrates out exactly (Gamma-Poisson):
  ``log p(y_r | R) = sum_m y_m log w_m - log y_m! + a log b - lgamma(a) + lgamma(a + Y)
  - (a + Y) log(b + W)``, with ``w_m = s_m g_R(m)``, ``Y = sum y``, ``W = sum w``;
- reps of a cohort differ: ``R_r ~ Normal(mu_c, sigma)`` discretized on 0..``max_months``,
  ``sigma`` in {0.75, 1.5, 3} months (uniform, marginalized), ``mu_c`` uniform on
  0..``max_months`` (step 0.25). ``mu_c``, the cohort's ramp time, is reported: the
  posterior is computed on the grid, so it is exact (no sampling, no convergence to check),
  with its median, 90% credible interval and the probabilities of exceeding 6 and 9 months.

Bookings are counted as won deals (the amount adds noise, not information about timing).
Cohorts are hires by quarter, half-year or year of hire date; reps hired before the data
starts are the ramped reference. Benchmark: 3-6 months (most B2B orgs).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import gammaln

from ..crm import CRM
from ..draws import interval_columns, tails

MAX_MONTHS = 24


def cohort_label(dates: pd.Series, cohort: str = "half-year") -> pd.Series:
    """Hire cohort labels: ``2025-Q3`` (quarter), ``2025-H2`` (half-year) or ``2025``."""
    d = pd.to_datetime(dates)
    if cohort == "quarter":
        return d.dt.year.astype(str) + "-Q" + d.dt.quarter.astype(str)
    if cohort == "half-year":
        return d.dt.year.astype(str) + "-H" + np.where(d.dt.month <= 6, "1", "2")
    if cohort == "year":
        return d.dt.year.astype(str)
    raise ValueError("cohort must be 'quarter', 'half-year' or 'year'")


def ramp_curve(R: np.ndarray, months: np.ndarray) -> np.ndarray:
    """``rho_R(j)`` for every R (rows) and tenure month j (columns)."""
    R = np.asarray(R, float)[:, None]
    j = np.asarray(months, float)[None, :]
    rho = np.clip((j + 0.5) / (R + 1), 0.0, 1.0)
    return np.where(j == 0, 0.5 * rho, np.where(j < 0, 0.0, rho))


def won_lag(crm: CRM, as_of, max_lag: int = MAX_MONTHS) -> dict[str, np.ndarray]:
    """Per rep segment: distribution of months from creation month to close month of won
    deals (known by ``as_of``)."""
    snap = crm.as_of(as_of)
    won = snap[snap["is_won"]]
    seg = won["owner_rep_id"].map(crm.reps.set_index("id")["segment"]).fillna("(none)")
    lag = (
        won["close_date"].dt.year * 12
        + won["close_date"].dt.month
        - won["created_date"].dt.year * 12
        - won["created_date"].dt.month
    ).clip(0, max_lag)
    out = {}
    for s, k in lag.groupby(seg):
        c = np.bincount(k.to_numpy(int), minlength=max_lag + 1).astype(float)
        out[s] = c / c.sum()
    return out


def rep_month_wins(crm: CRM, as_of) -> pd.DataFrame:
    """Won deals per AE and whole calendar month in role up to the last complete month
    before ``as_of``. Columns: rep_id, segment, hire_date, month, tenure_month, wins."""
    as_of = pd.Timestamp(as_of)
    snap = crm.as_of(as_of)
    won = snap[snap["is_won"] & (snap["close_date"] <= as_of)]
    counts = won.groupby([won["owner_rep_id"], won["close_date"].dt.to_period("M")]).size()
    last = (as_of + pd.Timedelta(days=1)).to_period("M") - 1
    reps = crm.reps[(crm.reps["role"] == "AE") & crm.reps["hire_date"].notna()]
    first_data = crm.data_start.to_period("M")
    rows = []
    for r in reps.itertuples(index=False):
        hire = r.hire_date.to_period("M")
        start = max(hire + 1, first_data + 1)
        end = last
        if pd.notna(r.termination_date):
            end = min(end, r.termination_date.to_period("M") - 1)
        if end < start:
            continue
        months = pd.period_range(start, end, freq="M")
        rows.append(
            pd.DataFrame(
                {
                    "rep_id": r.id,
                    "segment": r.segment,
                    "hire_date": r.hire_date,
                    "month": months,
                    "tenure_month": [(m - hire).n for m in months],
                }
            )
        )
    if not rows:
        return pd.DataFrame(
            columns=["rep_id", "segment", "hire_date", "month", "tenure_month", "wins"]
        )
    df = pd.concat(rows, ignore_index=True)
    key = pd.MultiIndex.from_arrays([df["rep_id"], df["month"]])
    df["wins"] = counts.reindex(key).fillna(0).astype(int).to_numpy()
    return df


def _seasonality(df: pd.DataFrame) -> np.ndarray:
    """Wins per rep-month by calendar month of ramped reps, mean 1 (flat without data)."""
    if df.empty:
        return np.ones(12)
    m = df.groupby(df["month"].dt.month)["wins"].mean().reindex(range(1, 13))
    m = m.fillna(m.mean())
    return (m / m.mean()).to_numpy() if m.mean() > 0 else np.ones(12)


def _gamma_prior(ramped: pd.DataFrame, season: np.ndarray) -> tuple[float, float]:
    """Method-of-moments Gamma(a, b) for the full rate across reps, Poisson noise removed."""
    w = season[ramped["month"].dt.month.to_numpy() - 1]
    g = ramped.assign(w=w).groupby("rep_id").agg(y=("wins", "sum"), w=("w", "sum"))
    g = g[g["w"] >= 3]
    if len(g) == 0:
        return 1.0, 1.0
    rate = g["y"] / g["w"]
    mu = float(rate.mean())
    if mu <= 0:
        return 1.0, 1.0
    var = float(rate.var(ddof=1)) if len(g) > 1 else 0.0
    var = max(var - mu * float((1 / g["w"]).mean()), (0.1 * mu) ** 2)
    return mu**2 / var, mu / var


def rep_log_marginal(y: np.ndarray, w: np.ndarray, a: float, b: float) -> np.ndarray:
    """``log p(y | w)`` with ``y_m ~ Poisson(lam w_m)`` and ``lam ~ Gamma(a, b)`` integrated
    out exactly (Gamma-Poisson), for each row of ``w`` (shape: grid x months)."""
    w = np.atleast_2d(np.asarray(w, float))
    y = np.asarray(y, float)
    Y, W = y.sum(), w.sum(axis=1)
    return (
        (y[None, :] * np.log(np.maximum(w, 1e-300))).sum(axis=1)
        - gammaln(y + 1).sum()
        + a * np.log(b)
        - gammaln(a)
        + gammaln(a + Y)
        - (a + Y) * np.log(b + W)
    )


def fit_ramp(
    crm: CRM,
    as_of=None,
    *,
    cohort: str = "half-year",
    ramped_after: int = 18,
    max_months: int = MAX_MONTHS,
    cred: float = 0.9,
) -> tuple[pd.DataFrame, dict]:
    """Posterior of the ramp time R per hire cohort (see the module docstring).

    Returns (table, extras). The table has one row per cohort: cohort, hires, rep_months,
    max_tenure, median, mean, lo, hi (``cred`` interval), p_over_6, p_over_9; ``extras`` holds
    the posterior grid per cohort, the tenure curve (observed won deals per rep-month relative
    to full productivity, by tenure month), the lag distributions, the Gamma priors and each
    hire's likelihood inputs.

    Examples
    --------
    >>> from salesops_models.synthetic import generate_org
    >>> crm = generate_org(n_reps=30, years=3, seed=2).crm
    >>> table, _ = fit_ramp(crm, cohort="year")
    >>> bool((table["p05"] <= table["median"]).all())
    True
    """
    as_of = pd.Timestamp(as_of or crm.data_end)
    df = rep_month_wins(crm, as_of)
    p_lo, p_hi = interval_columns(cred)
    cols = ["cohort", "hires", "rep_months", "max_tenure", "median", "mean", p_lo, p_hi]
    if df.empty:
        return pd.DataFrame(columns=cols + ["p_over_6", "p_over_9"]), {}
    ramped = df[df["tenure_month"] >= ramped_after]
    season = _seasonality(ramped)
    lags = won_lag(crm, as_of, max_months)
    hires = df[df["hire_date"] >= crm.data_start].copy()
    hires["cohort"] = cohort_label(hires["hire_date"], cohort)
    grid = np.arange(max_months + 1)
    mu_grid = np.arange(0, max_months + 0.001, 0.25)
    sigmas = np.array([0.75, 1.5, 3.0])
    # p(R | mu, sigma), normalized over the R grid: (sigma, mu, R)
    kern = -0.5 * ((grid[None, None, :] - mu_grid[None, :, None]) / sigmas[:, None, None]) ** 2
    log_kern = kern - np.log(np.exp(kern).sum(axis=2, keepdims=True))
    rows, posts, curves, inputs = [], {}, [], []
    priors = {
        s: _gamma_prior(ramped[ramped["segment"] == s], season) for s in df["segment"].unique()
    }
    for label, c in hires.groupby("cohort", sort=True):
        logp = np.zeros((len(sigmas), len(mu_grid)))
        for (_rep, seg), r in c.groupby(["rep_id", "segment"]):
            a, b = priors.get(seg, (1.0, 1.0))
            lag = lags.get(seg, np.eye(1, max_months + 1)[0])
            t = r["tenure_month"].to_numpy()
            # g_R(m) = sum_k c(k) rho_R(m - k)
            k = np.arange(len(lag))
            rho = ramp_curve(grid, (t[:, None] - k[None, :]).ravel()).reshape(len(grid), len(t), -1)
            g = (rho * lag[None, None, :]).sum(axis=2)
            w = season[r["month"].dt.month.to_numpy() - 1][None, :] * g
            y = r["wins"].to_numpy()
            loglik = rep_log_marginal(y, w, a, b)
            inputs.append((label, _rep, y, w, a, b))
            # marginal over the rep's own R: log sum_R p(y_r | R) p(R | mu, sigma)
            z = loglik[None, None, :] + log_kern
            zmax = z.max(axis=2, keepdims=True)
            logp += (zmax + np.log(np.exp(z - zmax).sum(axis=2, keepdims=True)))[..., 0]
            mean_rate = a / b
            curves.append(
                pd.DataFrame(
                    {
                        "cohort": label,
                        "tenure_month": t,
                        "relative": y
                        / np.maximum(season[r["month"].dt.month.to_numpy() - 1] * mean_rate, 1e-12),
                    }
                )
            )
        post = np.exp(logp - logp.max()).sum(axis=0)  # marginalize sigma (uniform)
        post /= post.sum()
        cdf = np.cumsum(post)
        q = lambda p, cdf=cdf: float(mu_grid[np.searchsorted(cdf, p)])  # noqa: E731
        posts[label] = post
        rows.append(
            {
                "cohort": label,
                "hires": c["rep_id"].nunique(),
                "rep_months": len(c),
                "max_tenure": int(c["tenure_month"].max()),
                "median": q(0.5),
                "mean": float((mu_grid * post).sum()),
                p_lo: q(tails(cred)[0]),
                p_hi: q(tails(cred)[1]),
                "p_over_6": float(post[mu_grid > 6].sum()),
                "p_over_9": float(post[mu_grid > 9].sum()),
            }
        )
    table = pd.DataFrame(rows, columns=cols + ["p_over_6", "p_over_9"])
    curve = pd.concat(curves, ignore_index=True) if curves else pd.DataFrame()
    if len(curve):
        curve = curve.groupby(["cohort", "tenure_month"], as_index=False)["relative"].mean()
    return table, {
        "grid": mu_grid,
        "posterior": posts,
        "curve": curve,
        "lags": lags,
        "priors": priors,
        "inputs": inputs,  # per hire: (cohort, rep_id, wins y, expected shape w per R, a, b)
    }
