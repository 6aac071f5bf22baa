"""Compiled kernel of the deal-path simulation (:func:`.simulate.simulate_paths`).

The same competing-risks walk as the NumPy reference in :mod:`.simulate`, one deal path at a
time: from the current stage and time in stage, the time of the next event inverts the
piecewise-constant cumulative hazard over the time-in-stage bins (an ``Exponential(1)`` draw
``e`` is spent bin by bin, ``t = lo + e / h`` in the bin where it runs out), the event is an
advance with probability ``h_advance / (h_advance + h_lost)``, and an advance moves to the
stage drawn from the transition posterior's CDF (at least the next stage). A path stops when
won, lost or past the horizon.

Why a kernel: the vectorized form keeps every (draw x deal) row alive through every round and
bin (a quarter's forecast on the sample org, 4,000 draws x 2,222 open deals, took 27 s);
a path here costs only the bins and stages it actually visits. Randomness comes from the
caller's ``np.random.Generator``: :func:`simulate_paths_parallel` splits the rows into a
fixed number of contiguous chunks, each with a child generator seeded from the caller's, and
runs them in threads (the kernel releases the GIL), so the same seed gives the same paths
on any machine. Compiled once per machine (``cache=True``).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np

#: rows are split into this many chunks (fixed, so results do not depend on the machine)
CHUNKS = 2
#: below this many rows one chunk (threads cost more than they save)
MIN_PARALLEL_ROWS = 200_000


def in_chunks(n: int, work: int, rng: np.random.Generator, run) -> list:
    """``run(lo, hi, generator)`` over :data:`CHUNKS` contiguous blocks of ``range(n)`` in
    threads (one block when ``work`` is below :data:`MIN_PARALLEL_ROWS`), each block with a
    child generator seeded from ``rng``: the block count is fixed, so the same seed gives
    the same results on any machine. Returns the blocks' results in order."""
    chunks = CHUNKS if work >= MIN_PARALLEL_ROWS else 1
    seeds = rng.integers(0, 2**63 - 1, size=chunks)
    bounds = np.linspace(0, n, chunks + 1).astype(int)

    def one(c):
        return run(int(bounds[c]), int(bounds[c + 1]), np.random.default_rng(int(seeds[c])))

    if chunks == 1:
        return [one(0)]
    with ThreadPoolExecutor(chunks) as pool:
        return list(pool.map(one, range(chunks)))


def simulate_paths_parallel(per_row: list, shared: list, rng: np.random.Generator):
    """:func:`simulate_paths_kernel` over chunks of the rows in threads (:func:`in_chunks`).

    ``per_row`` are the row arrays (draw ... pattern_base), ``shared`` the remaining
    arguments before the generator.
    """
    n = len(per_row[0])
    parts = in_chunks(
        n,
        n,
        rng,
        lambda lo, hi, gen: simulate_paths_kernel(*[a[lo:hi] for a in per_row], *shared, gen),
    )
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


@numba.njit(inline="always", nogil=True)
def walk(
    d,
    g,
    r,
    k,
    s,
    t,
    created,
    pattern_base,
    base,
    rep_effect,
    pattern_effect,
    transition_cdf,
    period_eps,
    in_period_stage,
    edges,
    age_edge,
    horizon,
    max_moves,
    rng,
):
    """One deal path under posterior draw ``d`` (segment ``g``, rep ``r``), from open stage
    ``k`` with ``s`` days in it at time ``t``: ``(won by the horizon, close time or inf)``.

    ``pattern_base`` is the deal's covariate pattern with the age bin 0 (the age bin, the
    last and fastest-varying pattern digit, is added at each stage entry: 1 when the deal is
    ``age_edge`` days or older when it enters the stage)."""
    n_bins = edges.shape[0] - 1
    n_next = transition_cdf.shape[2]
    won_index = n_next - 1
    for _ in range(max_moves):
        if t >= horizon:
            break
        age = t - s - created
        pat = pattern_base + (1 if age >= age_edge else 0)
        eps = period_eps[d] if in_period_stage[k] else 0.0
        lin_a = rep_effect[d, 0, r] + pattern_effect[d, 0, pat] + eps
        lin_l = rep_effect[d, 1, r] + pattern_effect[d, 1, pat] - eps
        e = rng.exponential(1.0)
        event = np.inf
        advance = False
        for b in range(n_bins):
            lo = max(s, edges[b])
            width = max(edges[b + 1] - lo, 0.0)
            if width <= 0.0:
                continue
            ha = np.exp(base[d, 0, g, k, b] + lin_a)
            hl = np.exp(base[d, 1, g, k, b] + lin_l)
            h = ha + hl
            take = h * width
            if take >= e:
                event = lo + e / h - s
                advance = rng.random() < ha / h
                break
            e -= take
        when = t + event
        if not when <= horizon:  # no event by the horizon: stays open
            break
        if not advance:  # lost
            break
        u = rng.random()
        nxt = 0
        for j in range(n_next):
            if u > transition_cdf[d, k, j]:
                nxt += 1
        nxt = max(nxt, k + 1)
        if nxt >= won_index:
            return True, when
        k = nxt
        t = when
        s = 0.0
    return False, np.inf


