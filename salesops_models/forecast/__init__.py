"""Bayesian bookings forecast: model, posterior simulation, backtests and the forecast ledger.

>>> from salesops_models.forecast import BookingsForecastModel   # doctest: +SKIP
>>> model = BookingsForecastModel()                                # doctest: +SKIP
>>> idata = model.fit(crm, as_of="2026-08-15", seed=1)  # the posterior  # doctest: +SKIP
>>> model.forecast("2026-Q3").quantiles()                         # doctest: +SKIP
"""

from ..diagnostics import Diagnostics
from ..scoring import backtest_summary, crps_from_draws
from ..settings import deprecated_names
from . import ledger
from .backtest import backtest, baselines, goals
from .data import TrainingData, build_training_data, make_levels
from .model import BookingsForecastModel
from .simulate import Forecast, forecast_period

#: former names, served for one release with a FutureWarning
__getattr__ = deprecated_names(
    "salesops_models.forecast", {"summarize": "backtest_summary"}, globals()
)

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
    "backtest_summary",
]
