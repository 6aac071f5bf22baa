"""Convergence diagnostics shared by the Bayesian models (Vehtari et al. 2021 thresholds:
rank-normalized r_hat <= 1.01, total bulk ESS >= 400, no divergent transitions)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import arviz as az
import numpy as np

R_HAT_GOAL = 1.01


@dataclass
class Diagnostics:
    max_r_hat: float
    min_ess_bulk: float
    divergences: int
    worst: str = ""  # the parameter with the largest r_hat
    ess_goal: float = 400.0
    worst_ess: str = ""  # the parameter with the smallest bulk ESS
    words: dict = field(default_factory=dict, repr=False)

    @property
    def ok(self) -> bool:
        return (
            self.max_r_hat <= R_HAT_GOAL
            and self.min_ess_bulk >= self.ess_goal
            and self.divergences == 0
        )

    @property
    def culprit(self) -> str:
        """What failed the check, shortest: the parameter of the first failing criterion
        (r_hat, then bulk ESS), else the divergence count; empty when the check passed."""
        if self.max_r_hat > R_HAT_GOAL:
            return self.worst
        if self.min_ess_bulk < self.ess_goal:
            return self.worst_ess
        if self.divergences:
            return f"{self.divergences} divergent transitions"
        return ""

    def _named(self, name: str) -> str:
        base = name.split("[")[0]
        plain = self.words.get(base)
        return f"{name} ({plain})" if plain else name

    def summary(self) -> str:
        flag = "ok" if self.ok else "CHECK"
        worst = ""
        if not self.ok:
            if self.max_r_hat > R_HAT_GOAL:
                worst = f"; worst parameter {self._named(self.worst)}"
            elif self.min_ess_bulk < self.ess_goal:
                worst = f"; fewest effective draws: {self._named(self.worst_ess)}"
        return (
            f"{flag}: max r_hat {self.max_r_hat:.3f} (<= {R_HAT_GOAL}), min bulk ESS "
            f"{self.min_ess_bulk:.0f} (>= {self.ess_goal:.0f}), divergences {self.divergences}"
            f"{worst}"
        )

    def plain(self) -> str:
        """The check in one sentence for a report reader."""
        if self.ok:
            return (
                "The sampler converged: its chains agree (r_hat "
                f"{self.max_r_hat:.3f}), every parameter has at least {self.min_ess_bulk:.0f} "
                "effective draws and no transition diverged, so the intervals are the model's."
            )
        problems = []
        if self.max_r_hat > R_HAT_GOAL:
            problems.append(
                f"the chains disagree about {self._named(self.worst)} (r_hat {self.max_r_hat:.3f})"
            )
        if self.min_ess_bulk < self.ess_goal:
            problems.append(
                f"{self._named(self.worst_ess)} has only {self.min_ess_bulk:.0f} effective draws"
            )
        if self.divergences:
            n = self.divergences
            problems.append(f"{n} transition{'s' if n > 1 else ''} diverged")
        return (
            "The sampler did not converge: "
            + "; ".join(problems)
            + ". Read the intervals as rough until this is fixed."
        )

    def to_dict(self) -> dict:
        return {
            "max_r_hat": self.max_r_hat,
            "min_ess_bulk": self.min_ess_bulk,
            "divergences": self.divergences,
            "worst": self.worst,
            "worst_ess": self.worst_ess,
            "ok": self.ok,
        }


def _extreme_cell(table, names, largest: bool) -> str:
    """``name[coords]`` of the largest (or smallest) cell over the variables ``names``."""
    best = None
    for v in names:
        arr = table[v]
        val = float(arr.max() if largest else arr.min())
        if best is None or (val > best[1] if largest else val < best[1]):
            best = (v, val, arr)
    v, _, arr = best
    if not arr.dims:
        return v
    pick = np.nanargmax if largest else np.nanargmin
    idx = np.unravel_index(pick(arr.values), arr.shape)
    return f"{v}[{', '.join(str(arr[d].values[i]) for d, i in zip(arr.dims, idx, strict=True))}]"


def diagnose(idata, names, ess_goal: float = 400.0, words: dict | None = None) -> Diagnostics:
    """r_hat and bulk ESS over the variables ``names`` and the divergence count of ``idata``."""
    # a parameter whose draws never change (a stuck sampler, a degenerate trace) has an
    # undefined r_hat and ESS: counted as failing, not skipped (inf r_hat, zero ESS)
    with warnings.catch_warnings():  # ArviZ's 0/0 warning for such a parameter
        warnings.simplefilter("ignore", RuntimeWarning)
        rhat = az.rhat(idata, var_names=names).fillna(np.inf)
        ess = az.ess(idata, var_names=names, method="bulk").fillna(0.0)
    stats = idata.sample_stats
    return Diagnostics(
        max_r_hat=max(float(rhat[v].max()) for v in names),
        min_ess_bulk=min(float(ess[v].min()) for v in names),
        divergences=int(stats["diverging"].sum()) if "diverging" in stats else 0,
        worst=_extreme_cell(rhat, names, largest=True),
        worst_ess=_extreme_cell(ess, names, largest=False),
        ess_goal=ess_goal,
        words=dict(words or {}),
    )
