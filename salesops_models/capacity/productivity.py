"""Productivity of a ramped rep: a hierarchical Bayesian model of monthly bookings.

Data: for every AE and every full month in role after ramp (tenure >= ``ramped_after``
months), the rep's closed-won bookings of the month.

Model (hurdle-lognormal, partially pooled by segment g)::

    P(no booking in a month)      pi_g    ~ Beta(1, 1)
    log bookings | booked        ~ Normal(lam_r, sigma_g)
    lam_r = mu_g + tau_g * eta_r,  eta_r ~ Normal(0, 1)         (non-centered)
    mu_g ~ Normal(m0, 2),  tau_g ~ HalfNormal(0.5),  sigma_g ~ HalfNormal(1.5)

with ``m0`` the mean log of all positive months (a weakly data-informed location).
Expected monthly bookings of rep r: ``(1 - pi_g) * exp(lam_r + sigma_g**2 / 2)``.

Sufficient statistics: per rep, n months, n without bookings, and over booked months the mean
and the within sum of squares of log bookings. For normal data the likelihood factorizes
exactly into ``mean ~ Normal(lam, sigma / sqrt(n))`` and
``SS ~ Gamma((n - 1) / 2, rate = 1 / (2 sigma**2))``, so fit time depends on the number of
reps, not on the length of the history.

The model follows the pymc-marketing pattern: ``model_config`` / ``sampler_config`` merged
over defaults, ``fit(..., seed) -> InferenceData``, convergence checked on every fit,
save/load to netCDF with the configs in ``attrs``.
"""

from __future__ import annotations

import json

import arviz as az
import numpy as np
import pandas as pd

from ..bayes import DEFAULT_SAMPLER_CONFIG as BASE_SAMPLER_CONFIG
from ..bayes import BayesModel, quiet
from ..crm import CRM
from ..draws import interval


def rep_months(crm: CRM, *, start=None, end=None) -> pd.DataFrame:
    """Closed-won bookings per AE and calendar month in role (zeros included).

    Only whole months the rep was employed for, between ``start`` and ``end`` (default: the
    whole history up to the data's last complete month). Columns: rep_id, segment, month,
    tenure_month (0 = month of hire), bookings.
    """
    end = pd.Timestamp(end or crm.data_end)
    reps = crm.reps[crm.reps["role"] == "AE"]
    o = crm.opportunities
    won = o[o["is_won"] & o["owner_rep_id"].isin(reps["id"])]
    won_m = (
        won.assign(month=won["close_date"].dt.to_period("M"))
        .groupby(["owner_rep_id", "month"])["amount"]
        .sum()
    )
    first = pd.Timestamp(start or crm.data_start).to_period("M") + 1
    last = (end + pd.Timedelta(days=1)).to_period("M") - 1
    months = pd.period_range(first, last, freq="M")
    rows = []
    for rep in reps.itertuples(index=False):
        hire = rep.hire_date.to_period("M") if pd.notna(rep.hire_date) else months[0]
        term = rep.termination_date.to_period("M") if pd.notna(rep.termination_date) else None
        # whole months only: strictly after the hire month, strictly before the leaving month
        ok = months[(months > hire) & ((months < term) if term is not None else True)]
        if len(ok) == 0:
            continue
        rows.append(
            pd.DataFrame(
                {
                    "rep_id": rep.id,
                    "segment": rep.segment,
                    "month": ok,
                    "tenure_month": [(m - hire).n for m in ok],
                }
            )
        )
    df = pd.concat(rows, ignore_index=True)
    key = pd.MultiIndex.from_arrays([df["rep_id"], df["month"]])
    df["bookings"] = won_m.reindex(key).fillna(0.0).to_numpy()
    return df


