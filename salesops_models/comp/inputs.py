"""The comp inputs beyond the CRM tables: splits, adjustments, deal attributes, leaves."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .. import config


@dataclass
class CompInputs:
    """Optional inputs beyond the CRM tables."""

    splits: pd.DataFrame | None = None  # opportunity_id, rep_id, percent, kind (split|overlay)
    adjustments: pd.DataFrame | None = None  # opportunity_id, event (cancelled|unpaid), date
    deal_attributes: pd.DataFrame | None = None  # opportunity_id, term_months, margin, discount
    leaves: pd.DataFrame | None = None  # rep_id, start, end (inclusive)


def read_comp_inputs(store: str | Path = config.DEFAULT_DB) -> tuple[CompInputs, str]:
    """The compensation inputs held by a store (tables it lacks are ``None``) and a one-line
    account of them (``salesops comp load`` writes them)."""
    from ..store import read_comp_tables

    found = read_comp_tables(store)
    inputs = CompInputs(
        splits=found.get("comp_splits"),
        adjustments=found.get("comp_adjustments"),
        deal_attributes=found.get("comp_deal_attributes"),
        leaves=found.get("comp_leaves"),
    )
    account = ", ".join(f"{len(df):,} {t.removeprefix('comp_')}" for t, df in found.items())
    return inputs, account or "none (owners credited 100%, no adjustments or leaves)"
