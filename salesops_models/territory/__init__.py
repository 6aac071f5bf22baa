"""Territory design, rebalancing and territory simulations."""

from ..settings import deprecated_names
from . import pfizer
from .data import move_weights, territory_accounts
from .design import (
    EXACT_MAX_PAIRS,
    Design,
    InfeasibleTerritories,
    design_territories,
    distance_km,
    planar_distance,
)
from .exact import BalanceBand, Solution, TerritoryProblem, TerritorySolverError, solve
from .frontier import pareto_frontier
from .metrics import balance_metrics, match_labels, readable_balance, territory_table
from .rebalance import rebalance
from .simulate import (
    TerritorySimulation,
    account_rates,
    simulate_territories,
    structural_summary,
    territory_wars,
)

#: the former name, served for one release with a FutureWarning
__getattr__ = deprecated_names("salesops_models.territory", {"Band": "BalanceBand"}, globals())


__all__ = [
    "EXACT_MAX_PAIRS",
    "BalanceBand",
    "Design",
    "Solution",
    "TerritoryProblem",
    "TerritorySolverError",
    "distance_km",
    "pareto_frontier",
    "pfizer",
    "planar_distance",
    "solve",
    "InfeasibleTerritories",
    "account_rates",
    "balance_metrics",
    "match_labels",
    "readable_balance",
    "design_territories",
    "move_weights",
    "territory_accounts",
    "rebalance",
    "simulate_territories",
    "structural_summary",
    "TerritorySimulation",
    "territory_wars",
    "territory_table",
]
