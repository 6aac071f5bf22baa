"""The package's shared conventions: model base, draw summaries, a discoverable root, domain
rules on the CRM, and an import graph without cycles."""

from __future__ import annotations

import ast
import pathlib
import subprocess
import sys

import arviz as az
import numpy as np
import pandas as pd
import pytest

import salesops_models as so
from salesops_models import draws
from salesops_models.bayes import ModelFileError, NotFittedError
from salesops_models.capacity import ProductivityModel
from salesops_models.forecast import BookingsForecastModel

PACKAGE = pathlib.Path(so.__file__).parent


# --- model base -------------------------------------------------------------------------------
def test_configs_merge_over_the_class_defaults():
    m = ProductivityModel(model_config={"tau_scale": 0.2}, sampler_config={"draws": 50})
    assert m.model_config["tau_scale"] == 0.2 and m.model_config["ramped_after"] == 6
    assert m.sampler_config["draws"] == 50 and m.sampler_config["chains"] == 4
    assert m.get_params()["sampler_config"]["draws"] == 50
    assert m.backend() in ("nutpie", "pymc")
    with pytest.raises(ValueError, match="backend"):
        ProductivityModel(sampler_config={"backend": "stan"}).backend()


@pytest.mark.parametrize("model", [ProductivityModel(), BookingsForecastModel()])
def test_results_before_fit_raise_not_fitted(model):
    for call in (model.diagnostics, model.summary, lambda: model.save("x.nc")):
        with pytest.raises(NotFittedError, match="not fitted yet"):
            call()
    assert "not fitted" in repr(model)
    # scikit-learn's convention: also a ValueError and an AttributeError
    assert issubclass(NotFittedError, ValueError) and issubclass(NotFittedError, AttributeError)


def test_forecast_before_fit_raises_not_fitted():
    with pytest.raises(NotFittedError):
        BookingsForecastModel().forecast("2026-Q3")


def test_saved_model_carries_its_metadata_and_refuses_another_type(tmp_path, small_org):
    m = ProductivityModel()
    posterior = {k: np.zeros((2, 20)) for k in ("mu", "tau", "sigma", "pi")}
    idata = az.from_dict(posterior=posterior)
    m.stats = pd.DataFrame({"rep_id": ["r1"], "segment": ["SMB"], "n": [12]})
    m.segments = ["SMB"]
    m.record_fit(idata, as_of="2026-06-30", fingerprint=small_org.crm.fingerprint(), backend="pymc")
    path = m.save(tmp_path / "productivity.nc")
    back = ProductivityModel.load(path, small_org.crm)
    attrs = back.idata.attrs
    assert attrs["model_type"] == "productivity" and attrs["as_of"] == "2026-06-30"
    assert attrs["salesops_models_version"] == so.__version__
    assert attrs["data_fingerprint"] == small_org.crm.fingerprint()
    assert back.segments == ["SMB"] and back.stats["rep_id"].tolist() == ["r1"]
    with pytest.raises(ModelFileError, match="'productivity' model, not a 'bookings_forecast'"):
        BookingsForecastModel.load(path, small_org.crm)
    other = small_org.crm.__class__(**{**small_org.crm.tables, "quotas": small_org.crm.quotas[:5]})
    with pytest.raises(ModelFileError, match="fitted on data"):
        ProductivityModel.load(path, other)


# --- draws ------------------------------------------------------------------------------------
def test_one_label_and_interval_convention():
    x = np.random.default_rng(0).normal(size=10_001)
    q = draws.quantiles(x)
    assert list(q.index) == ["p10", "p50", "p90"]
    lo, hi = draws.interval(x, 0.8)
    assert (lo, hi) == pytest.approx((q["p10"], q["p90"]))
    assert draws.label(0.025) == "p2.5" and draws.label(0.95) == "p95"
    assert draws.legacy_labels(["P10", "P50", "Period", "p90"]) == {"P10": "p10", "P50": "p50"}
    with pytest.raises(ValueError):
        draws.tails(1.0)
    s = draws.summarize(x)
    assert set(s) == {"p10", "p50", "p90", "mean"}


