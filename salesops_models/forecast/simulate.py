"""Posterior simulation of a period's bookings: closed so far + open pipeline + new deals.

For each posterior draw, every open deal is run forward through the stage hazards from its
current stage and time in stage (competing risks, piecewise exponential: the time of the next
event is drawn by inverting the cumulative hazard over the time-in-stage bins; the event is an
advance with probability ``h_advance / (h_advance + h_lost)``; an advance goes to the next
stage drawn from the Dirichlet posterior of observed transitions). A deal is *won in the
period* when it reaches Closed Won after the as-of date and by the period's last day; won later
but within the next period it *slips*. Its won amount is its snapshot amount times
``exp(Normal(mu_amount_change[stage], sd_amount_change[stage]))``.

Deals not yet created arrive per segment and week as ``NegativeBinomial`` draws of the fitted
arrival model, are given a rep in proportion to the reps' recent deal creation, a type from the
observed mix and a lognormal won amount, and run through the same hazards from Prospecting.

All randomness comes from one ``np.random.Generator``; sums over deals are taken per draw, so
totals, regions, managers and reps are coherent (the total is the sum of its parts in every
draw) and quantiles of any roll-up are those of its draws.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xarray as xr

from .. import draws as draw_stats
from ..schema import OPEN_STAGES
from .data import (
    AGE_EDGES,
    COVARIATES,
    DURATION_EDGES,
    N_STAGES,
    WON_INDEX,
    age_bin,
    covariate_patterns,
    from_days,
    to_days,
)
from .explain import deal_drivers, rep_table

EDGES = np.r_[np.asarray(DURATION_EDGES), np.inf]
PATTERN_SHAPE = tuple(len(levels) for _, levels, _ in COVARIATES.values())
#: stage moves a simulated path may make before it is left open (each move advances a stage)
MAX_MOVES = 3 * N_STAGES


@dataclass
class PosteriorDraws:
    """Flattened posterior draws (draw first) of everything the simulation needs."""

    base: np.ndarray  # (D, 2, S, K, B)
    rep_effect: np.ndarray  # (D, 2, R)
    pattern_effect: np.ndarray  # (D, 2, P)
    period_now: np.ndarray  # (D,) effect of the current quarter (last slot)
    sd_period: np.ndarray  # (D,)
    transition_cdf: np.ndarray  # (D, K, K+1)
    mu_amount_change: np.ndarray  # (D, K)
    sd_amount_change: np.ndarray
    mu_won_amount: np.ndarray  # (D, S)
    sd_won_amount: np.ndarray
    arrival_level: np.ndarray  # (D, S)
    arrival_trend: np.ndarray
    arrival_season: np.ndarray  # (D, 12)
    arrival_alpha: np.ndarray  # (D,)
    period_stages: tuple[int, ...] = ()

    @property
    def n(self) -> int:
        return self.base.shape[0]

    @classmethod
    def paths_only(
        cls, base, rep_effect, pattern_effect, transition_cdf, period_stages=()
    ) -> PosteriorDraws:
        """Draws for :func:`simulate_paths` alone (known hazards and transitions: synthetic
        histories, tests, benchmarks); the amount, arrival and period fields are zero."""
        D, S = base.shape[0], base.shape[2]
        z = np.zeros(D)
        return cls(
            base=base,
            rep_effect=rep_effect,
            pattern_effect=pattern_effect,
            period_now=z,
            sd_period=z,
            transition_cdf=transition_cdf,
            mu_amount_change=np.zeros((D, N_STAGES)),
            sd_amount_change=np.zeros((D, N_STAGES)),
            mu_won_amount=np.zeros((D, S)),
            sd_won_amount=np.zeros((D, S)),
            arrival_level=np.zeros((D, S)),
            arrival_trend=np.zeros((D, S)),
            arrival_season=np.zeros((D, 12)),
            arrival_alpha=np.ones(D),
            period_stages=tuple(period_stages),
        )


def posterior_draws(model, draws: int | None, rng: np.random.Generator) -> PosteriorDraws:
    """Up to ``draws`` posterior draws (thinned evenly), with transition matrices drawn from
    their Dirichlet(1 + counts) posterior (only transitions to later stages are possible)."""
    post = model.idata.posterior.stack(sample=("chain", "draw"))
    n_all = post.sizes["sample"]
    take = np.arange(n_all)
    if draws is not None and draws < n_all:
        take = np.linspace(0, n_all - 1, draws).round().astype(int)

    def get(name):
        return post[name].transpose("sample", ...).to_numpy()[take]

    patterns = covariate_patterns()
    pat = 0
    for name in COVARIATES:
        eff = get(f"effect_{name}")  # (D, 2, levels)
        pat = pat + eff[:, :, patterns[name]]
    D = len(take)
    counts = model.data.transitions
    alpha = np.where(np.triu(np.ones_like(counts), k=1) > 0, 1.0 + counts, 0.0)
    # from stage k an advance goes to k+1..won: strictly upper triangle of (K, K+1)
    cdf = np.zeros((D, N_STAGES, N_STAGES + 1))
    for k in range(N_STAGES):
        ok = alpha[k] > 0
        p = np.zeros((D, N_STAGES + 1))
        p[:, ok] = rng.dirichlet(alpha[k, ok], size=D)
        cdf[:, k] = np.cumsum(p, axis=1)
    cdf[:, :, -1] = 1.0
    return _draws_from(get, pat, cdf, tuple(model.period_stages(model.data)))


def _draws_from(get, pattern_effect, transition_cdf, period_stages) -> PosteriorDraws:
    """:class:`PosteriorDraws` from a ``get(name) -> (draws, ...)`` accessor."""
    return PosteriorDraws(
        base=get("base"),
        rep_effect=get("rep_effect"),
        pattern_effect=pattern_effect,
        period_now=get("period_effect")[:, -1],
        sd_period=get("sd_period"),
        transition_cdf=transition_cdf,
        mu_amount_change=get("mu_amount_change"),
        sd_amount_change=get("sd_amount_change"),
        mu_won_amount=get("mu_won_amount"),
        sd_won_amount=get("sd_won_amount"),
        arrival_level=get("arrival_level"),
        arrival_trend=get("arrival_trend"),
        arrival_season=get("arrival_season"),
        arrival_alpha=np.exp(get("arrival_log_alpha")),
        period_stages=period_stages,
    )


def simulate_paths(
    P: PosteriorDraws,
    draw: np.ndarray,
    seg: np.ndarray,
    rep: np.ndarray,
    stage: np.ndarray,
    time_in_stage: np.ndarray,
    now: np.ndarray,
    created: np.ndarray,
    covariates: dict[str, np.ndarray],
    period_eps: np.ndarray,
    horizon: float,
    rng: np.random.Generator,
    record: list | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Run deals (flat arrays, one row per draw x deal) forward until won, lost or past
    ``horizon`` (days). Returns (won by the horizon, close time or inf).

    With ``record`` (a list), every event is appended as ``(rows, times, codes)``: code ``k``
    entered open stage k, ``N_STAGES`` won, ``-1`` lost (used to build synthetic histories);
    this vectorized NumPy form is also the reference the compiled kernel
    (:mod:`.paths`, used without ``record``) is tested against.
    """
    if record is None:
        return _simulate_compiled(
            P,
            draw,
            seg,
            rep,
            stage,
            time_in_stage,
            now,
            created,
            covariates,
            period_eps,
            horizon,
            rng,
        )
    n = len(draw)
    stage = stage.astype(int).copy()
    tis = time_in_stage.astype(float).copy()
    t = now.astype(float).copy()
    alive = np.ones(n, dtype=bool)
    won = np.zeros(n, dtype=bool)
    close = np.full(n, np.inf)
    cov = dict(covariates)
    in_period_stage = np.isin(np.arange(N_STAGES), P.period_stages)
    for _ in range(MAX_MOVES):
        act = np.flatnonzero(alive & (t < horizon))
        if len(act) == 0:
            break
        d, g, k, r = draw[act], seg[act], stage[act], rep[act]
        levels = {c: cov[c][act] for c in COVARIATES if c != "age"}
        levels["age"] = age_bin(t[act] - tis[act] - created[act])  # age at stage entry
        pat = np.ravel_multi_index([levels[c] for c in COVARIATES], PATTERN_SHAPE)
        eps = np.where(in_period_stage[k], period_eps[d], 0.0)
        lin_a = P.rep_effect[d, 0, r] + P.pattern_effect[d, 0, pat] + eps
        lin_l = P.rep_effect[d, 1, r] + P.pattern_effect[d, 1, pat] - eps
        e = rng.exponential(1.0, len(act))
        s0 = tis[act]
        ev_t = np.full(len(act), np.inf)
        ev_adv = np.zeros(len(act), dtype=bool)
        pending = np.ones(len(act), dtype=bool)
        for b in range(len(EDGES) - 1):
            lo = np.maximum(s0, EDGES[b])
            width = np.maximum(EDGES[b + 1] - lo, 0.0)
            ha = np.exp(P.base[d, 0, g, k, b] + lin_a)
            hl = np.exp(P.base[d, 1, g, k, b] + lin_l)
            h = ha + hl
            take = h * width
            hit = pending & (width > 0) & (take >= e)
            if hit.any():
                ev_t[hit] = lo[hit] + e[hit] / h[hit] - s0[hit]
                ev_adv[hit] = rng.random(int(hit.sum())) < ha[hit] / h[hit]
            e = np.where(pending & ~hit, e - take, e)
            pending &= ~hit
        when = t[act] + ev_t
        inside = np.isfinite(when) & (when <= horizon)
        # lost
        lost = inside & ~ev_adv
        alive[act[lost]] = False
        if record is not None:
            record.append((act[lost], when[lost], np.full(int(lost.sum()), -1)))
        # advance: next stage from the transition posterior
        adv = np.flatnonzero(inside & ev_adv)
        u = rng.random(len(adv))
        cdf = P.transition_cdf[d[adv], k[adv]]
        nxt = (u[:, None] > cdf).sum(axis=1)
        nxt = np.maximum(nxt, k[adv] + 1)
        ia = act[adv]
        if record is not None:
            record.append((ia, when[adv], np.minimum(nxt, WON_INDEX)))
        is_won = nxt >= WON_INDEX
        won[ia[is_won]] = True
        close[ia[is_won]] = when[adv][is_won]
        alive[ia[is_won]] = False
        mv = ia[~is_won]
        stage[mv] = nxt[~is_won]
        t[mv] = when[adv][~is_won]
        tis[mv] = 0.0
        # past the horizon: stays open
        beyond = ~inside
        t[act[beyond]] = horizon
    return won, close


