"""The on-disk cache of compiled models (salesops_models.compile_cache): keys that follow the
graph and nothing else, and a loaded model that computes what a fresh compile computes, on
other data, in another process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytensor.tensor as pt
import pytest
from pytensor import shared

from salesops_models import compile_cache
from salesops_models.compile_cache import Undescribable, describe, graph_digest


# --- keys -------------------------------------------------------------------------------------
def test_digest_follows_structure_not_identity_or_node_order():
    def build(first_a: bool):
        x, y = pt.dvector("x"), pt.dvector("y")
        if first_a:  # the same graph, nodes created in another order
            a = pt.exp(x)
            b = pt.log(y)
        else:
            b = pt.log(y)
            a = pt.exp(x)
        return [(a * b).sum(), a.max()]

    assert graph_digest(build(True)) == graph_digest(build(False))
    x = pt.dvector("x")
    base = graph_digest([pt.exp(x).sum()])
    assert base != graph_digest([pt.exp(x).prod()])  # another op
    assert base != graph_digest([pt.exp(pt.dvector("z")).sum()])  # another input name
    assert base != graph_digest([pt.exp(pt.fvector("x")).sum()])  # another dtype
    assert base != graph_digest([pt.exp(x).sum(), x])  # another output
    assert graph_digest([x * 2.0]) != graph_digest([x * 3.0])  # constants by value
    # operands swapped: a different graph (the key must not be a multiset of ops)
    y = pt.dvector("y")
    assert graph_digest([x - y]) != graph_digest([y - x])


def test_digest_counts_data_by_name_and_type_not_value():
    def graph(values, name="y"):
        data = shared(np.asarray(values, dtype="float64"), name=name)
        return [(data * 2).sum()]

    assert graph_digest(graph([1.0, 2.0])) == graph_digest(graph([5.0, 6.0, 7.0]))
    assert graph_digest(graph([1.0, 2.0])) != graph_digest(graph([1.0, 2.0], name="z"))


def test_describe_refuses_what_only_an_address_identifies():
    def outer():
        def closure(v):
            return v

        return closure

    with pytest.raises(Undescribable):
        describe(outer())
    with pytest.raises(Undescribable):
        describe(object())
    assert describe(np.arange(3)) != describe(np.arange(3.0))
    assert describe(np.add) == describe(np.add)
    assert describe({"b": 1, "a": 2}) == describe({"a": 2, "b": 1})


def test_cache_switched_off_and_relocated(monkeypatch, tmp_path):
    monkeypatch.setenv(compile_cache.ENV_VAR, "off")
    assert compile_cache.cache_dir() is None
    monkeypatch.setenv(compile_cache.ENV_VAR, str(tmp_path))
    assert compile_cache.cache_dir() == tmp_path
    monkeypatch.delenv(compile_cache.ENV_VAR)
    assert compile_cache.cache_dir().name == "salesops-nutpie"


def test_prune_keeps_the_most_recently_used(tmp_path):
    for i in range(5):
        path = tmp_path / f"{i}.pkl"
        path.write_bytes(b"x")
        os.utime(path, (1000 + i, 1000 + i))
    deleted = compile_cache.prune(tmp_path, keep=2)
    assert sorted(p.name for p in deleted) == ["0.pkl", "1.pkl", "2.pkl"]
    assert sorted(p.name for p in tmp_path.glob("*.pkl")) == ["3.pkl", "4.pkl"]


def test_cli_lists_and_clears_the_entries(monkeypatch, tmp_path):
    from typer.testing import CliRunner

    from salesops_models.cli import app

    runner = CliRunner()
    monkeypatch.setenv(compile_cache.ENV_VAR, str(tmp_path))
    for i in range(3):
        (tmp_path / f"{i}.pkl").write_bytes(b"x" * 1000)
    result = runner.invoke(app, ["compile-cache"])
    assert result.exit_code == 0 and "3 compiled model(s)" in result.output
    result = runner.invoke(app, ["compile-cache", "--clear"])
    assert result.exit_code == 0 and "deleted 3" in result.output
    assert compile_cache.entries() == []
    monkeypatch.setenv(compile_cache.ENV_VAR, "off")
    assert "off" in runner.invoke(app, ["compile-cache"]).output


# --- compiled models --------------------------------------------------------------------------
pytest.importorskip("nutpie")


@pytest.mark.slow
def test_warming_at_install_serves_the_first_forecast_of_another_org(monkeypatch, tmp_path):
    """``salesops compile-cache --warm`` (what ``make install`` runs) compiles the forecast
    model into an empty cache in its own process; the first model of another org (other
    size, labels and dates, same capacities) in a later process loads it from disk."""
    import subprocess
    import sys

    from salesops_models.forecast import BookingsForecastModel
    from salesops_models.synthetic import generate_org

    monkeypatch.setenv(compile_cache.ENV_VAR, str(tmp_path))
    cmd = [sys.executable, "-m", "salesops_models.cli", "compile-cache", "--warm"]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    assert "forecast model compiled in" in run.stdout and len(compile_cache.entries()) == 1
    other = generate_org(n_reps=20, years=2, seed=5, end_date="2025-12-31").crm
    info = BookingsForecastModel().precompile(other)
    assert info["compiled_model"] == "disk", info


#: run in a fresh interpreter: builds a small hierarchical model on data of a given size and
#: seed, compiles it (or loads it), evaluates the log density and gradient at fixed points
#: through the C callback, samples with a fixed seed, prints JSON
SCRIPT = textwrap.dedent(
    """
    import ctypes, json, sys
    import numpy as np, pymc as pm, nutpie
    from salesops_models.bayes import compile_nutpie

    n, seed, prior_sd = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    rng = np.random.default_rng(seed)
    y = rng.normal(1.0, 2.0, size=n)
    with pm.Model(coords={"group": range(3)}) as model:
        obs = pm.Data("obs", y)
        group = pm.Data("group", np.arange(n) % 3)
        mu = pm.Normal("mu", 0.0, prior_sd, dims="group")
        sd = pm.HalfNormal("sd", 1.0)
        pm.Deterministic("double_mu", 2 * mu, dims="group")
        pm.Normal("y", mu[group], sd, observed=obs)
    compiled, source = compile_nutpie(model)
    point = np.linspace(-1.0, 1.0, compiled.n_dim)
    grad, logp = np.empty_like(point), np.zeros(1)
    dp = ctypes.POINTER(ctypes.c_double)
    fn = compiled.compiled_logp_func.ctypes  # numba's cfunc, or the cache's loaded callback
    code = fn(len(point), point.ctypes.data_as(dp), grad.ctypes.data_as(dp),
              logp.ctypes.data_as(dp), ctypes.c_void_p(compiled.user_data.ctypes.data))
    trace = nutpie.sample(compiled, draws=100, tune=100, chains=1, seed=5, progress_bar=False)
    print(json.dumps({
        "source": source, "code": code, "logp": logp.tolist(), "grad": grad.tolist(),
        "mu": trace.posterior["mu"].values.ravel().tolist(),
        "double_mu": trace.posterior["double_mu"].values.ravel().tolist(),
    }))
    """
)


def _run(cache, n, seed, prior_sd=1.0):
    env = dict(os.environ, **{compile_cache.ENV_VAR: str(cache)})
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(n), str(seed), str(prior_sd)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_a_later_process_loads_the_compiled_model_and_computes_the_same(tmp_path):
    cache = tmp_path / "cache"
    first = _run(cache, 50, 1)
    assert first["source"] == "compiled"
    assert len(list(cache.glob("*.pkl"))) == 1
    # another process, other data of another length: loaded, not compiled
    loaded = _run(cache, 80, 2)
    assert loaded["source"] == "disk"
    # ... and it computes exactly what a fresh compile on those data computes
    fresh = _run("off", 80, 2)
    assert fresh["source"] == "compiled"
    assert loaded["code"] == fresh["code"] == 0
    assert loaded["logp"] == fresh["logp"]
    assert loaded["grad"] == fresh["grad"]
    assert loaded["mu"] == fresh["mu"]  # same seed, same draws
    assert np.allclose(loaded["double_mu"], 2 * np.asarray(loaded["mu"]))
    # another graph (a prior's scale is a constant of the graph): a new entry
    other = _run(cache, 80, 2, prior_sd=3.0)
    assert other["source"] == "compiled"
    assert len(list(cache.glob("*.pkl"))) == 2
    assert other["logp"] != fresh["logp"]


@pytest.mark.slow
def test_a_damaged_entry_is_compiled_again(tmp_path):
    cache = tmp_path / "cache"
    _run(cache, 30, 1)
    (entry,) = cache.glob("*.pkl")
    entry.write_bytes(b"not a pickle")
    again = _run(cache, 30, 1)
    assert again["source"] == "compiled"
    assert _run(cache, 30, 1)["source"] == "disk"  # rewritten


@pytest.mark.slow
def test_an_unwritable_cache_does_not_stop_a_fit(tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the cache directory would be")
    result = _run(blocker, 30, 1)
    assert result["source"] == "compiled" and result["code"] == 0
    assert blocker.read_text().startswith("a file")
    assert not list(tmp_path.glob("*.tmp"))
