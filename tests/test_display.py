"""JupyterLab cards (`_repr_html_`) of the main result objects: the headline figures, with
CRM text escaped."""

import numpy as np
import pandas as pd
import xarray as xr

from salesops_models.comp.cost import CostResult
from salesops_models.crm import CRM
from salesops_models.display import money
from salesops_models.forecast.simulate import Forecast
from salesops_models.health import health_scorecard
from salesops_models.synthetic.hostile import hostile_crm


def test_crm_card_counts_tables_and_escapes_the_source(small_org):
    crm = hostile_crm(small_org.crm)
    crm = CRM(**crm.tables, meta={"source": "<script>alert(1)</script>"})
    html = crm._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert f"{len(crm.opportunities):,}" in html and "activities" in html
    assert str(crm.data_end.date()) in html


def test_scorecard_card_shows_every_metric_with_its_status(small_org):
    card = health_scorecard(small_org.crm, metrics=["pipeline_hygiene", "selling_time"])
    html = card._repr_html_()
    assert "Pipeline hygiene" in html and "Selling time" in html
    assert card["selling_time"].status in html
    assert str(card.as_of.date()) in html


def test_forecast_and_cost_cards_show_the_percentiles():
    rng = np.random.default_rng(0)
    total = rng.normal(10e6, 1e6, 1000)
    f = Forecast(
        period=type("P", (), {"label": "2026-Q4"})(),
        as_of=pd.Timestamp("2026-10-15"),
        total=total,
        closed=2e6,
        from_open=total * 0.6,
        from_new=total * 0.2,
        by_rep=xr.DataArray(np.zeros((1000, 1)), dims=("draw", "rep")),
        deals=pd.DataFrame(),
        reps=pd.DataFrame(),
        slip=np.zeros(1000),
    )
    html = f._repr_html_()
    assert "2026-Q4" in html and money(np.quantile(total, 0.5)) in html
    c = CostResult(total=total, per_rep=np.ones((1000, 3)), components={"base": total})
    html = c._repr_html_()
    assert money(np.quantile(total, 0.9)) in html and "1,000" in html


def test_money_reads_like_a_person_writes_it():
    assert money(21_326_000) == "$21.3M" and money(43_210) == "$43.2k"
    assert money(2_938_649.424) == "$2.9M" and money(float("nan")) == "n/a"


def test_capacity_and_design_cards():
    from salesops_models import territory as tt
    from salesops_models.capacity.plan import CapacityResult
    from salesops_models.capacity.simulate import SimResult

    rng = np.random.default_rng(1)
    monthly = rng.normal(1e6, 1e5, (500, 12))
    sim = SimResult(
        monthly_total=monthly,
        seat_period=np.zeros((500, 2, 4)),
        stayed=np.ones((500, 2, 4), bool),
        periods=[np.arange(3)] * 4,
        draw_of_scenario=np.arange(500),
    )
    c = CapacityResult(
        seats=pd.DataFrame({"seat": [0, 1]}),
        sim=sim,
        months=pd.period_range("2026-10", periods=12, freq="M"),
        target=np.full(12, 1e6),
        ramp=np.ones((2, 12)),
    )
    html = c._repr_html_()
    assert "P(reach target)" in html and "2026-10 to 2027-09" in html
    acc = pd.DataFrame(
        {
            "id": [f"a{i}" for i in range(60)],
            "lat": rng.uniform(30, 45, 60),
            "lon": rng.uniform(-110, -80, 60),
            "potential": np.round(np.exp(rng.normal(10, 0.5, 60)), -1),
        }
    )
    d = tt.design_territories(acc, 3, tolerance=0.1)
    html = d._repr_html_()
    assert "Territory design" in html and ">3<" in html and "gap to the bound" in html
