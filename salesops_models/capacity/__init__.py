"""Quota setting and capacity planning with Monte Carlo attainment."""

from .backtest import plan_backtest
from .plan import (
    CapacityPlan,
    CapacityResult,
    capacity,
    hires_needed,
    linear_ramp,
    pipeline_carry,
    stress_row,
    stress_table,
    styled_stress,
)
from .productivity import ProductivityModel, rep_months, sufficient_stats
from .quota import (
    allocate_quotas,
    attainment,
    calibration_curve,
    recommend_buffer,
    share_at_quota,
    variance_decomposition,
)
from .simulate import SeatParams, simulate

__all__ = [
    "CapacityPlan",
    "CapacityResult",
    "ProductivityModel",
    "SeatParams",
    "allocate_quotas",
    "attainment",
    "calibration_curve",
    "capacity",
    "hires_needed",
    "linear_ramp",
    "pipeline_carry",
    "recommend_buffer",
    "rep_months",
    "share_at_quota",
    "plan_backtest",
    "simulate",
    "stress_row",
    "stress_table",
    "styled_stress",
    "sufficient_stats",
    "variance_decomposition",
]
