"""The calibration study: backtests of several synthetic orgs, pooled."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

from salesops_models.forecast.synthetic_backtest import (
    coverage_by_org,
    pooled_calibration,
    pooled_errors,
)
from salesops_models.scoring import model_rows


def _study(orgs: int = 5, quarters: int = 8, seed: int = 0) -> pd.DataFrame:
    """Model rows of a study whose forecasts are exactly calibrated: the actual is a draw
    from the forecast distribution, so each interval covers at its nominal rate."""
    rng = np.random.default_rng(seed)
    rows = []
    for o in range(orgs):
        for q in range(quarters):
            for point in ("day 1", "week 4"):
                u = rng.uniform()
                rows.append(
                    {
                        "org": f"seed {o}",
                        "period": f"2025-Q{q % 4 + 1}/{q // 4}",
                        "point": point,
                        "method": "model",
                        "pit": u,
                        **{f"covered_{lv}": float(abs(u - 0.5) <= lv / 200) for lv in (50, 80, 90)},
                        "abs_error_pct": 10.0 * o,
                        "error_pct": -10.0 * o,
                        "crps_pct": 1.0,
                    }
                )
            rows.append(rows[-1] | {"method": "stage-weighted"})  # baselines are not scored
    return pd.DataFrame(rows)


def test_pooled_calibration_counts_every_org_quarter():
    study = _study()
    cal = pooled_calibration(study).set_index(["point", "interval"])
    row = cal.loc[("week 4", "80%")]
    fits = study[(study["method"] == "model") & (study["point"] == "week 4")]
    k = int(fits["covered_80"].sum())
    assert row["covered"] == f"{k}/40" and row["orgs"] == 5
    # a calibrated 80% interval covers 28-36 of 40 in 90% of studies (Binomial(40, 0.8))
    assert row["expected_range"] == "28-36 of 40"
    # the same quarters as one org's backtest: the same count
    one = pooled_calibration(fits.assign(org="one")).set_index(["point", "interval"])
    assert one.loc[("week 4", "80%"), "covered"] == row["covered"]


def test_coverage_by_org_rows_add_up_to_the_pooled_row():
    study = _study(orgs=3, quarters=4, seed=2)
    tab = coverage_by_org(study).set_index("org")
    assert list(tab.index) == ["seed 0", "seed 1", "seed 2", "all orgs"]
    for point in ("day 1", "week 4"):
        parts = [
            tuple(map(int, c.split("/"))) for c in tab.loc[["seed 0", "seed 1", "seed 2"], point]
        ]
        k, n = map(int, tab.loc["all orgs", point].split("/"))
        assert (k, n) == (sum(p[0] for p in parts), sum(p[1] for p in parts)) and n == 12


def test_a_study_needs_distinct_seeds():
    from salesops_models.forecast.synthetic_backtest import synthetic_backtest

    for seeds in ([], [7, 11, 7], [7, -1]):
        with pytest.raises(ValueError, match="distinct"):
            synthetic_backtest(seeds, progress=False)


def test_pooled_errors_average_org_quarters_and_keep_each_org():
    err = pooled_errors(_study(orgs=3, quarters=2)).set_index(["org", "point"])
    assert err.loc[("seed 2", "day 1"), "mean_abs_error_pct"] == 20.0
    assert err.loc[("all orgs", "day 1"), "mean_abs_error_pct"] == 10.0
    assert err.loc[("all orgs", "week 4"), "bias_pct"] == -10.0


def test_the_coverage_plot_gives_the_chance_range_of_all_pooled_scores():
    """The grey band is what a calibrated forecast shows with the study's org-quarters per
    point (40), not one org's quarters (8)."""
    import matplotlib.pyplot as plt

    from salesops_models.forecast.plots import plot_calibration

    axes = plot_calibration(_study())
    labels = axes[1].get_legend_handles_labels()[1]
    assert "chance range, 40 scores" in labels
    assert axes[0].get_ylabel() == "org-quarters"
    plt.close("all")


@pytest.mark.slow
def test_an_orgs_rows_in_the_study_are_its_own_backtest():
    """Each org of the study is generated from its seed and backtested as
    ``salesops forecast backtest`` would on its store: the same scores, tagged by org."""
    from salesops_models.forecast.backtest import backtest
    from salesops_models.forecast.synthetic_backtest import synthetic_backtest
    from salesops_models.synthetic import generate_org

    kw = dict(quarters=1, points={"week 4": 27}, progress=False)
    small = {"draws": 300, "tune": 300, "chains": 2, "retries": 0}
    study = synthetic_backtest([3, 4], n_reps=10, years=1.25, sampler_config=small, **kw)
    assert sorted(study["org"].unique()) == ["seed 3", "seed 4"]
    assert (model_rows(study).groupby("org").size() == 1).all()
    alone = backtest(generate_org(10, 1.25, 4).crm, sampler_config=small, **kw)
    mine = study[study["org"] == "seed 4"].drop(columns="org").reset_index(drop=True)
    cols = ["period", "point", "method", "forecast", "actual", "p10", "p90", "pit"]
    pd.testing.assert_frame_equal(mine[cols], alone[cols])
    assert pooled_calibration(study).set_index("interval").loc["80%", "covered"].endswith("/2")