def _simulate_compiled(
    P, draw, seg, rep, stage, time_in_stage, now, created, covariates, period_eps, horizon, rng
):
    """:func:`simulate_paths` through the compiled kernel of :mod:`.paths`."""
    from .paths import simulate_paths_parallel

    per_row = _row_arrays(draw, seg, rep, stage, time_in_stage, now, created, covariates)
    shared = [*_hazard_arrays(P, period_eps), float(horizon), MAX_MOVES]
    return simulate_paths_parallel(per_row, shared, rng)


def simulate_deals(
    P, seg, rep, stage, time_in_stage, now, created, covariates, period_eps, horizon, rng
):
    """:func:`simulate_paths` of every deal (one entry per deal) under every posterior draw,
    flat in draw-major order (row ``d * n_deals + j``), the same paths as ``simulate_paths``
    on the tiled rows for the same seed (tested) without building draw x deal inputs."""
    from .paths import simulate_deals_parallel

    per_deal = _row_arrays(None, seg, rep, stage, time_in_stage, now, created, covariates)
    shared = [*_hazard_arrays(P, period_eps), float(horizon), MAX_MOVES]
    return simulate_deals_parallel(P.n, per_deal, shared, rng)


def _row_arrays(draw, seg, rep, stage, time_in_stage, now, created, covariates) -> list:
    """The kernels' per-row arrays (contiguous, typed), the covariates as the pattern with
    age bin 0 (the kernel adds the age bin at each stage entry); no draw column when
    ``draw`` is None."""
    n = len(seg)
    if list(COVARIATES)[-1] != "age" or PATTERN_SHAPE[-1] != 2 or len(AGE_EDGES) != 2:
        raise AssertionError("the kernel assumes the age bin is the last pattern digit, 2 levels")
    digits = [np.asarray(covariates[c]) for c in COVARIATES if c != "age"]
    digits.append(np.zeros(n, dtype=int))
    pattern_base = np.ravel_multi_index(digits, PATTERN_SHAPE) if n else np.zeros(0, dtype=int)
    columns = [(seg, np.int64), (rep, np.int64), (stage, np.int64), (time_in_stage, np.float64)]
    columns += [(now, np.float64), (created, np.float64), (pattern_base, np.int64)]
    if draw is not None:
        columns.insert(0, (draw, np.int64))
    return [np.ascontiguousarray(a, dtype=dt) for a, dt in columns]