@numba.njit(cache=True, nogil=True)
def simulate_paths_kernel(
    draw,
    seg,
    rep,
    stage,
    time_in_stage,
    now,
    created,
    pattern_base,
    base,
    rep_effect,
    pattern_effect,
    transition_cdf,
    period_eps,
    in_period_stage,
    edges,
    age_edge,
    horizon,
    max_moves,
    rng,
):
    """Won flag and close time (inf when not won by ``horizon``) of each row (:func:`walk`)."""
    n = draw.shape[0]
    won = np.zeros(n, dtype=np.bool_)
    close = np.full(n, np.inf)
    for i in range(n):
        won[i], close[i] = walk(
            draw[i],
            seg[i],
            rep[i],
            stage[i],
            time_in_stage[i],
            now[i],
            created[i],
            pattern_base[i],
            base,
            rep_effect,
            pattern_effect,
            transition_cdf,
            period_eps,
            in_period_stage,
            edges,
            age_edge,
            horizon,
            max_moves,
            rng,
        )
    return won, close


def simulate_deals_parallel(n_draws: int, per_deal: list, shared: list, rng: np.random.Generator):
    """Every open deal under every posterior draw, without draw x deal input arrays: row
    ``i = d * n_deals + j`` walks deal ``j`` under draw ``d`` (:func:`simulate_deals_kernel`),
    in the order, chunks and random streams of :func:`simulate_paths_parallel` on the tiled
    rows, so both give the same paths for the same seed.

    ``per_deal`` are (seg, rep, stage, time_in_stage, now, created, pattern_base), one entry
    per deal; ``shared`` as for :func:`simulate_paths_parallel`."""
    n = n_draws * len(per_deal[0])
    parts = in_chunks(
        n, n, rng, lambda lo, hi, gen: simulate_deals_kernel(lo, hi, *per_deal, *shared, gen)
    )
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


@numba.njit(cache=True, nogil=True)
def simulate_deals_kernel(
    row_lo,
    row_hi,
    seg,
    rep,
    stage,
    time_in_stage,
    now,
    created,
    pattern_base,
    base,
    rep_effect,
    pattern_effect,
    transition_cdf,
    period_eps,
    in_period_stage,
    edges,
    age_edge,
    horizon,
    max_moves,
    rng,
):
    """Rows ``row_lo`` to ``row_hi`` of the draw-major (draw x deal) grid: won flag and close
    time of deal ``i % n_deals`` under draw ``i // n_deals`` (:func:`walk`)."""
    n_deals = seg.shape[0]
    won = np.zeros(row_hi - row_lo, dtype=np.bool_)
    close = np.full(row_hi - row_lo, np.inf)
    for i in range(row_lo, row_hi):
        d, j = i // n_deals, i % n_deals
        won[i - row_lo], close[i - row_lo] = walk(
            d,
            seg[j],
            rep[j],
            stage[j],
            time_in_stage[j],
            now[j],
            created[j],
            pattern_base[j],
            base,
            rep_effect,
            pattern_effect,
            transition_cdf,
            period_eps,
            in_period_stage,
            edges,
            age_edge,
            horizon,
            max_moves,
            rng,
        )
    return won, close