def test_result_objects_share_the_draw_dimension():
    from salesops_models.comp import evaluate, load_plan
    from salesops_models.config import PROJECT_ROOT

    plan = load_plan(PROJECT_ROOT / "plans" / "ae_standard.yml")
    att = np.random.default_rng(1).lognormal(0, 0.3, size=(200, 6, 4))
    cost = evaluate(plan, {m.name: att for m in plan.measures}, np.full(6, 20_000.0))
    ds = cost.to_xarray()
    assert ds["total"].dims == ("draw",) and ds["per_rep"].dims == ("draw", "rep")
    assert float(ds["total"].sum()) == pytest.approx(float(cost.total.sum()))
    assert cost.summary()["p50"] == pytest.approx(float(np.median(cost.total)))


def test_territory_wars_result(small_org):
    from salesops_models import territory as tt

    crm = small_org.crm
    acc = crm.accounts.dropna(subset=["owner_rep_id"]).reset_index(drop=True)
    rates = tt.account_rates(crm, acc).assign(territory=acc["owner_rep_id"])
    wars = tt.territory_wars(rates, draws=300, seed=4)
    ds = wars.to_xarray()
    assert ds["attainment"].dims == ("draw", "territory")
    frame = tt.simulate_territories(rates, draws=300, seed=4)
    assert "draw" in frame and np.allclose(frame["bookings"], wars.to_frame()["bookings"])
    row = wars.summary()
    table = tt.structural_summary(frame)
    assert row["structural_share"] == pytest.approx(table.attrs["structural_share"])
    assert row["p50_worst_territory"] == pytest.approx(table["p50"].min())


# --- root -------------------------------------------------------------------------------------
def test_root_is_lazy_and_lists_only_the_public_api():
    code = (
        "import sys, salesops_models as so\n"
        "heavy = [m for m in ('pymc', 'matplotlib', 'salesops_models.forecast') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
        "assert so.forecast.BookingsForecastModel and so.comp.compute_statements\n"
        "print(' '.join(dir(so)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    names = out.stdout.split()
    for area in ("forecast", "capacity", "comp", "territory", "health", "pipeline", "loaders"):
        assert area in names
    assert "reports" in names and "draws" in names
    assert not {"store", "crm", "schema", "cli", "jsonl", "runtime", "exports"} & set(names)
    with pytest.raises(AttributeError):
        _ = so.no_such_area


def test_scorecards_have_distinct_names():
    assert hasattr(so.quality, "hygiene_scorecard") and not hasattr(so.quality, "scorecard")
    assert hasattr(so.health, "health_scorecard")


# --- domain rules on the CRM ------------------------------------------------------------------
def test_active_reps_counts_the_termination_day(small_org):
    crm = small_org.crm
    rep = crm.reps[crm.reps["role"] == "AE"].iloc[0]
    day = pd.Timestamp("2026-03-31")
    reps = crm.reps.copy()
    reps.loc[reps["id"] == rep["id"], ["hire_date", "termination_date"]] = [
        pd.Timestamp("2025-01-15"),
        day,
    ]
    c = crm.__class__(**{**crm.tables, "reps": reps})
    assert rep["id"] in set(c.active_reps(day)["id"])  # last day worked
    assert rep["id"] not in set(c.active_reps(day + pd.Timedelta(days=1))["id"])
    assert rep["id"] not in set(c.active_reps("2025-01-14")["id"])
    assert set(c.active_reps(day, role=None)["role"]) >= {"AE"}


def test_trailing_bookings_crosses_the_year_boundary(small_org):
    crm = small_org.crm
    won = crm.opportunities[crm.opportunities["is_won"]]
    by_hand = won.loc[won["close_date"].between("2025-08-01", "2026-07-31"), "amount"].sum()
    assert crm.trailing_bookings("2026-08-15") == pytest.approx(by_hand)


def test_cached_snapshots_are_the_plain_snapshots(small_org):
    crm = small_org.crm
    dates = ["2026-03-31", "2026-06-30", "2026-03-31"]
    plain = [crm.as_of(d) for d in dates]
    with crm.cached_snapshots():
        cached = [crm.as_of(d) for d in dates]
        cached[0].loc[0, "amount"] = -1.0  # callers get copies
        again = crm.as_of("2026-03-31")
        open_only = crm.as_of("2026-06-30", include_closed=False)
    pd.testing.assert_frame_equal(plain[1], cached[1])
    pd.testing.assert_frame_equal(plain[0], again)
    pd.testing.assert_frame_equal(crm.as_of("2026-06-30", include_closed=False), open_only)
    assert crm._snapshots is None  # back to plain afterwards


# --- import graph -----------------------------------------------------------------------------
def _import_graph() -> dict[str, set[str]]:
    mods = {}
    for p in PACKAGE.rglob("*.py"):
        name = ".".join(p.relative_to(PACKAGE.parent).with_suffix("").parts)
        mods[name.removesuffix(".__init__")] = p
    graph: dict[str, set[str]] = {m: set() for m in mods}
    for name, p in mods.items():
        pkg = name if p.name == "__init__.py" else name.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(p.read_text())):
            if not isinstance(node, ast.ImportFrom) or not node.level:
                continue
            base = pkg.split(".")[: len(pkg.split(".")) - (node.level - 1)]
            target = ".".join(base + ([node.module] if node.module else []))
            hits = [f"{target}.{a.name}" for a in node.names if f"{target}.{a.name}" in mods]
            for t in hits or ([target] if target in mods else []):
                if t != name and t != "salesops_models":
                    graph[name].add(t)
    return graph