def _hazard_arrays(P, period_eps) -> list:
    """The posterior arrays a path walk reads (:func:`.paths.walk`, ``base`` ... ``age_edge``)."""
    return [
        np.ascontiguousarray(P.base, dtype=np.float64),
        np.ascontiguousarray(P.rep_effect, dtype=np.float64),
        np.ascontiguousarray(P.pattern_effect, dtype=np.float64),
        np.ascontiguousarray(P.transition_cdf, dtype=np.float64),
        np.ascontiguousarray(np.broadcast_to(period_eps, (P.n,)), dtype=np.float64),
        np.isin(np.arange(N_STAGES), P.period_stages),
        EDGES.astype(np.float64),
        float(AGE_EDGES[1]),
    ]


@dataclass
class Forecast:
    """A period's bookings forecast: draws of the total and of every rep, deal-level odds."""

    period: object
    as_of: pd.Timestamp
    total: np.ndarray  # (D,)
    closed: float
    from_open: np.ndarray  # (D,)
    from_new: np.ndarray  # (D,)
    by_rep: xr.DataArray  # (draw, rep)
    deals: pd.DataFrame
    reps: pd.DataFrame  # rep_id, name, team, manager, region, segment
    slip: np.ndarray  # (D,) won amount of deals dated in the period that slip to the next
    cumulative: np.ndarray | None = None  # (D, days of period) cumulative bookings by day
    diagnostics: dict = field(default_factory=dict)
    meta: dict = field(default_factory=dict)

    def _repr_html_(self) -> str:
        """A compact card for JupyterLab (:mod:`salesops_models.display`)."""
        from ..display import forecast_card

        return forecast_card(self)

    def quantiles(self, q=None) -> pd.Series:
        """Quantiles of the period's bookings, labelled ``p10``/``p50``/``p90``."""
        return draw_stats.quantiles(self.total, q)

    def interval(self, level: float) -> tuple[float, float]:
        """Equal-tailed posterior interval of the period's bookings."""
        return draw_stats.interval(self.total, level)

    def p_reach(self, target: float) -> float:
        """Posterior probability that the period's bookings reach ``target``."""
        return draw_stats.p_at_least(self.total, target)

    def rollup(self, by: str = "region", q=None) -> pd.DataFrame:
        """Quantiles per ``by`` (rep, team, manager, region, segment) from summed draws."""
        key = self.reps.set_index("rep_id")[by] if by != "rep" else None
        da = self.by_rep
        if key is not None:
            da = da.groupby(
                xr.DataArray(
                    key.reindex(da["rep"].to_numpy()).fillna("(none)").to_numpy(),
                    dims="rep",
                    name=by,
                )
            ).sum()
        dim = by if by != "rep" else "rep"
        q = draw_stats._q(q)
        qs = da.quantile(list(q), dim="draw")
        out = qs.to_pandas().T
        out.columns = [draw_stats.label(x) for x in q]
        out["mean"] = da.mean("draw").to_pandas()
        return out.sort_values("mean", ascending=False).rename_axis(dim)

    def to_xarray(self) -> xr.Dataset:
        """Draws as an xarray Dataset (dims ``draw``, ``rep``), with the period in attrs."""
        ds = xr.Dataset(
            {
                "bookings": ("draw", self.total),
                "from_open": ("draw", self.from_open),
                "from_new": ("draw", self.from_new),
                "slip": ("draw", self.slip),
                "rep_bookings": self.by_rep,
            },
            coords={"draw": np.arange(len(self.total))},
        )
        ds.attrs.update(period=self.period.label, as_of=str(self.as_of.date()), closed=self.closed)
        return ds

    to_dataset = to_xarray  # the name earlier releases used

    def summary(self) -> dict:
        q = self.quantiles((0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95))
        return {
            "period": self.period.label,
            "as_of": str(self.as_of.date()),
            "closed": self.closed,
            **{k: float(v) for k, v in q.items()},
            "mean": float(self.total.mean()),
            "expected_from_open": float(self.from_open.mean()),
            "expected_from_new": float(self.from_new.mean()),
            "expected_slip": float(self.slip.mean()),
        }