def sufficient_stats(months: pd.DataFrame, ramped_after: int = 6) -> pd.DataFrame:
    """Per rep: segment, n, n_zero, n_pos, mean and within-SS of log positive bookings."""
    m = months[months["tenure_month"] >= ramped_after]
    pos = m[m["bookings"] > 0].assign(logb=lambda d: np.log(d["bookings"]))
    g = m.groupby("rep_id").agg(
        segment=("segment", "first"),
        n=("bookings", "size"),
        n_zero=("bookings", lambda s: int((s <= 0).sum())),
    )
    lp = pos.groupby("rep_id")["logb"].agg(["size", "mean", "var"])
    g["n_pos"] = lp["size"].reindex(g.index).fillna(0).astype(int)
    g["mean_log"] = lp["mean"].reindex(g.index)
    g["ss_log"] = (lp["var"] * (lp["size"] - 1)).reindex(g.index).fillna(0.0)
    return g.reset_index()


DEFAULT_MODEL_CONFIG = {"ramped_after": 6, "tau_scale": 0.5, "sigma_scale": 1.5, "mu_sd": 2.0}
DEFAULT_SAMPLER_CONFIG = BASE_SAMPLER_CONFIG | {"chains": 4, "target_accept": 0.9}


class ProductivityModel(BayesModel):
    """Hierarchical hurdle-lognormal model of ramped monthly bookings (see module docstring).

    Examples
    --------
    >>> from salesops_models.synthetic import generate_org
    >>> crm = generate_org(n_reps=20, years=2, seed=1).crm
    >>> model = ProductivityModel(sampler_config={"draws": 200, "tune": 200})
    >>> idata = model.fit(crm, seed=1)          # doctest: +SKIP
    >>> model.rep_productivity().head()                  # doctest: +SKIP
    """

    model_type = "productivity"
    default_model_config = DEFAULT_MODEL_CONFIG
    default_sampler_config = DEFAULT_SAMPLER_CONFIG
    free_parameters = ("mu", "tau", "sigma", "pi", "eta")

    def __init__(self, model_config: dict | None = None, sampler_config: dict | None = None):
        super().__init__(model_config, sampler_config)
        self.stats: pd.DataFrame | None = None
        self.segments: list[str] = []

    # --- model ----------------------------------------------------------------------------
    def build_model(self, stats: pd.DataFrame):
        import pymc as pm

        cfg = self.model_config
        self.stats = stats.reset_index(drop=True)
        self.segments = sorted(stats["segment"].dropna().unique())
        seg = pd.Categorical(stats["segment"], categories=self.segments).codes
        if (seg < 0).any():
            raise ValueError("every rep needs a segment for the productivity model")
        pos = stats["n_pos"].to_numpy() > 0
        two = stats["n_pos"].to_numpy() >= 2
        m0 = (
            float(np.average(stats.loc[pos, "mean_log"], weights=stats.loc[pos, "n_pos"]))
            if pos.any()
            else 0.0
        )
        coords = {"segment": self.segments, "rep": stats["rep_id"].to_numpy()}
        with pm.Model(coords=coords) as model:
            mu = pm.Normal("mu", m0, cfg["mu_sd"], dims="segment")
            tau = pm.HalfNormal("tau", cfg["tau_scale"], dims="segment")
            sigma = pm.HalfNormal("sigma", cfg["sigma_scale"], dims="segment")
            pi = pm.Beta("pi", 1.0, 1.0, dims="segment")
            eta = pm.Normal("eta", 0.0, 1.0, dims="rep")
            lam = pm.Deterministic("lam", mu[seg] + tau[seg] * eta, dims="rep")
            pm.Binomial(
                "n_zero", n=stats["n"].to_numpy(), p=pi[seg], observed=stats["n_zero"].to_numpy()
            )
            n_pos = stats["n_pos"].to_numpy()
            pm.Normal(
                "mean_log",
                mu=lam[pos],
                sigma=sigma[seg[pos]] / np.sqrt(n_pos[pos]),
                observed=stats.loc[pos, "mean_log"].to_numpy(),
            )
            pm.Gamma(
                "ss_log",
                alpha=(n_pos[two] - 1) / 2.0,
                beta=1.0 / (2.0 * sigma[seg[two]] ** 2),
                observed=np.maximum(stats.loc[two, "ss_log"].to_numpy(), 1e-12),
            )
            pm.Deterministic(
                "expected_monthly",
                (1 - pi[seg]) * pm.math.exp(lam + sigma[seg] ** 2 / 2),
                dims="rep",
            )
            pm.Deterministic(
                "segment_expected_monthly",
                (1 - pi) * pm.math.exp(mu + tau**2 / 2 + sigma**2 / 2),
                dims="segment",
            )
        self.model = model
        return model

    def prior_predictive(self, crm_or_stats, samples: int = 500, seed: int = 0) -> az.InferenceData:
        """Prior draws of the parameters and of the observed summaries."""
        import pymc as pm

        model = self.build_model(self._stats(crm_or_stats))
        with quiet(), model:
            return pm.sample_prior_predictive(samples, random_seed=seed)

    def _stats(self, crm_or_stats) -> pd.DataFrame:
        if isinstance(crm_or_stats, pd.DataFrame):
            return crm_or_stats
        return sufficient_stats(rep_months(crm_or_stats), self.model_config["ramped_after"])

    def fit(self, crm_or_stats, seed: int = 0, progressbar: bool = False) -> az.InferenceData:
        """Fit on a CRM (or precomputed :func:`sufficient_stats`) with the configured sampler."""
        import time

        t0 = time.perf_counter()
        stats = self._stats(crm_or_stats)
        model = self.build_model(stats)
        idata = self.sample(model, seed=seed, progressbar=progressbar)
        is_crm = not isinstance(crm_or_stats, pd.DataFrame)
        return self.record_fit(
            idata,
            as_of=crm_or_stats.data_end if is_crm else None,
            fingerprint=crm_or_stats.fingerprint() if is_crm else None,
            started=t0,
        )

    # --- results ----------------------------------------------------------------------------
    def rep_productivity(self, cred: float = 0.9) -> pd.DataFrame:
        """Posterior expected monthly bookings per rep (mean and ``cred`` interval)."""
        em = (
            self.check_fitted()
            .posterior["expected_monthly"]
            .stack(sample=("chain", "draw"))
            .to_numpy()
        )
        lo, hi = interval(em, cred, axis=1)
        return pd.DataFrame(
            {
                "rep_id": self.stats["rep_id"],
                "segment": self.stats["segment"],
                "months": self.stats["n"],
                "mean": em.mean(axis=1),
                "lo": lo,
                "hi": hi,
            }
        )

    def segment_productivity(self, cred: float = 0.9) -> pd.DataFrame:
        em = (
            self.check_fitted()
            .posterior["segment_expected_monthly"]
            .stack(sample=("chain", "draw"))
            .to_numpy()
        )
        lo, hi = interval(em, cred, axis=1)
        return pd.DataFrame({"segment": self.segments, "mean": em.mean(axis=1), "lo": lo, "hi": hi})

    def draws(self) -> dict[str, np.ndarray]:
        """Flattened posterior draws: lam (D, reps), and mu, tau, sigma, pi (D, segments)."""
        post = self.check_fitted().posterior.stack(sample=("chain", "draw"))
        return {
            k: post[k].transpose("sample", ...).to_numpy()
            for k in ("lam", "mu", "tau", "sigma", "pi")
        }

    # --- persistence ----------------------------------------------------------------------
    def _save_attrs(self) -> dict:
        return {"stats": self.stats.to_json(orient="split"), "segments": json.dumps(self.segments)}

    def _restore(self, idata, crm=None) -> None:
        from io import StringIO

        self.stats = pd.read_json(StringIO(idata.attrs["stats"]), orient="split")
        self.segments = json.loads(idata.attrs["segments"])
