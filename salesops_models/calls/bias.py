"""Each forecaster's bias: a hierarchical Bayesian model of call / actual.

For forecaster ``f``, a quarter ``q`` that has ended and the call standing in week ``w`` of
it (``y = log(call / actual)``; the actual is the won bookings of the forecaster's scope)::

    y[f, q, w] = beta_f + h_w (u[f, q] + e[f, q, w])
    h_w = (14 - w) / 13                       (a call's noise shrinks to the quarter's end)
    u[f, q] ~ N(0, k s_f)                     (the judgment carried through a quarter)
    e[f, q, w] ~ N(0, s_f)                    (week-to-week noise)
    beta_f ~ N(mu_role, tau_role)             (partial pooling within a role)
    log s_f ~ N(log_s0, tau_s)

``exp(beta_f)`` is the **bias factor**: the median of call / actual (0.85 = calls 15% under,
a sandbagger; 1.15 = 15% over). ``u`` is integrated out per forecaster-quarter in closed
form (the weeks of a quarter share it: an equicorrelated normal, Sherman-Morrison), so the
likelihood reads six sufficient statistics per forecaster-quarter, never the calls one by
one. A manager is measured the same way on the team's actual: the bias of the number the
company runs on, after the reps' own biases.

Quarters whose actual is zero say nothing about a ratio and are left out (counted in
``data.notes``). "Sandbagging, or bad luck?" is answered by ``P(|bias factor - 1| > 5%)``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import arviz as az
import numpy as np
import pandas as pd

from ..bayes import DEFAULT_SAMPLER_CONFIG as BASE_SAMPLER_CONFIG
from ..bayes import BayesModel
from ..crm import CRM
from .data import scope_actuals, week_of_period

#: the five-percent band around an unbiased call
BAND = 0.05
#: P(|bias| > BAND) from which a forecaster is called biased (or accurate, at most 1 - it)
DECIDED = 0.8
ROLES = ("AE", "Manager")

DEFAULT_MODEL_CONFIG = {"category": "Most Likely", "min_calls": 3}
DEFAULT_SAMPLER_CONFIG = dict(BASE_SAMPLER_CONFIG) | {
    "draws": 1500,
    "tune": 1000,
    "chains": 2,
    "target_accept": 0.9,
}


@dataclass
class BiasData:
    """Sufficient statistics of call / actual per forecaster-quarter (see the module
    docstring) and the forecasters they belong to."""

    forecasters: pd.DataFrame  # forecaster_id, name, role, calls, quarters
    groups: pd.DataFrame  # f (index into forecasters), period, n, sz, szz, szh, sh, shh
    as_of: pd.Timestamp
    category: str
    notes: list[str] = field(default_factory=list)


def bias_data(crm: CRM, calls: pd.DataFrame, as_of=None, *, category="Most Likely", min_calls=3):
    """The data of the bias model: own calls of ``category`` known on ``as_of`` (default the
    data's last day), in periods that ended by then, the latest per forecaster and week."""
    as_of = pd.Timestamp(as_of if as_of is not None else crm.data_end).normalize()
    c = calls[(calls["kind"] == "own") & (calls["category"] == category)]
    c = c[c["submitted_at"] < as_of + pd.Timedelta(days=1)]
    ended = {p for p in c["period"].unique() if crm.period(p).end <= as_of}
    c = c[c["period"].isin(ended)].copy()
    notes: list[str] = []
    if c.empty:
        raise ValueError(
            f"no {category!r} calls in periods that ended by {as_of.date()}: the bias model "
            "needs at least one called quarter with its actual"
        )
    c["week"] = week_of_period(crm, c["submitted_at"], c["period"])
    c = c.sort_values("submitted_at", kind="stable").drop_duplicates(
        ["forecaster_id", "period", "week"], keep="last"
    )
    act = scope_actuals(crm, sorted(c["forecaster_id"].unique()), sorted(ended))
    c = c.merge(act, on=["forecaster_id", "period"], how="left")
    zero = (c["actual"] <= 0) | (c["amount"] <= 0)
    if zero.any():
        n_q = c.loc[zero, ["forecaster_id", "period"]].drop_duplicates().shape[0]
        notes.append(f"{n_q} forecaster-quarters left out: a zero actual or call has no ratio")
    c = c[~zero]
    per = c.groupby("forecaster_id").agg(calls=("amount", "size"), quarters=("period", "nunique"))
    few = per.index[per["calls"] < min_calls]
    if len(few):
        notes.append(f"{len(few)} forecasters with fewer than {min_calls} calls left out")
    c = c[~c["forecaster_id"].isin(few)]
    reps = crm.reps.set_index("id")
    ids = sorted(c["forecaster_id"].unique())
    role = reps["role"].reindex(ids).fillna("AE")
    f = pd.DataFrame(
        {
            "forecaster_id": ids,
            "name": reps["name"].reindex(ids).fillna(pd.Series(ids, index=ids)).to_numpy(),
            "role": np.where(role.to_numpy() == "AE", "AE", "Manager"),
            "calls": per["calls"].reindex(ids).to_numpy(),
            "quarters": per["quarters"].reindex(ids).to_numpy(),
        }
    )
    h = (14 - c["week"].to_numpy()) / 13
    z = np.log(c["amount"].to_numpy() / c["actual"].to_numpy()) / h
    stats = pd.DataFrame(
        {
            "f": pd.Categorical(c["forecaster_id"], categories=ids).codes,
            "period": c["period"].to_numpy(),
            "n": 1.0,
            "sz": z,
            "szz": z * z,
            "szh": z / h,
            "sh": 1 / h,
            "shh": 1 / h**2,
        }
    )
    groups = stats.groupby(["f", "period"], sort=True).sum().reset_index()
    return BiasData(f, groups, as_of, category, notes)


class ForecasterBiasModel(BayesModel):
    """Each forecaster's bias factor with its interval (module docstring).

    Examples
    --------
    >>> from salesops_models.synthetic import generate_org
    >>> org = generate_org(n_reps=12, years=2, seed=3)
    >>> calls, truth = org.forecast_calls()
    >>> model = ForecasterBiasModel()
    >>> idata = model.fit(org.crm, calls=calls, seed=1)          # doctest: +SKIP
    >>> model.accuracy().head()                                    # doctest: +SKIP
    """

    model_type = "forecaster_bias"
    default_model_config = DEFAULT_MODEL_CONFIG
    default_sampler_config = DEFAULT_SAMPLER_CONFIG
    free_parameters = ("mu", "tau", "beta", "log_s0", "tau_s", "log_s", "k")
    diagnosed_parameters = ("mu", "tau", "beta", "log_s0", "tau_s", "s", "k")
    parameter_words = {
        "mu": "the average bias of a role",
        "tau": "how much forecasters of a role differ in bias",
        "beta": "a forecaster's log bias factor",
        "log_s0": "the typical noise of a call",
        "tau_s": "how much forecasters differ in noise",
        "s": "a forecaster's noise",
        "k": "the quarter-long share of the noise",
    }

    def __init__(self, model_config: dict | None = None, sampler_config: dict | None = None):
        super().__init__(model_config, sampler_config)
        self.data: BiasData | None = None

    def build_model(self, data: BiasData):
        import pymc as pm
        import pytensor.tensor as pt

        f = data.forecasters
        g = data.groups
        role = np.array([ROLES.index(r) for r in f["role"]], dtype=np.int64)
        coords = {"forecaster": list(f["forecaster_id"]), "role": list(ROLES)}
        with pm.Model(coords=coords) as model:
            mu = pm.Normal("mu", 0.0, 0.2, dims="role")
            tau = pm.HalfNormal("tau", 0.2, dims="role")
            # centred: each forecaster's calls identify its own bias and noise well (weeks
            # x quarters of them), where a non-centred form mixes slowly (r_hat 1.18 on tau)
            beta = pm.Normal("beta", mu[role], tau[role], dims="forecaster")
            log_s0 = pm.Normal("log_s0", np.log(0.15), 0.7)
            tau_s = pm.HalfNormal("tau_s", 0.5)
            log_s = pm.Normal("log_s", log_s0, tau_s, dims="forecaster")
            s = pm.Deterministic("s", pt.exp(log_s), dims="forecaster")
            k = pm.HalfNormal("k", 1.0)
            fi = g["f"].to_numpy()
            n, sz, szz = (g[c].to_numpy() for c in ("n", "sz", "szz"))
            szh, sh, shh = (g[c].to_numpy() for c in ("szh", "sh", "shh"))
            b, se = beta[fi], s[fi]
            se2, su2 = se**2, (k * se) ** 2
            sr = sz - b * sh  # sum of r = z - beta / h
            srr = szz - 2 * b * szh + b**2 * shh  # sum of r^2
            big = se2 + n * su2
            loglik = -0.5 * ((n - 1) * pt.log(se2) + pt.log(big) + (srr - su2 * sr**2 / big) / se2)
            pm.Potential("calls", loglik.sum())
        return model

    def fit(
        self, crm: CRM, as_of=None, *, seed: int = 0, progressbar: bool = False, calls=None
    ) -> az.InferenceData:
        """Fit on the ``calls`` (the ``forecast_calls`` table: :func:`.data.read_calls`)
        known on ``as_of`` (default the data's last day)."""
        if calls is None:
            raise ValueError("calls are needed: read_calls(store) or org.forecast_calls()[0]")
        t0 = time.perf_counter()
        cfg = self.model_config
        self.data = bias_data(
            crm, calls, as_of, category=cfg["category"], min_calls=int(cfg["min_calls"])
        )
        idata = self.sample(self.build_model(self.data), seed=seed, progressbar=progressbar)
        return self.record_fit(
            idata, as_of=self.data.as_of, fingerprint=crm.fingerprint(), started=t0
        )

    def prior_predictive(
        self, crm: CRM, as_of=None, *, samples: int = 500, seed: int = 0, calls=None
    ) -> az.InferenceData:
        """Prior draws of the parameters and, in ``prior_predictive``, of the bias factor
        and of one late-quarter call / actual per forecaster (week 9, h = 5/13)."""
        import pymc as pm

        self.data = bias_data(crm, calls, as_of, category=self.model_config["category"])
        import warnings

        import xarray as xr

        rng = np.random.default_rng(seed)
        with self.build_model(self.data), warnings.catch_warnings():
            # the likelihood is a Potential: prior draws of the parameters do not need it
            warnings.filterwarnings("ignore", message="The effect of Potentials")
            prior = pm.sample_prior_predictive(samples, random_seed=seed)
        post = prior.prior
        beta = post["beta"].to_numpy()
        s = post["s"].to_numpy()
        k = post["k"].to_numpy()[..., None]
        h = 5 / 13
        y = beta + h * (rng.normal(size=beta.shape) * k * s + rng.normal(size=beta.shape) * s)
        dims = ("chain", "draw", "forecaster")
        coords = {d: post[d].to_numpy() for d in dims}
        pp = xr.Dataset(
            {"bias_factor": (dims, np.exp(beta)), "call_ratio_week9": (dims, np.exp(y))},
            coords=coords,
        )
        prior.add_groups(prior_predictive=pp)
        return prior

    # --- results ----------------------------------------------------------------------------
    def bias_draws(self) -> np.ndarray:
        """Posterior draws of each forecaster's bias factor ``exp(beta)``: (draws, forecasters)."""
        post = self.check_fitted().posterior
        return np.exp(post["beta"].stack(s=("chain", "draw")).transpose("s", ...).to_numpy())

    def accuracy(self, cred: float = 0.9) -> pd.DataFrame:
        """Per forecaster: id, name, role, number of calls and quarters, the bias factor's
        median with its ``cred`` interval (``p05``/``p95`` at 90%), ``P(|bias| > 5%)`` and
        the direction (sandbags, over-calls, accurate, or unclear)."""
        from ..draws import interval_columns

        b = self.bias_draws()
        lo_q, hi_q = (1 - cred) / 2, 1 - (1 - cred) / 2
        p_lo, p_hi = interval_columns(cred)
        out = self.data.forecasters.copy()
        out["bias_p50"] = np.median(b, axis=0)
        out[p_lo] = np.quantile(b, lo_q, axis=0)
        out[p_hi] = np.quantile(b, hi_q, axis=0)
        out["p_biased"] = (np.abs(b - 1) > BAND).mean(axis=0)
        under, over = (b < 1 - BAND).mean(axis=0), (b > 1 + BAND).mean(axis=0)
        out["direction"] = np.select(
            [under >= DECIDED, over >= DECIDED, out["p_biased"] <= 1 - DECIDED],
            ["sandbags", "over-calls", "accurate"],
            "unclear",
        )
        return out
