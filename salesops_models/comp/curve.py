"""Payout curves: the fraction of target incentive paid at an attainment, vectorized (floats,
for simulations) and exact per deal (Decimal, for statements). See :mod:`.plan` for the
conventions."""

from __future__ import annotations

from decimal import Decimal

import numpy as np

from .plan import RateTable

INF = float("inf")


def _bands(rt: RateTable):
    out = []
    for t in rt.tiers:
        rate = min(t.rate, rt.cap_rate) if rt.cap_rate is not None else t.rate
        out.append((t.start, INF if t.end is None else t.end, rate))
    return out


def payout_fraction(rt: RateTable, attainment) -> np.ndarray:
    """``g(a)``: payout as a fraction of target incentive, vectorized over any array.

    Marginal: sum_k rate_k * overlap([0, a], band_k). Retroactive: rate of the band holding
    ``a`` times ``a``. Then: zero below the gate, credit capped at ``cap_attainment``,
    payout capped at ``cap_payout``.
    """
    a = np.asarray(
        attainment, dtype=np.float64 if np.asarray(attainment).dtype != np.float32 else np.float32
    )
    dt = a.dtype.type
    eff = np.minimum(a, dt(rt.cap_attainment)) if rt.cap_attainment is not None else a
    eff = np.maximum(eff, dt(0))
    bands = _bands(rt)
    if rt.method == "marginal":
        g = np.zeros_like(eff)
        tmp = np.empty_like(eff)
        for start, end, rate in bands:
            width = end - start
            if rate == 0:
                continue
            np.subtract(eff, dt(start), out=tmp)
            if np.isinf(width):
                np.maximum(tmp, dt(0), out=tmp)
            else:
                np.clip(tmp, dt(0), dt(width), out=tmp)
            tmp *= dt(rate)
            g += tmp
    else:
        rate_at = np.zeros_like(eff)
        for start, _end, rate in bands:
            rate_at = np.where(eff >= dt(start), dt(rate), rate_at)
        g = rate_at * eff
    if rt.gate > 0:
        g = np.where(a < dt(rt.gate), dt(0), g)
    if rt.cap_payout is not None:
        g = np.minimum(g, dt(rt.cap_payout))
    return g


def marginal_slices(
    rt: RateTable, c0: Decimal, c1: Decimal, quota: Decimal
) -> list[tuple[int, Decimal, Decimal]]:
    """Split the credit interval [c0, c1] (cumulative credit before and after a deal) into
    tier slices: (tier index, credit in that tier, rate). Credit above ``cap_attainment``
    falls in no slice."""
    out = []
    hi_cap = Decimal(str(rt.cap_attainment)) * quota if rt.cap_attainment is not None else None
    for k, (start, end, rate) in enumerate(_bands(rt)):
        lo = Decimal(str(start)) * quota
        hi = None if end == INF else Decimal(str(end)) * quota
        if hi_cap is not None:
            hi = hi_cap if hi is None else min(hi, hi_cap)
            if lo >= hi_cap:
                continue
        a = max(c0, lo)
        b = c1 if hi is None else min(c1, hi)
        if b > a:
            out.append((k, b - a, Decimal(str(rate))))
    return out


def tier_at(rt: RateTable, attainment: float) -> tuple[int, Decimal]:
    """Index and (capped) rate of the band holding ``attainment`` (for retroactive tables)."""
    eff = min(attainment, rt.cap_attainment) if rt.cap_attainment is not None else attainment
    idx, rate = 0, 0.0
    for k, (start, _end, r) in enumerate(_bands(rt)):
        if eff >= start:
            idx, rate = k, r
    return idx, Decimal(str(rate))


def describe_tier(rt: RateTable, k: int) -> str:
    start, end, rate = _bands(rt)[k]
    hi = "+" if end == INF else f"-{end:.0%}"
    return f"tier {k + 1} ({start:.0%}{hi}) x{rate:g}"
