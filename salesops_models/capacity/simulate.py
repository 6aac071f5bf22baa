"""Monte Carlo engine: monthly bookings of every seat in every scenario.

Model of one seat (an AE position) in scenario s, month m:

    bookings[s, m] = 1{u[s, m] >= pi[s, m]} * exp(lam + shared[s, m]) * g[s, m] / k
                     * ramp[m] * occupied[s, m],     g[s, m] ~ Gamma(k, 1)
    shared[s, m] = season[m] + sd_period * zq[s, quarter(m)] + sd_segment * zg[s, g, quarter(m)]
                   + shock[m]              (g the seat's segment)
    pi[s, m] = sigmoid(-(logit(1 - pi) + kappa * (shared[s, m] - shock[m])))

a *hurdle-Gamma* month (no booking with probability ``pi[s, m]``: the occupant's share of
months without bookings ``pi``, moved by the shared effect through the hurdle's loading
``kappa`` when one is given (:mod:`.productivity`); otherwise Gamma with shape ``k``
and mean ``exp(lam + shared)``), scaled by the occupant's ramp (share of full
productivity by tenure month). ``shared`` is the same for every seat of a scenario: the
month's seasonality, the scenario's path of quarter effects (``zq`` one standard normal per
quarter of the horizon and scenario, drawn once and applied to every seat: a good quarter is
good for everyone) and an optional user-given ``shock`` (a stress test, e.g. log(0.85) in
H2; it scales the booked months exactly, and does not go through the hurdle). Parameter
uncertainty is carried by giving each scenario one posterior draw (``lam``, ``shape``,
``pi`` per seat, ``season``, ``sd_period`` and ``kappa``). Attrition: the occupant leaves after a
geometric number of months (monthly hazard ``h``); the seat is vacant for ``backfill_gap``
months, then a backfill starts at month 0 of the ramp with productivity drawn from the
segment's population (``lam ~ Normal(mu_seg, tau_seg)``; its ``pi`` the segment's median
rep's, ``pi_backfill``). A departure does not stop the deals already in flight: with
``carry`` given, the leaver's pipeline still closes ``j`` months after the first month
without them at ``carry[j]`` of their booked months (the value-weighted share of won deals
whose cycle is longer than ``j + 1/2`` months: a renewal argument, see
:func:`~salesops_models.capacity.plan.pipeline_carry`), a hurdle-Gamma month of its own
(the same shape and hurdle, its mean scaled by ``carry[j]`` x the leaver's last ramp share;
a thinned month is a little less variable than this). One backfill per seat within the
horizon (a second departure inside a year is ignored: at 1.5%/month it touches under 2% of
seats).

Speed: the loop runs over seats; each seat's (scenario x month) arrays are vectorized,
float32, drawn from the seat's own random stream (``SeedSequence(seed).spawn``), so results
do not depend on the number of worker threads and a per-seat reference loop reproduces them
exactly. Memory is bounded: per seat only (scenarios x months) arrays are live, and results
are kept as period totals.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from ..settings import renamed_parameters

F32 = np.float32


@dataclass
class SeatParams:
    """Inputs of :func:`simulate`; arrays are per seat (R) and per posterior draw (D).

    lam, shape, pi : (D, R)  hurdle-Gamma parameters of each seat's current occupant (log of
        the mean booked month, Gamma shape, share of months without bookings)
        (for a planned hire: NaN in ``lam``, drawn from ``mu_pop``/``tau_pop`` instead)
    mu_pop, tau_pop : (D, R)  population distribution of ``lam`` for backfills and hires
    ramp : (R, M)  productivity share of the first occupant by month (0 before a hire starts)
    ramp_curve : (K,)  share by tenure month for backfills (1 after the curve ends)
    hazard : (R,)  monthly attrition probability of each seat's occupants
    backfill_gap : int  months a seat stays empty after a departure
    season : (D, M)  log seasonality of each horizon month (None: none)
    sd_period : (D,)  scale of the shared quarter effect (None: no shared effect)
    quarter_of_month : (M,)  quarter of the horizon each month is in (0, 0, 0, 1, ...)
    shock : (M,)  user-given log change of every seat's bookings in each month (None: none)
    sd_segment : (D,)  scale of a segment's own quarter effect (None: none)
    segment_of_seat : (R,)  segment index of each seat (for ``sd_segment``)
    booked_loading : (D,)  ``kappa``, the hurdle's loading on the shared effect (None: the
        share of months without bookings does not move with it)
    pi_backfill : (D, R)  share of months without bookings of a backfill (None: ``pi``)
    carry : (R, K)  share of the first occupant's booked months that still closes ``j``
        months after they left (None: nothing closes after a departure)
    """

    lam: np.ndarray
    shape: np.ndarray
    pi: np.ndarray
    mu_pop: np.ndarray
    tau_pop: np.ndarray
    ramp: np.ndarray
    ramp_curve: np.ndarray
    hazard: np.ndarray
    backfill_gap: int = 2
    season: np.ndarray | None = None
    sd_period: np.ndarray | None = None
    quarter_of_month: np.ndarray | None = None
    shock: np.ndarray | None = None
    sd_segment: np.ndarray | None = None
    segment_of_seat: np.ndarray | None = None
    booked_loading: np.ndarray | None = None
    pi_backfill: np.ndarray | None = None
    carry: np.ndarray | None = None

    def hurdle_shift(self, draw: np.ndarray, shared: np.ndarray) -> np.ndarray | None:
        """``kappa * (shared - shock)`` (S, G, M): the shift of every scenario's, segment's
        and month's log-odds of a booked month (None without a loading)."""
        if self.booked_loading is None:
            return None
        base = shared if self.shock is None else shared - np.asarray(self.shock)[None, None, :]
        return self.booked_loading[draw][:, None, None] * base

    def shared_path(self, draw: np.ndarray, seed: np.random.SeedSequence) -> np.ndarray:
        """The shared log effect (S, G, M) of every scenario, segment and month (module
        docstring; G = 1 without segment effects); scenario s uses posterior draw ``draw[s]``;
        the quarter effects come from their own stream ``seed``."""
        S, M = len(draw), self.ramp.shape[1]
        G = 1 if self.sd_segment is None else int(self.segment_of_seat.max()) + 1
        out = np.zeros((S, 1, M))
        if self.season is not None:
            out += self.season[draw][:, None, :]
        if self.shock is not None:
            out += np.asarray(self.shock, dtype=float)[None, None, :]
        if self.sd_period is None:
            return out
        qom = self.quarter_of_month
        Q = int(qom.max()) + 1
        rng = np.random.Generator(np.random.PCG64(seed))
        zq = rng.standard_normal((S, Q))
        out = out + (self.sd_period[draw][:, None] * zq[:, qom])[:, None, :]
        if self.sd_segment is not None:
            zg = rng.standard_normal((S, G, Q))
            out = out + self.sd_segment[draw][:, None, None] * zg[:, :, qom]
        return out

    def validate(self) -> None:
        D, R = self.lam.shape
        for name in ("shape", "pi", "mu_pop", "tau_pop"):
            if getattr(self, name).shape != (D, R):
                raise ValueError(f"{name} must have shape (draws, seats) = {(D, R)}")
        if self.ramp.ndim != 2 or self.ramp.shape[0] != R:
            raise ValueError(f"ramp must have shape (seats, months) with {R} seats")
        if (self.ramp < 0).any() or (np.asarray(self.ramp_curve) < 0).any():
            raise ValueError("ramp shares must be >= 0")
        if ((self.hazard < 0) | (self.hazard >= 1)).any():
            raise ValueError("attrition hazard must be in [0, 1)")
        if not (self.shape > 0).all():
            raise ValueError("Gamma shape of a booked month must be > 0")
        if ((self.pi < 0) | (self.pi > 1)).any():
            raise ValueError("pi (share of months without bookings) must be in [0, 1]")
        if self.pi_backfill is not None and (
            self.pi_backfill.shape != (D, R)
            or ((self.pi_backfill < 0) | (self.pi_backfill > 1)).any()
        ):
            raise ValueError(f"pi_backfill must have shape {(D, R)} with values in [0, 1]")
        if self.carry is not None and (
            np.ndim(self.carry) != 2
            or np.shape(self.carry)[0] != R
            or ((np.asarray(self.carry) < 0) | (np.asarray(self.carry) > 1)).any()
        ):
            raise ValueError(
                f"carry must have shape (seats, months after) with {R} seats, in [0, 1]"
            )
        if self.booked_loading is not None and (
            self.booked_loading.shape != (D,) or not np.isfinite(self.booked_loading).all()
        ):
            raise ValueError(f"booked_loading must be {D} finite draws")
        if self.backfill_gap < 0:
            raise ValueError("backfill_gap must be >= 0")
        self._validate_shared(D, R, self.ramp.shape[1])

    def _validate_shared(self, D: int, R: int, M: int) -> None:
        if self.season is not None and self.season.shape != (D, M):
            raise ValueError(f"season must have shape (draws, months) = {(D, M)}")
        if self.sd_period is not None:
            if self.sd_period.shape != (D,) or (self.sd_period < 0).any():
                raise ValueError(f"sd_period must be {D} draws >= 0")
            qom = self.quarter_of_month
            if qom is None or np.shape(qom) != (M,) or (np.diff(qom) < 0).any() or qom[0] != 0:
                raise ValueError(
                    "quarter_of_month must give each of the M months its quarter: 0, 0, 0, 1, ..."
                )
        if self.sd_segment is not None:
            seg = self.segment_of_seat
            if self.sd_segment.shape != (D,) or (self.sd_segment < 0).any():
                raise ValueError(f"sd_segment must be {D} draws >= 0")
            if self.sd_period is None or seg is None or np.shape(seg) != (R,) or seg.min() < 0:
                raise ValueError("a segment effect needs sd_period and every seat's segment")
        if self.shock is not None:
            shock = np.asarray(self.shock, dtype=float)
            if shock.shape != (M,) or not np.isfinite(shock).all():
                raise ValueError(f"shock must be {M} finite log changes, one per month")