def forecast_period(
    model, period, *, draws: int | None = None, seed: int = 0, open_deals=None
) -> Forecast:
    """Bookings of ``period`` as of the model's fit date (see module docstring).

    ``open_deals`` replaces the open pipeline the simulation starts from (a what-if, see
    :mod:`.whatif`); the fit, the closed bookings and the new-deal arrivals stay as fitted.
    """
    rng = np.random.default_rng(seed)
    td = model.data
    lv = td.levels
    crm = model.crm
    p = crm.period(period)
    as_of = td.as_of
    cut = td.cutoff_days
    start, end = float(to_days([p.start])[0]), float(to_days([p.end_exclusive])[0])
    if cut > end:
        raise ValueError(f"as of {as_of.date()} the period {p.label} is already over")
    nxt = (
        crm.calendar.next(p)
        if p.kind == "quarter"
        else crm.calendar.period((p.end_exclusive).strftime("%Y-%m"))
    )
    horizon = float(to_days([nxt.end_exclusive])[0])
    P = posterior_draws(model, draws, rng)
    D = P.n
    current_q = lv.quarters[int(lv.quarter_index(np.array([cut - 1e-6]))[0])]
    if crm.quarter(p.start).label == current_q:
        period_eps = P.period_now
    else:  # a later quarter: a new shared effect
        period_eps = rng.normal(0.0, P.sd_period)
    n_rep = len(lv.reps)

    # closed so far
    cw = td.closed_won
    in_p = (cw["close_day"] >= start) & (cw["close_day"] < min(end, cut + 1))
    closed_rep = np.bincount(
        cw.loc[in_p, "rep"], weights=cw.loc[in_p, "amount"].fillna(0), minlength=n_rep
    )
    closed = float(closed_rep.sum())

    # open deals: every deal under every draw (draw x deal matrices)
    od = (td.open_deals if open_deals is None else open_deals).reset_index(drop=True)
    N = len(od)
    won, close = simulate_deals(
        P,
        od["segment"].to_numpy(),
        od["rep"].to_numpy(),
        od["stage"].to_numpy(),
        od["time_in_stage"].to_numpy(),
        np.full(N, cut),
        od["created"].to_numpy(),
        {name: od[col].to_numpy() for name, (col, _, _) in COVARIATES.items() if name != "age"},
        period_eps,
        horizon,
        rng,
    )
    won, close = won.reshape(D, N), close.reshape(D, N)
    in_period = won & (close < end)
    slipped = won & (close >= end) & (close < horizon)
    by_horizon = in_period | slipped
    # each (draw, deal) won by the horizon, with its amount at signature: the deal's CRM
    # amount times the stage's amount change, or a won-deal size of its segment when it has
    # no amount. Everything below is summed from these pairs (no draw x deal amount arrays)
    seg_o = od["segment"].to_numpy()
    amt = od["amount"].to_numpy(dtype=float)
    k_o = od["stage"].to_numpy()
    rep_o = od["rep"].to_numpy()
    missing = ~(amt > 0)
    dd, jj = np.nonzero(by_horizon)
    z = rng.standard_normal(len(dd))
    amount = np.where(
        missing[jj],
        np.exp(P.mu_won_amount[dd, seg_o[jj]] + P.sd_won_amount[dd, seg_o[jj]] * z),
        np.nan_to_num(amt)[jj]
        * np.exp(P.mu_amount_change[dd, k_o[jj]] + P.sd_amount_change[dd, k_o[jj]] * z),
    )
    won_close = close[dd, jj]
    booked = np.where(won_close < end, amount, 0.0)  # won inside the period
    # slip: deals the CRM dates inside the period that are won only after it ends
    close_o = od["close_day"].to_numpy(dtype=float)
    dated_in = (close_o >= start) & (close_o < end)
    slip_amount = np.where((won_close >= end) & dated_in[jj], amount, 0.0)
    from_open = _sums(dd, booked, D)
    open_rep = _sums(dd * n_rep + rep_o[jj], booked, D * n_rep).reshape(D, n_rep)
    n_days = int(round(end - start))
    day_o = np.clip(np.floor(won_close - start), 0, n_days - 1).astype(int)
    daily = _sums(dd * n_days + day_o, booked, D * n_days).reshape(D, n_days)

    # new deals created after the cutoff and before the period's end
    new_rep, from_new, new_daily = _arrivals(P, td, cut, start, end, period_eps, rng)
    daily += new_daily
    cw_day = np.clip(np.floor(cw.loc[in_p, "close_day"].to_numpy() - start), 0, n_days - 1)
    closed_daily = np.bincount(
        cw_day.astype(int), weights=cw.loc[in_p, "amount"].fillna(0), minlength=n_days
    )
    cumulative = np.cumsum(daily + closed_daily[None, :], axis=1)

    by_rep = xr.DataArray(
        closed_rep[None, :] + open_rep + new_rep,
        dims=("draw", "rep"),
        coords={"draw": np.arange(D), "rep": lv.reps},
        name="bookings",
    )
    total = closed + from_open + from_new
    # deal table
    # each deal's median close time over the draws that win it by the horizon (nan if none)
    med_close = column_medians(close, by_horizon)
    deals = od[
        ["id", "segment", "rep", "stage", "time_in_stage", "push_count", "amount", "close_day"]
    ].copy()
    deals["segment"] = np.array(lv.segments, dtype=object)[od["segment"].to_numpy()]
    deals["rep_id"] = np.array(lv.reps, dtype=object)[rep_o]
    deals["stage"] = np.array(OPEN_STAGES, dtype=object)[k_o]
    deals["close_date"] = from_days(od["close_day"].to_numpy()).normalize()
    deals["p_win_period"] = in_period.mean(axis=0)
    deals["p_win_by_next_period"] = by_horizon.mean(axis=0)
    deals["p_slip"] = slipped.mean(axis=0)
    deals["expected_value"] = _sums(jj, booked, N) / D
    deals["expected_slip"] = _sums(jj, slip_amount, N) / D  # zero unless dated in the period
    deals["expected_close"] = from_days(
        np.where(np.isfinite(med_close), med_close, np.nan)
    ).normalize()
    dated = deals["close_date"].notna()
    deals["crm_says_in_period"] = (
        dated & (deals["close_date"] >= p.start) & (deals["close_date"] <= p.end)
    )
    deals["drivers"] = deal_drivers(model, od)
    deals = deals.drop(columns=["rep", "close_day"]).sort_values("expected_value", ascending=False)
    reps = rep_table(crm, lv)
    return Forecast(
        period=p,
        as_of=as_of,
        total=total,
        closed=closed,
        from_open=from_open,
        from_new=from_new,
        by_rep=by_rep,
        deals=deals.reset_index(drop=True),
        reps=reps,
        slip=_sums(dd, slip_amount, D),
        cumulative=cumulative,
        diagnostics=model.diagnostics().to_dict(),
        meta={"draws": D, "open_deals": N, "fingerprint": model.fingerprint},
    )