def test_no_import_cycles_between_modules():
    graph = _import_graph()
    state: dict[str, int] = {}
    cycle: list[str] = []

    def visit(v, path):
        state[v] = 1
        for w in sorted(graph[v]):
            if state.get(w) == 1:
                cycle.extend(path[path.index(w) :] + [w])
                return True
            if w not in state and visit(w, path + [w]):
                return True
        state[v] = 2
        return False

    for v in sorted(graph):
        if v not in state and visit(v, [v]):
            break
    assert not cycle, " -> ".join(cycle)


# --- layers: the allowed direction between areas ----------------------------------------------
def test_every_area_sits_in_a_layer():
    from salesops_models.layers import RANK, area_of

    areas = set()
    for p in PACKAGE.rglob("*.py"):
        name = ".".join(p.relative_to(PACKAGE.parent).with_suffix("").parts)
        areas.add(area_of(name.removesuffix(".__init__")))
    assert areas <= set(RANK), sorted(areas - set(RANK))


def test_areas_import_only_in_the_allowed_direction():
    """Every import between areas (function-level ones included) goes down the layer table
    of salesops_models.layers, so no cycle between areas is possible."""
    from salesops_models.layers import allowed, area_imports

    wrong = {
        f"{a} -> {b}": sorted(set(mods))[:3]
        for (a, b), mods in area_imports().items()
        if not allowed(a, b)
    }
    assert not wrong, wrong


def test_the_layer_table_rejects_an_upward_import():
    from salesops_models.layers import allowed, layer_of

    assert allowed("forecast", "crm") and allowed("cli", "forecast")
    assert not allowed("crm", "forecast") and not allowed("store", "warehouse")
    assert not allowed("comp", "capacity") and allowed("capacity", "comp")
    assert layer_of("scoring") == "core" and layer_of("health") == "views"


# --- the model contract -----------------------------------------------------------------------
def _bayes_models():
    from salesops_models.bayes import BayesModel

    seen, todo = [], list(BayesModel.__subclasses__())
    while todo:
        cls = todo.pop()
        seen.append(cls)
        todo += cls.__subclasses__()
    return [c for c in seen if c.__module__.startswith("salesops_models.")]  # not test doubles