@dataclass
class SimResult:
    """Monthly total bookings (S, M), per-seat period totals (S, R, P), for each seat
    whether its first occupant stayed through each period (S, R, P), and the shared log
    effect of every scenario and month (S, M; the org's: the mean over segments) and per
    segment (S, G, M)."""

    monthly_total: np.ndarray
    seat_period: np.ndarray
    stayed: np.ndarray
    periods: list[np.ndarray]
    draw_of_scenario: np.ndarray
    shared: np.ndarray | None = None
    segment_shared: np.ndarray | None = None
    shock: np.ndarray | None = None  # (M,) the user-given log change in ``shared``


def no_booking(pi: np.ndarray, shift: np.ndarray | None) -> np.ndarray:
    """P(no booking) of each scenario (and month): ``pi`` (S,) as a column, or with the
    hurdle's shift (S, M) ``sigmoid(-(logit(1 - pi) + shift))`` in float32."""
    pi = np.asarray(pi, dtype=F32)
    if shift is None:
        return pi[:, None]
    with np.errstate(divide="ignore", over="ignore"):
        odds = (np.log1p(-pi) - np.log(pi))[:, None] + shift  # logit(1 - pi) + shift
        return (F32(1) / (F32(1) + np.exp(odds))).astype(F32)


def _carry_share(p: SeatParams, r: int, lv, month, start: int) -> np.ndarray:
    """``carry[j]`` x the leaver's ramp share in their last month in seat, for every
    departure scenario (rows of ``lv``, the first month without the occupant) and month
    (``j = month - lv``; 0 before the departure and after the curve ends)."""
    curve = np.append(np.asarray(p.carry[r], dtype=F32), F32(0))
    j = (month - lv).astype(np.int64)
    c = np.where(j >= 0, curve[np.clip(j, 0, len(curve) - 1)], F32(0))
    last = np.clip(lv - 1, start, p.ramp.shape[1] - 1).astype(np.int64)[:, 0]
    return (c * p.ramp[r][last][:, None]).astype(F32)


