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


def payout_fraction(rt: RateTable, attainment, *, quota=None, target_incentive=None) -> np.ndarray:
    """``g(a)``: payout as a fraction of target incentive, vectorized over any array.

    Marginal: sum_k rate_k * overlap([0, a], band_k). Retroactive: rate of the band holding
    ``a`` times ``a``. Interpolated: ``r(a) * a`` with the rate linear from each tier's rate at
    its start to the next tier's rate at its end (constant in the open last tier). Then: zero
    below the gate, credit capped at ``cap_attainment``, payout capped at ``cap_payout``.

    A table with ``basis: amount`` (bounds in currency, rates = commission rates) needs each
    element's ``quota`` and ``target_incentive`` (broadcast against ``attainment``): its
    bounds become attainment ``bound / quota`` and its rates multipliers
    ``rate x quota / TI``, the same payout expressed as a fraction of TI. Tables with
    ``per: transaction`` pay per deal; on an aggregate attainment they are evaluated as if
    the period's credit were one deal (the statements are exact per deal).
    """
    a = np.asarray(
        attainment, dtype=np.float64 if np.asarray(attainment).dtype != np.float32 else np.float32
    )
    dt = a.dtype.type
    if rt.basis == "amount":
        if quota is None or target_incentive is None:
            raise ValueError(
                "a rate table with basis 'amount' needs quota and target_incentive to be "
                "expressed as a fraction of target incentive"
            )
        q = np.asarray(quota, dtype=np.float64)
        ti = np.asarray(target_incentive, dtype=np.float64)
        credit = a * q
        cap = rt.cap_attainment * q if rt.cap_attainment is not None else None
        pay = _amount_payout(rt, credit if cap is None else np.minimum(credit, cap))
        g = np.where(ti > 0, pay / np.where(ti > 0, ti, 1.0), 0.0).astype(a.dtype)
        if rt.gate > 0:
            g = np.where(a < dt(rt.gate), dt(0), g)
        if rt.cap_payout is not None:
            g = np.minimum(g, dt(rt.cap_payout))
        return g
    eff = np.minimum(a, dt(rt.cap_attainment)) if rt.cap_attainment is not None else a
    eff = np.maximum(eff, dt(0))
    bands = _bands(rt)
    if rt.method == "interpolated":
        g = _interpolated_rate(bands, eff) * eff
    elif rt.method == "marginal":
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


def _interpolated_rate(bands, x: np.ndarray) -> np.ndarray:
    """Rate at ``x`` (same units as the bounds): linear inside each bounded band from its
    rate to the next band's rate, constant in the open last band."""
    x = np.asarray(x)
    dt = x.dtype.type if np.issubdtype(x.dtype, np.floating) else np.float64
    r = np.zeros_like(x, dtype=dt)
    for k, (start, end, rate) in enumerate(bands):
        inside = x >= start
        if end == INF or k + 1 == len(bands):
            val = np.full_like(r, rate)
        else:
            nxt = bands[k + 1][2]
            val = rate + (nxt - rate) * (x - start) / (end - start)
        r = np.where(inside, val, r).astype(dt)
    return r


def _amount_payout(rt: RateTable, credit: np.ndarray) -> np.ndarray:
    """Payout in currency of a ``basis: amount`` table on ``credit`` (already capped)."""
    bands = _bands(rt)
    credit = np.maximum(np.asarray(credit, dtype=np.float64), 0.0)
    if rt.method == "marginal":
        pay = np.zeros_like(credit)
        for start, end, rate in bands:
            pay += rate * np.clip(credit - start, 0.0, end - start)
        return pay
    if rt.method == "interpolated":
        return _interpolated_rate(bands, credit) * credit
    rate_at = np.zeros_like(credit)
    for start, _end, rate in bands:
        rate_at = np.where(credit >= start, rate, rate_at)
    return rate_at * credit


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