def _sums(index: np.ndarray, weights: np.ndarray, size: int) -> np.ndarray:
    """``weights`` summed by ``index`` into ``size`` bins, float even with no weights
    (``np.bincount`` returns int64 zeros for an empty input)."""
    return np.bincount(index, weights=weights, minlength=size).astype(float)


def column_medians(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The median of each column's ``values`` where ``mask`` is set (nan where none is):
    ``np.nanmedian(np.where(mask, values, nan), axis=0)`` in one compiled pass, without
    NumPy's per-column loop (0.25 s over 4,102 deals x 2,000 draws).

    >>> v = np.array([[1.0, 5.0, 0.0], [3.0, 7.0, 0.0], [2.0, 9.0, 0.0]])
    >>> column_medians(v, np.array([[1, 0, 0], [1, 1, 0], [1, 1, 0]], bool)).tolist()
    [2.0, 8.0, nan]
    """
    from .paths import column_medians_kernel

    return column_medians_kernel(
        np.ascontiguousarray(values, dtype=np.float64), np.asarray(mask, dtype=bool)
    )


def _arrivals(P, td, cut, start, end, period_eps, rng):
    """Won bookings per draw and rep (and per day of the period) from deals created in
    (cutoff, period end).

    Weekly creations per segment are drawn from the arrivals' negative binomial (a
    gamma-Poisson mixture); each new deal gets a creation time uniform in its week, a rep in
    proportion to the segment's recent creations, the segment's mix of opportunity types, a
    size tercile uniform over the three, no pushes and the default forecast call, and is
    walked through the stage hazards from the first stage
    (:func:`.paths.simulate_arrivals_kernel`: summed as it goes, no array per new deal).
    """
    from .paths import simulate_arrivals_parallel

    lv = td.levels
    D, n_rep = P.n, len(lv.reps)
    n_period_days = int(round(end - start))
    n_days = end - cut  # every deal created from now to the period's end may close in it
    if n_days <= 0:
        return np.zeros((D, n_rep)), np.zeros(D), np.zeros((D, n_period_days))
    weeks = int(np.ceil(n_days / 7))
    w0 = cut + 7 * np.arange(weeks)
    w_len = np.minimum(7.0, end - w0)
    months = from_days(w0 + w_len / 2).month.to_numpy() - 1
    yrs = (cut - (w0 + w_len / 2)) / 365.25
    mu = (
        np.exp(
            P.arrival_level[:, :, None]
            + P.arrival_trend[:, :, None] * yrs[None, None, :]
            + P.arrival_season[:, None, months]
        )
        * (w_len / 7.0)[None, None, :]
    )
    alpha = P.arrival_alpha[:, None, None]
    lam = rng.gamma(alpha, mu / alpha)  # NB as a gamma-Poisson mixture
    counts = rng.poisson(lam).astype(np.int64)  # (D, S, W)
    rep_cdf = np.cumsum(np.stack(_rep_shares(td)), axis=1)
    type_cdf = np.cumsum(td.type_mix, axis=1)
    # the pattern of (type, size) with no pushes, the default call and age bin 0
    tt, size = np.indices((len(COVARIATES["type"][1]), len(COVARIATES["size"][1])))
    digits = {"type": tt, "push": 0 * tt, "size": size, "call": 1 + 0 * tt, "age": 0 * tt}
    pattern_of = np.ravel_multi_index([digits[c] for c in COVARIATES], PATTERN_SHAPE)
    new_rep, new_daily = simulate_arrivals_parallel(
        counts,
        [w0.astype(np.float64), w_len.astype(np.float64)],
        [
            np.ascontiguousarray(rep_cdf),
            np.ascontiguousarray(type_cdf),
            np.ascontiguousarray(P.mu_won_amount, dtype=np.float64),
            np.ascontiguousarray(P.sd_won_amount, dtype=np.float64),
            np.ascontiguousarray(pattern_of, dtype=np.int64),
        ],
        _hazard_arrays(P, period_eps),
        (start, end, n_period_days, MAX_MOVES),
        rng,
    )
    return new_rep, new_rep.sum(axis=1), new_daily


def _rep_shares(td) -> list[np.ndarray]:
    """Per segment: each rep's share of deals created in the 90 days before the cutoff."""
    lv = td.levels
    od = td.open_deals
    recent = od[od["created"] >= td.cutoff_days - 90]
    out = []
    for g in range(len(lv.segments)):
        cnt = np.bincount(recent.loc[recent["segment"] == g, "rep"], minlength=len(lv.reps)).astype(
            float
        )
        if cnt.sum() == 0:
            cnt = (lv.rep_segment == g).astype(float)
        if cnt.sum() == 0:
            cnt = np.ones(len(lv.reps))
        out.append(cnt / cnt.sum())
    return out
