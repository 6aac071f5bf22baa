"""Convergence diagnostics shared by the Bayesian models (Vehtari et al. 2021 thresholds:
rank-normalized r_hat < 1.01, bulk ESS above a goal, no divergent transitions)."""

from __future__ import annotations

from dataclasses import dataclass

import arviz as az


@dataclass
class Diagnostics:
    max_r_hat: float
    min_ess_bulk: float
    divergences: int
    worst: str = ""
    ess_goal: float = 400.0

    @property
    def ok(self) -> bool:
        return self.max_r_hat < 1.01 and self.min_ess_bulk > self.ess_goal and self.divergences == 0

    def summary(self) -> str:
        flag = "ok" if self.ok else "CHECK"
        worst = f"; worst parameter {self.worst}" if self.worst and not self.ok else ""
        return (
            f"{flag}: max r_hat {self.max_r_hat:.3f} (< 1.01), min bulk ESS "
            f"{self.min_ess_bulk:.0f} (> {self.ess_goal:.0f}), divergences {self.divergences}"
            f"{worst}"
        )

    def to_dict(self) -> dict:
        return {
            "max_r_hat": self.max_r_hat,
            "min_ess_bulk": self.min_ess_bulk,
            "divergences": self.divergences,
            "ok": self.ok,
        }


def diagnose(idata, names, ess_goal: float = 400.0) -> Diagnostics:
    """r_hat and bulk ESS over the variables ``names`` and the divergence count of ``idata``."""
    rhat = az.rhat(idata, var_names=names)
    ess = az.ess(idata, var_names=names, method="bulk")
    stats = idata.sample_stats
    return Diagnostics(
        max_r_hat=max(float(rhat[v].max()) for v in names),
        min_ess_bulk=min(float(ess[v].min()) for v in names),
        divergences=int(stats["diverging"].sum()) if "diverging" in stats else 0,
        worst=max(names, key=lambda v: float(rhat[v].max())),
        ess_goal=ess_goal,
    )