def _seat(
    r: int,
    p: SeatParams,
    S: int,
    M: int,
    draw: np.ndarray,
    seed: np.random.SeedSequence,
    periods: list[np.ndarray],
    shared: np.ndarray,
    shift: np.ndarray | None = None,
):
    rng = np.random.Generator(np.random.PCG64(seed))
    k = p.shape[draw, r].astype(F32)
    u = rng.random((S, M), dtype=F32)
    g = rng.standard_gamma(np.broadcast_to(k[:, None], (S, M)), dtype=F32)
    u_leave = rng.random(S)
    z_first = rng.standard_normal(S)
    z_back = rng.standard_normal(S)
    lam = p.lam[draw, r]
    mu, tau = p.mu_pop[draw, r], p.tau_pop[draw, r]
    lam = np.where(np.isnan(lam), mu + tau * z_first, lam).astype(F32)
    lam_back = (mu + tau * z_back).astype(F32)
    inv_k = (F32(1) / k)[:, None]
    no_book = no_booking(p.pi[draw, r], shift)  # (S, 1) or (S, M)
    pib = p.pi if p.pi_backfill is None else p.pi_backfill
    h = float(p.hazard[r])
    # departure month of the first occupant (counted from its start month)
    start = int(np.argmax(p.ramp[r] > 0)) if (p.ramp[r] > 0).any() else M
    if h > 0:
        stay = np.floor(np.log(u_leave) / np.log1p(-h))
    else:
        stay = np.full(S, np.inf)
    leave = start + stay  # first month without the first occupant
    # fast path for every scenario: the first occupant all horizon long (float32, in place);
    # one order of operations everywhere: exp(shared + loc) * g * (1 / k) * ramp
    dep = leave < M
    g_dep, u_dep = g[dep], u[dep]
    b = shared + lam[:, None]
    np.exp(b, out=b)
    b *= g
    b *= inv_k
    b *= p.ramp[r][None, :].astype(F32)
    b *= u >= no_book
    if dep.any():  # scenarios with a departure: vacancy, then a ramping backfill
        lv = leave[dep][:, None]
        month = np.arange(M, dtype=F32)[None, :]
        first = month < lv
        tenure_back = month - (lv + p.backfill_gap)
        curve_ext = np.append(np.asarray(p.ramp_curve, dtype=F32), F32(1.0))
        kk = np.clip(tenure_back, 0, len(curve_ext) - 1).astype(np.int64)
        ramp_cell = np.where(
            first, p.ramp[r][None, :].astype(F32), np.where(tenure_back >= 0, curve_ext[kk], F32(0))
        )
        loc = np.where(first, lam[dep][:, None], lam_back[dep][:, None])
        bd = np.exp(shared[dep] + loc) * g_dep * inv_k[dep] * ramp_cell
        no_book_back = no_booking(pib[draw, r], shift)
        bd *= u_dep >= np.where(first, no_book[dep], no_book_back[dep])
        if p.carry is not None:  # the leaver's deals in flight still close
            n_dep = int(dep.sum())
            u_c = rng.random((n_dep, M), dtype=F32)
            g_c = rng.standard_gamma(np.broadcast_to(k[dep][:, None], (n_dep, M)), dtype=F32)
            share = _carry_share(p, r, lv, month, start)
            bc = np.exp(shared[dep] + lam[dep][:, None]) * g_c * inv_k[dep] * share
            bc *= u_c >= no_book[dep]
            bd += bc
        b[dep] = bd
    seat_period = np.stack([b[:, idx].sum(axis=1) for idx in periods], axis=1)
    stayed = np.stack([leave > idx.max() for idx in periods], axis=1)
    return b, seat_period, stayed


