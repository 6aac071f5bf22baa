"""Bayesian bookings forecast: model, posterior simulation, backtests and the forecast ledger.

>>> from salesops_models.forecast import BookingsForecastModel   # doctest: +SKIP
>>> model = BookingsForecastModel().fit(crm, as_of="2026-08-15")  # doctest: +SKIP
"""

from ..diagnostics import Diagnostics
from . import ledger
from .backtest import backtest, baselines, crps_from_draws, goals, summarize
from .data import TrainingData, build_training_data, make_levels
from .model import BookingsForecastModel
from .simulate import Forecast, forecast_period

__all__ = [
    "BookingsForecastModel",
    "Diagnostics",
    "Forecast",
    "TrainingData",
    "backtest",
    "baselines",
    "build_training_data",
    "crps_from_draws",
    "forecast_period",
    "goals",
    "ledger",
    "make_levels",
    "summarize",
]
