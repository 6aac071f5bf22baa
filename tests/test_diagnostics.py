"""The convergence check every Bayesian fit reports: thresholds (r_hat <= 1.01, total bulk
ESS >= 400, no divergences), the failing parameter named down to its cell and in plain words,
and the retry with more tuning when a draw fails the check."""

from __future__ import annotations

import json
import zlib

import arviz as az
import numpy as np
import pytest

from salesops_models.bayes import BayesModel
from salesops_models.diagnostics import diagnose


def _idata(rng, chains=4, draws=500, shift=0.0, diverging=0):
    """Two parameters; ``mix[b]`` has its last chain shifted by ``shift`` (chains disagree)."""
    mix = rng.normal(size=(chains, draws, 3))
    mix[-1, :, 1] += shift
    stats = np.zeros((chains, draws), dtype=bool)
    stats.flat[:diverging] = True
    return az.from_dict(
        posterior={"mix": mix, "level": rng.normal(size=(chains, draws))},
        sample_stats={"diverging": stats},
        coords={"deal_stage": ["a", "b", "c"]},
        dims={"mix": ["deal_stage"]},
    )


WORDS = {"mix": "how deals move between stages", "level": "typical level"}


def test_well_mixed_draws_pass_and_say_so_plainly():
    d = diagnose(_idata(np.random.default_rng(0)), ["mix", "level"], words=WORDS)
    assert d.ok and d.max_r_hat <= 1.01 and d.min_ess_bulk >= 400 and d.divergences == 0
    assert d.summary().startswith("ok:")
    assert d.plain().startswith("The sampler converged")


def test_disagreeing_chains_name_the_cell_in_words():
    d = diagnose(_idata(np.random.default_rng(1), shift=1.0), ["mix", "level"], words=WORDS)
    assert not d.ok and d.max_r_hat > 1.05
    assert d.worst == "mix[b]" and d.culprit == "mix[b]"
    assert "worst parameter mix[b] (how deals move between stages)" in d.summary()
    assert "the chains disagree about mix[b] (how deals move between stages)" in d.plain()
    assert d.to_dict()["worst"] == "mix[b]" and d.to_dict()["ok"] is False


def test_too_few_draws_and_divergences_fail_the_check():
    few = diagnose(_idata(np.random.default_rng(2), chains=2, draws=60), ["level"])
    assert not few.ok and few.min_ess_bulk < 400
    assert "fewest effective draws: level" in few.summary()
    div = diagnose(_idata(np.random.default_rng(3), diverging=3), ["level"], words=WORDS)
    assert not div.ok and div.divergences == 3 and "3 transitions diverged" in div.plain()
    assert div.culprit == "3 divergent transitions" and few.culprit == "level"


def test_a_frozen_parameter_fails_the_check_instead_of_crashing():
    """Chains stuck at different values (draws that never move within a chain) have no
    defined r_hat: the check fails and names the parameter (it used to raise "All-NaN slice
    encountered")."""
    idata = _idata(np.random.default_rng(4))
    n_chain = idata.posterior.sizes["chain"]
    idata.posterior["level"][:] = np.arange(n_chain, dtype=float)[:, None] + 1.5
    d = diagnose(idata, ["mix", "level"], words=WORDS)
    assert not d.ok and d.max_r_hat > 1e6  # inf or as good as (chains' ranks never mix)
    assert d.worst == "level" and "level" in d.summary()


def test_a_constant_is_not_called_unconverged():
    """A parameter with one value in every draw of every chain (a rep's effect centred in a
    segment the rep has alone: exactly 0) has nothing to converge: it passes the check
    (it used to read r_hat inf and trigger two retries and a "did not converge")."""
    idata = _idata(np.random.default_rng(4))
    idata.posterior["level"][:] = 0.0
    d = diagnose(idata, ["mix", "level"], words=WORDS)
    assert d.max_r_hat < 1.01 and d.ok, d.summary()
    assert d.worst.startswith("mix")


