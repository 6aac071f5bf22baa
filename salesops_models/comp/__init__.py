"""Compensation: declarative plans, exact statements, Monte Carlo cost for finance."""

from .cost import (
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
from .inputs import CompInputs, read_comp_inputs
from .money import money
from .plan import Plan, PlanError, load_plan, parse_plan
from .result import StatementResult
from .statements import compute_statements

__all__ = [
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
    "read_comp_inputs",
    "sensitivity",
]
