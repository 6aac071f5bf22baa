"""The Bayesian bookings forecast model (PyMC), fitted on sufficient statistics.

Bookings of a period ``[s, e]`` as of ``t`` (Clari / Salesforce forecasting convention of
"closed + expected from open pipeline + expected from pipeline not yet created")::

    bookings = closed-won so far in [s, t]
             + sum over open deals i of  1{won and closes in (t, e]} * amount_i at close
             + sum over deals created in (t, e] of 1{won and closes by e} * amount

Stage hazards (competing risks, piecewise exponential in time-in-stage)
-----------------------------------------------------------------------
While in open stage k, a deal leaves by *advancing* (to a later stage, or Closed Won from
the last stage reached) or by being *lost*, with hazards per day::

    log h_r = base[r, segment, stage, bin] + team[r, team] + rep[r, rep]
              + beta_type[r] + beta_push[r] + beta_size[r] + beta_call[r] + beta_age[r]
              + s_r * eps[quarter],                    r in {advance, lost}, s = (+1, -1)

    base[r, g, k, b] = mu[r, k, b] + sd_segment[r] * z[r, g, k, b]          (segment pooled)
    team[r, j] ~ Normal(0, sd_team[r]);  rep[r, i] ~ Normal(team of i, sd_rep[r])  (rep pooled)
    eps[q] ~ Normal(0, sd_period)    (shared period effect: correlates all deals of a quarter)

The past quarters' effects sum to zero (their mean is the baseline's); the current quarter's
is a new draw from ``Normal(0, sd_period)`` learned from its own deals as it goes, and a later
quarter's is simulated from the same distribution.

With exposure ``E`` (days at risk) of a cell, ``n_r ~ Poisson(E * h_r)`` is the exact
likelihood of the piecewise-exponential model with right-censoring (open deals contribute
exposure without an event). P(win) and the time to close are *derived* from these hazards by
simulation, so P(closes inside the period | won) is modelled, not assumed, and slippage into
the next period is a direct output. The cells' likelihood is fitted on sufficient
statistics: the event part ``sum n_r * eta_r`` needs only event totals per effect level, and
the exposure part ``sum E * exp(eta_r)`` with its gradient is one fused pass over the cells
(:mod:`.exposure_op`: a gradient of the log density 0.145 ms where the PyTensor gathers
took 0.54, sample org). Where the next stage goes
after an advance (including
skips and CRMs whose deals jump straight to Closed Won) follows a Dirichlet(1 + counts)
posterior of the observed transitions.

Amounts
-------
``log(won amount / amount in stage k) ~ Normal(mu_amt[k], sd_amt[k])`` (discounts and
revisions between a snapshot and signature), and won amounts of deals not yet created are
lognormal per segment (heavy right tail), pooled across segments. Both use the exact normal sufficient statistics
(``mean ~ Normal(mu, sd / sqrt(n))``, ``SS ~ Gamma((n - 1) / 2, 1 / (2 sd^2))``).

Arrivals
--------
Weekly creations per segment ``~ NegativeBinomial(mu, alpha)`` with
``log mu = a[g] + trend[g] * (years_before_cutoff - ybar) + season[month]``, season a
zero-sum month-of-year effect shared by the segments; ``a`` is the level at the middle
``ybar`` of the counted weeks (uncorrelated with the trend) and the level at the cutoff,
``a - trend * ybar``, is derived. Future deals then run through the same hazards.

The class follows the pymc-marketing pattern: ``model_config`` / ``sampler_config`` merged
over defaults, ``fit(..., seed) -> InferenceData``, convergence checked on every fit,
netCDF save/load with the configs, data fingerprint and as-of date in ``attrs``.
"""

from __future__ import annotations

import json

import arviz as az
import numpy as np
import pandas as pd

from ..bayes import DEFAULT_SAMPLER_CONFIG as BASE_SAMPLER_CONFIG
from ..bayes import BayesModel, NotFittedError, quiet
from ..crm import CRM
from .data import (
    COVARIATES,
    DURATION_EDGES,
    N_STAGES,
    TrainingData,
    build_training_data,
    covariate_patterns,
    make_levels,
    pattern_index,
)

#: the cell index rows the fused exposure op reads (base, pattern, rep, period level)
CELL_INDEX_ROWS = ("base", "pattern", "rep", "quarter")

RISKS = ("advance", "lost")

