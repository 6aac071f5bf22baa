"""Comp cost scenarios regenerated from a capacity plan's seats: what a worker needs to
simulate its own block of capacity scenarios and price them with a comp plan
(:func:`salesops_models.comp.cost_monte_carlo` with ``make_inputs``)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..comp import CostInputs, DealMix, Plan, capacity_inputs
from .simulate import simulate


@dataclass
class CapacityScenarioInputs:
    """Makes the cost inputs of one block of scenarios from the capacity model: simulate the
    block's seats (:func:`~salesops_models.capacity.simulate.simulate`, the block's own seed
    stream), then :func:`capacity_inputs` on them (quotas, target incentive, simulated deals).
    Picklable, so a Dask worker builds its block's inputs itself and only costs come back.

    ``params`` are the :class:`~salesops_models.capacity.simulate.SeatParams` of a capacity
    plan (:func:`~salesops_models.capacity.plan.build_seats`), ``seats`` its seat table,
    ``periods`` the month-index arrays of its quarters and the year.
    """

    params: object
    seats: pd.DataFrame
    periods: list
    quotas: pd.DataFrame
    plan: Plan
    deals: DealMix | None = None

    def __call__(self, draws: int, seed: np.random.SeedSequence) -> CostInputs:
        from types import SimpleNamespace

        sim = simulate(self.params, draws, seed, self.periods, workers=1)
        deal_seed = int(seed.generate_state(1)[0])
        result = SimpleNamespace(sim=sim, seats=self.seats)
        return capacity_inputs(self.plan, result, self.quotas, deals=self.deals, seed=deal_seed)
