"""Scores of forecasts against what happened, shared by every backtest.

- :func:`crps_from_draws`: the continuous ranked probability score of a sample forecast,
  ``E|X - y| - E|X - X'| / 2`` (Gneiting & Raftery 2007), in its sorted-sample
  ``O(n log n)`` form; for a point forecast it is the absolute error.
- :func:`pit`: the probability integral transform, the forecast's probability of an outcome
  at or below the actual (Dawid 1984); a calibrated forecast's PITs are uniform on [0, 1].
- :func:`covered`: whether the central ``level`` interval holds the actual.
- :func:`complete_quarters`: the fiscal quarters a backtest replays.
- :class:`Backtest`: a backtest's scores (one row per period x point x method), with the
  model's rows, the convergence of its fits, the summary, and CSV read/write.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .draws import interval


def crps_from_draws(draws: np.ndarray, y: float) -> float:
    """CRPS of a sample forecast: E|X - y| - E|X - X'| / 2 (sorted-sample O(n log n) form).

    Examples
    --------
    >>> round(crps_from_draws(np.array([1.0, 1.0]), 3.0), 6)  # a point mass: |1 - 3|
    2.0
    """
    x = np.sort(np.asarray(draws, dtype=float))
    n = len(x)
    term1 = np.abs(x - y).mean()
    i = np.arange(1, n + 1)
    term2 = (2 * i - n - 1).dot(x) / (n * n)  # = E|X - X'| / 2
    return float(term1 - term2)


def pit(draws: np.ndarray, y: float) -> float:
    """Probability integral transform: the share of forecast draws at or below ``y`` (ties
    counted half, so a point mass at ``y`` gives 0.5)."""
    x = np.asarray(draws, dtype=float)
    return float(((x < y).sum() + 0.5 * (x == y).sum()) / len(x))


def covered(draws: np.ndarray, y: float, level: float) -> bool:
    """Whether the central ``level`` interval of ``draws`` (``level`` in (0, 1)) holds ``y``."""
    p_lo, p_hi = interval(draws, level)
    return bool(p_lo <= y <= p_hi)


def complete_quarters(crm, n: int, as_of=None, *, within_data: bool = True) -> list:
    """The last ``n`` fiscal quarters that ended on or before ``as_of`` (default: the data's
    last day), oldest first; ``within_data`` leaves out any that ended before the data's
    first day (no bookings there to score). The plan backtest keeps them (``False``) so its
    four-quarter windows stay ``n`` quarters apart whatever the data covers."""
    as_of = pd.Timestamp(as_of if as_of is not None else crm.data_end).normalize()
    cal = crm.calendar
    q = cal.quarter(as_of)
    if q.end > as_of:
        q = cal.previous(q)
    out = []
    for _ in range(n):
        out.append(q)
        q = cal.previous(q)
    return [p for p in out[::-1] if not within_data or p.end >= crm.data_start]


def model_rows(scores: pd.DataFrame) -> pd.DataFrame:
    """The model's rows of a backtest's scores (``method == "model"``; the baselines'
    left out), as a plain DataFrame."""
    return pd.DataFrame(scores[scores["method"] == "model"])


def convergence(bt: pd.DataFrame) -> str:
    """One sentence on the backtest's fits: how many passed the convergence check (r_hat
    <= 1.01, bulk ESS >= 400, no divergences), how many needed a retry, which failed."""
    fits = model_rows(bt)
    if fits.empty or "converged" not in fits:
        return "No model fits in this backtest."
    ok = fits["converged"].astype(bool)
    text = (
        f"{int(ok.sum())} of {len(fits)} fits converged (max r_hat "
        f"{fits['max_r_hat'].max():.3f}, {int(fits['divergences'].sum())} divergences"
    )
    if "attempts" in fits:
        text += f", {int((fits['attempts'] > 1).sum())} after a retry with more tuning"
    text += ")."
    if not ok.all():
        bad = fits[~ok]
        where = ", ".join(f"{r.period} {r.point}" for r in bad.itertuples())
        text += f" Not converged: {where}"
        if "worst_parameter" in bad:
            text += f" (why: {', '.join(sorted(set(bad['worst_parameter'].astype(str))))})"
        text += "; read those intervals as rough."
    return text


def backtest_summary(bt: pd.DataFrame) -> pd.DataFrame:
    """Per point and method: mean and median absolute % error, bias, coverage, CRPS."""
    g = bt.groupby(["point", "method"], sort=False)
    made = {"forecasts": ("forecast", "count")} if "forecast" in bt else {}
    out = g.agg(
        periods=("period", "nunique"),
        **made,  # forecasts made: a baseline without history makes none
        mean_abs_error_pct=("abs_error_pct", "mean"),
        median_abs_error_pct=("abs_error_pct", "median"),
        bias_pct=("error_pct", "mean"),
        coverage_50=("covered_50", "mean"),
        coverage_80=("covered_80", "mean"),
        coverage_90=("covered_90", "mean"),
        crps_pct=("crps_pct", "mean"),
    )
    return out.reset_index()


#: Columns of the model's convergence in a backtest's rows (NaN for the baselines).
FIT_COLUMNS = ("converged", "max_r_hat", "min_ess_bulk", "divergences")


class Backtest(pd.DataFrame):
    """A backtest's scores: one row per period x point x method (``model`` and the
    baselines), a pandas DataFrame with the backtest's own views.

    Examples
    --------
    >>> bt = Backtest({"period": ["2026-Q1", "2026-Q1"], "point": "day 1",
    ...                "method": ["model", "last quarter"], "converged": [True, np.nan]})
    >>> len(bt.model_rows), bt.converged, bt.n_periods
    (1, True, 1)
    """

    _metadata: list[str] = []

    @property
    def _constructor(self):
        return Backtest

    @property
    def model_rows(self) -> pd.DataFrame:
        """The model's rows (the baselines' left out)."""
        return model_rows(self)

    @property
    def converged(self) -> bool:
        """Whether every model fit of the backtest passed the convergence check."""
        fits = self.model_rows
        return bool("converged" in fits and fits["converged"].astype(bool).all())

    @property
    def n_periods(self) -> int:
        return int(self["period"].nunique())

    def convergence(self) -> str:
        """One sentence on the model's fits (:func:`convergence`)."""
        return convergence(pd.DataFrame(self))

    def summary(self) -> pd.DataFrame:
        """Per point and method: errors, bias, coverage and CRPS (:func:`backtest_summary`)."""
        return backtest_summary(pd.DataFrame(self))

    def write(self, path: str | Path) -> Path:
        """Write the scores to ``path`` and the summary beside it (``<stem>_summary.csv``);
        returns the summary's path."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        pd.DataFrame(self).to_csv(path, index=False)
        summary = path.with_name(f"{path.stem}_summary.csv")
        self.summary().to_csv(summary, index=False)
        return summary

    @classmethod
    def read(cls, path: str | Path) -> Backtest:
        """The scores a :meth:`write` wrote."""
        return cls(pd.read_csv(path))

    @classmethod
    def find(cls, csv, default) -> tuple[Path, Backtest | None]:
        """``(path, scores or None)``: the scores at ``csv`` (a relative path is taken from
        the project root) or, when it is empty, at ``default``; ``None`` when the file does
        not exist yet (the backtest has not been run)."""
        from . import config

        path = Path(csv) if csv else Path(default)
        if not path.is_absolute():
            path = config.PROJECT_ROOT / path
        return path, (cls.read(path) if path.exists() else None)


__all__ = [
    "Backtest",
    "complete_quarters",
    "convergence",
    "covered",
    "crps_from_draws",
    "model_rows",
    "pit",
    "backtest_summary",
]
