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

from ..bayes import BayesModel, NotFittedError, quiet
from ..crm import CRM
from .cells import _normal_stats, cell_indices, collapse_cells
from .compiled import CompiledGraphMixin
from .data import (
    COVARIATES,
    DURATION_EDGES,
    N_STAGES,
    TrainingData,
    build_training_data,
    covariate_patterns,
    make_levels,
)
from .settings import (
    CAPACITY_FLOORS,
    CELL_INDEX_ROWS,
    DEFAULT_MODEL_CONFIG,
    DEFAULT_SAMPLER_CONFIG,
    DIAGNOSED_PARAMETERS,
    EVENT_BLOCKS,
    FORECAST_DRAWS,
    FREE_PARAMETERS,
    PARAMETER_WORDS,
    RISKS,
    capacity,
    select_window,
)


class BookingsForecastModel(CompiledGraphMixin, BayesModel):
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
    def prior_predictive(
        self, crm: CRM, as_of=None, *, samples: int = 200, seed: int = 0
    ) -> az.InferenceData:
        """Prior draws of the parameters (group ``prior``, on the org's labels); the likelihood
        terms are potentials, so :meth:`implied_prior` turns the draws into what they imply."""
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
        self._prior_data = td
        return self._postprocess(prior)

    def implied_prior(
        self, crm: CRM, as_of=None, *, samples: int = 200, seed: int = 0
    ) -> pd.DataFrame:
        """What the prior implies per segment (:func:`.prior_check.implied_summary`): win
        rate from creation, cycle days and weekly creations, to check that the priors allow
        every plausible org and not much more."""
        from .prior_check import implied_summary

        prior = self.prior_predictive(crm, as_of, samples=samples, seed=seed)
        return implied_summary(prior.prior, self._prior_data, seed=seed)

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

    def fit(
        self, crm: CRM, as_of=None, *, seed: int = 0, progressbar: bool = False, levels=None
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
    def _save_groups(self) -> dict:
        """The fit's data summary (:mod:`.fit_summary`): a saved model forecasts without
        its CRM."""
        from .fit_summary import GROUP, fit_dataset

        if self.data is None or self.crm is None:
            return {}
        return {GROUP: fit_dataset(self.data, self.crm)}

    def _restore(self, idata, crm=None) -> None:
        """Rebuild the training data of the fit's as-of date from ``crm`` (checked by
        fingerprint in :meth:`load`); without a CRM, from the data summary the model file
        keeps (:mod:`.fit_summary`: forecasts and what-ifs work, a refit needs the CRM)."""
        from .fit_summary import GROUP, restore_fit

        if crm is None:
            if GROUP in idata.groups():
                self.data, self.crm = restore_fit(idata[GROUP])
                self.period_slots = json.loads(idata.attrs.get("period_slots", "[]"))
            return
        self.crm = crm
        self.data = self.training_data(crm, pd.Timestamp(idata.attrs["as_of"]))
        self.model_data(self.data)  # sets cells and period slots
