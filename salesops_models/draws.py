"""One convention for Monte Carlo and posterior draws across the package.

Every simulation and posterior in the workbench is a set of equally weighted draws along a
dimension named ``draw`` (ArviZ's name for one posterior sample; the capacity and comp-cost
Monte Carlo call one draw a *scenario* in prose, but the dimension is ``draw``). A summary of
draws is labelled the way finance reads it: ``p10`` / ``p50`` / ``p90`` (lower case, the
percent of draws at or below the value), and a central credible/prediction interval of level
``cred`` runs from the ``(1 - cred) / 2`` to the ``1 - (1 - cred) / 2`` quantile (the
equal-tailed interval, ArviZ's ``hdi`` alternative; equal tails are what "P10-P90" means in a
forecast call).

Quantiles use NumPy's default (linear interpolation, Hyndman-Fan type 7), the same as pandas
and xarray, so a quantile of a column and of its array agree.

Examples
--------
>>> import numpy as np
>>> from salesops_models import draws
>>> x = np.arange(101.0)
>>> draws.quantiles(x).to_dict()
{'p10': 10.0, 'p50': 50.0, 'p90': 90.0}
>>> [round(v, 9) for v in draws.interval(x, 0.8)]   # the 80% interval: p10 to p90
[10.0, 90.0]
>>> [round(v, 9) for v in draws.tails(0.9)]
[0.05, 0.95]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .settings import rcParams

DRAW = "draw"
"""The name of the draw dimension (posterior sample or Monte Carlo scenario) everywhere."""

DEFAULT_Q = (0.1, 0.5, 0.9)
"""The package default of ``rcParams["stats.quantiles"]`` (the functions read the setting)."""


def _q(q: Sequence[float] | None) -> tuple[float, ...]:
    return tuple(rcParams["stats.quantiles"] if q is None else q)


def label(q: float) -> str:
    """``0.1 -> 'p10'``, ``0.5 -> 'p50'``, ``0.05 -> 'p05'``, ``0.025 -> 'p2.5'`` (whole
    percentages in two digits, so ``p05`` sorts before ``p10``).

    Examples
    --------
    >>> [label(q) for q in (0.05, 0.5, 0.975)]
    ['p05', 'p50', 'p97.5']
    """
    pct = round(float(q) * 100, 6)
    return f"p{int(pct):02d}" if pct == int(pct) else f"p{pct:g}"


def interval_columns(cred: float) -> tuple[str, str]:
    """The labels of the central interval of level ``cred``: the names every table gives
    its interval columns (never ``lo`` / ``hi``).

    Examples
    --------
    >>> interval_columns(0.8), interval_columns(0.9)
    (('p10', 'p90'), ('p05', 'p95'))
    """
    a, b = tails(cred)
    return label(a), label(b)


def interval_of(table) -> tuple[str, str]:
    """The interval columns a table (or a dict) carries: its lowest and highest ``pNN``
    labels other than ``p50`` (for plots and text that show whatever level was asked).

    Examples
    --------
    >>> interval_of({"mean": 1.0, "p05": 0.5, "p95": 1.5})
    ('p05', 'p95')
    """
    import re

    found = [c for c in table if isinstance(c, str) and re.fullmatch(r"p\d+(\.\d+)?", c)]
    found = sorted((c for c in found if c != "p50"), key=lambda c: float(c[1:]))
    if len(found) < 2:
        raise KeyError(f"no interval columns (pNN) in {list(table)}")
    return found[0], found[-1]


def tails(cred: float) -> tuple[float, float]:
    """Lower and upper quantile of the central interval of level ``cred`` (0 < cred < 1)."""
    cred = float(cred)
    if not 0 < cred < 1:
        raise ValueError(f"credible level must be between 0 and 1, got {cred}")
    a = (1 - cred) / 2
    return a, 1 - a


def interval(x, cred: float | None = None, axis=None):
    """Equal-tailed central interval of level ``cred`` (default ``rcParams["stats.interval"]``,
    80%) of draws ``x``.

    A pair of floats when ``axis`` is None (all draws), else a pair of arrays.

    Examples
    --------
    >>> lo, hi = interval(np.arange(11.0), 0.8)
    >>> round(lo, 9), round(hi, 9)
    (1.0, 9.0)
    """
    cred = rcParams["stats.interval"] if cred is None else cred
    lo, hi = np.quantile(np.asarray(x), tails(cred), axis=axis)
    if axis is None:
        return float(lo), float(hi)
    return lo, hi


def quantiles(x, q: Sequence[float] | None = None) -> pd.Series:
    """Quantiles of 1-D draws as a Series labelled ``p10``, ``p50``, ``p90`` (default
    ``rcParams["stats.quantiles"]``)."""
    q = _q(q)
    return pd.Series(np.quantile(np.asarray(x), list(q)), index=[label(v) for v in q])


def quantile_frame(x, q: Sequence[float] | None = None, axis: int = 0, index=None) -> pd.DataFrame:
    """Quantiles of 2-D draws along ``axis`` (the draw axis): one row per other entry,
    one ``pNN`` column per quantile."""
    q = _q(q)
    v = np.quantile(np.asarray(x), list(q), axis=axis)
    return pd.DataFrame(np.atleast_2d(v).T, columns=[label(u) for u in q], index=index)


def summarize(x, q: Sequence[float] | None = None) -> dict:
    """The one-row summary every result object starts from: ``p10``, ``p50``, ``p90`` and
    ``mean`` of 1-D draws, as plain floats (JSON-ready)."""
    x = np.asarray(x, dtype=np.float64)
    out = {k: float(v) for k, v in quantiles(x, q).items()}
    out["mean"] = float(x.mean())
    return out


def p_at_least(x, target: float) -> float:
    """Share of draws at or above ``target`` (e.g. the probability of reaching a quota)."""
    return float((np.asarray(x) >= target).mean())


def legacy_labels(columns) -> dict:
    """Renames for the upper-case labels (``P10``...) older ledgers and files used."""
    out = {}
    for c in columns:
        if isinstance(c, str) and len(c) > 1 and c[0] == "P" and c[1:].replace(".", "").isdigit():
            out[c] = "p" + c[1:]
    return out