def test_boundaries_are_inclusive():
    d = diagnose(_idata(np.random.default_rng(0)), ["level"])
    d.max_r_hat, d.min_ess_bulk = 1.01, 400.0
    assert d.ok
    d.max_r_hat = 1.0101
    assert not d.ok


class _Flaky(BayesModel):
    """Its first draw has disagreeing chains; a retry (more tuning) mixes."""

    model_type = "flaky"
    default_sampler_config = {
        "draws": 500,
        "tune": 300,
        "chains": 4,
        "retries": 1,
        "target_accept": 0.8,
    }
    free_parameters = ("mix", "level")
    parameter_words = WORDS

    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        self.calls = []

    # the contract's methods: this double only exercises the shared sampling path
    def build_model(self, data):
        return None

    def fit(self, crm, as_of=None, *, seed=0, progressbar=False):
        return self.sample(None, seed=seed)

    def prior_predictive(self, crm, as_of=None, *, samples=10, seed=0):
        raise NotImplementedError

    def _draw(self, model, sc, seed, progressbar, compiled, backend):
        self.calls.append((sc["tune"], sc["draws"], sc["target_accept"], seed))
        shift = 1.0 if len(self.calls) == 1 else 0.0
        return _idata(np.random.default_rng(seed), draws=sc["draws"], shift=shift)


def test_a_failed_draw_is_retried_with_twice_the_tuning():
    m = _Flaky()
    m.idata = m.sample(None, seed=7, backend="pymc")
    assert m.calls == [(300, 500, 0.8, 7), (600, 1000, 0.9, 8)]
    attempts = m.sampling_attempts
    assert len(attempts) == 2
    assert attempts[0].startswith("tune 300, draws 500, target_accept 0.8, seed 7: CHECK")
    assert "mix[b]" in attempts[0]
    assert attempts[1].startswith("tune 600, draws 1000, target_accept 0.9, seed 8: ok")
    assert m.diagnostics().ok
    assert json.loads(m.idata.attrs["sampling_attempts"]) == attempts


def test_no_retry_when_retries_is_zero_and_failure_is_reported():
    m = _Flaky(sampler_config={"retries": 0})
    m.idata = m.sample(None, seed=1, backend="pymc")
    assert len(m.calls) == 1 and not m.diagnostics().ok
    assert "did not converge" in m.diagnostics().plain()


def test_the_forecast_names_every_checked_parameter_in_words():
    from salesops_models.forecast.model import BookingsForecastModel

    m = BookingsForecastModel()
    assert [p for p in m.diagnosed_parameters if p not in m.parameter_words] == []
    # the reparameterizations' halves are not checked themselves, the quantities are
    assert "base" in m.diagnosed_parameters and "base_raw" not in m.diagnosed_parameters
    assert m.sampler_config["chains"] == 2 and m.ess_goal == pytest.approx(400)


def _ar1(rng, chains, draws, k, phi):
    """AR(1) chains (autocorrelation ``phi``), so the ESS truncation has work to do."""
    x = np.empty((chains, draws, k))
    x[:, 0] = rng.normal(size=(chains, k))
    e = rng.normal(size=(chains, draws, k)) * np.sqrt(1 - phi**2)
    for t in range(1, draws):
        x[:, t] = phi * x[:, t - 1] + e[:, t]
    return x