@pytest.mark.parametrize("method", ["fit", "prior_predictive"])
def test_every_model_keeps_the_contract_signatures(method):
    """fit(crm, as_of=None, *, seed=0, progressbar=False) and prior_predictive(crm,
    as_of=None, *, samples, seed=0), both returning InferenceData, in every model."""
    import inspect

    models = _bayes_models()
    assert {m.__name__ for m in models} >= {"BookingsForecastModel", "ProductivityModel"}
    for cls in models:
        sig = inspect.signature(getattr(cls, method))
        params = list(sig.parameters.values())
        positional = [p.name for p in params if p.kind is p.POSITIONAL_OR_KEYWORD]
        assert positional[0] == "self" and len(positional) == 3, (cls, positional)
        assert positional[2] == "as_of" and sig.parameters["as_of"].default is None
        keyword = {p.name: p.default for p in params if p.kind is p.KEYWORD_ONLY}
        assert keyword["seed"] == 0, cls
        if method == "fit":
            assert keyword["progressbar"] is False, cls
        else:
            assert "samples" in keyword, cls
        assert "InferenceData" in str(sig.return_annotation), (cls, sig.return_annotation)


def test_the_model_base_is_abstract():
    from salesops_models.bayes import BayesModel

    with pytest.raises(TypeError, match="abstract"):
        BayesModel()


# --- one vocabulary ---------------------------------------------------------------------------
def test_former_names_warn_for_one_release_and_still_work():
    import warnings

    from salesops_models import health, territory

    with pytest.warns(FutureWarning, match="BalanceBand"):
        assert territory.Band is territory.BalanceBand
    with pytest.warns(FutureWarning, match="HealthBand"):
        assert health.Band is health.HealthBand
    rates = pd.DataFrame({"territory": ["A", "B"], "rate": [2.0, 3.0], "amount": [1e4, 1e4]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        from salesops_models.settings import renamed_parameters

        @renamed_parameters(n_scenarios="draws")
        def f(*, draws=1):
            return draws

        assert f(draws=5) == 5
    with pytest.warns(FutureWarning, match=r"f\(n_scenarios=...\) is deprecated: use draws"):
        assert f(n_scenarios=7) == 7
    with pytest.raises(TypeError, match="both"):
        f(n_scenarios=1, draws=2)
    del rates


def test_the_public_simulations_take_draws():
    """One word for the number of simulated draws in every public simulation."""
    import inspect

    from salesops_models import capacity, comp, territory
    from salesops_models.capacity.backtest import plan_backtest

    for fn in (
        territory.territory_wars,
        territory.simulate_territories,
        capacity.capacity,
        capacity.hires_needed,
        capacity.simulate,
        comp.cost_monte_carlo,
        plan_backtest,
    ):
        names = set(inspect.signature(fn).parameters)
        assert "draws" in names, fn.__name__
        assert not names & {"n_draws", "n_scenarios", "scenarios"}, fn.__name__


def test_intervals_are_named_by_their_level_and_settings_are_checked():
    from salesops_models.settings import rc_context, rcParams

    assert draws.interval_columns(0.8) == ("p10", "p90")
    assert draws.interval_columns(0.9) == ("p05", "p95")
    assert draws.label(0.05) == "p05"
    with rc_context({"stats.quantiles": (0.05, 0.5, 0.95)}):
        assert list(draws.quantiles(np.arange(101.0)).index) == ["p05", "p50", "p95"]
    assert rcParams["stats.quantiles"] == (0.1, 0.5, 0.9)
    with pytest.raises(KeyError, match="not a setting"):
        rcParams["stats.quantile"] = (0.5,)
    with pytest.raises(ValueError, match="increasing"):
        rcParams["stats.quantiles"] = (0.9, 0.1)


def test_the_architecture_page_lists_every_area_and_every_error():
    from salesops_models import errors
    from salesops_models.layers import RANK

    page = (PACKAGE.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    for area in RANK:
        assert f"`{area}`" in page, area
    for name in errors.__all__:
        if name != "SalesOpsError":
            assert f"`{name}`" in page, name
