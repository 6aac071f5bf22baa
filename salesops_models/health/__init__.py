"""Sales-ops health scorecard: every headline number of the function graded against its
benchmark band (``health_bands.yml``), with intervals, contributors, actions and trends.

>>> from salesops_models.health import health_scorecard
>>> # card = health_scorecard(crm, plan="plans/ae_standard.yml"); card.to_frame()
"""

from ..settings import deprecated_names
from .bands import BandError, HealthBand, load_bands
from .metrics import Metric
from .ramp import fit_ramp
from .scorecard import Scorecard, health_scorecard

#: the former name, served for one release with a FutureWarning
__getattr__ = deprecated_names("salesops_models.health", {"Band": "HealthBand"}, globals())


__all__ = [
    "HealthBand",
    "BandError",
    "Metric",
    "Scorecard",
    "fit_ramp",
    "health_scorecard",
    "load_bands",
]