DEFAULT_MODEL_CONFIG = {
    "history_quarters": 4,  # quarters of stage exposure used (bounds fit cost); 0 = all
    "arrival_weeks": 104,  # weeks of creation counts used for arrivals
    # prior means of the log daily hazards: advance about 1/20 per day, lost about 1/90 (a
    # stage converts ~80% of the time, a deal from creation ~35%, with wide spread)
    "hazard_mu": [-3.0, -4.5],
    "hazard_sd": 1.5,
    "bin_sd": 0.5,  # deviation of a time-in-stage bin from its stage's level
    "segment_sd": 1.0,
    # Gamma(2, 2 / mean) priors on the pooling scales: boundary-avoiding (Chung et al. 2013),
    # so the sampler does not wander into the funnel's neck when an effect is tiny
    "team_sd": 0.1,
    "rep_sd": 0.15,
    "beta_sd": 0.5,
    "period_sd": 0.1,
    "amount_change_sd": 0.3,
    # how far a segment's typical won-deal size sits from the population's (log scale)
    "won_amount_segment_sd": 0.5,
    # a baseline hazard cell with at least this many events is sampled centered, with fewer
    # non-centered (see build_model)
    "dense_events": 5,
    # likewise a rep's effect: centered from this many events, where the data pin the effect
    # (sd ~ 1/sqrt(n)) below the smallest spread of reps we expect: 1/sqrt(1500) = 0.026.
    # The sample org's reps differ in advance speed by sd_rep ~0.04: centered from 400
    # events (1/sqrt(400) = 0.05, no tighter than the spread), the centered reps made a
    # funnel with sd_rep (bulk ESS 150-370 on early as-of dates, 10 of 24 backtest fits
    # retried); from 1,500 its bulk ESS was 800-1,060 on the same fits. Maven's 30 agents
    # (30-240 events) centered from 100 events: 9-40 divergences
    "dense_rep_events": 1500,
    # "cells": Poisson on sufficient statistics with the fused exposure op (default);
    # "gather": the same cells as PyTensor gathers from two outer sums (the implementation
    # before the fused op; benchmark baseline); "rows": one Poisson term per exposure piece
    # (the naive per-deal formulation, same posterior; benchmark baseline)
    "likelihood": "cells",
}
#: index spaces are padded to the next power of two, at least these (see
#: BookingsForecastModel.shapes): the sample org (3 segments, 13 teams, 85 reps) and the
#: Maven sample (4, 6, 30) share one graph, so one compiled model in a session (and on the
#: machine: :mod:`salesops_models.compile_cache`)
CAPACITY_FLOORS = {"segment": 4, "team": 16, "rep": 128}
#: how a fit got its compiled model (``compile_info["compiled_model"]``), in words
COMPILED_MODEL_WORDS = {
    "reused": "reused from this session",
    "disk": "loaded from this machine's compile cache",
    "compiled": "compiled",
    "pymc": "built for PyMC's sampler",
}
#: the blocks of the packed ``events`` array, in order
EVENT_BLOCKS = ("base", "rep", "quarter", "pattern")


def capacity(n: int, floor: int) -> int:
    """The smallest power of two >= ``n`` and >= ``floor``.

    >>> capacity(85, 128), capacity(130, 128), capacity(3, 4)
    (128, 256, 4)
    """
    return max(int(floor), 1 << max(0, int(n) - 1).bit_length())


#: posterior draws a forecast simulates by default (thinned evenly from the 4,000 of a
#: fit): the Monte Carlo error of its P10/P50/P90 is ~0.3% of bookings (sd / sqrt(2000)
#: for an interval of +-8%), and 2,000 took 2.5 s where 4,000 took 5.1 s (sample org)
FORECAST_DRAWS = 2000

# two chains of 2,000 draws after 300 tuning steps, one chain per core. The r_hat check
# over ~900 parameters needs ~4,000 draws (with 3,000 its maximum reached 1.010 by chance),
# and these come cheaper from two chains than from four: each chain tunes once (tuning takes
# ~24 leapfrog steps a draw against 15 after it), and nutpie's mass-matrix adaptation
# settles in 300 steps. Split r_hat compares the chains' four halves. Measured on the sample
# org (same run): 9-11 s with min bulk ESS 900 against 13.3 s for four chains of 1,000
# after 500 tuning steps (ESS 770)
DEFAULT_SAMPLER_CONFIG = dict(BASE_SAMPLER_CONFIG) | {"chains": 2, "tune": 300, "draws": 2000}


FREE_PARAMETERS = (
    "mu_stage",
    "z_bin",
    "sd_segment",
    "base_raw",
    "sd_team",
    "sd_rep",
    "z_team",
    "rep_raw",
    "sd_period",
    "z_period",
    "z_period_now",
    *(f"beta_{c}" for c in COVARIATES),
    "mu_amount_change",
    "sd_amount_change",
    "mu_won_amount_pop",
    "mu_won_amount",
    "log_sd_won_amount_pop",
    "log_sd_won_amount",
    "arrival_level_mid",
    "arrival_trend",
    "arrival_season",
    "arrival_log_alpha",
)


# checked for convergence: the quantities themselves where a free parameter is a cell of a
# mixed reparameterization (centered in some cells, a standard normal score in others)
DIAGNOSED_PARAMETERS = tuple(p for p in FREE_PARAMETERS if p not in ("base_raw", "rep_raw")) + (
    "base",
    "rep_effect",
)

PARAMETER_WORDS = {
    "mu_stage": "typical daily chance of a deal leaving each stage",
    "z_bin": "how that chance changes with time in the stage",
    "sd_segment": "how much segments differ in stage speed",
    "base": "stage speed of one segment, stage and time-in-stage",
    "sd_team": "how much teams differ in win and loss speed",
    "sd_rep": "how much reps differ in win and loss speed",
    "z_team": "one team's win and loss speed",
    "rep_effect": "one rep's win and loss speed",
    "sd_period": "how much quarters differ (the shared good/bad quarter effect)",
    "z_period": "one past quarter's shared effect (standardized)",
    "z_period_now": "the current quarter's shared effect (standardized)",
    "mu_amount_change": "typical change of a deal's amount by stage",
    "sd_amount_change": "spread of amount changes",
    "mu_won_amount_pop": "typical size of a won deal",
    "mu_won_amount": "typical size of a won deal in one segment",
    "log_sd_won_amount_pop": "spread of won-deal sizes",
    "log_sd_won_amount": "spread of won-deal sizes in one segment",
    "arrival_level_mid": "weekly new deals per segment",
    "arrival_trend": "growth of weekly new deals",
    "arrival_season": "month-of-year pattern of new deals",
    "arrival_log_alpha": "week-to-week noise of new deals",
    "beta_type": "effect of the opportunity type (new / expansion / renewal)",
    "beta_push": "effect of a pushed close date",
    "beta_size": "effect of deal size",
    "beta_call": "effect of the rep's forecast category",
    "beta_age": "effect of deal age",
}


