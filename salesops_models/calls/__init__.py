"""The forecast call: what reps and managers commit each week, each forecaster's bias, and
the roll-up through the hierarchy.

>>> from salesops_models import calls                                   # doctest: +SKIP
>>> model = calls.ForecasterBiasModel()                                 # doctest: +SKIP
>>> idata = model.fit(crm, calls=calls.read_calls("data/salesops.duckdb"))  # doctest: +SKIP
>>> model.accuracy()                                                    # doctest: +SKIP
"""

from .bias import BiasData, ForecasterBiasModel, bias_data
from .data import calls_as_of, read_calls, scope_actuals, week_of_period

__all__ = [
    "BiasData",
    "ForecasterBiasModel",
    "bias_data",
    "calls_as_of",
    "read_calls",
    "scope_actuals",
    "week_of_period",
]