def simulate_arrivals_parallel(
    counts, per_week: list, per_draw_segment: list, paths: list, window: tuple, rng
):
    """:func:`simulate_arrivals_kernel` over the draws in :data:`CHUNKS` blocks in threads,
    each block with a child generator seeded from ``rng`` (the same seed gives the same
    bookings on any machine).

    ``per_week`` is (week_start, week_days), ``per_draw_segment`` (rep_cdf, type_cdf,
    mu_won_amount, sd_won_amount, pattern_of), ``paths`` the hazard arrays of
    :func:`walk` (base ... age_edge) and ``window`` (period_start, period_end, days in the
    period, max_moves). Returns the won bookings per draw and rep and per draw and day of
    the period."""
    n_draws, n_reps = counts.shape[0], per_draw_segment[0].shape[1]
    start, end, n_days, max_moves = window
    by_rep = np.zeros((n_draws, n_reps))
    by_day = np.zeros((n_draws, int(n_days)))

    def run(lo, hi, gen):  # each block writes only its own draws' rows
        simulate_arrivals_kernel(
            counts,
            lo,
            hi,
            *per_week,
            *per_draw_segment,
            *paths,
            float(start),
            float(end),
            int(max_moves),
            by_rep,
            by_day,
            gen,
        )

    in_chunks(n_draws, int(counts.sum()), rng, run)
    return by_rep, by_day


@numba.njit(cache=True, nogil=True)
def simulate_arrivals_kernel(
    counts,
    draw_lo,
    draw_hi,
    week_start,
    week_days,
    rep_cdf,
    type_cdf,
    mu_won_amount,
    sd_won_amount,
    pattern_of,
    base,
    rep_effect,
    pattern_effect,
    transition_cdf,
    period_eps,
    in_period_stage,
    edges,
    age_edge,
    period_start,
    period_end,
    max_moves,
    by_rep,
    by_day,
    rng,
):
    """Deals created after the cutoff, each run to won, lost or the period's end, and the
    won amounts added up, for draws ``draw_lo`` to ``draw_hi`` (rows of ``by_rep`` and
    ``by_day``, which only this call writes).

    ``counts[d, g, w]`` deals of segment ``g`` are created in week ``w`` (uniformly in
    ``week_start[w] + [0, week_days[w])``), each with a rep and an opportunity type drawn
    from the segment's CDFs (``rep_cdf``, ``type_cdf``), a size tercile uniform over the
    sizes (``pattern_of[type, size]`` is the covariate pattern, age bin 0), starting in the
    first stage. A deal won before ``period_end`` books ``exp(Normal(mu_won_amount[d, g],
    sd_won_amount[d, g]))`` on its rep and its close day. No array per deal: the sums are
    made as the deals are walked (:func:`walk`)."""
    n_weeks = counts.shape[2]
    n_days = by_day.shape[1]
    n_reps = rep_cdf.shape[1]
    n_types = type_cdf.shape[1]
    for d in range(draw_lo, draw_hi):
        for g in range(counts.shape[1]):
            for w in range(n_weeks):
                for _ in range(counts[d, g, w]):
                    created = week_start[w] + rng.random() * week_days[w]
                    r = min(np.searchsorted(rep_cdf[g], rng.random(), side="right"), n_reps - 1)
                    tt = min(np.searchsorted(type_cdf[g], rng.random(), side="right"), n_types - 1)
                    size = rng.integers(0, pattern_of.shape[1])
                    won, close = walk(
                        d,
                        g,
                        r,
                        0,
                        0.0,
                        created,
                        created,
                        pattern_of[tt, size],
                        base,
                        rep_effect,
                        pattern_effect,
                        transition_cdf,
                        period_eps,
                        in_period_stage,
                        edges,
                        age_edge,
                        period_end,
                        max_moves,
                        rng,
                    )
                    if won and close < period_end:
                        amount = np.exp(mu_won_amount[d, g] + sd_won_amount[d, g] * rng.normal())
                        by_rep[d, r] += amount
                        day = int(np.floor(close - period_start))
                        by_day[d, min(max(day, 0), n_days - 1)] += amount


@numba.njit(cache=True, nogil=True)
def column_medians_kernel(values, mask):
    """Median of each column of ``values`` over the rows where ``mask`` is set (nan where
    none is; see :func:`.simulate.column_medians`)."""
    n_rows, n_cols = values.shape
    out = np.full(n_cols, np.nan)
    buf = np.empty(n_rows)
    for j in range(n_cols):
        k = 0
        for i in range(n_rows):
            if mask[i, j]:
                buf[k] = values[i, j]
                k += 1
        if k:
            out[j] = np.median(buf[:k])
    return out