def select_window(td: TrainingData, history_quarters: int) -> pd.DataFrame:
    """Cells of the last ``history_quarters`` quarters before the cutoff (0 = all)."""
    cells = td.cells
    if not history_quarters:
        return cells
    current = int(td.levels.quarter_index(np.array([td.cutoff_days - 1e-6]))[0])
    return cells[cells["quarter"] > current - history_quarters]


class BookingsForecastModel(BayesModel):
    """Hierarchical Bayesian model of deal outcomes, timing, amounts and arrivals.

    Examples
    --------
    >>> from salesops_models.synthetic import generate_org
    >>> crm = generate_org(n_reps=12, years=2, seed=3).crm
    >>> model = BookingsForecastModel(sampler_config={"draws": 200, "tune": 200})
    >>> idata = model.fit(crm, as_of="2026-08-15", seed=1)      # doctest: +SKIP
    >>> fc = model.forecast("2026-Q3", seed=2)                  # doctest: +SKIP
    >>> fc.quantiles()                                                 # doctest: +SKIP
    """

    model_type = "bookings_forecast"
    default_model_config = DEFAULT_MODEL_CONFIG
    default_sampler_config = DEFAULT_SAMPLER_CONFIG
    free_parameters = FREE_PARAMETERS
    diagnosed_parameters = DIAGNOSED_PARAMETERS
    parameter_words = PARAMETER_WORDS

    def __init__(self, model_config: dict | None = None, sampler_config: dict | None = None):
        super().__init__(model_config, sampler_config)
        self.data: TrainingData | None = None
        self.crm: CRM | None = None

    # --- data -------------------------------------------------------------------------------
    def training_data(self, crm: CRM, as_of) -> TrainingData:
        levels = make_levels(crm, through=pd.Timestamp(as_of) + pd.offsets.QuarterEnd(2))
        return build_training_data(crm, as_of, levels)

    @staticmethod
    def period_stages(td: TrainingData) -> tuple[int, ...]:
        """Stages the shared period effect acts on: those deals close from (any direct
        transition to Closed Won) and the stage before each (the quarter's late pipeline)."""
        closing = np.flatnonzero(td.transitions[:, -1] > 0)
        if len(closing) == 0:
            closing = np.array([N_STAGES - 1])
        return tuple(sorted(set(closing.tolist()) | {max(int(k) - 1, 0) for k in closing}))

    # --- model ------------------------------------------------------------------------------
    def shapes(self, lv) -> dict[str, int]:
        """The model's index-space sizes: the org's segments, teams and reps padded to
        capacities (:func:`capacity`), and the configured number of quarter slots. Two orgs
        in the same capacities have the same graph, so a model compiled for one serves the
        other (:meth:`compile_key`)."""
        return {
            "segment": capacity(len(lv.segments), CAPACITY_FLOORS["segment"]),
            "team": capacity(len(lv.teams), CAPACITY_FLOORS["team"]),
            "rep": capacity(len(lv.reps), CAPACITY_FLOORS["rep"]),
            "quarter": self.n_period_slots(lv),
        }

    def model_data(self, td: TrainingData) -> dict[str, np.ndarray]:
        """Every array the likelihood reads (``pm.Data``), so one compiled model is reused
        for every as-of date and every org of the same capacities.

        The arrays are packed into a few (nutpie compiles code per data array): ``events``
        (risk x [base cells, reps, quarter slots, covariate patterns]), ``amounts``
        ([n, has mean, has SS, mean, SS] x [stages, segments]), ``rep_maps`` (rep x [team
        one-hot, segment one-hot], zero rows for padding), ``centers`` and the cell and
        arrival arrays.
        """
        cfg = self.model_config
        if cfg["likelihood"] not in ("cells", "gather", "rows"):
            raise ValueError(
                f"model_config likelihood must be 'cells', 'gather' or 'rows', not "
                f"{cfg['likelihood']!r}"
            )
        lv = td.levels
        sh = self.shapes(lv)
        hq = sh["quarter"]
        if cfg["likelihood"] == "rows":
            if td.pieces is None:
                raise ValueError(
                    "the per-row likelihood needs build_training_data(keep_pieces=True)"
                )
            cells = select_window(
                TrainingData(**{**td.__dict__, "cells": td.pieces}), cfg["history_quarters"]
            )
            ps = self.period_stages(td)
            cells = cells.assign(
                quarter=np.where(cells["stage"].isin(list(ps)), cells["quarter"], -1)
            )
        else:
            cells = select_window(td, cfg["history_quarters"])
            cells = collapse_cells(cells, self.period_stages(td))
        current = int(lv.quarter_index(np.array([td.cutoff_days - 1e-6]))[0])
        first = current - hq + 1
        slot = cells["quarter"].to_numpy() - first
        cells = cells.assign(quarter=np.where((cells["quarter"] >= 0) & (slot >= 0), slot, -1))
        self.cells = cells
        self.period_slots = [
            lv.quarters[q] if 0 <= q < len(lv.quarters) else f"q{q}"
            for q in range(first, current + 1)
        ]
        idx = cell_indices(cells, sh["segment"], sh["rep"], hq)
        out: dict[str, np.ndarray] = {"cell_exposure": idx["exposure"]}
        if cfg["likelihood"] == "rows":
            out["row_index"] = np.stack([idx[k] for k in ("base", "rep", "quarter", "pattern")])
            out["row_events"] = np.stack([idx[f"n_{risk}"] for risk in RISKS])
        else:
            # base, pattern, rep, period level of each cell (range-checked by cell_indices:
            # the fused exposure op reads them unsigned; int32 halves what a gradient reads,
            # 64 us where int64 took 75, sample org); "gather": flat indices into the two
            # outer sums (base x pattern, rep x period)
            if cfg["likelihood"] == "gather":
                keys, dtype = ("base_pattern", "rep_quarter"), np.int64
            else:
                keys, dtype = CELL_INDEX_ROWS, np.int32
            out["cell_index"] = np.stack([idx[k] for k in keys]).astype(dtype)
        out["events"] = np.stack(
            [np.concatenate([idx[f"{risk}_by_{k}"] for k in EVENT_BLOCKS]) for risk in RISKS]
        )
        amounts = []
        for stats, width in ((td.amount_change, N_STAGES), (td.won_amounts, sh["segment"])):
            n = np.zeros(width)
            n[: len(stats)] = stats["n"].to_numpy(dtype=float)
            mean = np.zeros(width)
            mean[: len(stats)] = np.nan_to_num(stats["mean_log"].to_numpy(dtype=float))
            ss = np.zeros(width)
            ss[: len(stats)] = stats["ss_log"].to_numpy(dtype=float)
            amounts.append(
                np.stack(
                    [
                        np.maximum(n, 1.0),
                        (n >= 1).astype(float),
                        (n >= 2).astype(float),
                        mean,
                        np.maximum(ss, 1e-9),
                    ]
                )
            )
        out["amounts"] = np.concatenate(amounts, axis=1)
        arr = td.arrivals
        arr = arr[arr["years_before"] <= cfg["arrival_weeks"] * 7 / 365.25]
        out["arrival_index"] = np.stack(
            [arr["segment"].to_numpy(dtype=int), arr["month"].to_numpy(dtype=int)]
        ).reshape(2, -1)
        out["arrival_values"] = np.stack(
            [arr["years_before"].to_numpy(dtype=float), arr["count"].to_numpy(dtype=float)]
        ).reshape(2, -1)
        maps = np.zeros((sh["rep"], sh["team"] + sh["segment"]))
        reps = np.arange(len(lv.reps))
        maps[reps, lv.rep_team] = 1.0
        maps[reps, sh["team"] + lv.rep_segment] = 1.0
        out["rep_maps"] = maps
        wm = td.won_amounts["mean_log"]
        yrs = out["arrival_values"][0]
        out["centers"] = np.array(
            [
                float(wm.mean()) if wm.notna().any() else 10.0,
                np.log(max(arr["count"].mean(), 0.5)) if len(arr) else 0.0,
                float(yrs.mean()) if len(yrs) else 0.0,
            ]
        )
        return out

    def n_period_slots(self, lv) -> int:
        """Quarter slots of the period effect: ``history_quarters`` (slots before the data's
        first quarter stay empty, so an early as-of date has the same graph), or every
        quarter of the levels when ``history_quarters`` is 0."""
        hq = int(self.model_config["history_quarters"] or len(lv.quarters))
        return max(1, hq)

    def coords(self, lv) -> dict[str, list[str]]:
        """Coordinates of the padded index spaces (padding labelled ``(unused k)``; the
        posterior keeps only the org's own labels, see :meth:`_postprocess`)."""
        sh = self.shapes(lv)

        def pad(labels, size):
            return list(labels) + [f"(unused {k})" for k in range(1, size - len(labels) + 1)]

        hq = sh["quarter"]
        coords = {
            "risk": list(RISKS),
            "segment": pad(lv.segments, sh["segment"]),
            "stage": [f"stage{k}" for k in range(N_STAGES)],
            "bin": [f"{int(e)}d+" for e in DURATION_EDGES],
            "team": pad(lv.teams, sh["team"]),
            "rep": pad(lv.reps, sh["rep"]),
            "quarter": [f"slot{k}" for k in range(hq)],
            "past_quarter": [f"slot{k}" for k in range(hq - 1)],
            "month": [f"m{m + 1}" for m in range(12)],
        }
        for name, (_, levels, _) in COVARIATES.items():
            coords[f"{name}_level"] = list(levels)
        return coords

    def build_model(self, td: TrainingData):
        """The PyMC model for ``td``'s levels, reading ``model_data(td)`` through ``pm.Data``.

        The graph depends only on the capacities (:meth:`shapes`) and the model config: the
        org's rep -> team and rep -> segment maps are data too."""
        import pymc as pm
        import pytensor.tensor as pt

        from .exposure_op import exposure_term

        cfg = self.model_config
        lv = td.levels
        data = self.model_data(td)
        sh = self.shapes(lv)
        n_seg, n_team, n_rep, hq = sh["segment"], sh["team"], sh["rep"], sh["quarter"]
        n_bin = len(DURATION_EDGES)
        n_base = n_seg * N_STAGES * n_bin
        n_pattern = len(next(iter(covariate_patterns().values())))
        coords = self.coords(lv)
        sign = np.array([1.0, -1.0])
        patterns = covariate_patterns()
        # check_bounds=False: no parameter-validity switches in the log density (every scale
        # is sampled on the log scale, so none can be invalid); they were 41 of its 415 nodes
        # and ~10% of a gradient (0.136 ms against 0.152, sample org)
        with pm.Model(coords=coords, check_bounds=False) as model:
            d = {k: pm.Data(k, v) for k, v in data.items()}
            # the packed arrays, unpacked (constant offsets: the capacities fix them)
            ev = d["events"]
            o_rep = n_base
            o_q = o_rep + n_rep
            o_pat = o_q + hq + 1
            by = {
                "base": ev[:, :o_rep],
                "rep": ev[:, o_rep:o_q],
                "quarter": ev[:, o_q:o_pat],
                "pattern": ev[:, o_pat : o_pat + n_pattern],
            }
            team_onehot = d["rep_maps"][:, :n_team]  # (rep, team)
            seg_onehot = d["rep_maps"][:, n_team:]  # (rep, segment)
            won_amount_center, arrival_center, arrival_years_mean = (
                d["centers"][0],
                d["centers"][1],
                d["centers"][2],
            )
            # population hazard curve over time in stage: a stage level plus bin deviations
            # (correlated across bins, so the prior allows short and very long stages alike)
            mu_stage = pm.Normal(
                "mu_stage",
                np.asarray(cfg["hazard_mu"], dtype=float).reshape(-1, 1) * np.ones((2, 1)),
                cfg["hazard_sd"],
                dims=("risk", "stage"),
            )
            # zero-sum over the bins: mu_stage is the mean of its bins' levels, so it has no
            # ridge with the bin deviations (a free z_bin left mu_stage at bulk ESS ~200)
            z_bin = pm.ZeroSumNormal("z_bin", sigma=1.0, dims=("risk", "stage", "bin"))
            mu = pm.Deterministic(
                "mu", mu_stage[:, :, None] + cfg["bin_sd"] * z_bin, dims=("risk", "stage", "bin")
            )
            sd_seg = pm.HalfNormal("sd_segment", cfg["segment_sd"], dims="risk")
            # the segment x stage x bin baselines, parameterized by their data: centered where
            # a cell has enough events to pin it down, non-centered where it has few or none
            # (an unused stage of another picklist, a rare bin); a centered empty cell is
            # Neal's funnel with sd_segment (Maven: r_hat 1.016, bulk ESS 169). One variable
            # per cell whatever its form (``base_raw``: Normal(mu, sd) where dense, the
            # standard normal z of mu + sd z where sparse), so shapes do not depend on the data
            # (one compiled model for a backtest). Two variables per cell, one of them unused
            # (a decoupled standard normal), gave NUTS 240 dimensions with nothing to learn.
            dims4 = ("risk", "segment", "stage", "bin")
            # 1 where the cell is data-rich
            dense = pt.cast(pt.ge(by["base"], cfg["dense_events"]), "float64").reshape(
                (2, n_seg, N_STAGES, n_bin)
            )
            mu4 = mu[:, None, :, :] + pm.math.zeros((2, n_seg, 1, 1))
            sd4 = sd_seg[:, None, None, None] + pm.math.zeros_like(mu4)
            base_raw = pm.Normal(
                "base_raw",
                dense * mu4,
                dense * sd4 + (1 - dense),
                dims=dims4,
            )
            base = pm.Deterministic(
                "base", dense * base_raw + (1 - dense) * (mu4 + sd4 * base_raw), dims=dims4
            )
            sd_team = pm.Gamma("sd_team", 2.0, 2.0 / cfg["team_sd"], dims="risk")
            sd_rep = pm.Gamma("sd_rep", 2.0, 2.0 / cfg["rep_sd"], dims="risk")
            z_team = pm.Normal("z_team", 0, 1, dims=("risk", "team"))
            team_part = sd_team[:, None] * pm.math.dot(z_team, team_onehot.T)
            # (the team part is added, not the rep's prior mean: where a segment is one team,
            # the segment centering below removes it, and it must then stay decoupled)
            # a rep's deviation from the team: centered for reps whose many events pin it
            # down (non-centered, a ridge with sd_rep: the recovery data's 2,000 deals a rep
            # gave r_hat 1.03), non-centered for new or quiet reps (centered: a funnel)
            # (one variable per rep in either form, as for the baselines)
            rep_dense = pt.cast(pt.ge(by["rep"], cfg["dense_rep_events"]), "float64")
            rep_raw = pm.Normal(
                "rep_raw",
                0.0,
                rep_dense * sd_rep[:, None] + (1 - rep_dense),
                dims=("risk", "rep"),
            )
            raw = team_part + (rep_dense + (1 - rep_dense) * sd_rep[:, None]) * rep_raw
            # centered within each segment: the segment's baseline hazards carry its mean, so
            # the rep effects have no ridge with `base` (a diagonal mass matrix suffices)
            # (padding reps have no segment: outside every mean, left as drawn)
            seg_mean = pm.math.dot(raw, seg_onehot / pm.math.maximum(seg_onehot.sum(0), 1.0))
            rep_eff = pm.Deterministic(
                "rep_effect", raw - pm.math.dot(seg_mean, seg_onehot.T), dims=("risk", "rep")
            )
            sd_q = pm.Gamma("sd_period", 2.0, 2.0 / cfg["period_sd"])
            # zero-sum: the quarters' mean is the late stages' baseline (no ridge with `base`);
            # non-centered: on an org without quarter effects (the recovery data) sd_period
            # heads to 0, where the centered form is a funnel (515 divergences, r_hat 1.22)
            # The zero sum runs over the past quarters only; the current quarter (the last
            # slot, the one being forecast) is a new draw N(0, sd_period), learned from its
            # own deals as the quarter goes on. Inside the zero sum, the current quarter's
            # effect at day 1 (no data) was minus the sum of the past ones: three good
            # quarters forced a bad one.
            if hq > 1:
                z_past = pm.ZeroSumNormal("z_period", sigma=1.0, dims="past_quarter")
            else:
                z_past = pm.math.zeros(0)
            z_now = pm.Normal("z_period_now", 0.0, 1.0)
            z_q = pm.math.concatenate([z_past, z_now[None]])
            eps = pm.Deterministic("period_effect", sd_q * z_q, dims="quarter")
            eps_pad = pm.math.concatenate([eps, pm.math.zeros(1)])  # last slot: no effect
            pattern_terms = []
            for name, (_, levels, ref) in COVARIATES.items():
                free = pm.Normal(f"beta_{name}", 0, cfg["beta_sd"], shape=(2, len(levels) - 1))
                zeros = pm.math.zeros((2, 1))
                full = pm.math.concatenate([free[:, :ref], zeros, free[:, ref:]], axis=1)
                pm.Deterministic(f"effect_{name}", full, dims=("risk", f"{name}_level"))
                pattern_terms.append(full[:, patterns[name]])
            pattern_eff = sum(pattern_terms)  # (risk, pattern)
            base_flat = base.reshape((2, -1))
            loglik = 0.0
            for r, risk in enumerate(RISKS):
                if cfg["likelihood"] == "rows":  # naive: one Poisson term per exposure piece
                    ri = d["row_index"]
                    eta = (
                        base_flat[r][ri[0]]
                        + rep_eff[r][ri[1]]
                        + sign[r] * eps_pad[ri[2]]
                        + pattern_eff[r][ri[3]]
                    )
                    pm.Poisson(
                        f"n_{risk}",
                        mu=d["cell_exposure"] * pm.math.exp(eta),
                        observed=d["row_events"][r],
                    )
                    continue
                if cfg["likelihood"] == "gather":  # the exposure part by gathers
                    bp = (base_flat[r][:, None] + pattern_eff[r][None, :]).ravel()
                    rq = (rep_eff[r][:, None] + sign[r] * eps_pad[None, :]).ravel()
                    eta = bp[d["cell_index"][0]] + rq[d["cell_index"][1]]
                    loglik = loglik - pm.math.sum(d["cell_exposure"] * pm.math.exp(eta))
                # the event part: linear in the effects, so only event totals per level
                loglik = loglik + (
                    pm.math.dot(base_flat[r], by["base"][r])
                    + pm.math.dot(rep_eff[r], by["rep"][r])
                    + sign[r] * pm.math.dot(eps_pad, by["quarter"][r])
                    + pm.math.dot(pattern_eff[r], by["pattern"][r])
                )
            if cfg["likelihood"] == "cells":
                # the exposure part, sum_k sum_c E_c exp(eta_kc), and its gradient in one
                # fused pass over the cells (see .exposure_op)
                loglik = (
                    loglik
                    - exposure_term(
                        base_flat,
                        pattern_eff,
                        rep_eff,
                        sign[:, None] * eps_pad[None, :],
                        d["cell_exposure"],
                        d["cell_index"],
                    )[0]
                )
            if cfg["likelihood"] != "rows":
                pm.Potential("stage_hazard_loglik", loglik)
            # amount change from stage amount to won amount
            mu_ac = pm.Normal("mu_amount_change", 0, cfg["amount_change_sd"], dims="stage")
            sd_ac = pm.HalfNormal("sd_amount_change", 0.5, dims="stage")
            _normal_stats(pm, "amount_change", d["amounts"][:, :N_STAGES], mu_ac, sd_ac)
            # won amounts per segment (for deals not yet created)
            # pooled across segments: a segment with no wins yet (e.g. deals without an
            # account) borrows the others' sizes instead of the prior's heavy tail.
            # Centered: each segment's hundreds of wins pin its log mean and log sd, so the
            # non-centered form (mean + scale x z) left a ridge between the population mean
            # and the z's that two chains could not cross (r_hat up to 1.8, issue #17)
            mu_wa0 = pm.Normal("mu_won_amount_pop", won_amount_center, 2.0)
            # a fixed between-segment scale: with 3-4 segments a free scale is barely
            # identified and, when the segments' sizes agree, its small values make a funnel
            # with the precisely known segment means (Maven: divergences at small scale)
            mu_wa = pm.Normal("mu_won_amount", mu_wa0, cfg["won_amount_segment_sd"], dims="segment")
            log_sd_wa0 = pm.Normal("log_sd_won_amount_pop", 0.0, 1.0)
            log_sd_wa = pm.Normal("log_sd_won_amount", log_sd_wa0, 0.1, dims="segment")
            sd_wa = pm.Deterministic("sd_won_amount", pm.math.exp(log_sd_wa), dims="segment")
            _normal_stats(pm, "won_amount", d["amounts"][:, N_STAGES:], mu_wa, sd_wa)
            # arrivals
            # the level is sampled at the middle of the counted weeks, where it is
            # uncorrelated with the trend; the level at the cutoff (what the forecast uses) is
            # derived. Sampled at the cutoff, level and trend share a ridge (Maven: r_hat 1.02)
            ybar = arrival_years_mean
            a_mid = pm.Normal("arrival_level_mid", arrival_center, 1.5, dims="segment")
            tr = pm.Normal("arrival_trend", 0, 0.5, dims="segment")
            a = pm.Deterministic("arrival_level", a_mid - tr * ybar, dims="segment")
            season = pm.ZeroSumNormal("arrival_season", 0.2, dims="month")
            log_alpha = pm.Normal("arrival_log_alpha", 3.0, 1.5)
            s_idx = d["arrival_index"][0]
            mu_arr = pm.math.exp(
                a[s_idx] + tr[s_idx] * d["arrival_values"][0] + season[d["arrival_index"][1]]
            )
            pm.Potential(
                "arrival_loglik",
                pm.logp(
                    pm.NegativeBinomial.dist(mu=mu_arr, alpha=pm.math.exp(log_alpha)),
                    d["arrival_values"][1],
                ).sum(),
            )
        self.model = model
        return model

    # --- workflow ---------------------------------------------------------------------------
    def prior_predictive(self, crm: CRM, as_of, samples: int = 200, seed: int = 0):
        """Prior draws of the parameters and what they imply (see :func:`.simulate.implied`):
        win rate from creation, median cycle days and weekly creations per segment, to check
        that the priors allow every plausible org and not much more."""
        import pymc as pm

        td = self.training_data(crm, as_of)
        model = self.build_model(td)
        lv = td.levels
        self._labels = {"segment": lv.segments, "team": lv.teams, "rep": lv.reps}
        import warnings

        with quiet(), model, warnings.catch_warnings():
            # only parameter draws are used (the likelihood terms are Potentials)
            warnings.simplefilter("ignore", UserWarning)
            prior = pm.sample_prior_predictive(samples, random_seed=seed)
        prior = self._postprocess(prior)
        from .simulate import implied_summary

        return implied_summary(prior.prior, td, seed=seed)

    def compile_key(self, lv, backend: str) -> tuple:
        """What the compiled model depends on: the capacities, the config and the backend
        (not the org's labels, its rep -> team map or the as-of date, which are data)."""
        return (
            tuple(sorted(self.shapes(lv).items())),
            backend,
            json.dumps(self.model_config, sort_keys=True),
        )

    def _compiled(self, td: TrainingData, backend: str):
        """Compile once per (capacities, config, backend); later as-of dates and other orgs
        of the same capacities swap the data (and the labels, see :meth:`_postprocess`).
        In another process the compiled model is loaded from disk when this machine compiled
        the same graph before (:mod:`salesops_models.compile_cache`); ``compile_info`` (and
        the fit's ``attrs``) say which: ``compiled_model`` is ``"reused"`` (this model's, in
        memory), ``"disk"``, ``"compiled"`` or ``"pymc"`` (no nutpie), with
        ``compile_seconds``."""
        import time

        lv = td.levels
        key = self.compile_key(lv, backend)
        cache = getattr(self, "_cache", None)
        started = time.perf_counter()
        self._labels = {"segment": lv.segments, "team": lv.teams, "rep": lv.reps}
        data = None
        if cache is not None and cache[0] == key:
            import pymc as pm

            data = self.model_data(td)
            # the PyMC model's data too, not only the compiled log density's: the chains'
            # starting points come from a function of the model's data, and a fit must not
            # depend on which data the model was compiled with (a reused model and a fresh
            # one give the same draws for the same seed; tested)
            with cache[1]:
                pm.set_data(data)
            self.compile_info = {"compiled_model": "reused", "compile_seconds": 0.0}
            if backend == "nutpie":
                known = cache[2].shared_data  # data the graph does not read were pruned
                return (
                    cache[1],
                    cache[2].with_data(**{k: v for k, v in data.items() if k in known}),
                    data,
                )
            return cache[1], None, data
        model = self.build_model(td)
        compiled, source = None, "pymc"
        if backend == "nutpie":
            from ..bayes import compile_nutpie

            data = self.model_data(td)
            per_row = ("cell_exposure", "cell_index", "row_index", "row_events")
            per_row += ("arrival_index", "arrival_values")
            compiled, source = compile_nutpie(
                model, {k: v[..., :1].copy() for k, v in data.items() if k in per_row}
            )
        self.compile_info: dict = {
            "compiled_model": source,
            "compile_seconds": round(time.perf_counter() - started, 3),
        }
        self._cache = (key, model, compiled)
        return model, compiled, data

    def _postprocess(self, idata: az.InferenceData) -> az.InferenceData:
        """The org's own labels on the padded index spaces, and the padding dropped (it is
        prior noise with no data), before the convergence check sees the draws."""
        labels = getattr(self, "_labels", None)
        if not labels:
            return idata
        for group in idata.groups():
            ds = idata[group]
            sel = {dim: slice(0, len(lab)) for dim, lab in labels.items() if dim in ds.dims}
            if not sel:
                continue
            ds = ds.isel(sel).assign_coords({dim: list(labels[dim]) for dim in sel})
            setattr(idata, group, ds)
        return idata

    def precompile(self, crm: CRM | None = None) -> dict:
        """Compile the model (and keep it in the machine's compile cache) without sampling:
        on a small generated org by default, whose capacities are the floors every org of up
        to 4 segments, 16 teams and 128 reps shares, so the first fit of such an org in any
        later process loads it from disk instead of compiling (``make install`` runs this:
        ``salesops compile-cache --warm``). Returns :attr:`compile_info`.

        Examples
        --------
        >>> BookingsForecastModel().precompile()["compiled_model"] in ("disk", "compiled", "pymc")
        True
        """
        if crm is None:
            from ..synthetic import generate_org

            crm = generate_org(n_reps=6, years=1, seed=0).crm
        levels = make_levels(crm)
        td = build_training_data(crm, crm.data_end, levels)
        self._compiled(td, self.backend())
        return dict(self.compile_info)

    @classmethod
    def warm_up(cls) -> dict:
        """What a machine compiles for its first forecast, done once (``salesops compile-cache
        --warm``, run by ``make install``): the model (kept in the compile cache, as by
        :meth:`precompile`), PyTensor's and numba's own caches, and the forecast's simulation kernels, by a
        short fit and forecast of a small generated org (a few hundred draws, not a result:
        its convergence is not checked). Returns the model's :attr:`compile_info`."""
        from ..synthetic import generate_org

        crm = generate_org(n_reps=6, years=1, seed=0).crm
        model = cls(sampler_config={"draws": 100, "tune": 100, "retries": 0})
        model.fit(crm)  # compiles the model, or loads it from the compile cache
        model.forecast(crm.quarter(crm.data_end), draws=50)
        return dict(model.compile_info)

    def fit(
        self, crm: CRM, as_of=None, seed: int = 0, progressbar: bool = False, levels=None
    ) -> az.InferenceData:
        """Fit on the history visible as of ``as_of`` (default: the data's last day).

        ``levels`` (from :func:`.data.make_levels`) fixes the index spaces, so successive fits
        (a backtest) reuse one compiled model.
        """
        import time

        as_of = pd.Timestamp(as_of if as_of is not None else crm.data_end)
        t0 = time.perf_counter()
        rows = self.model_config["likelihood"] == "rows"
        levels = levels or make_levels(crm, through=as_of + pd.offsets.QuarterEnd(2))
        td = build_training_data(crm, as_of, levels, keep_pieces=rows)
        backend = self.backend()
        model, compiled, _ = self._compiled(td, backend)
        idata = self.sample(
            model, seed=seed, progressbar=progressbar, compiled=compiled, backend=backend
        )
        self.crm, self.data = crm, td
        return self.record_fit(
            idata,
            as_of=as_of,
            fingerprint=crm.fingerprint(),
            started=t0,
            backend=backend,
            n_cells=len(self.cells),
            n_pieces=td.n_pieces,
            period_slots=json.dumps(self.period_slots),
            period_stages=json.dumps(self.period_stages(td)),
            **self.compile_info,
        )

    def _require_data(self) -> None:
        """A posterior and the training data it was fitted on (a model loaded without its
        CRM has only the posterior)."""
        self.check_fitted()
        if self.data is None:
            raise NotFittedError(
                "this model was loaded without its CRM: BookingsForecastModel.load(path, crm)"
            )

    def forecast(self, period, *, draws: int | None = FORECAST_DRAWS, seed: int = 0):
        """Simulate the period's bookings from the posterior (see :mod:`.simulate`).

        ``draws`` posterior draws, thinned evenly (default :data:`FORECAST_DRAWS`; ``None``
        for all of them): one simulated quarter each."""
        from .simulate import forecast_period

        self._require_data()
        return forecast_period(self, period, draws=draws, seed=seed)

    def what_if(
        self,
        period,
        *,
        exclude=(),
        stage: dict | None = None,
        add: list[dict] | None = None,
        draws: int | None = FORECAST_DRAWS,
        seed: int = 0,
    ):
        """The period's forecast with the open pipeline edited, reusing this fit (no refit).

        ``exclude`` removes open deals by id; ``stage`` moves deals (``{id: open stage}``,
        entered at the as-of date); ``add`` adds open deals (dicts with ``rep_id``,
        ``amount`` and optionally ``stage``, ``type``, ``close_date``, ``id``). See
        :mod:`.whatif`. Compare with :meth:`forecast` at the same ``seed`` and ``draws``.
        """
        from .simulate import forecast_period
        from .whatif import edit_open_deals

        self._require_data()
        od = edit_open_deals(
            self.data.open_deals,
            self.data.levels,
            self.data.cutoff_days,
            exclude=exclude,
            stage=stage,
            add=add,
        )
        return forecast_period(self, period, draws=draws, seed=seed, open_deals=od)

    # --- persistence ------------------------------------------------------------------------
    def _restore(self, idata, crm=None) -> None:
        """Rebuild the training data of the fit's as-of date from ``crm`` (checked by
        fingerprint in :meth:`load`); without a CRM only the posterior is available."""
        if crm is None:
            return
        self.crm = crm
        self.data = self.training_data(crm, pd.Timestamp(idata.attrs["as_of"]))
        self.model_data(self.data)  # sets cells and period slots