@renamed_parameters(n_scenarios="draws")
def simulate(
    p: SeatParams,
    draws: int,
    seed: int | np.random.SeedSequence,
    periods: list[np.ndarray] | None = None,
    workers: int = 2,
    progress: bool = False,
) -> SimResult:
    """Simulate every seat; see the module docstring for the model.

    Parameters
    ----------
    periods : list of month-index arrays
        Periods to total by seat (default: the whole horizon as one period).
    workers : int
        Threads (NumPy releases the GIL while drawing); results do not depend on it.
    """
    p.validate()
    D, R = p.lam.shape
    M = p.ramp.shape[1]
    S = int(draws)
    if S < 1:
        raise ValueError("draws must be >= 1")
    periods = periods or [np.arange(M)]
    root = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    draw_seed, *seat_seeds = root.spawn(R + 1)
    draw = np.random.Generator(np.random.PCG64(draw_seed)).integers(0, D, S)
    shared = p.shared_path(draw, draw_seed.spawn(1)[0])  # (S, G, M)
    shared32 = shared.astype(F32)
    shift = p.hurdle_shift(draw, shared)
    shift32 = None if shift is None else shift.astype(F32)
    seg = p.segment_of_seat if p.sd_segment is not None else np.zeros(R, dtype=np.int64)
    seat_period = np.empty((S, R, len(periods)), dtype=F32)
    stayed = np.empty((S, R, len(periods)), dtype=bool)
    totals = np.zeros((max(1, workers), S, M), dtype=np.float64)
    chunks = np.array_split(np.arange(R), max(1, workers))
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=R, desc="simulate seats", unit="seat")

    def run(w: int) -> None:
        acc = np.zeros((S, M), dtype=np.float64)
        for r in chunks[w]:
            sh = None if shift32 is None else shift32[:, seg[r], :]
            b, sp, st = _seat(r, p, S, M, draw, seat_seeds[r], periods, shared32[:, seg[r], :], sh)
            acc += b
            seat_period[:, r, :] = sp
            stayed[:, r, :] = st
            if bar is not None:
                bar.update(1)
        totals[w] = acc

    if workers <= 1:
        run(0)
    else:
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(run, range(len(chunks))))
    if bar is not None:
        bar.close()
    shock = None if p.shock is None else np.asarray(p.shock, dtype=float)
    return SimResult(
        totals.sum(axis=0), seat_period, stayed, periods, draw, shared.mean(axis=1), shared, shock
    )


