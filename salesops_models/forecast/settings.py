"""The forecast model's settings and vocabulary: default model and sampler configs, the padded capacities its compiled graph shares across orgs, its parameters and their words in reports."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..bayes import DEFAULT_SAMPLER_CONFIG as BASE_SAMPLER_CONFIG
from .data import (
    COVARIATES,
    TrainingData,
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