def collapse_cells(cells: pd.DataFrame, period_stages) -> pd.DataFrame:
    """Merge the quarters of cells in stages the period effect does not act on (fewer cells,
    same likelihood: their hazard does not depend on the quarter)."""
    cells = cells.copy()
    cells.loc[~cells["stage"].isin(list(period_stages)), "quarter"] = -1
    keys = [c for c in cells.columns if c not in ("exposure", "n_advance", "n_lost")]
    return cells.groupby(keys, sort=True).sum().reset_index()


def cell_indices(
    cells: pd.DataFrame, n_seg: int, n_rep: int, n_quarters: int
) -> dict[str, np.ndarray]:
    """Flat indices of each cell into the effect vectors (``n_seg`` segments, ``n_rep`` reps
    and ``n_quarters`` slots plus the "no period effect" slot), and event totals per level."""
    n_bin = len(DURATION_EDGES)
    base = (cells["segment"].to_numpy() * N_STAGES + cells["stage"].to_numpy()) * n_bin + cells[
        "bin"
    ].to_numpy()
    q = cells["quarter"].to_numpy()
    quarter = np.where(q >= 0, q, n_quarters)
    out = {
        "base": base,
        "rep": cells["rep"].to_numpy(),
        "quarter": quarter,
        "pattern": pattern_index(cells),
        "exposure": cells["exposure"].to_numpy(dtype=float),
    }
    n_pattern = int(np.prod([len(levels) for _, levels, _ in COVARIATES.values()]))
    sizes = {
        "base": n_seg * N_STAGES * n_bin,
        "rep": n_rep,
        "quarter": n_quarters + 1,
        "pattern": n_pattern,
    }
    for key, size in sizes.items():
        if len(out[key]) and (out[key].min() < 0 or out[key].max() >= size):
            raise ValueError(f"cell {key} index outside 0..{size - 1}")
    out["base_pattern"] = out["base"] * n_pattern + out["pattern"]
    out["rep_quarter"] = out["rep"] * sizes["quarter"] + out["quarter"]
    for risk in RISKS:
        y = cells[f"n_{risk}"].to_numpy(dtype=float)
        out[f"n_{risk}"] = y
        for key, size in sizes.items():
            out[f"{risk}_by_{key}"] = np.bincount(out[key], weights=y, minlength=size)
    return out


def _normal_stats(pm, name, stats, mu, sd) -> None:
    """Exact normal likelihood of a group's log values from ``stats`` rows (n, has mean,
    has SS, mean, within-SS); groups with fewer than 1 (mean) or 2 (SS) values get weight 0."""
    n, w1, w2, mean, ss = (stats[i] for i in range(5))
    lp_mean = pm.logp(pm.Normal.dist(mu, sd / pm.math.sqrt(n)), mean)
    lp_ss = pm.logp(
        pm.Gamma.dist(alpha=pm.math.maximum(n - 1, 1) / 2.0, beta=1.0 / (2.0 * sd**2)), ss
    )
    pm.Potential(f"{name}_loglik", (w1 * lp_mean).sum() + (w2 * lp_ss).sum())
