"""Territory design, rebalancing and territory simulations."""

from .data import move_weights, territory_accounts
from .design import Design, InfeasibleTerritories, design_territories, rebalance
from .metrics import balance_metrics, territory_table
from .simulate import account_rates, simulate_territories, structural_summary

__all__ = [
    "Design",
    "InfeasibleTerritories",
    "account_rates",
    "balance_metrics",
    "design_territories",
    "move_weights",
    "territory_accounts",
    "rebalance",
    "simulate_territories",
    "structural_summary",
    "territory_table",
]