def simulate_reference_loop(
    p: SeatParams, n_scenarios: int, seed, seats: list[int], periods: list[np.ndarray] | None = None
) -> np.ndarray:
    """The straightforward version: Python loops over seats, scenarios and months, consuming
    the same random streams; returns seat-period totals (S, len(seats), P) for ``seats``."""
    import math

    D, R = p.lam.shape
    M = p.ramp.shape[1]
    S = int(n_scenarios)
    periods = periods or [np.arange(M)]
    root = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    draw_seed, *seat_seeds = root.spawn(R + 1)
    draw = np.random.Generator(np.random.PCG64(draw_seed)).integers(0, D, S)
    shared64 = p.shared_path(draw, draw_seed.spawn(1)[0])
    shared = shared64.astype(F32)
    shift = p.hurdle_shift(draw, shared64)
    seg = p.segment_of_seat if p.sd_segment is not None else np.zeros(R, dtype=np.int64)
    pib = p.pi if p.pi_backfill is None else p.pi_backfill
    out = np.zeros((S, len(seats), len(periods)), dtype=np.float64)
    curve = list(np.asarray(p.ramp_curve, dtype=F32))
    for j, r in enumerate(seats):
        rng = np.random.Generator(np.random.PCG64(seat_seeds[r]))
        shape = p.shape[draw, r].astype(F32)
        u = rng.random((S, M), dtype=F32)
        g = rng.standard_gamma(np.broadcast_to(shape[:, None], (S, M)), dtype=F32)
        u_leave = rng.random(S)
        z_first = rng.standard_normal(S)
        z_back = rng.standard_normal(S)
        start = next((m for m in range(M) if p.ramp[r, m] > 0), M)
        h = float(p.hazard[r])
        leaves = [
            start + (math.floor(math.log(u_leave[s]) / math.log1p(-h)) if h > 0 else math.inf)
            for s in range(S)
        ]
        dep_rows = [s for s in range(S) if leaves[s] < M]
        if p.carry is not None and dep_rows:  # the same draws, in the engine's order
            u_c = rng.random((len(dep_rows), M), dtype=F32)
            k_dep = np.asarray([shape[s] for s in dep_rows], dtype=F32)
            g_c = rng.standard_gamma(np.broadcast_to(k_dep[:, None], (len(dep_rows), M)), dtype=F32)
            row_of = {s: i for i, s in enumerate(dep_rows)}
        # P(no booking) per scenario and month, by the engine's own formula
        sh = None if shift is None else shift[:, seg[r], :].astype(F32)
        no_book = np.broadcast_to(no_booking(p.pi[draw, r], sh), (S, M))
        no_book_back = np.broadcast_to(no_booking(pib[draw, r], sh), (S, M))
        for s in range(S):
            d = draw[s]
            lam = p.lam[d, r]
            if math.isnan(lam):
                lam = p.mu_pop[d, r] + p.tau_pop[d, r] * z_first[s]
            lam_back = p.mu_pop[d, r] + p.tau_pop[d, r] * z_back[s]
            leave = leaves[s]
            for m in range(M):
                if p.carry is not None and m >= leave and m - leave < len(p.carry[r]):
                    i = row_of[s]
                    last = int(min(max(leave - 1, start), M - 1))
                    c = F32(p.carry[r][int(m - leave)]) * F32(p.ramp[r, last])
                    if c > 0 and u_c[i, m] >= no_book[s, m]:
                        e = np.exp(shared[s, seg[r], m] + F32(lam))
                        v = float(e * g_c[i, m] * (F32(1) / shape[s]) * c)
                        for q, idx in enumerate(periods):
                            if m in idx:
                                out[s, j, q] += v
                if m < leave:
                    share, loc, nb = float(F32(p.ramp[r, m])), lam, no_book[s, m]
                elif m >= leave + p.backfill_gap:
                    k = int(m - leave - p.backfill_gap)
                    share, loc = (float(curve[k]) if k < len(curve) else 1.0), lam_back
                    nb = no_book_back[s, m]
                else:
                    continue
                if u[s, m] < nb:
                    continue
                e = np.exp(shared[s, seg[r], m] + F32(loc))
                v = float(e * g[s, m] * (F32(1) / shape[s]) * F32(share))
                for q, idx in enumerate(periods):
                    if m in idx:
                        out[s, j, q] += v
    return out


