"""Productivity of a ramped rep: a hierarchical Bayesian model of monthly bookings with
seasonality and a shared quarter effect.

Data: for every AE and every full month in role after ramp (tenure >= ``ramped_after``
months), the rep's closed-won bookings of the month.

Model (hurdle-Gamma, partially pooled by segment g; m a month, q(m) its fiscal quarter,
c(m) its season: its month within the fiscal quarter by default, or its calendar month with
``model_config["seasonality"] = "calendar_month"``)::

    P(rep r books in month m)    = sigmoid(beta_r + kappa * a_gm)          (the hurdle)
    bookings | booked            ~ Gamma(shape k_g, mean exp(lam_r + a_gm)),  k_g = 1 / cv_g**2
    a_gm = season_c(m) + eps_q(m) + delta_g,q(m)       (shared by every rep of segment g)
    season ~ ZeroSumNormal(season_sd)   (3 months of a quarter, or 12 months; sum zero)
    eps_q = sd_period * z_q,  z_q ~ Normal(0, 1)       (non-centered)
    sd_period ~ HalfNormal(period_sd_scale)
    delta_g,q = sd_segment * z_gq,  z_gq ~ Normal(0, 1),  sd_segment ~ HalfNormal(period_sd_scale)
    lam_r = mu_g + tau_g * eta_r,  eta_r ~ Normal(0, 1)          (non-centered)
    mu_g ~ Normal(m0, mu_sd),  tau_g ~ HalfNormal(tau_scale),  cv_g ~ HalfNormal(cv_scale)
    beta_r = b_g + tau_b_g * xi_r,  xi_r ~ Normal(0, 1),  b_g ~ Normal(1, 2),
    tau_b_g ~ HalfNormal(booked_tau_scale),  kappa ~ Normal(1, 1)

``beta_r`` is rep r's log-odds of a booked month in an average quarter (``pi_r =
sigmoid(-beta_r)`` its share of months without bookings; ``pi`` per segment is the median
rep's), and ``kappa`` the *loading* of those odds on the shared effect: a good quarter
brings more deals to close, so more reps book at all (the Enterprise reps, who book in about
half their months, most) as well as larger booked months. Measured on the sample org's
ramped rep-months, the quarter's booked share (rep-demeaned) and its booked months' mean log
(rep-demeaned) correlate 0.78; with the hurdle fixed per segment, the model saw only the
amounts' half of a good or a bad quarter, and the plan backtest's intervals for team bookings
were too narrow (5 of 8 quarters covered).

``delta`` is a segment's own quarter effect on top of the org's (Enterprise can have a bad
quarter the SMB team does not see); the correlation of two segments' quarter effects is
``sd_period**2 / (sd_period**2 + sd_segment**2)``. ``m0`` is the log of the mean booked
month (a weakly data-informed location); ``lam_r`` is the log of rep r's mean booked month
and ``cv_g`` the month-to-month coefficient of variation of a segment's booked months.
Why a Gamma and not a lognormal: a booked month is
a sum of a few deals, whose distribution has a lighter upper tail than a lognormal with the
same log-scale; measured on the sample org's booked months (divided by their rep's mean),
the lognormal fitted on logs puts the 99th percentile at 7.1 / 5.6 / 3.7 x the mean
(Enterprise / Mid-Market / SMB) where the data have 4.2 / 3.8 / 2.5 and the Gamma 4.4 / 3.6
/ 2.6, and it overstates the mean by 4-8% (``exp(sigma**2 / 2)`` of a left-skewed log):
that tail made the plan backtest's comp cost too high, because accelerators pay on it.

The shared quarter effect is what ties reps together in a good or a bad quarter (a market shift, a
budget freeze): the capacity Monte Carlo draws one path of it per scenario and applies it to
every seat (:mod:`salesops_models.capacity.simulate`). Expected monthly bookings of rep r,
averaged over the calendar and the quarter effect:
``(1 - pi_r) * exp(lam_r + (sd_period**2 + sd_segment**2) / 2) * mean_c exp(season_c)``
(the covariance of the hurdle with the amount through ``kappa`` is left out: about
``pi_r (1 - pi_r) kappa (sd_period**2 + sd_segment**2)``, under 0.5% at the fitted scales).

Why month-within-quarter seasonality by default: with two years of history a calendar
month's effect is estimated from two months, each in a quarter with its own shock, so a
calendar seasonality absorbs the quarter shocks (a strong Q1 last year becomes "Q1 is
strong") and the shock scale comes out too small. The month-within-quarter pattern (the
quarter-end push) is measured inside every quarter and is not confounded with the shocks;
a quarter-of-year pattern is then part of the shared quarter effect. Measured on the sample
org's plan backtest (with lognormal months): with calendar-month seasonality the share of
reps at quota fell inside its 80% interval in 8 of 8 quarters but below the median in 6
(PITs 0.12-0.39: biased by last year's shocks), with month-within-quarter in 6 of 8 with
PITs spread from 0.04 to 0.92.

Sufficient statistics (the likelihood is exact, its cost does not grow with the number of
deals): with y a booked month divided by ``exp(m0)``, B the rep x month indicator of booked
months and Y the rep x month matrix of y (0 where not booked), per rep ``n_r`` booked months
and ``L_r = sum log y``, the Gamma log-likelihood of the reps of segment g is

    sum_r [ n_r (k log k - lgamma k) - k (n_r lam_r + sum_m B a) + (k - 1) L_r
            - k exp(-lam_r) sum_m Y exp(-a) ]

(``lam_r`` centered on ``m0``, ``a`` the rep's segment's row; the sum over months of the
Gamma log-density, tested against it; the two month sums are one pass over B and Y).
The hurdle is a Bernoulli per observed rep-month: ``sum O (B x - log(1 + exp(x)))`` with
``x = beta_r + kappa a`` and O the rep x month indicator of months in the data.

The model follows the pymc-marketing pattern: ``model_config`` / ``sampler_config`` merged
over defaults, ``fit(..., seed) -> InferenceData``, convergence checked on every fit,
save/load to netCDF with the configs in ``attrs``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import arviz as az
import numpy as np
import pandas as pd
import xarray as xr

from .. import config
from ..bayes import DEFAULT_SAMPLER_CONFIG as BASE_SAMPLER_CONFIG
from ..bayes import BayesModel, quiet
from ..crm import CRM
from ..draws import interval, interval_columns
from ..periods import FiscalCalendar
from .simulate import no_booking


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
    if not rows:
        raise ValueError(f"no AE was in role for a whole month between {first} and {last}")
    df = pd.concat(rows, ignore_index=True)
    key = pd.MultiIndex.from_arrays([df["rep_id"], df["month"]])
    df["bookings"] = won_m.reindex(key).fillna(0.0).to_numpy()
    return df


def history_start(crm: CRM, end=None, months: int | None = 24) -> pd.Timestamp:
    """First day of the history the productivity model learns from, as known at ``end``.

    Two rules, the later wins:

    * **warm-up**: a CRM's first months under-record bookings, because the deals that close
      then were mostly created before the data start (a new CRM, a migration, a generator
      that starts from an empty pipeline). The months before ``data_start + c95`` are left
      out, ``c95`` the value-weighted 95th percentile of the won deals' created-to-close
      days, measured on the deals closed in the later half of the history (the early half
      is biased toward short cycles by the same truncation);
    * **recency**: at most ``months`` months before ``end`` (productivity drifts: prices,
      products and markets change; None keeps the whole history).
    """
    end = pd.Timestamp(end or crm.data_end)
    start = pd.Timestamp(crm.data_start)
    o = crm.opportunities
    won = o[o["is_won"] & o["close_date"].notna() & o["created_date"].notna()]
    won = won[(won["close_date"] <= end) & (won["close_date"] >= start + (end - start) / 2)]
    if len(won):
        days = (won["close_date"] - won["created_date"]).dt.days.clip(lower=0).to_numpy()
        value = won["amount"].fillna(0).clip(lower=0).to_numpy()
        order = np.argsort(days, kind="stable")
        share = np.cumsum(value[order]) / max(value.sum(), 1e-9)
        c95 = int(days[order][min(np.searchsorted(share, 0.95), len(order) - 1)])
        start = start + pd.Timedelta(days=c95)
    if months is not None:
        start = max(start, (end + pd.Timedelta(days=1)) - pd.DateOffset(months=int(months)))
    return min(start, end)


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


def quarter_keys(months: pd.PeriodIndex, fiscal_year_start_month: int = 1) -> np.ndarray:
    """An integer per month, the same for the months of one fiscal quarter and increasing by
    one from a quarter to the next (months since 1970-01, shifted to the fiscal start, // 3)."""
    ordinal = np.asarray(pd.PeriodIndex(months, freq="M").asi8, dtype=np.int64)
    return (ordinal - (int(fiscal_year_start_month) - 1)) // 3


@dataclass
class ProductivityData:
    """What the productivity model is fitted on (see the module docstring).

    reps : per rep (row order = the model's ``rep`` dim): rep_id, segment, n, n_zero, n_pos,
        mean_log, ss_log, and ``log_sum`` (sum over booked months of log(bookings / exp(m0))
    months : the calendar months with data; ``calendar_month`` (0-11) and ``quarter`` (index
        into ``quarters``, fiscal quarter labels) of each
    booked : (reps, months) 1 where the rep booked in the month, else 0
    observed : (reps, months) 1 where the rep-month is in the data (in role, ramped), else 0
    scaled : (reps, months) bookings / exp(m0) where booked, else 0
    m0 : the log of the mean booked month
    """

    reps: pd.DataFrame
    months: pd.PeriodIndex
    calendar_month: np.ndarray
    quarter: np.ndarray
    quarters: list[str]
    booked: np.ndarray
    scaled: np.ndarray
    m0: float
    fiscal_year_start_month: int = 1
    observed: np.ndarray | None = None

    def observed_matrix(self) -> np.ndarray:
        """:attr:`observed` (built by :meth:`from_months`)."""
        if self.observed is None:
            raise ValueError("ProductivityData needs `observed`: build it with from_months()")
        return self.observed

    @classmethod
    def from_months(
        cls, months: pd.DataFrame, ramped_after: int = 6, fiscal_year_start_month: int = 1
    ) -> ProductivityData:
        """From a :func:`rep_months` table (``month`` a monthly ``Period``)."""
        need = {"rep_id", "segment", "month", "tenure_month", "bookings"}
        missing = need - set(months.columns)
        if missing:
            raise ValueError(
                f"rep-month table lacks columns {sorted(missing)} (see rep_months(crm))"
            )
        m = months[months["tenure_month"] >= ramped_after]
        if m.empty:
            raise ValueError(f"no rep-month at tenure >= {ramped_after} months: nothing to fit")
        if (m["bookings"] < 0).any() or m["bookings"].isna().any():
            raise ValueError("monthly bookings must be >= 0 and not missing")
        reps = sufficient_stats(months, ramped_after)
        cal = pd.PeriodIndex(m["month"], freq="M")
        month_index = pd.period_range(cal.min(), cal.max(), freq="M")
        r_pos = pd.Index(reps["rep_id"]).get_indexer(m["rep_id"])
        m_pos = month_index.get_indexer(cal)
        pos = m["bookings"].to_numpy() > 0
        logb = np.log(np.where(pos, m["bookings"].to_numpy(), 1.0))
        m0 = float(np.log(m["bookings"].to_numpy()[pos].mean())) if pos.any() else 0.0
        booked = np.zeros((len(reps), len(month_index)))
        scaled = np.zeros_like(booked)
        booked[r_pos[pos], m_pos[pos]] = 1.0
        observed = np.zeros_like(booked)
        observed[r_pos, m_pos] = 1.0
        scaled[r_pos[pos], m_pos[pos]] = np.exp(logb[pos] - m0)
        reps["log_sum"] = np.log(np.where(booked > 0, scaled, 1.0)).sum(axis=1)
        keys = quarter_keys(month_index, fiscal_year_start_month)
        cal_fy = FiscalCalendar(fiscal_year_start_month)
        first_of_quarter = {k: mo for k, mo in zip(keys[::-1], month_index[::-1], strict=True)}
        uniq = np.unique(keys)
        labels = [cal_fy.quarter(first_of_quarter[k].start_time).label for k in uniq]
        return cls(
            reps=reps,
            months=month_index,
            calendar_month=(month_index.month.to_numpy() - 1).astype(np.int64),
            quarter=np.searchsorted(uniq, keys),
            quarters=labels,
            booked=booked,
            scaled=scaled,
            m0=m0,
            fiscal_year_start_month=int(fiscal_year_start_month),
            observed=observed,
        )


DEFAULT_MODEL_CONFIG = {
    "ramped_after": 6,
    "tau_scale": 0.5,
    "cv_scale": 1.0,
    "mu_sd": 2.0,
    "season_sd": 0.3,
    "seasonality": "month_of_quarter",  # or "calendar_month"
    "period_sd_scale": 0.2,
    "booked_tau_scale": 0.5,
    "history_months": 24,  # learn from at most the last 24 months (None: all history)
}
# 0.95: the hurdle's loading multiplies the quarter effects, and at 0.9 two of three
# backtest fits needed the retry (r_hat of sd_period 1.011-1.017, up to 18 divergences);
# at 0.95 three of four passed first time (about 14 s a fit here instead of 30 with a retry)
DEFAULT_SAMPLER_CONFIG = BASE_SAMPLER_CONFIG | {"chains": 4, "target_accept": 0.95}


def segment_loglik(data: ProductivityData, seg, lam, a, shape, xp=np):
    """The Gamma log-likelihood of the booked months from the sufficient statistics (module
    docstring), summed over reps; ``lam`` centered on ``data.m0``, ``shape`` per rep (its
    segment's k), ``a`` the shared log effect per month (M,) or per rep and month (R, M). ``xp`` is ``numpy`` or ``pytensor.tensor``: the model and the test that
    checks it against the per-month sum of log-densities use this one function."""
    from scipy.special import gammaln

    st = data.reps
    n = st["n_pos"].to_numpy(dtype=float)
    log_sum = st["log_sum"].to_numpy()
    ba = xp.sum(data.booked * a, axis=1)  # (R,)
    ya = xp.sum(data.scaled * xp.exp(-a), axis=1)  # (R,)
    lgamma = gammaln if xp is np else xp.gammaln
    k = shape
    per_rep = (
        n * (k * xp.log(k) - lgamma(k))
        - k * (n * lam + ba)
        + (k - 1) * log_sum
        - k * xp.exp(-lam) * ya
    )
    return xp.sum(per_rep)


PARAMETER_WORDS = {
    "mu": "typical log bookings of a segment",
    "tau": "spread of reps within a segment",
    "cv": "month-to-month variation of a rep's booked months",
    "pi": "share of months without bookings",
    "booked_logit": "a segment's odds of a month with bookings",
    "booked_tau": "spread of reps' shares of months with bookings",
    "booked_eta": "a rep's own share of months with bookings",
    "booked_loading": "how much a good quarter raises the share of months with bookings",
    "eta": "a rep's own level",
    "season": "seasonality",
    "sd_period": "scale of the shared quarter effect",
    "sd_segment": "scale of a segment's own quarter effect",
    "z_segment": "a segment's own quarter effect",
    "z_period": "a quarter's shared effect",
}


class ProductivityModel(BayesModel):
    """Hierarchical hurdle-Gamma model of ramped monthly bookings with seasonality and a
    shared quarter effect that moves both parts of the hurdle (module docstring).

    Examples
    --------
    >>> from salesops_models.synthetic import generate_org
    >>> crm = generate_org(n_reps=20, years=2, seed=1).crm
    >>> model = ProductivityModel(sampler_config={"draws": 200, "tune": 200})
    >>> idata = model.fit(crm, seed=1)          # doctest: +SKIP
    >>> model.rep_productivity().head()                  # doctest: +SKIP
    >>> model.period_effects()                            # doctest: +SKIP
    """

    model_type = "productivity"
    default_model_config = DEFAULT_MODEL_CONFIG
    default_sampler_config = DEFAULT_SAMPLER_CONFIG
    free_parameters = (
        "mu", "tau", "cv", "booked_logit", "booked_tau", "booked_eta", "booked_loading",
        "eta", "season", "sd_period", "z_period", "sd_segment", "z_segment",
    )  # fmt: skip
    parameter_words = PARAMETER_WORDS

    def __init__(self, model_config: dict | None = None, sampler_config: dict | None = None):
        super().__init__(model_config, sampler_config)
        self.data: ProductivityData | None = None
        self.stats: pd.DataFrame | None = None
        self.segments: list[str] = []
        self.quarters: list[str] = []
        self.fiscal_year_start_month: int = config.FISCAL_YEAR_START_MONTH

    # --- seasonality ------------------------------------------------------------------------
    def _season_kind(self) -> str:
        kind = self.model_config.get("seasonality", "month_of_quarter")
        if kind not in ("month_of_quarter", "calendar_month"):
            raise ValueError(
                f"seasonality must be 'month_of_quarter' or 'calendar_month', not {kind!r}"
            )
        return kind

    def season_labels(self) -> list[str]:
        if self._season_kind() == "calendar_month":
            return [f"{m:02d}" for m in range(1, 13)]
        return ["1st month", "2nd month", "3rd month"]

    def season_index(self, months) -> np.ndarray:
        """The season (index into ``season``) of each month: its month within the fiscal
        quarter (0, 1, 2), or its calendar month (0-11)."""
        month = pd.PeriodIndex(months, freq="M").month.to_numpy()
        if self._season_kind() == "calendar_month":
            return (month - 1).astype(np.int64)
        return ((month - self.fiscal_year_start_month) % 3).astype(np.int64)

    # --- model ----------------------------------------------------------------------------
    def build_model(self, data: ProductivityData):
        import pymc as pm
        import pytensor.tensor as pt

        cfg = self.model_config
        self.data = data
        stats = data.reps
        self.stats = stats.drop(columns=["log_sum"]).reset_index(drop=True)
        self.segments = sorted(stats["segment"].dropna().unique())
        self.quarters = list(data.quarters)
        self.fiscal_year_start_month = data.fiscal_year_start_month
        seg = pd.Categorical(stats["segment"], categories=self.segments).codes
        if (seg < 0).any():
            raise ValueError("every rep needs a segment for the productivity model")
        coords = {
            "segment": self.segments,
            "rep": stats["rep_id"].to_numpy(),
            "season_of": self.season_labels(),
            "quarter": self.quarters,
        }
        with pm.Model(coords=coords) as model:
            mu = pm.Normal("mu", data.m0, cfg["mu_sd"], dims="segment")
            tau = pm.HalfNormal("tau", cfg["tau_scale"], dims="segment")
            cv = pm.HalfNormal("cv", cfg["cv_scale"], dims="segment")
            shape = pm.Deterministic("shape", 1.0 / cv**2, dims="segment")
            eta = pm.Normal("eta", 0.0, 1.0, dims="rep")
            season = pm.ZeroSumNormal("season", sigma=cfg["season_sd"], dims="season_of")
            sd_period = pm.HalfNormal("sd_period", cfg["period_sd_scale"])
            z_period = pm.Normal("z_period", 0.0, 1.0, dims="quarter")
            eps = pm.Deterministic("period_effect", sd_period * z_period, dims="quarter")
            lam = pm.Deterministic("lam", mu[seg] + tau[seg] * eta, dims="rep")
            sd_segment = pm.HalfNormal("sd_segment", cfg["period_sd_scale"])
            z_segment = pm.Normal("z_segment", 0.0, 1.0, dims=("segment", "quarter"))
            delta = pm.Deterministic(
                "segment_period_effect", sd_segment * z_segment, dims=("segment", "quarter")
            )
            a_gm = (season[self.season_index(data.months)] + eps[data.quarter])[None, :] + delta[
                :, data.quarter
            ]  # (G, M)
            a = a_gm[seg]
            booked_logit = pm.Normal("booked_logit", 1.0, 2.0, dims="segment")
            booked_tau = pm.HalfNormal("booked_tau", cfg["booked_tau_scale"], dims="segment")
            booked_eta = pm.Normal("booked_eta", 0.0, 1.0, dims="rep")
            kappa = pm.Normal("booked_loading", 1.0, 1.0)
            beta = booked_logit[seg] + booked_tau[seg] * booked_eta
            pi = pm.Deterministic("pi", pm.math.sigmoid(-booked_logit), dims="segment")
            pi_rep = pm.Deterministic("pi_rep", pm.math.sigmoid(-beta), dims="rep")
            x = beta[:, None] + kappa * a
            pm.Potential(
                "booked_or_not",
                pt.sum(data.observed_matrix() * (data.booked * x - pt.softplus(x))),
            )
            pm.Potential(
                "booked_months",
                segment_loglik(data, seg, lam - data.m0, a, shape[seg], xp=pt),
            )
            season_mean = pt.mean(pt.exp(season))
            shared_var = sd_period**2 + sd_segment**2
            pm.Deterministic(
                "expected_monthly",
                (1 - pi_rep) * pm.math.exp(lam + shared_var / 2) * season_mean,
                dims="rep",
            )
            pm.Deterministic(
                "segment_expected_monthly",
                (1 - pi) * pm.math.exp(mu + tau**2 / 2 + shared_var / 2) * season_mean,
                dims="segment",
            )
        self.model = model
        return model

    def prior_predictive(
        self, crm_or_data, as_of=None, *, samples: int = 500, seed: int = 0
    ) -> az.InferenceData:
        """Prior draws of the parameters and, in ``prior_predictive``, of the statistics the
        model observes: each rep's mean log booked month (``mean_log``, as
        :func:`sufficient_stats`) and share of months with bookings (``booked_share``)."""
        import warnings

        import pymc as pm
        from scipy.special import digamma, polygamma

        data = self._data(crm_or_data, as_of)
        model = self.build_model(data)
        with quiet(), model, warnings.catch_warnings():
            # the Potential is the likelihood; prior draws do not need it (said, not warned)
            warnings.filterwarnings("ignore", message="The effect of Potentials")
            prior = pm.sample_prior_predictive(samples, random_seed=seed)
        rng = np.random.default_rng(seed)
        p = prior.prior
        seg = pd.Categorical(data.reps["segment"], categories=self.segments).codes
        lam = p["lam"].to_numpy()[0]  # (draw, rep)
        org = (
            p["season"].to_numpy()[0][:, self.season_index(data.months)]
            + p["period_effect"].to_numpy()[0][:, data.quarter]
        )  # (draw, month)
        own = p["segment_period_effect"].to_numpy()[0][:, :, data.quarter][:, seg, :]
        a = org[:, None, :] + own  # (draw, rep, month)
        k = p["shape"].to_numpy()[0][:, seg]
        n_pos = data.reps["n_pos"].to_numpy()
        mean_a = (a * data.booked[None]).sum(axis=2) / np.maximum(n_pos, 1)
        # log of a Gamma(k, mean mu) month: log mu + digamma(k) - log k, variance trigamma(k)
        sd = np.sqrt(polygamma(1, k) / np.maximum(n_pos, 1))
        sim = lam + mean_a + digamma(k) - np.log(k) + sd * rng.standard_normal(lam.shape)
        sim = np.where(n_pos > 0, sim, np.nan)
        # the hurdle: each rep's share of observed months with bookings
        pi_rep = np.clip(p["pi_rep"].to_numpy()[0], 1e-12, 1 - 1e-12)  # (draw, rep)
        kappa = p["booked_loading"].to_numpy()[0][:, None, None]
        # P(booked) = sigmoid(logit(1 - pi) + kappa * a), the seat simulation's hurdle
        shift = (kappa * a).reshape(-1, a.shape[2])
        p_booked = 1 - no_booking(pi_rep.ravel(), shift).reshape(a.shape)
        obs = data.observed_matrix()
        n_obs = obs.sum(axis=1)
        share = (rng.random(p_booked.shape) < p_booked).astype(float)
        share = (share * obs[None]).sum(axis=2) / np.maximum(n_obs, 1)
        dims = ("chain", "draw", "rep")
        predictive = xr.Dataset(
            {"mean_log": (dims, sim[None]), "booked_share": (dims, share[None])},
            coords={"chain": [0], "draw": np.arange(sim.shape[0]), "rep": p.coords["rep"]},
        )
        if "prior_predictive" in prior.groups():
            del prior.prior_predictive
        prior.add_groups(prior_predictive=predictive)
        return prior

    def _data(self, crm_or_data, as_of=None) -> ProductivityData:
        if isinstance(crm_or_data, ProductivityData):
            return crm_or_data
        ramped = self.model_config["ramped_after"]
        if isinstance(crm_or_data, pd.DataFrame):
            if "month" not in crm_or_data.columns:
                raise ValueError(
                    "the productivity model needs the rep-month table (rep_months(crm)): "
                    "per-rep statistics cannot separate a rep's level from a good or bad quarter"
                )
            return ProductivityData.from_months(
                crm_or_data, ramped, self.model_config.get("fiscal_year_start_month", 1)
            )
        crm = crm_or_data
        end = pd.Timestamp(as_of) if as_of is not None else crm.data_end
        start = history_start(crm, end, months=self.model_config.get("history_months"))
        return ProductivityData.from_months(
            rep_months(crm, start=start, end=end), ramped, crm.fiscal_year_start_month
        )

    def fit(
        self, crm_or_data, as_of=None, *, seed: int = 0, progressbar: bool = False
    ) -> az.InferenceData:
        """Fit on a CRM (its history up to ``as_of``, default its last day), a
        :func:`rep_months` table or :class:`ProductivityData`."""
        import time

        t0 = time.perf_counter()
        data = self._data(crm_or_data, as_of)
        model = self.build_model(data)
        idata = self.sample(model, seed=seed, progressbar=progressbar)
        is_crm = isinstance(crm_or_data, CRM)
        return self.record_fit(
            idata,
            as_of=(as_of or crm_or_data.data_end) if is_crm else None,
            fingerprint=crm_or_data.fingerprint() if is_crm else None,
            started=t0,
        )

    # --- results ----------------------------------------------------------------------------
    def _flat(self, name: str) -> np.ndarray:
        return self.check_fitted().posterior[name].stack(sample=("chain", "draw")).to_numpy()

    def rep_productivity(self, cred: float = 0.9) -> pd.DataFrame:
        """Posterior expected monthly bookings per rep (mean and ``cred`` interval)."""
        em = self._flat("expected_monthly")
        lo, hi = interval(em, cred, axis=1)
        p_lo, p_hi = interval_columns(cred)
        return pd.DataFrame(
            {
                "rep_id": self.stats["rep_id"],
                "segment": self.stats["segment"],
                "months": self.stats["n"],
                "mean": em.mean(axis=1),
                p_lo: lo,
                p_hi: hi,
            }
        )

    def segment_productivity(self, cred: float = 0.9) -> pd.DataFrame:
        em = self._flat("segment_expected_monthly")
        lo, hi = interval(em, cred, axis=1)
        p_lo, p_hi = interval_columns(cred)
        return pd.DataFrame({"segment": self.segments, "mean": em.mean(axis=1), p_lo: lo, p_hi: hi})

    def period_effects(self, cred: float = 0.8) -> pd.DataFrame:
        """The shared effect of each fitted quarter as a multiplier of every rep's booked
        months (``exp(eps_q)``: 1.10 = a quarter 10% better for everyone), with ``cred``
        interval, and the scale ``sd_period`` in ``attrs``."""
        eps = self._flat("period_effect")
        lo, hi = interval(np.exp(eps), cred, axis=1)
        sd = self._flat("sd_period")
        slo, shi = interval(sd, cred)
        p_lo, p_hi = interval_columns(cred)
        out = pd.DataFrame(
            {"quarter": self.quarters, "multiplier": np.exp(eps).mean(axis=1), p_lo: lo, p_hi: hi}
        )
        out.attrs["sd_period"] = {"mean": float(sd.mean()), p_lo: float(slo), p_hi: float(shi)}
        sg = self._flat("sd_segment")
        glo, ghi = interval(sg, cred)
        out.attrs["sd_segment"] = {"mean": float(sg.mean()), p_lo: float(glo), p_hi: float(ghi)}
        if "booked_loading" in self.idata.posterior:
            kp = self._flat("booked_loading")
            klo, khi = interval(kp, cred)
            out.attrs["booked_loading"] = {
                "mean": float(kp.mean()),
                p_lo: float(klo),
                p_hi: float(khi),
            }
        return out

    def draws(self) -> dict[str, np.ndarray]:
        """Flattened posterior draws: lam, pi_rep (D, reps); mu, tau, shape, pi (D, segments);
        season (D, seasons: see :meth:`season_index`); sd_period, sd_segment, booked_loading
        (D,). A model saved before the rep-level hurdle has no pi_rep / booked_loading."""
        post = self.check_fitted().posterior.stack(sample=("chain", "draw"))
        names = ("lam", "pi_rep", "mu", "tau", "shape", "pi", "season", "sd_period",
                 "sd_segment", "booked_loading")  # fmt: skip
        return {k: post[k].transpose("sample", ...).to_numpy() for k in names if k in post}

    # --- persistence ----------------------------------------------------------------------
    def _save_attrs(self) -> dict:
        return {
            "stats": self.stats.to_json(orient="split"),
            "segments": json.dumps(self.segments),
            "quarters": json.dumps(self.quarters),
            "fiscal_year_start_month": self.fiscal_year_start_month,
        }

    def _restore(self, idata, crm=None) -> None:
        from io import StringIO

        self.stats = pd.read_json(StringIO(idata.attrs["stats"]), orient="split")
        self.segments = json.loads(idata.attrs["segments"])
        self.quarters = json.loads(idata.attrs.get("quarters", "[]"))
        self.fiscal_year_start_month = int(idata.attrs.get("fiscal_year_start_month", 1))
