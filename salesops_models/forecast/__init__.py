"""Bayesian bookings forecast: model, posterior simulation, backtests and the forecast ledger.

>>> from salesops_models.forecast import BookingsForecastModel   # doctest: +SKIP
>>> model = BookingsForecastModel().fit(crm, as_of="2026-08-15")  # doctest: +SKIP

Names are imported lazily (PEP 562), so reading the ledger does not import PyMC.
"""

from importlib import import_module

_WHERE = {
    "backtest": ".backtest",
    "baselines": ".backtest",
    "crps_from_draws": ".backtest",
    "goals": ".backtest",
    "summarize": ".backtest",
    "TrainingData": ".data",
    "build_training_data": ".data",
    "make_levels": ".data",
    "BookingsForecastModel": ".model",
    "Diagnostics": ".model",
    "Forecast": ".simulate",
    "forecast_period": ".simulate",
}

__all__ = sorted([*_WHERE, "ledger"])


def __getattr__(name: str):
    if name == "ledger":
        return import_module(".ledger", __name__)
    if name in _WHERE:
        return getattr(import_module(_WHERE[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return __all__