#: Scenarios per task of :func:`simulate_chunked` (about 2,000 x seats x months float32 each).
SCENARIO_CHUNK = 2_000


def _simulate_block(block, p: SeatParams, periods) -> SimResult:
    """One block of scenarios with its own seed stream (a task of :func:`simulate_chunked`)."""
    lo, hi, seed = block
    return simulate(p, hi - lo, seed, periods, workers=1)


@renamed_parameters(n_scenarios="draws")
def simulate_chunked(
    p: SeatParams,
    draws: int,
    seed: int | np.random.SeedSequence,
    periods: list[np.ndarray] | None = None,
    *,
    chunk: int = SCENARIO_CHUNK,
    scheduler=None,
    progress: bool = False,
) -> SimResult:
    """:func:`simulate` in blocks of ``chunk`` scenarios, each block a task with its own seed
    stream (child ``c`` of ``SeedSequence(seed)``), here or on a Dask cluster
    (:mod:`salesops_models.distributed`). The blocks are fixed by ``draws`` and
    ``chunk``, so the same seed gives the same numbers whatever runs them; the posterior draws
    and seat parameters go to each worker once.

    Examples
    --------
    >>> import numpy as np
    >>> one = np.ones((4, 3))                       # 4 posterior draws x 3 seats
    >>> p = SeatParams(lam=10 * one, shape=2 * one, pi=0 * one, mu_pop=10 * one,
    ...                tau_pop=0.2 * one, ramp=np.ones((3, 12)), ramp_curve=np.array([0.5]),
    ...                hazard=np.zeros(3), backfill_gap=1)
    >>> a = simulate_chunked(p, 500, seed=1, chunk=200)   # 3 blocks: 200, 200, 100
    >>> b = simulate_chunked(p, 500, seed=1, chunk=200)   # scheduler="local:2": the same
    >>> a.seat_period.shape, bool((a.seat_period == b.seat_period).all())
    ((500, 3, 1), True)
    """
    from ..distributed import map_ordered, scenario_chunks

    blocks = scenario_chunks(int(draws), int(chunk))
    root = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    seeds = root.spawn(len(blocks))
    periods = periods or [np.arange(p.ramp.shape[1])]
    parts = map_ordered(
        _simulate_block,
        [(lo, hi, s) for (lo, hi), s in zip(blocks, seeds, strict=True)],
        scheduler=scheduler,
        shared={"p": p, "periods": periods},
        progress=progress,
        desc="scenario blocks",
    )
    cat = np.concatenate
    return SimResult(
        cat([r.monthly_total for r in parts]),
        cat([r.seat_period for r in parts]),
        cat([r.stayed for r in parts]),
        periods,
        cat([r.draw_of_scenario for r in parts]),
        None if parts[0].shared is None else cat([r.shared for r in parts]),
        None if parts[0].segment_shared is None else cat([r.segment_shared for r in parts]),
        parts[0].shock,
    )