class ExactTable:
    """A rate table in exact decimals, for statements.

    Bounds are attainment (scaled by the quota into credit) or currency (``basis: amount``);
    ``unit`` is the payout per unit of credit at rate 1: the BCR ``TI / quota`` for
    attainment tables, 1 for amount tables (their rates are commission rates).
    """

    def __init__(self, rt: RateTable):
        self.rt = rt
        self.amount = rt.basis == "amount"
        self.bands = [
            (Decimal(str(s)), None if e == INF else Decimal(str(e)), Decimal(str(r)))
            for s, e, r in _bands(rt)
        ]
        self.gate = Decimal(str(rt.gate))
        self.cap_attainment = (
            Decimal(str(rt.cap_attainment)) if rt.cap_attainment is not None else None
        )
        self.cap_payout = Decimal(str(rt.cap_payout)) if rt.cap_payout is not None else None
        self._described: dict[int, str] = {}
        self.starts = [b[0] for b in self.bands]

    def unit(self, ti: Decimal, quota: Decimal) -> Decimal:
        return Decimal(1) if self.amount else ti / quota

    def _scale(self, quota: Decimal) -> Decimal:
        return Decimal(1) if self.amount else quota

    def cap_credit(self, quota: Decimal) -> Decimal | None:
        return self.cap_attainment * quota if self.cap_attainment is not None else None

    def credit_bands(self, quota: Decimal) -> list:
        """(tier index, lower, upper or None, rate) of each tier in credit for ``quota``, cut
        at the ``cap_attainment`` credit (computed once per rep and period)."""
        out = []
        sc, hi_cap = self._scale(quota), self.cap_credit(quota)
        for k, (start, end, rate) in enumerate(self.bands):
            lo = start * sc
            hi = None if end is None else end * sc
            if hi_cap is not None:
                if lo >= hi_cap:
                    continue
                hi = hi_cap if hi is None else min(hi, hi_cap)
            out.append((k, lo, hi, rate))
        return out

    def slices(self, c0: Decimal, c1: Decimal, quota: Decimal, bands: list | None = None) -> list:
        """(tier index, credit in the tier, rate) of the credit interval [c0, c1]; credit above
        ``cap_attainment`` falls in no slice. ``bands``: :meth:`credit_bands` of ``quota``."""
        out = []
        for k, lo, hi, rate in self.credit_bands(quota) if bands is None else bands:
            if hi is not None and hi <= c0:
                continue
            if lo >= c1:
                break
            a = c0 if c0 > lo else lo
            b = c1 if hi is None or c1 < hi else hi
            if b > a:
                out.append((k, b - a, rate))
        return out

    def counted(self, c0: Decimal, c1: Decimal, quota: Decimal) -> Decimal:
        """Credit of [c0, c1] below the ``cap_attainment`` credit."""
        cap = self.cap_credit(quota)
        if cap is None:
            return c1 - c0
        return max(min(c1, cap) - min(c0, cap), Decimal(0))

    def rate_at(self, credit: Decimal, quota: Decimal) -> tuple[int, Decimal]:
        """Tier index and rate at cumulative ``credit``: the reached tier's rate (retroactive)
        or the rate interpolated between tier points (interpolated)."""
        cap = self.cap_credit(quota)
        x = credit if cap is None else min(credit, cap)
        sc = self._scale(quota)
        idx = 0
        for k, (start, _end, _rate) in enumerate(self.bands):
            if x >= start * sc:
                idx = k
        start, end, rate = self.bands[idx]
        if self.rt.method == "interpolated" and end is not None and idx + 1 < len(self.bands):
            nxt = self.bands[idx + 1][2]
            rate = rate + (nxt - rate) * (x - start * sc) / ((end - start) * sc)
        return idx, rate

    def payout(self, credit: Decimal, quota: Decimal, ti: Decimal) -> Decimal:
        """Exact payout of ``credit`` against ``quota`` and ``ti`` (gate and caps applied),
        unrounded; the annual true-up and year-to-date plans use it."""
        if quota > 0 and credit / quota < self.gate:
            return Decimal(0)
        unit = self.unit(ti, quota)
        if self.rt.method == "marginal":
            pay = sum((c * r for _, c, r in self.slices(Decimal(0), credit, quota)), Decimal(0))
        else:
            pay = self.counted(Decimal(0), credit, quota) * self.rate_at(credit, quota)[1]
        pay *= unit
        if self.cap_payout is not None:
            pay = min(pay, self.cap_payout * ti)
        return pay

    def describe(self, k: int) -> str:
        text = self._described.get(k)
        if text is None:
            start, end, rate = self.bands[k]
            if self.amount:
                hi = "+" if end is None else f" to {end:,.2f}"
                text = f"tier {k + 1} ({start:,.2f}{hi}) at {rate * 100:g}%"
            else:
                text = describe_tier(self.rt, k)
            self._described[k] = text
        return text
