"""Compensation: declarative plans, exact statements, Monte Carlo cost for finance."""

from .cost import (
    CapacityScenarioInputs,
    CostInputs,
    CostResult,
    DealDraws,
    DealMix,
    capacity_inputs,
    compare,
    cost_monte_carlo,
    evaluate,
    payout_curve,
    sensitivity,
)
from .curve import payout_fraction
from .plan import Plan, PlanError, load_plan, parse_plan
from .statements import CompInputs, StatementResult, compute_statements, money

__all__ = [
    "CapacityScenarioInputs",
    "CompInputs",
    "CostInputs",
    "CostResult",
    "DealDraws",
    "DealMix",
    "Plan",
    "PlanError",
    "StatementResult",
    "capacity_inputs",
    "compare",
    "compute_statements",
    "cost_monte_carlo",
    "evaluate",
    "load_plan",
    "money",
    "parse_plan",
    "payout_curve",
    "payout_fraction",
    "sensitivity",
]