@pytest.mark.parametrize(
    "chains, draws, phi, case",
    [
        (4, 500, 0.0, "iid"),
        (4, 1000, 0.9, "sticky"),
        (2, 1501, 0.5, "odd draws"),
        (1, 400, 0.3, "one chain"),
        (3, 7, -0.6, "alternating, few draws"),
        (4, 300, 0.2, "ties"),
        (4, 300, 0.2, "shifted chain"),
        (2, 200, 0.0, "constant and missing"),
    ],
)
def test_the_array_form_equals_arviz(chains, draws, phi, case):
    """r_hat (rank) and bulk ESS of every parameter at once equal ArviZ's per-parameter
    functions, including ties (discrete draws), an odd number of draws, one chain (no
    r_hat), a frozen parameter and one with a missing draw."""
    from salesops_models.diagnostics import rank_rhat_and_bulk_ess

    rng = np.random.default_rng(zlib.crc32(case.encode()))
    x = _ar1(rng, chains, draws, 6, phi)
    if case == "ties":
        x = np.round(x * 2)
    if case == "shifted chain":
        x[-1] += np.linspace(0, 1.5, 6)
    if case == "constant and missing":
        x[:, :, 0] = 3.0
        x[0, 5, 1] = np.nan
    rhat, ess = rank_rhat_and_bulk_ess(x)
    ds = az.convert_to_dataset({"x": x})
    want_r = az.rhat(ds, method="rank")["x"].values
    if case == "constant and missing":  # a constant: r_hat 1 here, nan in ArviZ
        assert rhat[0] == 1.0 and np.isnan(want_r[0])
        want_r[0] = 1.0
    want_e = az.ess(ds, method="bulk")["x"].values
    np.testing.assert_allclose(rhat, want_r, rtol=1e-9, equal_nan=True)
    np.testing.assert_allclose(ess, want_e, rtol=1e-9, equal_nan=True)


def test_diagnose_on_a_real_fit_equals_arviz_cell_by_cell():
    """The convergence check of a model's posterior: every cell's r_hat and ESS as ArviZ
    gives them, and the worst cells named the same."""
    rng = np.random.default_rng(7)
    idata = az.from_dict(
        posterior={
            "mix": _ar1(rng, 4, 400, 3, 0.7).reshape(4, 400, 3),
            "grid": _ar1(rng, 4, 400, 6, 0.4).reshape(4, 400, 2, 3),
            "level": _ar1(rng, 4, 400, 1, 0.95)[..., 0],
        },
        coords={"deal_stage": ["a", "b", "c"], "side": ["won", "lost"]},
        dims={"mix": ["deal_stage"], "grid": ["side", "deal_stage"]},
    )
    names = ["mix", "grid", "level"]
    d = diagnose(idata, names)
    rhat = az.rhat(idata, var_names=names)
    ess = az.ess(idata, var_names=names, method="bulk")
    assert d.max_r_hat == pytest.approx(max(float(rhat[v].max()) for v in names), rel=1e-9)
    assert d.min_ess_bulk == pytest.approx(min(float(ess[v].min()) for v in names), rel=1e-9)
    assert d.worst_ess == "level"


def test_a_fit_checks_its_draws_once():
    """The check of the kept draws is the one diagnostics() reports (computed once a fit:
    ~0.5 s on the forecast), and a new posterior (another fit, a load) is checked anew."""
    m = _Flaky(sampler_config={"retries": 0})
    counted = []
    original = m._diagnose

    def counting(idata):
        counted.append(idata)
        return original(idata)

    m._diagnose = counting
    m.idata = m.sample(None, seed=1, backend="pymc")
    assert m.diagnostics() is m.diagnostics() and len(counted) == 1
    m.idata = _idata(np.random.default_rng(9))
    assert m.diagnostics().ok and len(counted) == 2


def test_the_forecast_samples_one_variable_per_cell():
    """Each baseline cell and each rep has one free variable whichever form (centered or
    non-centered) its data choose: no unused standard normals for NUTS to carry."""
    import pandas as pd

    from salesops_models.forecast.model import BookingsForecastModel
    from salesops_models.forecast.settings import FREE_PARAMETERS
    from salesops_models.synthetic import generate_org

    crm = generate_org(n_reps=8, years=1.5, seed=2).crm
    m = BookingsForecastModel()
    td = m.training_data(crm, crm.data_end - pd.Timedelta(days=20))
    model = m.build_model(td)
    names = {rv.name for rv in model.free_RVs}
    assert names == set(FREE_PARAMETERS)
    sizes = {
        rv.name: int(np.prod(model.initial_point()[model.rvs_to_values[rv].name].shape))
        for rv in model.free_RVs
    }
    n_cells = int(np.prod(model["base"].shape.eval()))
    assert sizes["base_raw"] == n_cells and sizes["rep_raw"] == 2 * m.shapes(td.levels)["rep"]
